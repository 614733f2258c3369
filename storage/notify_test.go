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
