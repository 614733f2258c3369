package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// Every outbox update is conditional on the version read: a stale copy (read
// before somebody else changed the row) is refused, so a message released and
// sent meanwhile is never written back as "held" and sent again.
func TestUpdateOutboxRefusesStaleCopy(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmA",
			Message: cases.Message{Text: "您的答复"}, Status: cases.OutboxHeld, CreatedAt: at}
		if err := db.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
		if len(m.SendKey) != 24 {
			t.Errorf("send key %q, want 24 characters", m.SendKey)
		}
		read := func() *cases.OutboxMessage {
			list, err := db.HeldOutbox(ctx, "wkA", "wmA")
			if err != nil || len(list) != 1 {
				t.Fatalf("HeldOutbox = %v, %v", list, err)
			}
			return list[0]
		}
		stale := read() // a scheduler's copy, say
		fresh := read()
		if diff := cmp.Diff(m, fresh); diff != "" {
			t.Errorf("read back (-enqueued +read):\n%s", diff)
		}

		// The citizen writes: intake releases it; the outbox sends it.
		fresh.Status = cases.OutboxPending
		if err := db.UpdateOutbox(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		fresh.Status, fresh.WeComMsgID = cases.OutboxSent, fresh.SendKey
		if err := db.UpdateOutbox(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		if fresh.Version != 2 {
			t.Errorf("version after two updates %d, want 2", fresh.Version)
		}

		// The stale copy is refused, and the row keeps its fate.
		stale.LastError = "still held"
		if err := db.UpdateOutbox(ctx, stale); !errors.Is(err, cases.ErrConflict) {
			t.Fatalf("stale update: %v, want ErrConflict", err)
		}
		got, err := db.CaseOutbox(ctx, 0)
		if err != nil || len(got) != 1 {
			t.Fatalf("CaseOutbox = %v, %v", got, err)
		}
		if got[0].Status != cases.OutboxSent || got[0].SendKey != m.SendKey {
			t.Errorf("after the stale update: status %s key %q, want sent with key %q", got[0].Status, got[0].SendKey, m.SendKey)
		}
		if err := db.UpdateOutbox(ctx, &cases.OutboxMessage{ID: 99999}); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("missing row: %v, want ErrNotFound", err)
		}
	})
}

// A citizen's window counts the kf messages WeCom took for them after their
// latest message reached us (strictly after), and those written down as
// sent after that message opened the window, whenever they went; a new
// message starts the count again, even in the same second; and a window is
// marked used up only while it is still the window WeCom refused in: a
// citizen's message in the same second (InboundSeq moved on) keeps its new
// window.
func TestWindowCountedFromTheOutbox(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		if _, _, err := db.OpenWindow(ctx, "wkA", "wmA", 1, at, at, at); err != nil {
			t.Fatal(err)
		}
		send := func(user string, sentAt time.Time, msgid string) {
			t.Helper()
			sendKf(t, db, user, sentAt, msgid)
		}
		inWindow := func(want int) {
			t.Helper()
			got, err := db.GetContact(ctx, "wkA", "wmA")
			if err != nil {
				t.Fatal(err)
			}
			if got.SentInWindow != want {
				t.Errorf("GetContact: %d in the window, want %d", got.SentInWindow, want)
			}
			list, err := db.ContactsClosing(ctx, at, at.Add(time.Minute), 10)
			if err != nil || len(list) != 1 || list[0].SentInWindow != want || list[0].ExternalUserID != "wmA" {
				t.Errorf("ContactsClosing = %+v, %v; want wmA with %d in the window", list, err, want)
			}
		}
		// Written down before the citizen's next message is handled.
		received := at.Add(time.Second)
		send("wmA", received.Add(-time.Millisecond), "before")
		send("wmA", received, "same-instant")
		send("wmA", received.Add(time.Millisecond), "after")
		inWindow(3)
		c, _, err := db.OpenWindow(ctx, "wkA", "wmA", 1, at, received, received.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if c.SentInWindow != 1 || c.InboundSeq != 2 {
			t.Errorf("window opened: %+v, want message 2 with the one sent after it reached us", c)
		}
		// Written down after it: counted, whenever it went.
		send("wmA", received.Add(-time.Second), "late")
		send("wmA", received.Add(2*time.Millisecond), "") // no msgid: not a message WeCom took
		send("wmB", received.Add(3*time.Millisecond), "other")
		inWindow(2)

		// The citizen writes again in the same second: a new window.
		again := received.Add(10 * time.Millisecond)
		if c, _, err = db.OpenWindow(ctx, "wkA", "wmA", 1, at, again, again); err != nil {
			t.Fatal(err)
		}
		if c.SentInWindow != 0 || c.InboundSeq != 3 {
			t.Errorf("window opened again: %+v, want message 3 with nothing sent", c)
		}
		send("wmA", again.Add(time.Millisecond), "m3")
		inWindow(1)

		if ok, err := db.ExhaustWindow(ctx, "wkA", "wmA", micro(at), 2, at); err != nil || ok {
			t.Errorf("exhaust the old window = %v, %v; want refused", ok, err)
		}
		inWindow(1)
		if ok, err := db.ExhaustWindow(ctx, "wkA", "wmA", micro(at), 3, at); err != nil || !ok {
			t.Errorf("exhaust the current window = %v, %v; want done", ok, err)
		}
		inWindow(cases.KfWindowMessages)

		// The next message starts the count again from the outbox alone.
		last := again.Add(time.Second)
		if c, _, err = db.OpenWindow(ctx, "wkA", "wmA", 1, last, last, last); err != nil || c.SentInWindow != 0 {
			t.Errorf("window opened after it was used up: %+v, %v; want nothing sent", c, err)
		}
	})
}

// A reply written down as sent while a citizen's message is being handled
// counts in the window that message opens, whatever the isolation level: the
// settlement waits for the handling to commit and reads the window it
// opened (under READ COMMITTED a plain read would take the old window, and
// the reply, sent before the message reached us, would count in neither).
func TestSentWhileTheWindowOpensCountsInIt(t *testing.T) {
	for _, level := range []string{"REPEATABLE-READ", "READ-COMMITTED"} {
		t.Run(level, func(t *testing.T) {
			cfg, err := mysql.ParseDSN(storagetest.MySQLDSN(t))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Params == nil {
				cfg.Params = map[string]string{}
			}
			cfg.Params["tx_isolation"] = "'" + level + "'"
			ctx := context.Background()
			db, err := storage.Open(ctx, storage.DriverMySQL, cfg.FormatDSN(), storagetest.Sealer(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, _, err := db.OpenWindow(ctx, "wkA", "wmA", 1, at, at, at); err != nil {
				t.Fatal(err)
			}
			m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmA", Message: cases.Message{Text: "您好"}, CreatedAt: at}
			if err := db.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			received := at.Add(10 * time.Second)
			m.Status, m.WeComMsgID, m.SentAt = cases.OutboxSent, "in-flight", ptr(received.Add(-time.Millisecond))
			settled := make(chan error, 1)
			err = db.InTx(ctx, func(r cases.Repo) error {
				if _, _, err := r.OpenWindow(ctx, "wkA", "wmA", 1, received.Truncate(time.Second), received, received); err != nil {
					return err
				}
				go func() { settled <- db.UpdateOutboxSent(ctx, []*cases.OutboxMessage{m}) }()
				// Until the settlement waits for this transaction, or is
				// done without waiting.
				storagetest.UntilBlocked(t, db, settled)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := <-settled; err != nil {
				t.Fatalf("settlement: %v", err)
			}
			c, err := db.GetContact(ctx, "wkA", "wmA")
			if err != nil {
				t.Fatal(err)
			}
			if c.InboundSeq != 2 || c.SentInWindow != 1 {
				t.Errorf("window %d with %d sent, want window 2 with the reply settled while it opened", c.InboundSeq, c.SentInWindow)
			}
		})
	}
}

// sendKf stores a kf message from wkA to user and writes it down as sent,
// taken by WeCom under msgid at sentAt.
func sendKf(t testing.TB, db *storage.SQL, user string, sentAt time.Time, msgid string) {
	t.Helper()
	ctx := context.Background()
	m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: user, Message: cases.Message{Text: "您好"}, CreatedAt: at}
	if err := db.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	m.Status, m.WeComMsgID, m.SentAt = cases.OutboxSent, msgid, &sentAt
	if err := db.UpdateOutboxSent(ctx, []*cases.OutboxMessage{m}); err != nil {
		t.Fatal(err)
	}
}
