package intake

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"banchengshi/cases"
)

// runSessions is the dialog's session store for one run of a citizen's
// messages (handleRun): the session is read from the run's transaction the
// first time a turn asks for it, each later turn reads what the turn before
// left (saved or deleted), and only the run's last state is written, once,
// by flush, inside the same transaction before the messages are marked done.
// The stored result is the one the turns would have left one after the
// other; the statements in between are spared (each turn used to read and
// write the sealed session, about two statements a message).
//
// It lives as long as the run's transaction and no longer: a run that fails
// or panics is rolled back and its messages are handled one by one, each
// with the database's session, never with what a failed run cached. The
// draft files of a session pass through to the transaction at once: the
// session refers to them by id, and they live in their own table.
type runSessions struct {
	cases.SessionStore
	held map[string]*heldSession
}

// heldSession is a session as the run last left it.
type heldSession struct {
	// data is the session's bytes; nil when there is none.
	data []byte
	// stored says whether the transaction has a row for the key, as read
	// (or as flush wrote it); a key saved or deleted unread is taken to
	// have one, so that deleting it reaches the database.
	stored bool
	// changed says whether a turn saved or deleted the session since it
	// was read.
	changed bool
}

var _ cases.SessionStore = (*runSessions)(nil)

func newRunSessions(r cases.SessionStore) *runSessions {
	return &runSessions{SessionStore: r, held: map[string]*heldSession{}}
}

// LoadSession returns the session as the run's last turn left it, reading
// it from the transaction the first time.
func (s *runSessions) LoadSession(ctx context.Context, key string) ([]byte, error) {
	h, ok := s.held[key]
	if !ok {
		data, err := s.SessionStore.LoadSession(ctx, key)
		switch {
		case errors.Is(err, cases.ErrNotFound):
			h = &heldSession{}
		case err != nil:
			return nil, err // the run fails: nothing to keep
		default:
			h = &heldSession{data: data, stored: true}
		}
		s.held[key] = h
	}
	if h.data == nil {
		return nil, fmt.Errorf("load session: %w", cases.ErrNotFound)
	}
	return slices.Clone(h.data), nil
}

// SaveSession keeps data as the session's state for the turns after this
// one; flush writes it.
func (s *runSessions) SaveSession(_ context.Context, key string, data []byte) error {
	h := s.hold(key)
	h.data, h.changed = slices.Clone(data), true
	if h.data == nil {
		h.data = []byte{} // saved empty is a session, not none
	}
	return nil
}

// DeleteSession keeps the session gone for the turns after this one; flush
// deletes the row if the transaction has one.
func (s *runSessions) DeleteSession(_ context.Context, key string) error {
	h := s.hold(key)
	h.data, h.changed = nil, true
	return nil
}

// hold returns what the run holds for key. A key saved or deleted without
// being read first (the dialog always reads first) may have a row in the
// database: a deletion of it reaches the database.
func (s *runSessions) hold(key string) *heldSession {
	h, ok := s.held[key]
	if !ok {
		h = &heldSession{stored: true}
		s.held[key] = h
	}
	return h
}

// flush writes what the run changed to the transaction: the last state of
// each session a turn saved or deleted. A session that is gone and never
// was in the database needs no statement.
func (s *runSessions) flush(ctx context.Context) error {
	keys := make([]string, 0, len(s.held))
	for key, h := range s.held {
		if h.changed {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys) // one key in a run; several in a stable order
	for _, key := range keys {
		h := s.held[key]
		switch {
		case h.data != nil:
			if err := s.SessionStore.SaveSession(ctx, key, h.data); err != nil {
				return fmt.Errorf("save dialog session: %w", err)
			}
			h.stored = true
		case h.stored:
			if err := s.SessionStore.DeleteSession(ctx, key); err != nil && !errors.Is(err, cases.ErrNotFound) {
				return fmt.Errorf("delete dialog session: %w", err)
			}
			h.stored = false
		}
		h.changed = false
	}
	return nil
}
