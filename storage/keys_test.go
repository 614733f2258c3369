package storage_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/pii"
	"banchengshi/storage"
)

// TestSealedValuesBoundToTheirPlace copies sealed values between rows and
// columns, as someone with the database but not the key might: each copy
// fails to open, with the row it was found in named, instead of showing one
// citizen's data as another's.
func TestSealedValuesBoundToTheirPlace(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		a := mustCreate(t, db, newCase("BC2611280001", nil))
		b := mustCreate(t, db, newCase("BC2611280002", func(c *cases.Case) { c.Affected.IDNumber = "110105198001011234" }))
		attA := &cases.Attachment{CaseID: a.ID, Kind: "image", FileName: "a.jpg", Data: []byte("photo of A's ID card"), CreatedAt: at}
		attB := &cases.Attachment{CaseID: b.ID, Kind: "image", FileName: "b.jpg", Data: []byte("photo of B's ID card"), CreatedAt: at}
		for _, att := range []*cases.Attachment{attA, attB} {
			if err := db.AddAttachment(ctx, att); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SaveSession(ctx, "wkAAA:u1", []byte(`{"phone":"13812345678"}`)); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveSession(ctx, "wkAAA:u2", []byte(`{"phone":"13900000000"}`)); err != nil {
			t.Fatal(err)
		}
		raw := db.DB()
		move := func(q string, args ...any) {
			t.Helper()
			if _, err := raw.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		value := func(q string, args ...any) any {
			t.Helper()
			var v any
			if err := raw.QueryRowContext(ctx, q, args...).Scan(&v); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return v
		}
		for _, c := range []struct {
			name  string
			swap  func()
			read  func() error
			table string
			key   string
		}{
			{"ID number from another case",
				func() {
					move("UPDATE cases SET affected_id_number = ? WHERE id = ?", value("SELECT affected_id_number FROM cases WHERE id = ?", b.ID), a.ID)
				},
				func() error { _, err := db.GetCase(ctx, a.Number); return err }, "cases", a.Number},
			{"phone into the ID number column of the same case",
				func() {
					move("UPDATE cases SET affected_id_number = affected_phone WHERE id = ?", b.ID)
				},
				func() error { _, err := db.GetCase(ctx, b.Number); return err }, "cases", b.Number},
			{"file bytes from another attachment",
				func() {
					move("UPDATE attachments SET data = ? WHERE id = ?", value("SELECT data FROM attachments WHERE id = ?", attB.ID), attA.ID)
				},
				func() error { _, err := db.GetAttachment(ctx, attA.ID); return err }, "attachments", itoa(attA.ID)},
			{"another citizen's session",
				func() {
					move("UPDATE sessions SET data = ? WHERE skey = 'wkAAA:u1'", value("SELECT data FROM sessions WHERE skey = 'wkAAA:u2'"))
				},
				func() error { _, err := db.LoadSession(ctx, "wkAAA:u1"); return err }, "sessions", "wkAAA:u1"},
		} {
			c.swap()
			err := c.read()
			u := cases.AsUnreadable(err)
			if !errors.Is(err, cases.ErrUnreadable) || !errors.Is(err, pii.ErrOpen) || u == nil || u.Table != c.table || u.Key != c.key {
				t.Errorf("%s: %v; want ErrUnreadable naming %s %s", c.name, err, c.table, c.key)
			}
		}
		// The rows left alone still open.
		if _, err := db.GetAttachment(ctx, attB.ID); err != nil {
			t.Errorf("attachment B: %v", err)
		}
		if _, err := db.LoadSession(ctx, "wkAAA:u2"); err != nil {
			t.Errorf("session u2: %v", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestKeyCheck: the first start records the key's check value; a database
// sealed before key checks is accepted only by a key that opens its data.
func TestKeyCheck(t *testing.T) {
	for _, b := range reopenables {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rot := newRotation(t, b)
			key, other := rot.old, rot.new
			db := rot.replica(t, key)
			mustCreate(t, db, newCase("BC2611280001", nil))
			var recorded string
			if err := db.DB().QueryRowContext(ctx, "SELECT key_id FROM data_keys").Scan(&recorded); err != nil || recorded != sealerOf(t, key).KeyID() {
				t.Fatalf("recorded key %q, %v; want %s", recorded, err, sealerOf(t, key).KeyID())
			}
			var keyErr *storage.KeyError
			if _, err := rot.open(t, other); !errors.As(err, &keyErr) || keyErr.Reason != storage.KeyNotConfigured ||
				keyErr.KeyIDs[0] != recorded {
				t.Errorf("another key: %v, want KeyNotConfigured naming %s", err, recorded)
			}

			// As a database from before key checks: no record, v1 values.
			if _, err := db.DB().ExecContext(ctx, "DELETE FROM data_keys"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.DB().ExecContext(ctx, "UPDATE cases SET affected_id_number = ?", sealV1(t, key, "11010519610715123X")); err != nil {
				t.Fatal(err)
			}
			if _, err := rot.open(t, other); !errors.As(err, &keyErr) || keyErr.Reason != storage.KeyCannotOpen {
				t.Errorf("another key on sealed data without a record: %v, want KeyCannotOpen", err)
			}
			if _, err := rot.open(t, key); err != nil {
				t.Errorf("the right key on sealed data without a record: %v", err)
			}
			if err := db.DB().QueryRowContext(ctx, "SELECT key_id FROM data_keys").Scan(&recorded); err != nil || recorded != sealerOf(t, key).KeyID() {
				t.Errorf("recorded key %q, %v; want %s", recorded, err, sealerOf(t, key).KeyID())
			}
		})
	}
}

// TestOldReplicaDuringRotation: a replica still on the old key meets a value
// a restarted replica sealed with the new key. That is not unreadable (it
// must not be set aside): it passes once the replica has the key. A value
// whose key id no key in data_keys has is unreadable.
func TestOldReplicaDuringRotation(t *testing.T) {
	for _, b := range reopenables {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rot := newRotation(t, b)
			oldKey, newKey, strangeKey := rot.old, rot.new, newKey(t)
			oldReplica := rot.replica(t, oldKey)
			newReplica := rot.replica(t, newKey, oldKey)
			if err := newReplica.SaveSession(ctx, "wkAAA:u1", []byte(`{"step":1}`)); err != nil {
				t.Fatal(err)
			}
			_, err := oldReplica.LoadSession(ctx, "wkAAA:u1")
			if !errors.Is(err, pii.ErrUnknownKey) || errors.Is(err, cases.ErrUnreadable) {
				t.Errorf("old replica reading a new value: %v; want ErrUnknownKey, not ErrUnreadable", err)
			}
			stranger := sealerOf(t, strangeKey).Seal(`{"step":1}`, pii.AD{Table: "sessions", Column: "data", Row: "wkAAA:u1"})
			if _, err := newReplica.DB().ExecContext(ctx, "UPDATE sessions SET data = ? WHERE skey = 'wkAAA:u1'", stranger); err != nil {
				t.Fatal(err)
			}
			if _, err := newReplica.LoadSession(ctx, "wkAAA:u1"); !errors.Is(err, cases.ErrUnreadable) {
				t.Errorf("a value under a key the database never had: %v; want ErrUnreadable", err)
			}
		})
	}
}

// TestSetAsideOutbox: an unreadable outbox message is marked failed and
// recorded once; DueOutbox then reads the others.
func TestSetAsideOutbox(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		var msgs []*cases.OutboxMessage
		for _, user := range []string{"wmU1", "wmU2"} {
			m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wkAAA", Recipient: user, Message: cases.Message{Text: "您好"}, CreatedAt: at}
			if err := db.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
		}
		if _, err := db.DB().ExecContext(ctx, "UPDATE outbox SET message = ? WHERE id = ?", "v2:AAAAAAAAAAAAAAAA", msgs[0].ID); err != nil {
			t.Fatal(err)
		}
		_, err := db.DueOutbox(ctx, at.Add(time.Hour), 10)
		u := cases.AsUnreadable(err)
		if u == nil || u.Table != "outbox" || u.ID != msgs[0].ID || u.ExternalUserID != "wmU1" {
			t.Fatalf("DueOutbox with a damaged message: %v; want ErrUnreadable naming it", err)
		}
		for i, want := range []bool{true, false} {
			if moved, err := db.SetAside(ctx, u, "unreadable"); err != nil || moved != want {
				t.Errorf("SetAside #%d = %v, %v; want %v", i+1, moved, err, want)
			}
		}
		// Recorded by id, as the rekey names the outbox's rows (not by the
		// reference its message is sealed to).
		if rows, err := db.SetAsideRows(ctx, 10); err != nil || len(rows) != 1 || rows[0].Key != itoa(msgs[0].ID) {
			t.Errorf("set aside: %+v, %v; want outbox message %d", rows, err, msgs[0].ID)
		}
		due, err := db.DueOutbox(ctx, at.Add(time.Hour), 10)
		if err != nil || len(due) != 1 || due[0].ID != msgs[1].ID {
			t.Errorf("DueOutbox after setting aside: %v, %v; want the other message", due, err)
		}
	})
}

// One case whose personal data cannot be opened must not stop the lists,
// reports and scheduler walks that read every other case: it is left out and
// recorded in set_aside, once.
func TestUnreadableCaseLeftOutOfLists(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		a := mustCreate(t, db, newCase("BC2611280001", nil))
		b := mustCreate(t, db, newCase("BC2611280002", func(c *cases.Case) { c.Affected.IDNumber = "110105198001011234" }))
		raw := db.DB()
		var sealed any
		if err := raw.QueryRowContext(ctx, "SELECT affected_id_number FROM cases WHERE id = ?", b.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.ExecContext(ctx, "UPDATE cases SET affected_id_number = ? WHERE id = ?", sealed, a.ID); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			list, err := db.ListCases(ctx, cases.Filter{})
			if err != nil {
				t.Fatalf("list with one unreadable case: %v", err)
			}
			var got []string
			for _, c := range list {
				got = append(got, c.Number)
			}
			if diff := cmp.Diff([]string{b.Number}, got); diff != "" {
				t.Errorf("listed cases (-want +got):\n%s", diff)
			}
		}
		aside, err := db.SetAsideRows(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(aside) != 1 || aside[0].Table != "cases" || aside[0].Key != a.Number {
			t.Errorf("set aside = %+v, want the one case %s", aside, a.Number)
		}
	})
}

// A reason longer than set_aside's column (an error's whole text) is cut to
// fit, so that MySQL in strict mode takes the record instead of refusing it
// and rolling the rekey's batch back.
func TestLongAsideReasonFits(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		u := &cases.UnreadableError{Table: "cases", Column: "affected_id_number", Key: "BC2611280001", Err: errors.New("x")}
		long := "unreadable: pii: sealed under key 0123456789ab, which is not configured on this replica"
		if _, err := db.SetAside(ctx, u, long); err != nil {
			t.Fatalf("SetAside with a %d-character reason: %v", len([]rune(long)), err)
		}
		rows, err := db.SetAsideRows(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Reason != long[:64] {
			t.Errorf("set aside = %+v, want the reason cut to 64 characters", rows)
		}
	})
}
