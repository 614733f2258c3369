package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"banchengshi/cases"
	"banchengshi/pii"
	"banchengshi/storage"
)

// TestReplicaMovesToTheKeyInUse: replicas started before a rotation re-read
// data_keys. One that has the new key (as previous) seals with it from then
// on; one that does not goes on with the old key while it is not retired,
// then refuses to write.
func TestReplicaMovesToTheKeyInUse(t *testing.T) {
	for _, b := range reopenables {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rot := newRotation(t, b)
			oldKey, newKey := rot.old, rot.new
			oldID, newID := sealerOf(t, oldKey).KeyID(), sealerOf(t, newKey).KeyID()
			oldOnly := rot.replica(t, oldKey)
			both := rot.replica(t, oldKey, newKey)
			sealedWith := func(db *storage.SQL, key string) string {
				t.Helper()
				if err := db.SaveSession(ctx, key, []byte(`{"step":1}`)); err != nil {
					t.Fatalf("save session %s: %v", key, err)
				}
				var v string
				if err := db.DB().QueryRowContext(ctx, "SELECT data FROM sessions WHERE skey = ?", key).Scan(&v); err != nil {
					t.Fatal(err)
				}
				return pii.SealedKeyID(v)
			}
			if got := sealedWith(both, "wkAAA:u1"); got != oldID {
				t.Errorf("before the rotation the replica with both keys seals with %s, want the key in use %s", got, oldID)
			}

			// A replica restarts with the new key: the rotation begins.
			rotating := rot.replica(t, newKey, oldKey)
			for _, c := range []struct {
				name    string
				db      *storage.SQL
				want    storage.KeyState
				behind  bool
				sealsBy string
			}{
				{"both keys", both, storage.KeyState{Sealing: newID, InUse: newID}, false, newID},
				{"old key alone", oldOnly, storage.KeyState{Sealing: oldID, InUse: newID}, true, oldID},
			} {
				got, err := c.db.RefreshKeys(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got != c.want || got.Behind() != c.behind || c.db.KeyState() != got {
					t.Errorf("%s after re-reading: %+v (behind %v), want %+v (behind %v)", c.name, got, got.Behind(), c.want, c.behind)
				}
				if sealer := sealedWith(c.db, "wkAAA:"+c.name); sealer != c.sealsBy {
					t.Errorf("%s seals with %s, want %s", c.name, sealer, c.sealsBy)
				}
			}

			// The replica on the old key wrote under it: the rotation seals
			// that anew and retires the old key.
			res, err := rotating.Rekey(ctx, 100, nil)
			if err != nil || len(res.Retired) != 1 {
				t.Fatalf("rekey: %+v, %v; want the old key retired", res, err)
			}
			got, err := oldOnly.RefreshKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Refused() || got.InUse != newID {
				t.Errorf("old-key replica after the retirement: %+v; want it refusing, the new key in use", got)
			}
			var keyErr *storage.KeyError
			err = oldOnly.SaveSession(ctx, "wkAAA:u1", []byte(`{"step":9}`))
			if !errors.As(err, &keyErr) || keyErr.Reason != storage.KeyRetired || !strings.Contains(err.Error(), newID) {
				t.Fatalf("a write on the old-key replica: %v; want a KeyError naming the key in use", err)
			}
			if got, err := rotating.LoadSession(ctx, "wkAAA:u1"); err != nil || string(got) != `{"step":1}` {
				t.Errorf("the session the refused write would have changed: %q, %v", got, err)
			}
		})
	}
}

// TestRetiredKeyStillOpens: a value under a retired key (left by a rotation
// before this one could not strand it) opens while the key is configured.
// Without it, the value is unreadable: set aside, and the messages after it
// go on. So is a value under a key the database never had. Neither stops
// the queue as a key in use that this replica lacks would (until restart).
func TestRetiredKeyStillOpens(t *testing.T) {
	for _, b := range reopenables {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rot := newRotation(t, b)
			oldKey, newKey, strangeKey := rot.old, rot.new, newKey(t)
			old := rot.replica(t, oldKey)
			for _, id := range []string{"m1", "m2", "m3"} {
				if _, err := old.InsertKfMessage(ctx, &cases.KfMessage{MsgID: id, OpenKfID: "wkAAA", ExternalUserID: "wm" + id,
					Raw: `{"msgid":"` + id + `"}`, ReceivedAt: at, SendTime: at}); err != nil {
					t.Fatal(err)
				}
			}
			var m1 string
			if err := old.DB().QueryRowContext(ctx, "SELECT raw FROM kf_messages WHERE msgid = 'm1'").Scan(&m1); err != nil {
				t.Fatal(err)
			}
			both := rot.replica(t, newKey, oldKey)
			if res, err := both.Rekey(ctx, 100, nil); err != nil || len(res.Retired) != 1 {
				t.Fatalf("rekey: %+v, %v", res, err)
			}
			// m1 as the old key sealed it, and m2 under a key nobody has.
			stranger := sealerOf(t, strangeKey).Seal(`{"msgid":"m2"}`, pii.AD{Table: "kf_messages", Column: "raw", Row: "m2"})
			for id, v := range map[string]string{"m1": m1, "m2": stranger} {
				if _, err := both.DB().ExecContext(ctx, "UPDATE kf_messages SET raw = ? WHERE msgid = ?", v, id); err != nil {
					t.Fatal(err)
				}
			}

			if _, err := both.RefreshKeys(ctx); err != nil {
				t.Fatal(err)
			}
			pending, err := both.PendingKfMessages(ctx, 1)
			if err != nil || len(pending) != 1 || pending[0].Raw != `{"msgid":"m1"}` {
				t.Fatalf("m1 under the retired, configured key: %v, %v", pending, err)
			}

			only := rot.replica(t, newKey)
			var got []string
			for range 3 {
				pending, err := only.PendingKfMessages(ctx, 10)
				u := cases.AsUnreadable(err)
				if u == nil {
					if err != nil {
						t.Fatalf("pending kf messages: %v; want an unreadable message, to set aside", err)
					}
					for _, m := range pending {
						got = append(got, m.MsgID)
					}
					break
				}
				got = append(got, "aside "+u.Key)
				if moved, err := only.SetAside(ctx, u, "unreadable"); err != nil || !moved {
					t.Fatalf("set aside %s: %v, %v", u.Key, moved, err)
				}
			}
			if want := "aside m1, aside m2, m3"; strings.Join(got, ", ") != want {
				t.Errorf("the queue with the new key alone: %s; want %s", strings.Join(got, ", "), want)
			}
		})
	}
}
