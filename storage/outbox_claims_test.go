package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
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

// Saving a sent message makes MySQL create no temporary table: a
// multi-table UPDATE of outbox and contacts did, on disk, for every reply.
func TestUpdateOutboxSentMakesNoTemporaryTable(t *testing.T) {
	db := storagetest.MySQL(t)
	ctx := context.Background()
	// One connection, so that the session's counters are the statements'.
	db.DB().SetMaxOpenConns(1)
	if err := db.SaveContact(ctx, &cases.Contact{OpenKfID: "wkA", ExternalUserID: "wmA", LastInboundAt: at, UpdatedAt: at}); err != nil {
		t.Fatal(err)
	}
	m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmA", Message: cases.Message{Text: "您好"}, CreatedAt: at}
	if err := db.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	tmpTables := func() int {
		var name string
		var n int
		if err := db.DB().QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Created_tmp_tables'").Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// SHOW STATUS makes temporary tables of its own: what two of them in a
	// row count is subtracted.
	a := tmpTables()
	b := tmpTables()
	m.Status, m.WeComMsgID, m.SentAt = cases.OutboxSent, "msg-1", ptr(at)
	if err := db.UpdateOutboxSent(ctx, m, at); err != nil {
		t.Fatal(err)
	}
	c := tmpTables()
	if made := (c - b) - (b - a); made != 0 {
		t.Errorf("saving a sent message made %d temporary tables, want none", made)
	}
}
