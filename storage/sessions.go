package storage

import (
	"context"
	"errors"
	"time"

	"banchengshi/cases"
)

// LoadSession returns a dialog session's bytes, or ErrNotFound.
func (s *SQL) LoadSession(ctx context.Context, key string) ([]byte, error) {
	var sealed string
	if err := s.q.QueryRowContext(ctx, "SELECT data FROM sessions WHERE skey = ?", key).Scan(&sealed); err != nil {
		return nil, s.wrap(err, "load session")
	}
	plain, err := s.open(ctx, sealed, ad("sessions", "data", key))
	if err != nil {
		return nil, err
	}
	return []byte(plain), nil
}

// SaveSession stores a dialog session's bytes, sealed (bound to the key),
// replacing what was there.
func (s *SQL) SaveSession(ctx context.Context, key string, data []byte) error {
	q := s.d.upsert("sessions", []string{"skey", "data", "updated_at"}, []string{"skey"}, []string{"data", "updated_at"})
	return s.inTx(ctx, func(t *SQL) error {
		k, err := t.sealKey(ctx)
		if err != nil {
			return err
		}
		if _, err := t.q.ExecContext(ctx, q, key, k.Seal(string(data), ad("sessions", "data", key)), t.d.t(time.Now())); err != nil {
			return t.wrap(err, "save session")
		}
		return nil
	})
}

// DeleteSession removes a dialog session; removing none is not an error.
func (s *SQL) DeleteSession(ctx context.Context, key string) error {
	if _, err := s.q.ExecContext(ctx, "DELETE FROM sessions WHERE skey = ?", key); err != nil {
		return s.wrap(err, "delete session")
	}
	return nil
}

// PurgeStale deletes sessions not saved for olderThan (by this process's
// clock, which stamps updated_at), their draft files, and draft files left
// without a session, in one transaction.
func (s *SQL) PurgeStale(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := s.d.t(time.Now().Add(-olderThan))
	var n int64
	err := s.inTx(ctx, func(tx *SQL) error {
		if _, err := tx.q.ExecContext(ctx, "DELETE FROM draft_media WHERE session_key IN (SELECT skey FROM sessions WHERE updated_at < ?)", cutoff); err != nil {
			return tx.wrap(err, "purge draft files of stale sessions")
		}
		res, err := tx.q.ExecContext(ctx, "DELETE FROM sessions WHERE updated_at < ?", cutoff)
		if err != nil {
			return tx.wrap(err, "purge stale sessions")
		}
		n, _ = res.RowsAffected()
		if _, err := tx.q.ExecContext(ctx, "DELETE FROM draft_media WHERE created_at < ? AND session_key NOT IN (SELECT skey FROM sessions)", cutoff); err != nil {
			return tx.wrap(err, "purge orphaned draft files")
		}
		return nil
	})
	return int(n), err
}

func isNotFound(err error) bool { return errors.Is(err, cases.ErrNotFound) }
