package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// A kf message WeCom took after the citizen's window opened counts in it
// once its state is saved: a copy changed meanwhile writes nothing, and a
// citizen with no contact row does not stop the message's state from being
// saved.
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
			m.Status, m.WeComMsgID, m.SentAt = cases.OutboxSent, "msg-"+m.Recipient, ptr(at.Add(time.Second))
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
		if err := db.UpdateOutboxSent(ctx, []*cases.OutboxMessage{m}); err != nil {
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
		if err := db.UpdateOutboxSent(ctx, []*cases.OutboxMessage{&stale}); !errors.Is(err, cases.ErrConflict) {
			t.Errorf("stale copy: %v, want ErrConflict", err)
		}
		if got := inWindow(); got != 2 {
			t.Errorf("%d in the window after the stale copy, want 2", got)
		}

		stranger := enqueue("wmNobody")
		sent(stranger)
		if err := db.UpdateOutboxSent(ctx, []*cases.OutboxMessage{stranger}); err != nil {
			t.Fatalf("a citizen without a contact row: %v", err)
		}
		if _, err := db.OutboxByWeComMsgID(ctx, "msg-wmNobody"); err != nil {
			t.Errorf("the message to a citizen without a contact row: %v", err)
		}
	})
}

// Saving sent messages makes MySQL create no temporary table: a
// multi-table UPDATE of outbox and contacts did, on disk, for every reply.
func TestUpdateOutboxSentMakesNoTemporaryTable(t *testing.T) {
	db := storagetest.MySQL(t)
	ctx := context.Background()
	// One connection, so that the session's counters are the statements'.
	db.DB().SetMaxOpenConns(1)
	if err := db.SaveContact(ctx, &cases.Contact{OpenKfID: "wkA", ExternalUserID: "wmA", LastInboundAt: at, UpdatedAt: at}); err != nil {
		t.Fatal(err)
	}
	var ms []*cases.OutboxMessage
	for range 3 {
		m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmA", Message: cases.Message{Text: "您好"}, CreatedAt: at}
		if err := db.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
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
	for i, m := range ms {
		m.Status, m.WeComMsgID, m.SentAt = cases.OutboxSent, fmt.Sprintf("msg-%d", i), ptr(at)
	}
	if err := db.UpdateOutboxSent(ctx, ms); err != nil {
		t.Fatal(err)
	}
	c := tmpTables()
	if made := (c - b) - (b - a); made != 0 {
		t.Errorf("saving three sent messages made %d temporary tables, want none", made)
	}
}

// Several messages' states are written in one statement, each its own
// values, all of them or none: a copy changed meanwhile leaves every row as
// it was.
func TestUpdateOutboxesAllOrNone(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		var ms []*cases.OutboxMessage
		for _, text := range []string{"一", "二", "三"} {
			m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmA", Message: cases.Message{Text: text}, CreatedAt: at}
			if err := db.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			ms = append(ms, m)
		}
		stored := func() []string {
			var out []string
			for _, m := range ms {
				list, err := db.CaseOutbox(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, got := range list {
					if got.ID == m.ID {
						out = append(out, fmt.Sprintf("%s %d %s v%d", got.Message.Text, got.Attempts, got.LastError, got.Version))
					}
				}
			}
			return out
		}

		ms[0].Attempts, ms[1].Attempts, ms[2].Attempts = 1, 2, 3
		ms[1].LastError = "二的错"
		for _, m := range ms {
			m.NextAttemptAt = at.Add(time.Minute)
		}
		if err := db.UpdateOutboxes(ctx, ms); err != nil {
			t.Fatal(err)
		}
		want := []string{"一 1  v1", "二 2 二的错 v1", "三 3  v1"}
		if diff := cmp.Diff(want, stored()); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
		for _, m := range ms {
			if m.Version != 1 {
				t.Errorf("message %s at version %d in memory, want 1", m.Message.Text, m.Version)
			}
		}

		// The second copy is stale: nothing is written.
		ms[1].Version = 0
		for _, m := range ms {
			m.Attempts++
		}
		if err := db.UpdateOutboxes(ctx, ms); !errors.Is(err, cases.ErrConflict) {
			t.Fatalf("with a stale copy: %v, want ErrConflict", err)
		}
		if diff := cmp.Diff(want, stored()); diff != "" {
			t.Errorf("stored after the refusal (-want +got):\n%s", diff)
		}
	})
}

// Several sent messages to one citizen are saved in one statement and each
// counts in the window; outside a transaction, those that had not changed
// are saved even when another had, and no version moves in memory.
func TestUpdateOutboxSentCountsEveryMessage(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		if err := db.SaveContact(ctx, &cases.Contact{OpenKfID: "wkA", ExternalUserID: "wmA", LastInboundAt: at, SentInWindow: 1, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
		// sent queues n messages to wmA and marks them, in memory, taken by
		// WeCom under prefix-0, prefix-1 …
		sent := func(prefix string, n int) []*cases.OutboxMessage {
			var ms []*cases.OutboxMessage
			for i := range n {
				m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmA", Message: cases.Message{Text: "您好"}, CreatedAt: at}
				if err := db.Enqueue(ctx, m); err != nil {
					t.Fatal(err)
				}
				m.Status, m.WeComMsgID, m.SentAt = cases.OutboxSent, fmt.Sprintf("%s-%d", prefix, i), ptr(at.Add(time.Second))
				ms = append(ms, m)
			}
			return ms
		}
		ms := sent("msg", 3)
		if err := db.UpdateOutboxSent(ctx, ms); err != nil {
			t.Fatal(err)
		}
		c, err := db.GetContact(ctx, "wkA", "wmA")
		if err != nil {
			t.Fatal(err)
		}
		if c.SentInWindow != 4 {
			t.Errorf("%d in the window, want 4", c.SentInWindow)
		}
		for i, m := range ms {
			got, err := db.OutboxByWeComMsgID(ctx, fmt.Sprintf("msg-%d", i))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(m, got); diff != "" {
				t.Errorf("message %d stored (-want +got):\n%s", i, diff)
			}
		}
		other := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmB"}
		if err := db.UpdateOutboxSent(ctx, []*cases.OutboxMessage{ms[0], other}); err == nil {
			t.Error("messages to two citizens saved as one citizen's")
		}

		two := sent("late", 2)
		changed := *two[1]
		changed.Status, changed.WeComMsgID, changed.SentAt = cases.OutboxHeld, "", nil
		if err := db.UpdateOutbox(ctx, &changed); err != nil {
			t.Fatal(err)
		}
		if err := db.UpdateOutboxSent(ctx, two); !errors.Is(err, cases.ErrConflict) {
			t.Fatalf("one of two changed meanwhile: %v, want ErrConflict", err)
		}
		if two[0].Version != 0 || two[1].Version != 0 {
			t.Errorf("versions in memory %d, %d after the conflict; want both unmoved", two[0].Version, two[1].Version)
		}
		if got, err := db.OutboxByWeComMsgID(ctx, "late-0"); err != nil || got.Status != cases.OutboxSent || got.Version != 1 {
			t.Errorf("the unchanged one: %+v, %v; want it saved as sent", got, err)
		}
		if _, err := db.OutboxByWeComMsgID(ctx, "late-1"); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("the changed one: %v, want it left as it was", err)
		}
	})
}

// The message WeCom reports on is found in one read: by its send key
// (WeCom's msgid for it) while it is pending and not written down, for its
// citizen only; by the msgid WeCom accepted it under once it is.
func TestOutboxReported(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmA",
			Message: cases.Message{Text: "您好"}, CreatedAt: at, NextAttemptAt: at, SendKey: "key-1"}
		if err := db.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
		m.Attempts, m.NextAttemptAt = 1, at.Add(30*time.Second) // claimed, then its sender died
		if err := db.UpdateOutboxes(ctx, []*cases.OutboxMessage{m}); err != nil {
			t.Fatal(err)
		}
		got, err := db.OutboxReported(ctx, "wkA", "wmA", "key-1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(m, got); diff != "" {
			t.Errorf("found (-want +got):\n%s", diff)
		}
		for _, c := range [][3]string{{"wkA", "wmB", "key-1"}, {"wkB", "wmA", "key-1"}, {"wkA", "wmA", "key-2"}, {"wkA", "wmA", ""}} {
			if _, err := db.OutboxReported(ctx, c[0], c[1], c[2]); !errors.Is(err, cases.ErrNotFound) {
				t.Errorf("%v: %v, want ErrNotFound", c, err)
			}
		}
		m.Status, m.WeComMsgID, m.SentAt = cases.OutboxSent, "key-1", ptr(at)
		if err := db.UpdateOutboxSent(ctx, []*cases.OutboxMessage{m}); err != nil {
			t.Fatal(err)
		}
		got, err = db.OutboxReported(ctx, "wkA", "wmA", "key-1")
		if err != nil || got.ID != m.ID || got.Status != cases.OutboxSent {
			t.Errorf("once sent: %+v, %v; want message %d, sent", got, err, m.ID)
		}
	})
}

// A sender claims a citizen's messages in one statement: each one attempt
// more and due at the claim's end; when one of them changed since it was
// read, none stays claimed (the others get their attempt and due time
// back) and the changed one keeps its change.
func TestClaimOutboxes(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		at := at.Truncate(time.Second)
		var ms []*cases.OutboxMessage
		for i, text := range []string{"一", "二", "三"} {
			m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmA", Message: cases.Message{Text: text},
				CreatedAt: at, NextAttemptAt: at.Add(time.Duration(i) * time.Second)}
			if err := db.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			ms = append(ms, m)
		}
		stored := func() []string {
			t.Helper()
			list, err := db.CaseOutbox(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, got := range list {
				out = append(out, fmt.Sprintf("%s %s %d %s", got.Message.Text, got.Status, got.Attempts, got.NextAttemptAt.Sub(at)))
			}
			return out
		}
		until := at.Add(6 * time.Second)
		if err := db.ClaimOutboxes(ctx, ms[:2], until); err != nil {
			t.Fatal(err)
		}
		want := []string{"一 pending 1 6s", "二 pending 1 6s", "三 pending 0 2s"}
		if diff := cmp.Diff(want, stored()); diff != "" {
			t.Errorf("claimed (-want +got):\n%s", diff)
		}
		for _, m := range ms[:2] {
			if m.Attempts != 1 || !m.NextAttemptAt.Equal(until) || m.Version != 1 {
				t.Errorf("%s in memory: attempt %d, due %s, version %d; want 1, the claim's end, 1", m.Message.Text, m.Attempts, m.NextAttemptAt, m.Version)
			}
		}

		// 三 is held by someone else after it was read: claiming 一 二 三
		// as read before fails, and 一 and 二 keep their first claim.
		read := make([]*cases.OutboxMessage, len(ms))
		for i, m := range ms {
			c := *m
			read[i] = &c
		}
		ms[2].Status = cases.OutboxHeld
		if err := db.UpdateOutbox(ctx, ms[2]); err != nil {
			t.Fatal(err)
		}
		if err := db.ClaimOutboxes(ctx, read, at.Add(time.Minute)); !errors.Is(err, cases.ErrConflict) {
			t.Fatalf("with 三 changed: %v, want ErrConflict", err)
		}
		want = []string{"一 pending 1 6s", "二 pending 1 6s", "三 held 0 2s"}
		if diff := cmp.Diff(want, stored()); diff != "" {
			t.Errorf("after the refused claim (-want +got):\n%s", diff)
		}
	})
}

// ResumeKfRetries brings forward (and NextKfRetry finds) only kf messages waiting out a backoff
// after a failed send: not one whose next try comes sooner (a claim) or
// that never failed (a first claim, by a sender whose clock runs ahead), not
// one never tried (due later by design) or whose attempt was given back
// (WeCom said "later"), not a staff message (WeCom's
// per-member limit spaces those), not a held or a sent one; no version
// moves.
func TestResumeKfRetries(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		now := at.Add(time.Hour)
		type row struct {
			name     string
			channel  cases.Channel
			status   cases.OutboxStatus
			attempts int
			err      string
			next     time.Time
			resumed  bool
		}
		rows := []row{
			{"backed off", cases.ChannelKf, cases.OutboxPending, 2, "HTTP status 502", now.Add(40 * time.Second), true},
			{"claimed", cases.ChannelKf, cases.OutboxPending, 3, "HTTP status 502", now.Add(6 * time.Second), false},
			{"never tried", cases.ChannelKf, cases.OutboxPending, 0, "", now.Add(time.Hour), false},
			{"staff", cases.ChannelApp, cases.OutboxPending, 2, "HTTP status 502", now.Add(40 * time.Second), false},
			{"held", cases.ChannelKf, cases.OutboxHeld, 2, "HTTP status 502", now.Add(40 * time.Second), false},
			{"claimed far ahead", cases.ChannelKf, cases.OutboxPending, 1, "", now.Add(40 * time.Second), false},
			{"attempt given back", cases.ChannelKf, cases.OutboxPending, 0, "企业微信接口调用达到频率上限", now.Add(40 * time.Second), false},
		}
		ms := make([]*cases.OutboxMessage, len(rows))
		for i, r := range rows {
			m := &cases.OutboxMessage{Channel: r.channel, OpenKfID: "wkA", Recipient: fmt.Sprintf("wm%d", i),
				Message: cases.Message{Text: "您好"}, CreatedAt: at}
			if err := db.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			m.Status, m.Attempts, m.LastError, m.NextAttemptAt = r.status, r.attempts, r.err, r.next
			if err := db.UpdateOutbox(ctx, m); err != nil {
				t.Fatal(err)
			}
			ms[i] = m
		}
		sendKf(t, db, "wmSent", now.Add(-time.Minute), "msg-sent")

		due := func(at time.Time) []string {
			t.Helper()
			got, err := db.DueOutbox(ctx, at, 10)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, m := range got {
				for i := range ms {
					if m.ID == ms[i].ID {
						names = append(names, rows[i].name)
						if m.Version != ms[i].Version || m.Attempts != rows[i].attempts {
							t.Errorf("%s: version %d, attempts %d; want %d, %d", rows[i].name, m.Version, m.Attempts, ms[i].Version, rows[i].attempts)
						}
					}
				}
			}
			return names
		}
		if got := due(now); len(got) != 0 {
			t.Fatalf("due before: %v", got)
		}

		next, err := db.NextKfRetry(ctx, now.Add(12*time.Second))
		if err != nil || next.ID != ms[0].ID || next.Version != ms[0].Version {
			t.Errorf("NextKfRetry = %+v, %v; want the backed off one", next, err)
		}

		n, err := db.ResumeKfRetries(ctx, now, now.Add(12*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d messages resumed, want 1", n)
		}
		if next, err := db.NextKfRetry(ctx, now.Add(12*time.Second)); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("NextKfRetry after the resume = %+v, %v; want ErrNotFound", next, err)
		}
		if diff := cmp.Diff([]string{"backed off"}, due(now)); diff != "" {
			t.Errorf("due now (-want +got):\n%s", diff)
		}
		// The others kept their next try.
		if diff := cmp.Diff([]string{"backed off", "claimed"}, due(now.Add(6*time.Second))); diff != "" {
			t.Errorf("due in 6 s (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"backed off", "claimed", "staff", "claimed far ahead", "attempt given back"}, due(now.Add(40*time.Second))); diff != "" {
			t.Errorf("due in 40 s (-want +got):\n%s", diff)
		}
		held, err := db.HeldOutbox(ctx, "wkA", "wm4")
		if err != nil {
			t.Fatal(err)
		}
		if len(held) != 1 || !held[0].NextAttemptAt.Equal(micro(rows[4].next)) {
			t.Errorf("held: %+v", held)
		}
		sent, err := db.OutboxByWeComMsgID(ctx, "msg-sent")
		if err != nil {
			t.Fatal(err)
		}
		if sent.Status != cases.OutboxSent || !sent.NextAttemptAt.Before(now) {
			t.Errorf("the sent message became %s, next try %v", sent.Status, sent.NextAttemptAt)
		}
	})
}
