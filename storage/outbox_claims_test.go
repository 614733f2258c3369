package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
)

// A kf message WeCom took is saved and counted in its citizen's window
// together: a copy changed meanwhile writes neither, and a citizen with no
// contact row does not stop the message's state from being saved.
func TestUpdateOutboxSentCountsInTheWindow(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		if err := db.SaveContact(ctx, &cases.Contact{OpenKfID: "wkA", ExternalUserID: "wmA", LastInboundAt: at, SentInWindow: 1, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
		enqueue := func(user string) *cases.OutboxMessage {
			m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: user,
				Message: cases.Message{Text: "您好"}, CreatedAt: at}
			if err := db.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		sent := func(m *cases.OutboxMessage) {
			m.Status, m.WeComMsgID, m.SentAt = cases.OutboxSent, "msg-"+m.Recipient, ptr(at)
		}
		inWindow := func() int {
			c, err := db.GetContact(ctx, "wkA", "wmA")
			if err != nil {
				t.Fatal(err)
			}
			return c.SentInWindow
		}

		m := enqueue("wmA")
		stale := *m
		sent(m)
		if err := db.UpdateOutboxSent(ctx, m, at); err != nil {
			t.Fatal(err)
		}
		if m.Version != 1 {
			t.Errorf("version %d after the update, want 1", m.Version)
		}
		if got := inWindow(); got != 2 {
			t.Errorf("%d in the window, want 2", got)
		}
		got, err := db.OutboxByWeComMsgID(ctx, "msg-wmA")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(m, got); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}

		sent(&stale)
		stale.WeComMsgID = "msg-stale"
		if err := db.UpdateOutboxSent(ctx, &stale, at); !errors.Is(err, cases.ErrConflict) {
			t.Errorf("stale copy: %v, want ErrConflict", err)
		}
		if got := inWindow(); got != 2 {
			t.Errorf("%d in the window after the stale copy, want 2", got)
		}

		stranger := enqueue("wmNobody")
		sent(stranger)
		if err := db.UpdateOutboxSent(ctx, stranger, at); err != nil {
			t.Fatalf("a citizen without a contact row: %v", err)
		}
		if _, err := db.OutboxByWeComMsgID(ctx, "msg-wmNobody"); err != nil {
			t.Errorf("the message to a citizen without a contact row: %v", err)
		}
	})
}
