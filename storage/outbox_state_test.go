package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"banchengshi/cases"
	"banchengshi/storage"
)

// A change of state leaves the sealed message as it was queued; a changed
// message is saved by UpdateOutboxMessage. Both are versioned.
func TestOutboxStateAndMessageUpdates(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: "wmA",
			Message: cases.Message{Text: "您好"}, Priority: cases.PriorityNormal, CreatedAt: at}
		if err := db.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
		read := func() *cases.OutboxMessage {
			t.Helper()
			list, err := db.CaseOutbox(ctx, 0)
			if err != nil || len(list) != 1 {
				t.Fatalf("CaseOutbox = %v, %v", list, err)
			}
			return list[0]
		}
		stale := read()
		m.Status, m.Attempts, m.LastError = cases.OutboxHeld, 1, "window closed"
		m.Message.Text = "not saved by a change of state"
		if err := db.UpdateOutbox(ctx, m); err != nil {
			t.Fatal(err)
		}
		got := read()
		if s := fmt.Sprintf("%s %d %q %q v%d", got.Status, got.Attempts, got.LastError, got.Message.Text, got.Version); s != `held 1 "window closed" "您好" v1` {
			t.Errorf("after UpdateOutbox: %s", s)
		}
		got.Message.Text = "您好\n\n您的工单已受理"
		got.Status = cases.OutboxPending
		if err := db.UpdateOutboxMessage(ctx, got); err != nil {
			t.Fatal(err)
		}
		again := read()
		if s := fmt.Sprintf("%s %q v%d", again.Status, again.Message.Text, again.Version); s != `pending "您好\n\n您的工单已受理" v2` {
			t.Errorf("after UpdateOutboxMessage: %s", s)
		}
		if err := db.UpdateOutbox(ctx, stale); !errors.Is(err, cases.ErrConflict) {
			t.Errorf("UpdateOutbox(stale) = %v, want ErrConflict", err)
		}
		if err := db.UpdateOutboxMessage(ctx, stale); !errors.Is(err, cases.ErrConflict) {
			t.Errorf("UpdateOutboxMessage(stale) = %v, want ErrConflict", err)
		}
		if err := db.UpdateOutboxMessage(ctx, &cases.OutboxMessage{ID: 99999}); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("UpdateOutboxMessage(missing) = %v, want ErrNotFound", err)
		}
	})
}
