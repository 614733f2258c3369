package storage

import (
	"context"
	"time"

	"banchengshi/cases"
)

// AppendEvent adds e to its case's timeline and sets its ID; Body and Data
// (what was said, to whom, with which number) are sealed. A zero At becomes
// now.
func (s *SQL) AppendEvent(ctx context.Context, e *cases.Event) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = utc(e.At)
	res, err := s.q.ExecContext(ctx, insertSQL("events", []string{"case_id", "at", "actor", "kind", "body", "data"}),
		e.CaseID, s.d.t(e.At), e.Actor, string(e.Kind), s.sealer.Seal(e.Body), s.sealer.Seal(e.Data))
	if err != nil {
		return s.wrap(err, "append %s event to case %d", e.Kind, e.CaseID)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return s.wrap(err, "append event to case %d: read id", e.CaseID)
	}
	return nil
}

// Timeline returns a case's events in the order they were appended.
func (s *SQL) Timeline(ctx context.Context, caseID int64) ([]cases.Event, error) {
	rows, err := s.q.QueryContext(ctx,
		"SELECT id, case_id, at, actor, kind, body, data FROM events WHERE case_id = ? ORDER BY id", caseID)
	if err != nil {
		return nil, s.wrap(err, "read timeline of case %d", caseID)
	}
	defer rows.Close()
	var out []cases.Event
	for rows.Next() {
		var e cases.Event
		var kind string
		if err := rows.Scan(&e.ID, &e.CaseID, timeCol{&e.At}, &e.Actor, &kind, &e.Body, &e.Data); err != nil {
			return nil, s.wrap(err, "read timeline of case %d", caseID)
		}
		e.Kind = cases.EventKind(kind)
		if e.Body, err = s.openLegacy(e.Body, "event body"); err != nil {
			return nil, err
		}
		if e.Data, err = s.openLegacy(e.Data, "event data"); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "read timeline of case %d", caseID)
	}
	return out, nil
}

// AddAttachment stores a with its bytes and sets its ID. The file name is
// sealed (citizens name files after themselves); the bytes are kept as they
// are. A zero Size becomes len(Data); a zero CreatedAt becomes now.
func (s *SQL) AddAttachment(ctx context.Context, a *cases.Attachment) error {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = time.Now()
	}
	a.CreatedAt = utc(a.CreatedAt)
	if a.Size == 0 {
		a.Size = int64(len(a.Data))
	}
	data := a.Data
	if data == nil {
		data = []byte{}
	}
	res, err := s.q.ExecContext(ctx,
		insertSQL("attachments", []string{"case_id", "kind", "media_id", "file_name", "content_type", "size", "data", "created_at"}),
		a.CaseID, a.Kind, a.MediaID, s.sealer.Seal(a.FileName), a.ContentType, a.Size, data, s.d.t(a.CreatedAt))
	if err != nil {
		return s.wrap(err, "add %s attachment to case %d", a.Kind, a.CaseID)
	}
	if a.ID, err = res.LastInsertId(); err != nil {
		return s.wrap(err, "add attachment to case %d: read id", a.CaseID)
	}
	return nil
}

const attachmentCols = "id, case_id, kind, media_id, file_name, content_type, size, created_at"

// Attachments lists a case's attachments in the order they were added,
// without their bytes.
func (s *SQL) Attachments(ctx context.Context, caseID int64) ([]cases.Attachment, error) {
	rows, err := s.q.QueryContext(ctx, "SELECT "+attachmentCols+" FROM attachments WHERE case_id = ? ORDER BY id", caseID)
	if err != nil {
		return nil, s.wrap(err, "list attachments of case %d", caseID)
	}
	defer rows.Close()
	var out []cases.Attachment
	for rows.Next() {
		var a cases.Attachment
		if err := rows.Scan(&a.ID, &a.CaseID, &a.Kind, &a.MediaID, &a.FileName, &a.ContentType, &a.Size, timeCol{&a.CreatedAt}); err != nil {
			return nil, s.wrap(err, "list attachments of case %d", caseID)
		}
		if a.FileName, err = s.openLegacy(a.FileName, "attachment file name"); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "list attachments of case %d", caseID)
	}
	return out, nil
}

// GetAttachment returns one attachment with its bytes, or ErrNotFound.
func (s *SQL) GetAttachment(ctx context.Context, id int64) (*cases.Attachment, error) {
	var a cases.Attachment
	err := s.q.QueryRowContext(ctx, "SELECT "+attachmentCols+", data FROM attachments WHERE id = ?", id).
		Scan(&a.ID, &a.CaseID, &a.Kind, &a.MediaID, &a.FileName, &a.ContentType, &a.Size, timeCol{&a.CreatedAt}, &a.Data)
	if err != nil {
		return nil, s.wrap(err, "get attachment %d", id)
	}
	if a.FileName, err = s.openLegacy(a.FileName, "attachment file name"); err != nil {
		return nil, err
	}
	return &a, nil
}
