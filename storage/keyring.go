package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"banchengshi/pii"
)

// Which data key a process seals new personal data with is decided by the
// database, not only by the process's configuration. data_keys lists every
// key data may be sealed with; the newest one not retired is the key in
// use. A rotation (see Rekey) begins when a process starts with a new key,
// which records it as the key in use, and ends when every value is sealed
// with it and the other keys are retired.
//
// Replicas started before the rotation learn of it in three ways:
//
//   - Every transaction that seals holds the data_keys row of its key with a
//     shared lock (sealKey), and the rotation's last step takes the rows it
//     retires for update. So a write sealed with the old key either commits
//     before the rotation looks for values under that key, which then refuses
//     to retire it, or waits until the key is retired and then seals with
//     the key in use, or, when the process does not have that key, is refused:
//     it fails, to be tried again, and never leaves a value nobody can open.
//   - They re-read data_keys every so often (RefreshKeys) and move to the key
//     in use when they have it (configured as BCS_DATA_KEY_PREVIOUS).
//   - Opening a value sealed with a key they do not have makes them re-read
//     data_keys, to tell a key in use (passing once the process has it) from
//     a retired or unknown one (unreadable: set aside).

// KeyState is what a process knows of the data keys.
type KeyState struct {
	// Sealing is the id of the key the process seals new personal data
	// with; "" while it refuses to seal: its key is retired and it does not
	// have the key in use.
	Sealing string
	// InUse is the id of the key in use: the newest in data_keys that is
	// not retired ("" if there is none).
	InUse string
}

// Refused reports whether the process refuses to seal, and so to write
// personal data, until it is restarted with the key in use.
func (k KeyState) Refused() bool { return k.Sealing == "" }

// Behind reports whether a rotation moved to a key this process does not
// have. It goes on sealing with its own key while that key is not retired,
// which keeps the rotation from retiring it; it should be restarted with
// the new key.
func (k KeyState) Behind() bool { return k.InUse != k.Sealing }

// refusal is the error of a write this process cannot seal.
func (k KeyState) refusal() error {
	if k.InUse == "" {
		return &KeyError{Reason: KeyRetired}
	}
	return &KeyError{Reason: KeyRetired, KeyIDs: []string{k.InUse}}
}

// keyRing is what a process knows of data_keys, shared by every SQL bound to
// its database.
type keyRing struct {
	mu    sync.Mutex
	state KeyState
	// inUse holds every key id of data_keys as last read: true when it is
	// not retired.
	inUse map[string]bool

	hooks keyHooks
}

// keyHooks let tests stop a write or a rotation at the moments that matter;
// all nil in the product.
type keyHooks struct {
	sealKey    func(keyID string) // a transaction holds the key it seals with
	retire     func()             // Rekey's last step is about to hold the keys it retires
	retireHeld func()             // it holds them, and has not counted yet
}

func newKeyRing(sealer *pii.Sealer) *keyRing {
	return &keyRing{state: KeyState{Sealing: sealer.KeyID(), InUse: sealer.KeyID()}}
}

func (r *keyRing) current() KeyState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// known reports whether id is in data_keys as last read, and whether it is
// in use there (not retired).
func (r *keyRing) known(id string) (known, inUse bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	inUse, known = r.inUse[id]
	return known, inUse
}

// learn takes in what data_keys holds now and chooses the key to seal with:
// the key in use when this process has it; else the key it sealed with so
// far while that one is not retired; else the newest key not retired that it
// has; else none.
func (r *keyRing) learn(sealer *pii.Sealer, recorded []dataKey) KeyState {
	var inUse []dataKey
	known := make(map[string]bool, len(recorded))
	for _, k := range recorded {
		known[k.id] = !k.retired
		if !k.retired {
			inUse = append(inUse, k)
		}
	}
	sort.SliceStable(inUse, func(i, j int) bool { return inUse[i].newerThan(inUse[j]) })
	has := func(id string) bool {
		_, err := sealer.SealingWith(id)
		return err == nil
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	st := KeyState{}
	if len(inUse) > 0 {
		st.InUse = inUse[0].id
	}
	switch {
	case st.InUse != "" && has(st.InUse):
		st.Sealing = st.InUse
	case known[r.state.Sealing] && has(r.state.Sealing):
		st.Sealing = r.state.Sealing
	default:
		for _, k := range inUse {
			if has(k.id) {
				st.Sealing = k.id
				break
			}
		}
	}
	r.state, r.inUse = st, known
	return st
}

// newerThan orders the keys in use: the one activated (recorded, or taken up
// again) last is the key in use. Keys recorded before activated_at existed
// count from when they were recorded, and rank below a key activated at the
// same moment.
func (k dataKey) newerThan(o dataKey) bool {
	a, b := k.since(), o.since()
	switch {
	case !a.Equal(b):
		return a.After(b)
	case (k.activated == nil) != (o.activated == nil):
		return k.activated != nil
	}
	return k.id > o.id
}

func (k dataKey) since() time.Time {
	if k.activated != nil {
		return *k.activated
	}
	return k.created
}

// KeyState returns what this process knows of the data keys now.
func (s *SQL) KeyState() KeyState { return s.keys.current() }

// RefreshKeys re-reads data_keys and moves this process to the key in use
// when it has that key. The product calls it every so often; see keyRing.
func (s *SQL) RefreshKeys(ctx context.Context) (KeyState, error) {
	q := querier(s.db)
	if s.memory {
		// One connection: a transaction of this process may hold it.
		q = s.q
	}
	return s.refreshKeys(ctx, q, "")
}

func (s *SQL) refreshKeys(ctx context.Context, q querier, lock string) (KeyState, error) {
	recorded, err := s.dataKeysOn(ctx, q, lock)
	if err != nil {
		return KeyState{}, err
	}
	return s.keys.learn(s.sealer, recorded), nil
}

// sealKey returns the sealer that this transaction seals personal data
// with, its key's data_keys row held with a shared lock until the
// transaction ends, so that the key cannot be retired under the write (see
// keyRing). A key retired since this process last looked makes it learn
// which key is in use, in this transaction; without that key the write is
// refused with a KeyError (KeyRetired).
func (s *SQL) sealKey(ctx context.Context) (*pii.Sealer, error) {
	if s.tx == nil {
		return nil, errors.New("storage: personal data is sealed only inside a transaction")
	}
	if s.pinned != nil {
		return s.pinned, nil
	}
	st := s.keys.current()
	for range 3 {
		if !st.Refused() {
			var retired *time.Time
			err := s.q.QueryRowContext(ctx, "SELECT retired_at FROM data_keys WHERE key_id = ?"+s.d.lockShared(),
				st.Sealing).Scan(timePtrCol{&retired})
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, s.wrap(err, "hold data key %s", st.Sealing)
			}
			if err == nil && retired == nil {
				k, err := s.sealer.SealingWith(st.Sealing)
				if err != nil {
					return nil, err // learn chooses only keys the sealer has
				}
				s.pinned = k
				if hook := s.keys.hooks.sealKey; hook != nil {
					hook(st.Sealing)
				}
				return k, nil
			}
		}
		// Retired (or gone) since this process last looked, or refused
		// then: which key is in use now? A locking read, for the rows as
		// committed, not as this transaction first saw them.
		var err error
		if st, err = s.refreshKeys(ctx, s.q, s.d.lockShared()); err != nil {
			return nil, err
		}
		if st.Refused() {
			return nil, st.refusal()
		}
	}
	return nil, fmt.Errorf("hold data key %s: data_keys keeps changing", st.Sealing)
}
