package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"banchengshi/cases"
	"banchengshi/storage"
)

// SessionStore keeps the staff's web sessions, so that signing out (here or
// everywhere) revokes them on every replica; *storage.SQL is one. It sees only
// keyed hashes of the session ids the browsers hold.
type SessionStore interface {
	CreateWebSession(ctx context.Context, ws *storage.WebSession) error
	// WebSession returns cases.ErrNotFound for a session that is gone.
	WebSession(ctx context.Context, idHash string) (*storage.WebSession, error)
	TouchWebSession(ctx context.Context, idHash string, seen, expires time.Time) error
	DeleteWebSession(ctx context.Context, idHash string) error
	DeleteWebSessionsOf(ctx context.Context, userID string) (int, error)
	PurgeWebSessions(ctx context.Context, now time.Time) (int, error)
}

var _ SessionStore = (*storage.SQL)(nil)

// purgeEvery is how often sign-ins remove expired sessions from the store.
const purgeEvery = 10 * time.Minute

// session is a live session of a request. It holds no personal data: the
// user id is a WeCom id, the CSRF token is derived from the session id.
type session struct {
	UserID string
	CSRF   string
	idHash string
}

// sessions starts, checks and ends the staff's sessions. The cookie holds a
// random id of 256 bits; the store holds its keyed hash, the member and the
// times that decide expiry, which is enforced here on every request: IdleTimeout
// after the last request, MaxAge after sign-in.
type sessions struct {
	store   SessionStore
	cookies cookies
	now     func() time.Time

	mu        sync.Mutex
	lastPurge time.Time
}

// expiry is when a session signed in at created and last used at seen ends.
func expiry(created, seen time.Time) time.Time {
	if end := seen.Add(IdleTimeout); end.Before(created.Add(MaxAge)) {
		return end
	}
	return created.Add(MaxAge)
}

// idHash is what the store keeps instead of the session id.
func (m *sessions) idHash(id string) string {
	return hex.EncodeToString(m.cookies.mac("session-id", []byte(id)))
}

// csrfToken is the session's form token: derived from the id, so that it
// needs no storage and means nothing without the session.
func (m *sessions) csrfToken(id string) string {
	return hex.EncodeToString(m.cookies.mac("csrf", []byte(id)))[:32]
}

// start signs userID in: a new session in the store and its id in the cookie.
func (m *sessions) start(ctx context.Context, w http.ResponseWriter, userID string) error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("new session id: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	now := m.now()
	ws := &storage.WebSession{IDHash: m.idHash(id), UserID: userID, CreatedAt: now, SeenAt: now, ExpiresAt: expiry(now, now)}
	if err := m.store.CreateWebSession(ctx, ws); err != nil {
		return fmt.Errorf("start web session: %w", err)
	}
	m.cookies.set(w, sessionCookie, id, MaxAge)
	return nil
}

// current returns the request's live session, recording the request on it
// now and then; nil when there is none, it was revoked or it has expired.
// An error means the store could not be asked.
func (m *sessions) current(ctx context.Context, w http.ResponseWriter, r *http.Request) (*session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || len(ck.Value) != 43 { // base64 of 32 bytes
		return nil, nil
	}
	hash := m.idHash(ck.Value)
	ws, err := m.store.WebSession(ctx, hash)
	if errors.Is(err, cases.ErrNotFound) {
		m.cookies.clear(w, sessionCookie)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := m.now()
	if now.Sub(ws.SeenAt) >= IdleTimeout || now.Sub(ws.CreatedAt) >= MaxAge || !now.Before(ws.ExpiresAt) {
		if err := m.store.DeleteWebSession(ctx, hash); err != nil {
			return nil, err
		}
		m.cookies.clear(w, sessionCookie)
		return nil, nil
	}
	if now.Sub(ws.SeenAt) >= touchEvery {
		err := m.store.TouchWebSession(ctx, hash, now, expiry(ws.CreatedAt, now))
		if errors.Is(err, cases.ErrNotFound) { // revoked this very moment
			m.cookies.clear(w, sessionCookie)
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return &session{UserID: ws.UserID, CSRF: m.csrfToken(ck.Value), idHash: hash}, nil
}

// end signs one session out.
func (m *sessions) end(ctx context.Context, w http.ResponseWriter, s *session) error {
	m.cookies.clear(w, sessionCookie)
	if s == nil {
		return nil
	}
	if err := m.store.DeleteWebSession(ctx, s.idHash); err != nil {
		return fmt.Errorf("end web session: %w", err)
	}
	return nil
}

// endAll signs a member out of every session, on every device, and says how
// many there were.
func (m *sessions) endAll(ctx context.Context, w http.ResponseWriter, userID string) (int, error) {
	m.cookies.clear(w, sessionCookie)
	n, err := m.store.DeleteWebSessionsOf(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("end web sessions of %s: %w", userID, err)
	}
	return n, nil
}

// purge removes expired sessions from the store, at most every purgeEvery
// per process, and says how many it removed.
func (m *sessions) purge(ctx context.Context) (int, error) {
	now := m.now()
	m.mu.Lock()
	if !m.lastPurge.IsZero() && now.Sub(m.lastPurge) < purgeEvery {
		m.mu.Unlock()
		return 0, nil
	}
	m.lastPurge = now
	m.mu.Unlock()
	return m.store.PurgeWebSessions(ctx, now)
}
