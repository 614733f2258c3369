package storage

import (
	"context"
	"fmt"
	"time"
)

// WebSession is a staff member's signed-in session on the web pages. Storage
// never sees the session id the browser holds: IDHash is a keyed hash of it,
// made by the pages.
type WebSession struct {
	IDHash    string
	UserID    string
	CreatedAt time.Time
	SeenAt    time.Time
	// ExpiresAt is when the session ends unless it is used again; rows past
	// it are purged.
	ExpiresAt time.Time
}

// CreateWebSession stores a new session.
func (s *SQL) CreateWebSession(ctx context.Context, ws *WebSession) error {
	_, err := s.q.ExecContext(ctx, insertSQL("web_sessions", []string{"id_hash", "user_id", "created_at", "seen_at", "expires_at"}),
		ws.IDHash, ws.UserID, s.d.t(ws.CreatedAt), s.d.t(ws.SeenAt), s.d.t(ws.ExpiresAt))
	if err != nil {
		return s.wrap(err, "create web session")
	}
	return nil
}

// WebSession returns the session with this id hash, or cases.ErrNotFound when
// there is none (never created, signed out, revoked or purged).
func (s *SQL) WebSession(ctx context.Context, idHash string) (*WebSession, error) {
	ws := &WebSession{IDHash: idHash}
	err := s.q.QueryRowContext(ctx, "SELECT user_id, created_at, seen_at, expires_at FROM web_sessions WHERE id_hash = ?", idHash).
		Scan(&ws.UserID, timeCol{&ws.CreatedAt}, timeCol{&ws.SeenAt}, timeCol{&ws.ExpiresAt})
	if err != nil {
		return nil, s.wrap(err, "load web session")
	}
	return ws, nil
}

// WebSessionsOf lists a member's sessions, oldest first.
func (s *SQL) WebSessionsOf(ctx context.Context, userID string) ([]*WebSession, error) {
	rows, err := s.q.QueryContext(ctx, "SELECT id_hash, user_id, created_at, seen_at, expires_at FROM web_sessions WHERE user_id = ? ORDER BY created_at, id_hash", userID)
	if err != nil {
		return nil, s.wrap(err, "list web sessions")
	}
	defer rows.Close()
	var out []*WebSession
	for rows.Next() {
		ws := &WebSession{}
		if err := rows.Scan(&ws.IDHash, &ws.UserID, timeCol{&ws.CreatedAt}, timeCol{&ws.SeenAt}, timeCol{&ws.ExpiresAt}); err != nil {
			return nil, s.wrap(err, "list web sessions")
		}
		out = append(out, ws)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "list web sessions")
	}
	return out, nil
}

// TouchWebSession records a request on a session: when it was seen and when
// it now expires. A session that is gone stays gone (cases.ErrNotFound).
func (s *SQL) TouchWebSession(ctx context.Context, idHash string, seen, expires time.Time) error {
	res, err := s.q.ExecContext(ctx, "UPDATE web_sessions SET seen_at = ?, expires_at = ? WHERE id_hash = ?", s.d.t(seen), s.d.t(expires), idHash)
	if err != nil {
		return s.wrap(err, "touch web session")
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		// MySQL counts changed rows: an update to the same values in
		// the same microsecond changes none, so look before saying gone.
		if _, err := s.WebSession(ctx, idHash); err != nil {
			return err
		}
	}
	return nil
}

// DeleteWebSession ends one session; ending one that is gone is not an error.
func (s *SQL) DeleteWebSession(ctx context.Context, idHash string) error {
	if _, err := s.q.ExecContext(ctx, "DELETE FROM web_sessions WHERE id_hash = ?", idHash); err != nil {
		return s.wrap(err, "delete web session")
	}
	return nil
}

// DeleteWebSessionsOf ends every session of a member and says how many
// there were.
func (s *SQL) DeleteWebSessionsOf(ctx context.Context, userID string) (int, error) {
	res, err := s.q.ExecContext(ctx, "DELETE FROM web_sessions WHERE user_id = ?", userID)
	if err != nil {
		return 0, s.wrap(err, "delete web sessions of a member")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete web sessions of a member: %w", err)
	}
	return int(n), nil
}

// PurgeWebSessions removes the sessions expired by now and says how many.
func (s *SQL) PurgeWebSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.q.ExecContext(ctx, "DELETE FROM web_sessions WHERE expires_at <= ?", s.d.t(now))
	if err != nil {
		return 0, s.wrap(err, "purge web sessions")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge web sessions: %w", err)
	}
	return int(n), nil
}
