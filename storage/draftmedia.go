package storage

import (
	"context"
	"time"

	"banchengshi/cases"
)

// Files received for a report that is still a draft live in draft_media, not
// in the session: a session is one sealed text value (MEDIUMTEXT on MySQL),
// and a few photos in it made it too large to save.

// SaveDraftMedia keeps a file for the dialog session sessionKey and returns
// its id. Like attachments, the file name and the bytes are sealed, bound to
// the row's id.
func (s *SQL) SaveDraftMedia(ctx context.Context, sessionKey string, a *cases.Attachment) (int64, error) {
	created := a.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	size := a.Size
	if size == 0 {
		size = int64(len(a.Data))
	}
	var id int64
	err := s.inTx(ctx, func(t *SQL) error {
		res, err := t.q.ExecContext(ctx,
			insertSQL("draft_media", []string{"session_key", "kind", "media_id", "file_name", "content_type", "size", "data", "created_at"}),
			sessionKey, a.Kind, a.MediaID, "", a.ContentType, size, []byte{}, t.d.t(created))
		if err != nil {
			return t.wrap(err, "keep draft %s", a.Kind)
		}
		if id, err = res.LastInsertId(); err != nil {
			return t.wrap(err, "keep draft %s: read id", a.Kind)
		}
		return t.sealFile(ctx, "draft_media", id, a)
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// DraftMedia returns a kept file with its bytes, or ErrNotFound. The
// attachment has no ID or CaseID yet: it becomes one when its case exists.
func (s *SQL) DraftMedia(ctx context.Context, id int64) (*cases.Attachment, error) {
	var a cases.Attachment
	var sealed bool
	err := s.q.QueryRowContext(ctx,
		"SELECT kind, media_id, file_name, content_type, size, data, data_sealed, created_at FROM draft_media WHERE id = ?", id).
		Scan(&a.Kind, &a.MediaID, &a.FileName, &a.ContentType, &a.Size, &a.Data, &sealed, timeCol{&a.CreatedAt})
	if err != nil {
		return nil, s.wrap(err, "get draft file %d", id)
	}
	if a.FileName, err = s.openLegacy(ctx, a.FileName, adID("draft_media", "file_name", id)); err != nil {
		return nil, err
	}
	if a.Data, err = s.openBytes(ctx, a.Data, sealed, adID("draft_media", "data", id)); err != nil {
		return nil, err
	}
	return &a, nil
}

// DeleteDraftMedia removes the files kept for sessionKey except those in
// keep; removing none is not an error.
func (s *SQL) DeleteDraftMedia(ctx context.Context, sessionKey string, keep []int64) error {
	q := "DELETE FROM draft_media WHERE session_key = ?"
	args := []any{sessionKey}
	if len(keep) > 0 {
		q += " AND id NOT IN (" + placeholders(len(keep)) + ")"
		for _, id := range keep {
			args = append(args, id)
		}
	}
	if _, err := s.q.ExecContext(ctx, q, args...); err != nil {
		return s.wrap(err, "delete draft files")
	}
	return nil
}
