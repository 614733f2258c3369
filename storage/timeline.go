package storage

import (
	"context"
	"time"

	"banchengshi/cases"
)

// AppendEvent adds e to its case's timeline and sets its ID; Body and Data
// (what was said, to whom, with which number) are sealed, bound to a
// reference chosen before the insert (see seal.go), so one INSERT writes the
// event whole. A zero At becomes now.
func (s *SQL) AppendEvent(ctx context.Context, e *cases.Event) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = utc(e.At)
	return s.inTx(ctx, func(t *SQL) error {
		k, err := t.sealKey(ctx)
		if err != nil {
			return err
		}
		ref := newSealRef()
		res, err := t.q.ExecContext(ctx, insertSQL("events", []string{"case_id", "at", "actor", "kind", "body", "data", "seal_ref"}),
			e.CaseID, t.d.t(e.At), e.Actor, string(e.Kind),
			k.Seal(e.Body, adSealRef("events", "body", ref)), k.Seal(e.Data, adSealRef("events", "data", ref)), ref)
		if err != nil {
			return t.wrap(err, "append %s event to case %d", e.Kind, e.CaseID)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return t.wrap(err, "append event to case %d: read id", e.CaseID)
		}
		e.ID = id
		return nil
	})
}

// Timeline returns a case's events in the order they were appended.
func (s *SQL) Timeline(ctx context.Context, caseID int64) ([]cases.Event, error) {
	rows, err := s.q.QueryContext(ctx,
		"SELECT id, case_id, at, actor, kind, body, data, seal_ref FROM events WHERE case_id = ? ORDER BY id", caseID)
	if err != nil {
		return nil, s.wrap(err, "read timeline of case %d", caseID)
	}
	defer rows.Close()
	var out []cases.Event
	for rows.Next() {
		var e cases.Event
		var kind, ref string
		if err := rows.Scan(&e.ID, &e.CaseID, timeCol{&e.At}, &e.Actor, &kind, &e.Body, &e.Data, sealRefCol{&ref}); err != nil {
			return nil, s.wrap(err, "read timeline of case %d", caseID)
		}
		e.Kind = cases.EventKind(kind)
		if e.Body, err = s.openRef(ctx, e.Body, "events", "body", ref, e.ID); err != nil {
			return nil, err
		}
		if e.Data, err = s.openRef(ctx, e.Data, "events", "data", ref, e.ID); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "read timeline of case %d", caseID)
	}
	return out, nil
}

// AddAttachment stores a with its bytes and sets its ID. The file name
// (citizens name files after themselves) and the bytes (photos of ID cards,
// voice) are sealed, bound to the attachment's id. A zero Size becomes
// len(Data); a zero CreatedAt becomes now.
func (s *SQL) AddAttachment(ctx context.Context, a *cases.Attachment) error {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = time.Now()
	}
	a.CreatedAt = utc(a.CreatedAt)
	if a.Size == 0 {
		a.Size = int64(len(a.Data))
	}
	return s.inTx(ctx, func(t *SQL) error {
		res, err := t.q.ExecContext(ctx,
			insertSQL("attachments", []string{"case_id", "kind", "media_id", "file_name", "content_type", "size", "data", "created_at"}),
			a.CaseID, a.Kind, a.MediaID, "", a.ContentType, a.Size, []byte{}, t.d.t(a.CreatedAt))
		if err != nil {
			return t.wrap(err, "add %s attachment to case %d", a.Kind, a.CaseID)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return t.wrap(err, "add attachment to case %d: read id", a.CaseID)
		}
		if err := t.sealFile(ctx, "attachments", id, a); err != nil {
			return err
		}
		a.ID = id
		return nil
	})
}

// sealFile writes the sealed name and bytes of a file row just inserted.
func (s *SQL) sealFile(ctx context.Context, table string, id int64, a *cases.Attachment) error {
	k, err := s.sealKey(ctx)
	if err != nil {
		return err
	}
	_, err = s.q.ExecContext(ctx, "UPDATE "+table+" SET file_name = ?, data = ?, data_sealed = 1 WHERE id = ?",
		k.Seal(a.FileName, adID(table, "file_name", id)), k.SealBytes(a.Data, adID(table, "data", id)), id)
	if err != nil {
		return s.wrap(err, "seal %s %d", table, id)
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
		if a.FileName, err = s.openLegacy(ctx, a.FileName, adID("attachments", "file_name", a.ID)); err != nil {
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
	var sealed bool
	err := s.q.QueryRowContext(ctx, "SELECT "+attachmentCols+", data, data_sealed FROM attachments WHERE id = ?", id).
		Scan(&a.ID, &a.CaseID, &a.Kind, &a.MediaID, &a.FileName, &a.ContentType, &a.Size, timeCol{&a.CreatedAt}, &a.Data, &sealed)
	if err != nil {
		return nil, s.wrap(err, "get attachment %d", id)
	}
	if a.FileName, err = s.openLegacy(ctx, a.FileName, adID("attachments", "file_name", a.ID)); err != nil {
		return nil, err
	}
	if a.Data, err = s.openBytes(ctx, a.Data, sealed, adID("attachments", "data", a.ID)); err != nil {
		return nil, err
	}
	return &a, nil
}
