package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
)

func TestOutboxByWeComMsgIDAndHeldSince(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		mk := func(status cases.OutboxStatus, msgid string, heldAt time.Time) *cases.OutboxMessage {
			m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wkAAA", Recipient: "wmA", Message: cases.Message{Text: "x"},
				Priority: cases.PriorityCritical,
				Status:   status, WeComMsgID: msgid, NextAttemptAt: heldAt, CreatedAt: at}
			if err := db.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		sent := mk(cases.OutboxSent, "msg-1", at)
		old := mk(cases.OutboxHeld, "", at)
		mk(cases.OutboxHeld, "", at.Add(2*time.Hour))
		low := mk(cases.OutboxHeld, "", at)
		low.Priority = cases.PriorityLow
		if err := db.UpdateOutbox(ctx, low); err != nil {
			t.Fatal(err)
		}
		mk(cases.OutboxPending, "", at)

		got, err := db.OutboxByWeComMsgID(ctx, "msg-1")
		if err != nil || got.ID != sent.ID {
			t.Errorf("by msgid: %+v, %v; want id %d", got, err, sent.ID)
		}
		if _, err := db.OutboxByWeComMsgID(ctx, "msg-2"); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("unknown msgid: %v, want ErrNotFound", err)
		}
		held, err := db.HeldOutboxSince(ctx, at.Add(time.Hour), cases.PriorityCritical, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, m := range held {
			ids = append(ids, m.ID)
		}
		if diff := cmp.Diff([]int64{old.ID}, ids); diff != "" {
			t.Errorf("held since (-want +got):\n%s", diff)
		}
	})
}

func TestContactsClosing(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		for i, user := range []string{"wmEarly", "wmIn1", "wmIn2", "wmLate"} {
			c := &cases.Contact{OpenKfID: "wkAAA", ExternalUserID: user, LastInboundAt: at.Add(time.Duration(i) * time.Hour), UpdatedAt: at}
			if err := db.SaveContact(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		list, err := db.ContactsClosing(ctx, at.Add(time.Hour), at.Add(3*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		var users []string
		for _, c := range list {
			users = append(users, c.ExternalUserID)
		}
		if diff := cmp.Diff([]string{"wmIn1", "wmIn2"}, users); diff != "" {
			t.Errorf("contacts closing (-want +got):\n%s", diff)
		}
	})
}

func TestMarkOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		if _, err := db.MarkedAt(ctx, "k"); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("unmarked: %v, want ErrNotFound", err)
		}
		first, err := db.MarkOnce(ctx, "k", at)
		if err != nil || !first {
			t.Fatalf("first mark: %v, %v", first, err)
		}
		again, err := db.MarkOnce(ctx, "k", at.Add(time.Hour))
		if err != nil || again {
			t.Errorf("second mark: %v, %v; want false", again, err)
		}
		when, err := db.MarkedAt(ctx, "k")
		if err != nil || !when.Equal(micro(at)) {
			t.Errorf("marked at %v, %v; want %v", when, err, micro(at))
		}
		// A mark made in a rolled-back transaction is not kept.
		rollback := errors.New("rollback")
		err = db.InTx(ctx, func(r cases.Repo) error {
			if ok, err := r.MarkOnce(ctx, "tx", at); err != nil || !ok {
				t.Errorf("mark in tx: %v, %v", ok, err)
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		if ok, err := db.MarkOnce(ctx, "tx", at); err != nil || !ok {
			t.Errorf("mark after rollback: %v, %v; want true", ok, err)
		}
	})
}

// A citizen's message opens their window in place: a citizen never seen is
// created; each message counts, however close to the last; the time they
// last wrote only moves forward; an ended session starts anew, a servicer's
// stays; and the window counts only the kf messages WeCom accepted after the
// message reached us. Whether anything is held for them comes with it.
func TestOpenWindow(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		base := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
		type window struct {
			Seq   int64
			Last  time.Time
			Sent  int
			State int
			Held  bool
		}
		openFor := func(messages int, user string, sentAt, receivedAt time.Time) window {
			t.Helper()
			var w window
			err := db.InTx(ctx, func(r cases.Repo) error {
				c, held, err := r.OpenWindow(ctx, "wk1", user, messages, sentAt, receivedAt, receivedAt.Add(time.Second))
				if err != nil {
					return err
				}
				stored, err := r.GetContact(ctx, "wk1", user)
				if err != nil {
					return err
				}
				if diff := cmp.Diff(stored, c); diff != "" {
					t.Errorf("returned contact differs from the stored one (-stored +returned):\n%s", diff)
				}
				w = window{c.InboundSeq, c.LastInboundAt, c.SentInWindow, c.ServiceState, held}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return w
		}
		open := func(user string, sentAt, receivedAt time.Time) window {
			t.Helper()
			return openFor(1, user, sentAt, receivedAt)
		}
		queue := func(user, msgid string, status cases.OutboxStatus, sent time.Time) {
			t.Helper()
			out := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: user, Message: cases.Message{Text: "x"},
				Status: status, WeComMsgID: msgid, CreatedAt: base.Add(-time.Hour)}
			if err := db.Enqueue(ctx, out); err != nil {
				t.Fatal(err)
			}
			if status == cases.OutboxSent {
				out.SentAt = &sent
				if err := db.UpdateOutbox(ctx, out); err != nil {
					t.Fatal(err)
				}
			}
		}

		if diff := cmp.Diff(window{Seq: 1, Last: base}, open("wmA", base, base)); diff != "" {
			t.Errorf("first message (-want +got):\n%s", diff)
		}
		// The same second, and a send_time a second behind (whole seconds):
		// each counts, the last time stays.
		if diff := cmp.Diff(window{Seq: 2, Last: base}, open("wmA", base, base.Add(time.Millisecond))); diff != "" {
			t.Errorf("same second (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(window{Seq: 3, Last: base}, open("wmA", base.Add(-time.Second), base.Add(2*time.Millisecond))); diff != "" {
			t.Errorf("earlier send_time (-want +got):\n%s", diff)
		}

		received := base.Add(time.Minute)
		queue("wmA", "m1", cases.OutboxSent, received.Add(-time.Second)) // before the message reached us
		queue("wmA", "m2", cases.OutboxSent, received)                   // the same microsecond: taken to have gone first
		queue("wmA", "m3", cases.OutboxSent, received.Add(time.Microsecond))
		queue("wmA", "m4", cases.OutboxSent, received.Add(time.Second))
		queue("wmA", "", cases.OutboxSent, received.Add(time.Second)) // a handover: no message
		queue("wmB", "m6", cases.OutboxSent, received.Add(time.Second))
		if diff := cmp.Diff(window{Seq: 4, Last: received, Sent: 2}, open("wmA", received, received)); diff != "" {
			t.Errorf("sent after the message (-want +got):\n%s", diff)
		}

		queue("wmA", "", cases.OutboxHeld, time.Time{})
		if err := db.SetServiceState(ctx, "wk1", "wmA", 4, received); err != nil {
			t.Fatal(err)
		}
		later := received.Add(time.Hour)
		if diff := cmp.Diff(window{Seq: 5, Last: later, Held: true}, open("wmA", later, later)); diff != "" {
			t.Errorf("after the session ended, with a message held (-want +got):\n%s", diff)
		}
		if err := db.SetServiceState(ctx, "wk1", "wmA", 3, later); err != nil {
			t.Fatal(err)
		}
		if got := open("wmA", later, later); got.State != 3 {
			t.Errorf("a servicer's session became %d", got.State)
		}
		// A contact made by a session change alone has never written.
		if err := db.SetServiceState(ctx, "wk1", "wmC", 3, base); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(window{Seq: 1, Last: later, State: 3}, open("wmC", later, later)); diff != "" {
			t.Errorf("first message after a session change (-want +got):\n%s", diff)
		}
		// Several messages handled together count as many, from nothing or
		// from what was counted before.
		if diff := cmp.Diff(window{Seq: 3, Last: later}, openFor(3, "wmD", later, later)); diff != "" {
			t.Errorf("three messages at once (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(window{Seq: 5, Last: later.Add(time.Second)}, openFor(2, "wmD", later.Add(time.Second), later)); diff != "" {
			t.Errorf("two more (-want +got):\n%s", diff)
		}
	})
}
