package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
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

// The outbox counts a sent message on the stored contact in place, and marks
// a window used up only while it is still the window WeCom refused in: a
// citizen's message in the same second (InboundSeq moved on) keeps its new
// window.
func TestWindowCountInPlace(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		c := &cases.Contact{OpenKfID: "wkA", ExternalUserID: "wmA", LastInboundAt: at, InboundSeq: 1, UpdatedAt: at}
		if err := db.SaveContact(ctx, c); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := db.CountSentInWindow(ctx, "wkA", "wmA", at); err != nil {
				t.Fatal(err)
			}
		}
		// The citizen writes again in the same second.
		c.InboundSeq, c.SentInWindow = 2, 0
		got, err := db.GetContact(ctx, "wkA", "wmA")
		if err != nil {
			t.Fatal(err)
		}
		if got.SentInWindow != 2 {
			t.Errorf("sent in window %d, want 2", got.SentInWindow)
		}
		if err := db.SaveContact(ctx, c); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.ExhaustWindow(ctx, "wkA", "wmA", micro(at), 1, at); err != nil || ok {
			t.Errorf("exhaust the old window = %v, %v; want refused", ok, err)
		}
		if ok, err := db.ExhaustWindow(ctx, "wkA", "wmA", micro(at), 2, at); err != nil || !ok {
			t.Errorf("exhaust the current window = %v, %v; want done", ok, err)
		}
		got, _ = db.GetContact(ctx, "wkA", "wmA")
		if got.SentInWindow != cases.KfWindowMessages || got.InboundSeq != 2 {
			t.Errorf("contact %+v, want the current window used up", got)
		}
	})
}
