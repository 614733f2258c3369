package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/pii"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// eachBackendSealedBy is eachBackend with the sealer given, so that a test
// can seal values itself as an older version of storage did.
func eachBackendSealedBy(t *testing.T, fn func(t *testing.T, db *storage.SQL, sealer *pii.Sealer)) {
	for _, b := range []struct {
		name string
		open func(testing.TB, *pii.Sealer) *storage.SQL
	}{
		{"sqlite", storagetest.SQLiteWith},
		{"mysql", storagetest.MySQLWith},
	} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			sealer := storagetest.Sealer(t)
			fn(t, b.open(t, sealer), sealer)
		})
	}
}

// TestOutboxAndEventsInsertedSealed: a reply and a timeline event are each
// written by one INSERT, sealed to a reference chosen before it; nothing is
// sealed by id in a second statement.
func TestOutboxAndEventsInsertedSealed(t *testing.T) {
	for _, b := range []struct {
		name string
		open func(testing.TB) (*storage.SQL, *storagetest.Counter)
	}{
		{"sqlite", storagetest.CountedSQLite},
		{"mysql", storagetest.CountedMySQL},
	} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, counter := b.open(t)
			c := mustCreate(t, db, newCase("BC2611280001", nil))
			counter.Reset()
			err := db.InTx(ctx, func(r cases.Repo) error {
				for range 2 {
					if err := r.Enqueue(ctx, &cases.OutboxMessage{CaseID: c.ID, Channel: cases.ChannelKf, OpenKfID: "wkAAA",
						Recipient: "wmReporter", Message: cases.Message{Text: "您的问题已受理，电话 " + typedPhone}, CreatedAt: at}); err != nil {
						return err
					}
					if err := r.AppendEvent(ctx, &cases.Event{CaseID: c.ID, At: at, Actor: "bot", Kind: cases.EventMessageOut,
						Body: "您的问题已受理", Data: `{"phone":"` + typedPhone + `"}`}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// Statements by what they do to which table.
			got := map[string]int{}
			for q, n := range counter.Queries() {
				f := strings.Fields(q)
				switch f[0] {
				case "INSERT":
					got["INSERT "+f[2]] += n
				case "UPDATE":
					got["UPDATE "+f[1]] += n
				default:
					got[f[0]] += n
				}
			}
			// The one SELECT is the data key held for the transaction's
			// sealing (keyring.go).
			want := map[string]int{"INSERT outbox": 2, "INSERT events": 2, "SELECT": 1}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("statements for two replies and two events (-want +got):\n%s", diff)
			}
			timeline, err := db.Timeline(ctx, c.ID)
			if err != nil || len(timeline) != 2 || timeline[1].Data != `{"phone":"`+typedPhone+`"}` {
				t.Errorf("timeline = %+v, %v; want both events back", timeline, err)
			}
			outbox, err := db.CaseOutbox(ctx, c.ID)
			if err != nil || len(outbox) != 2 || outbox[1].Message.Text != "您的问题已受理，电话 "+typedPhone {
				t.Errorf("outbox = %+v, %v; want both messages back", outbox, err)
			}
		})
	}
}

// legacyRow rewrites a row as storage wrote it before references: its
// values sealed to its id (with sealer) and no reference (NULL, as
// migration 0019 left the rows it found).
func legacyRow(t *testing.T, db *storage.SQL, sealer *pii.Sealer, table string, id int64, values map[string]string) {
	t.Helper()
	q, args := "UPDATE "+table+" SET seal_ref = NULL", []any{}
	for col, plain := range values {
		q += ", " + col + " = ?"
		args = append(args, sealer.Seal(plain, pii.AD{Table: table, Column: col, Row: itoa(id)}))
	}
	if _, err := db.DB().ExecContext(context.Background(), q+" WHERE id = ?", append(args, id)...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestSealRefsBindToTheirRow copies sealed outbox messages and event bodies
// between rows written with a reference and rows written before, bound to
// their id: each copy fails to open, naming the row it was found in by id.
// A row made to look like an older one (its reference cleared), or given as
// reference another row's id, does not open either; a value copied together
// with its reference is refused, as a second row with the same key.
func TestSealRefsBindToTheirRow(t *testing.T) {
	eachBackendSealedBy(t, func(t *testing.T, db *storage.SQL, sealer *pii.Sealer) {
		ctx := context.Background()
		c := mustCreate(t, db, newCase("BC2611280001", nil))
		var msgs []*cases.OutboxMessage
		var events []*cases.Event
		for i := range 6 {
			m := &cases.OutboxMessage{CaseID: c.ID, Channel: cases.ChannelKf, OpenKfID: "wkAAA", Recipient: "wmU" + itoa(int64(i)),
				Message: cases.Message{Text: "第" + itoa(int64(i)) + "条"}, CreatedAt: at}
			if err := db.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
			e := &cases.Event{CaseID: c.ID, At: at, Actor: "bot", Kind: cases.EventNote, Body: "第" + itoa(int64(i)) + "条"}
			if err := db.AppendEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
			events = append(events, e)
		}
		// Rows 4 and 5 as written before references.
		for _, i := range []int{4, 5} {
			legacyRow(t, db, sealer, "outbox", msgs[i].ID, map[string]string{"message": `{"text":"第` + itoa(int64(i)) + `条"}`})
			legacyRow(t, db, sealer, "events", events[i].ID, map[string]string{"body": events[i].Body})
		}
		raw := db.DB()
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := raw.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		value := func(q string, args ...any) string {
			t.Helper()
			var v string
			if err := raw.QueryRowContext(ctx, q, args...).Scan(&v); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return v
		}
		copyInto := func(to, from int, extra string, args ...any) {
			exec("UPDATE outbox SET message = ?"+extra+" WHERE id = ?",
				append(append([]any{value("SELECT message FROM outbox WHERE id = ?", msgs[from].ID)}, args...), msgs[to].ID)...)
			exec("UPDATE events SET body = ?"+extra+" WHERE id = ?",
				append(append([]any{value("SELECT body FROM events WHERE id = ?", events[from].ID)}, args...), events[to].ID)...)
		}
		for _, tc := range []struct {
			name string
			row  int
			swap func()
		}{
			{"from another row with a reference", 0, func() { copyInto(0, 1, "") }},
			{"from a row bound to its id into one with a reference", 1, func() { copyInto(1, 4, "") }},
			{"from a row with a reference into one bound to its id", 4, func() { copyInto(4, 2, "") }},
			{"its own value with the reference cleared", 2, func() {
				exec("UPDATE outbox SET seal_ref = NULL WHERE id = ?", msgs[2].ID)
				exec("UPDATE events SET seal_ref = NULL WHERE id = ?", events[2].ID)
			}},
			{"from a row bound to its id, with that id as reference", 3, func() {
				copyInto(3, 5, ", seal_ref = ?", itoa(msgs[5].ID))
				exec("UPDATE events SET seal_ref = ? WHERE id = ?", itoa(events[5].ID), events[3].ID)
			}},
		} {
			tc.swap()
			_, err := db.CaseOutbox(ctx, c.ID)
			if u := cases.AsUnreadable(err); !errors.Is(err, pii.ErrOpen) || u == nil || u.Table != "outbox" || u.ID != msgs[tc.row].ID || u.Key != itoa(msgs[tc.row].ID) {
				t.Errorf("outbox message %s: %v; want ErrUnreadable naming message %d", tc.name, err, msgs[tc.row].ID)
			}
			_, err = db.Timeline(ctx, c.ID)
			if u := cases.AsUnreadable(err); !errors.Is(err, pii.ErrOpen) || u == nil || u.Table != "events" || u.Key != itoa(events[tc.row].ID) {
				t.Errorf("event body %s: %v; want ErrUnreadable naming event %d", tc.name, err, events[tc.row].ID)
			}
			// Out of the way of the next case: the lists read in id order.
			exec("DELETE FROM outbox WHERE id = ?", msgs[tc.row].ID)
			exec("DELETE FROM events WHERE id = ?", events[tc.row].ID)
		}
		// Row 5, left alone, still opens, bound to its id.
		outbox, err := db.CaseOutbox(ctx, c.ID)
		if err != nil || len(outbox) != 1 || outbox[0].ID != msgs[5].ID || outbox[0].Message.Text != "第5条" {
			t.Errorf("outbox left = %+v, %v; want message 5", outbox, err)
		}
		timeline, err := db.Timeline(ctx, c.ID)
		if err != nil || len(timeline) != 1 || timeline[0].Body != "第5条" {
			t.Errorf("timeline left = %+v, %v; want event 5", timeline, err)
		}

		// A value copied together with its reference, into a row with a
		// reference of its own and into one bound to its id (row 5): the
		// database refuses the second row with that reference, as it would
		// a second case with a number. Taken, the copy must not open.
		for i := 6; i < 8; i++ {
			m := &cases.OutboxMessage{CaseID: c.ID, Channel: cases.ChannelKf, OpenKfID: "wkAAA", Recipient: "wmU" + itoa(int64(i)),
				Message: cases.Message{Text: "第" + itoa(int64(i)) + "条"}, CreatedAt: at}
			e := &cases.Event{CaseID: c.ID, At: at, Actor: "bot", Kind: cases.EventNote, Body: "第" + itoa(int64(i)) + "条", Data: `{"n":` + itoa(int64(i)) + `}`}
			if err := db.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			if err := db.AppendEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
			msgs, events = append(msgs, m), append(events, e)
		}
		for _, to := range []int{7, 5} {
			src := rawRow(t, db, "SELECT message, seal_ref FROM outbox WHERE id = ?", msgs[6].ID)
			_, err := raw.ExecContext(ctx, "UPDATE outbox SET message = ?, seal_ref = ? WHERE id = ?", src["message"], src["seal_ref"], msgs[to].ID)
			if err == nil {
				_, err := db.CaseOutbox(ctx, c.ID)
				if u := cases.AsUnreadable(err); u == nil || u.Table != "outbox" || u.ID != msgs[to].ID {
					t.Errorf("outbox message %d copied with its reference into message %d: %v; want it refused or ErrUnreadable naming message %[2]d", msgs[6].ID, msgs[to].ID, err)
				}
				exec("DELETE FROM outbox WHERE id = ?", msgs[to].ID)
			}
			ev := rawRow(t, db, "SELECT body, data, seal_ref FROM events WHERE id = ?", events[6].ID)
			_, err = raw.ExecContext(ctx, "UPDATE events SET body = ?, data = ?, seal_ref = ? WHERE id = ?", ev["body"], ev["data"], ev["seal_ref"], events[to].ID)
			if err == nil {
				_, err := db.Timeline(ctx, c.ID)
				if u := cases.AsUnreadable(err); u == nil || u.Table != "events" || u.Key != itoa(events[to].ID) {
					t.Errorf("event %d copied with its reference into event %d: %v; want it refused or ErrUnreadable naming event %[2]d", events[6].ID, events[to].ID, err)
				}
				exec("DELETE FROM events WHERE id = ?", events[to].ID)
			}
		}
		outbox, err = db.CaseOutbox(ctx, c.ID)
		var texts []string
		for _, m := range outbox {
			texts = append(texts, m.Message.Text)
		}
		if want := []string{"第5条", "第6条", "第7条"}; err != nil || !cmp.Equal(want, texts) {
			t.Errorf("outbox after the copies = %q, %v; want %q, each row its own", texts, err, want)
		}
		timeline, err = db.Timeline(ctx, c.ID)
		texts = nil
		for _, e := range timeline {
			texts = append(texts, e.Body+e.Data)
		}
		if want := []string{"第5条", `第6条{"n":6}`, `第7条{"n":7}`}; err != nil || !cmp.Equal(want, texts) {
			t.Errorf("timeline after the copies = %q, %v; want %q, each event its own", texts, err, want)
		}
	})
}

// TestRowsBoundToTheirIDStillRead: outbox rows and events written before
// references read as before, and so do the rows written since beside them;
// a bundle rewrites an older message sealed to a reference of its own.
func TestRowsBoundToTheirIDStillRead(t *testing.T) {
	eachBackendSealedBy(t, func(t *testing.T, db *storage.SQL, sealer *pii.Sealer) {
		ctx := context.Background()
		c := mustCreate(t, db, newCase("BC2611280001", nil))
		old := &cases.OutboxMessage{CaseID: c.ID, Channel: cases.ChannelKf, OpenKfID: "wkAAA", Recipient: "wmReporter",
			Message: cases.Message{Text: "您的问题已受理"}, CreatedAt: at}
		oldEv := &cases.Event{CaseID: c.ID, At: at, Actor: "bot", Kind: cases.EventMessageOut, Body: "您的问题已受理", Data: `{"n":1}`}
		if err := db.Enqueue(ctx, old); err != nil {
			t.Fatal(err)
		}
		if err := db.AppendEvent(ctx, oldEv); err != nil {
			t.Fatal(err)
		}
		legacyRow(t, db, sealer, "outbox", old.ID, map[string]string{"message": `{"text":"您的问题已受理"}`})
		legacyRow(t, db, sealer, "events", oldEv.ID, map[string]string{"body": oldEv.Body, "data": oldEv.Data})
		msg := &cases.OutboxMessage{CaseID: c.ID, Channel: cases.ChannelKf, OpenKfID: "wkAAA", Recipient: "wmReporter",
			Message: cases.Message{Text: "已派单"}, CreatedAt: at}
		ev := &cases.Event{CaseID: c.ID, At: at, Actor: "bot", Kind: cases.EventMessageOut, Body: "已派单", Data: `{"n":2}`}
		if err := db.Enqueue(ctx, msg); err != nil {
			t.Fatal(err)
		}
		if err := db.AppendEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}

		timeline, err := db.Timeline(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]cases.Event{*oldEv, *ev}, timeline); diff != "" {
			t.Errorf("timeline of both kinds (-want +got):\n%s", diff)
		}
		outbox, err := db.CaseOutbox(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*cases.OutboxMessage{old, msg}, outbox); diff != "" {
			t.Errorf("outbox of both kinds (-want +got):\n%s", diff)
		}

		bundle := outbox[0]
		bundle.Message.Text = "您的问题已受理\n已派单"
		if err := db.UpdateOutboxMessage(ctx, bundle); err != nil {
			t.Fatal(err)
		}
		if ref := rawRow(t, db, "SELECT seal_ref FROM outbox WHERE id = ?", bundle.ID)["seal_ref"]; ref == "" {
			t.Errorf("the bundle rewritten has no reference")
		}
		outbox, err = db.CaseOutbox(ctx, c.ID)
		if err != nil || len(outbox) != 2 || !cmp.Equal(bundle, outbox[0]) {
			t.Errorf("outbox after the bundle = %+v, %v; want %+v first", outbox, err, bundle)
		}
	})
}

// TestKeyCheckOpensSealRefs: a database without key records whose only
// sealed values are outbox messages sealed to their reference is accepted
// by the key that sealed them, and only by it.
func TestKeyCheckOpensSealRefs(t *testing.T) {
	for _, b := range reopenables {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rot := newRotation(t, b)
			key, other := rot.old, rot.new
			db := rot.replica(t, key)
			if err := db.Enqueue(ctx, &cases.OutboxMessage{Channel: cases.ChannelApp, Recipient: "zhangsan",
				Message: cases.Message{Text: "请致电 " + typedPhone}, CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.DB().ExecContext(ctx, "DELETE FROM data_keys"); err != nil {
				t.Fatal(err)
			}
			var keyErr *storage.KeyError
			if _, err := rot.open(t, other); !errors.As(err, &keyErr) || keyErr.Reason != storage.KeyCannotOpen {
				t.Errorf("another key: %v, want KeyCannotOpen", err)
			}
			if _, err := rot.open(t, key); err != nil {
				t.Errorf("the key that sealed the messages: %v", err)
			}
		})
	}
}
