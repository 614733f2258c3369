package storage_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
)

// TestRekeyCountsEveryValueLeft: more than a thousand values are not under
// the new key when the rotation comes to retire the old one: the first
// thousand no key opens (set aside), the ones after them a replica still on
// the old key wrote once the rotation had walked their table. Every one is
// counted, the old key is not retired, and run again the rotation seals them
// anew and retires it.
func TestRekeyCountsEveryValueLeft(t *testing.T) {
	for _, b := range reopenables {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rot := newRotation(t, b)
			oldKey, newKey := rot.old, rot.new
			oldReplica := rot.replica(t, oldKey)
			c := mustCreate(t, oldReplica, newCase("BC2611280001", nil))
			first := &cases.Event{CaseID: c.ID, At: at, Actor: "bot", Kind: cases.EventNote, Body: "第一条"}
			if err := oldReplica.AppendEvent(ctx, first); err != nil {
				t.Fatal(err)
			}
			// A thousand events whose body was copied from the first: bound
			// to another row, they open with no key.
			raw := oldReplica.DB()
			var moved string
			if err := raw.QueryRowContext(ctx, "SELECT body FROM events WHERE id = ?", first.ID).Scan(&moved); err != nil {
				t.Fatal(err)
			}
			const unreadable = 1000
			q := "INSERT INTO events (case_id, at, actor, kind, body, data) VALUES " +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", unreadable), ", ")
			var args []any
			for range unreadable {
				args = append(args, c.ID, "2026-11-28 09:30:15.000000", "bot", string(cases.EventNote), moved, "")
			}
			if _, err := raw.ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}

			db := rot.replica(t, newKey, oldKey)
			const late = 1001
			wrote := false
			res, err := db.Rekey(ctx, 500, func(r storage.RekeyReport) {
				if r.Table != "attachments" || wrote {
					return
				}
				// Events are walked: the old replica writes more of them.
				wrote = true
				err := oldReplica.InTx(ctx, func(r cases.Repo) error {
					for range late {
						if err := r.AppendEvent(ctx, &cases.Event{CaseID: c.ID, At: at, Actor: "bot", Kind: cases.EventNote, Body: "晚到"}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			oldID, newID := sealerOf(t, oldKey).KeyID(), sealerOf(t, newKey).KeyID()
			if diff := cmp.Diff([]storage.StaleValues{{Table: "events", KeyID: oldID, Count: late}}, res.Stale); diff != "" {
				t.Errorf("values left under the old key (-want +got):\n%s", diff)
			}
			if res.Left != late || len(res.Retired) != 0 {
				t.Errorf("rekey: left %d, retired %v; want %d left and no key retired", res.Left, res.Retired, late)
			}
			if ev := res.Tables[1]; ev.Table != "events" || ev.Unreadable != unreadable {
				t.Errorf("events walked: %+v; want %d unreadable", ev, unreadable)
			}

			res, err = db.Rekey(ctx, 500, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Left != 0 || len(res.Retired) != 1 || res.Retired[0] != oldID {
				t.Errorf("run again: left %d (%v), retired %v; want nothing left and the old key retired", res.Left, res.Stale, res.Retired)
			}
			prefix := sealerOf(t, newKey).TextPrefix()
			var sealedNew int
			if err := raw.QueryRowContext(ctx, "SELECT COUNT(*) FROM events WHERE SUBSTR(body, 1, ?) = ?", len(prefix), prefix).Scan(&sealedNew); err != nil {
				t.Fatal(err)
			}
			if sealedNew != 1+late {
				t.Errorf("%d events sealed with the new key (id %s), want %d", sealedNew, newID, 1+late)
			}
		})
	}
}

// TestRetireRacesAWrite: a replica writes with the old key just as the
// rotation retires it. Whichever holds the key first, no value is ever left
// that the new key alone cannot open: a write that came first stops the
// retirement; a write that comes after it seals with the new key, or, on a
// replica without it, is refused.
func TestRetireRacesAWrite(t *testing.T) {
	for _, b := range reopenables {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			keys := rotation{old: newKey(t), new: newKey(t)}
			oldKey, newKey := keys.old, keys.new
			oldID, newID := sealerOf(t, oldKey).KeyID(), sealerOf(t, newKey).KeyID()

			// open starts the replicas of one deployment, on a database of
			// its own: one on the old key alone, one with the new key as
			// previous (sealing with the old one, which is in use when it
			// starts), and the rotation's.
			open := func(t *testing.T) (rot rotation, oldOnly, both, rotating *storage.SQL) {
				rot = keys.fresh(t, b)
				oldOnly = rot.replica(t, oldKey)
				mustCreate(t, oldOnly, newCase("BC2611280001", nil))
				both = rot.replica(t, oldKey, newKey)
				rotating = rot.replica(t, newKey, oldKey)
				if got := both.KeyState(); got.Sealing != oldID {
					t.Fatalf("replica with both keys seals with %s before it looks again, want the old key %s", got.Sealing, oldID)
				}
				return rot, oldOnly, both, rotating
			}

			t.Run("the write holds the old key first", func(t *testing.T) {
				rot, oldOnly, _, rotating := open(t)
				wrote := make(chan error, 1)
				var once sync.Once
				storage.OnRetire(rotating, func() {
					once.Do(func() {
						held, release := make(chan struct{}), make(chan struct{})
						storage.OnSealKey(oldOnly, func(string) { close(held); <-release })
						go func() { wrote <- oldOnly.SaveSession(ctx, "wkAAA:late", []byte(`{"step":1}`)) }()
						<-held
						// The write goes on while the rotation takes the keys:
						// the rotation waits for it, whichever is quicker.
						close(release)
					})
				})
				res, err := rotating.Rekey(ctx, 100, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := <-wrote; err != nil {
					t.Fatalf("the write under the old key: %v", err)
				}
				if diff := cmp.Diff([]storage.StaleValues{{Table: "sessions", KeyID: oldID, Count: 1}}, res.Stale); diff != "" {
					t.Errorf("values left (-want +got):\n%s", diff)
				}
				if len(res.Retired) != 0 {
					t.Fatalf("retired %v while a value under the old key came in", res.Retired)
				}
				// The replica still on the old key is told to restart, and
				// once it writes no more, the rotation ends.
				if res, err = rotating.Rekey(ctx, 100, nil); err != nil || len(res.Retired) != 1 {
					t.Fatalf("run again: %+v, %v; want the old key retired", res, err)
				}
				if got, err := rot.replica(t, newKey).LoadSession(ctx, "wkAAA:late"); err != nil || string(got) != `{"step":1}` {
					t.Errorf("the late session with the new key alone: %q, %v", got, err)
				}
			})

			t.Run("the rotation holds the old key first", func(t *testing.T) {
				rot, oldOnly, both, rotating := open(t)
				errs := make(chan error, 2)
				storage.OnRetireHeld(rotating, func() {
					// Both writes wait until the key is retired.
					go func() { errs <- oldOnly.SaveSession(ctx, "wkAAA:old-only", []byte(`{"step":1}`)) }()
					go func() { errs <- both.SaveSession(ctx, "wkAAA:both", []byte(`{"step":2}`)) }()
				})
				res, err := rotating.Rekey(ctx, 100, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Retired) != 1 || res.Retired[0] != oldID || res.Left != 0 {
					t.Fatalf("rekey: %+v; want the old key retired", res)
				}
				var refused []string
				for range 2 {
					var keyErr *storage.KeyError
					switch err := <-errs; {
					case errors.As(err, &keyErr):
						refused = append(refused, string(keyErr.Reason)+" "+strings.Join(keyErr.KeyIDs, ","))
					case err != nil:
						t.Errorf("a write after the retirement: %v", err)
					}
				}
				if diff := cmp.Diff([]string{string(storage.KeyRetired) + " " + newID}, refused); diff != "" {
					t.Errorf("writes refused (-want +got):\n%s", diff)
				}
				if got := both.KeyState(); got.Sealing != newID || got.InUse != newID {
					t.Errorf("replica with both keys: %+v; want it sealing with the new key", got)
				}
				if got := oldOnly.KeyState(); !got.Refused() || got.InUse != newID {
					t.Errorf("replica with the old key alone: %+v; want it refusing, the new key in use", got)
				}
				only := rot.replica(t, newKey)
				if got, err := only.LoadSession(ctx, "wkAAA:both"); err != nil || string(got) != `{"step":2}` {
					t.Errorf("the session the replica with both keys wrote, with the new key alone: %q, %v", got, err)
				}
				if _, err := only.LoadSession(ctx, "wkAAA:old-only"); !errors.Is(err, cases.ErrNotFound) {
					t.Errorf("the refused session: %v; want it never written", err)
				}
			})
		})
	}
}
