package queue_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"banchengshi/cases"
	"banchengshi/notify/queue"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

var now = time.Date(2026, 3, 2, 9, 30, 0, 0, cases.Shanghai)

// stored returns the outbox rows due at now, as the outbox reads them.
func stored(t *testing.T, db *storage.SQL) []*cases.OutboxMessage {
	t.Helper()
	rows, err := db.DueOutbox(context.Background(), now, 100)
	if err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	return rows
}

// row is a pending message due at once, queued at now, as every function
// queues it; fill completes it.
func row(fill cases.OutboxMessage) *cases.OutboxMessage {
	fill.Status, fill.NextAttemptAt, fill.CreatedAt = cases.OutboxPending, now.UTC(), now.UTC()
	return &fill
}

// ignoreStorage leaves out what storage assigns: the id, the idempotency
// key (checked apart: present and distinct) and the version.
var ignoreStorage = cmpopts.IgnoreFields(cases.OutboxMessage{}, "ID", "SendKey", "Version")

func checkRows(t *testing.T, db *storage.SQL, want []*cases.OutboxMessage) {
	t.Helper()
	got := stored(t, db)
	if diff := cmp.Diff(want, got, ignoreStorage); diff != "" {
		t.Errorf("outbox rows (-want +got):\n%s", diff)
	}
	keys := map[string]bool{}
	for _, m := range got {
		if m.SendKey == "" || keys[m.SendKey] {
			t.Errorf("message %d has send key %q: want one of its own", m.ID, m.SendKey)
		}
		keys[m.SendKey] = true
	}
}

func TestReply(t *testing.T) {
	tests := []struct {
		name string
		seq  int64
		msgs []cases.Message
		want []*cases.OutboxMessage
	}{
		{
			name: "texts answering a message, in order",
			seq:  7,
			msgs: []cases.Message{{Text: "收到"}, {Text: "请问您要办什么事？"}},
			want: []*cases.OutboxMessage{
				row(cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: "wmA", Message: cases.Message{Text: "收到"}, Priority: cases.PriorityNormal, ReplyTo: 7}),
				row(cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: "wmA", Message: cases.Message{Text: "请问您要办什么事？"}, Priority: cases.PriorityNormal, ReplyTo: 7}),
			},
		},
		{
			name: "a handover goes after the texts queued with it",
			seq:  3,
			msgs: []cases.Message{{Handover: true}, {Text: "正在为您转接工作人员"}},
			want: []*cases.OutboxMessage{
				row(cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: "wmA", Message: cases.Message{Handover: true}, Priority: cases.PriorityLow, ReplyTo: 3}),
				row(cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: "wmA", Message: cases.Message{Text: "正在为您转接工作人员"}, Priority: cases.PriorityNormal, ReplyTo: 3}),
			},
		},
		{
			name: "answering no message",
			msgs: []cases.Message{{Text: "抱歉，刚才没能处理您的消息"}},
			want: []*cases.OutboxMessage{
				row(cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: "wmA", Message: cases.Message{Text: "抱歉，刚才没能处理您的消息"}, Priority: cases.PriorityNormal}),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storagetest.SQLite(t)
			if err := queue.Reply(context.Background(), db, "wk1", "wmA", tt.seq, tt.msgs, now); err != nil {
				t.Fatal(err)
			}
			checkRows(t, db, tt.want)
		})
	}
}

func TestToReporter(t *testing.T) {
	db := storagetest.SQLite(t)
	c := &cases.Case{ID: 42, OpenKfID: "wk1", ReporterID: "wmA"}
	msg := cases.Message{Text: "您的诉求已办结", Urgent: cases.UrgentAnswer}
	if err := queue.ToReporter(context.Background(), db, c, msg, cases.PriorityCritical, now); err != nil {
		t.Fatal(err)
	}
	checkRows(t, db, []*cases.OutboxMessage{
		row(cases.OutboxMessage{CaseID: 42, Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: "wmA", Message: msg, Priority: cases.PriorityCritical}),
	})
}

func TestNudge(t *testing.T) {
	db := storagetest.SQLite(t)
	msg := cases.Message{Text: "您的诉求 BCS-1 正在办理，回复任意内容可继续接收进展。"}
	if err := queue.Nudge(context.Background(), db, "wk1", "wmA", 42, msg, now); err != nil {
		t.Fatal(err)
	}
	checkRows(t, db, []*cases.OutboxMessage{
		row(cases.OutboxMessage{CaseID: 42, Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: "wmA", Message: msg,
			Priority: cases.PriorityCritical, Purpose: cases.PurposeNudge}),
	})
}

func TestToStaff(t *testing.T) {
	tests := []struct {
		name   string
		to     string
		caseID int64
		p      cases.Priority
	}{
		{"a card to the window's duty staff", "zhangsan|lisi", 42, cases.PriorityNormal},
		{"a text about no case", "wangwu", 0, cases.PriorityNormal},
		{"a reminder that may wait", "zhaoliu", 7, cases.PriorityLow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storagetest.SQLite(t)
			msg := cases.Message{Text: "新诉求待受理"}
			if err := queue.ToStaff(context.Background(), db, tt.to, tt.caseID, msg, tt.p, now); err != nil {
				t.Fatal(err)
			}
			checkRows(t, db, []*cases.OutboxMessage{
				row(cases.OutboxMessage{CaseID: tt.caseID, Channel: cases.ChannelApp, Recipient: tt.to, Message: msg, Priority: tt.p}),
			})
		})
	}
}

// A message is queued in the caller's transaction: rolled back with it, it
// is not in the outbox.
func TestQueuedInTheCallersTransaction(t *testing.T) {
	db := storagetest.SQLite(t)
	ctx := context.Background()
	failed := errors.New("the change failed")
	err := db.InTx(ctx, func(r cases.Repo) error {
		if err := queue.ToStaff(ctx, r, "zhangsan", 0, cases.Message{Text: "案件已更新"}, cases.PriorityNormal, now); err != nil {
			return err
		}
		if err := queue.Reply(ctx, r, "wk1", "wmA", 1, []cases.Message{{Text: "收到"}}, now); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("InTx = %v, want %v", err, failed)
	}
	checkRows(t, db, nil)
}

// capture is a Repo that keeps what is queued as it was handed over, before
// storage reads it back (which would hide a time not in UTC).
type capture struct {
	cases.Repo
	got []*cases.OutboxMessage
}

func (c *capture) Enqueue(_ context.Context, m *cases.OutboxMessage) error {
	c.got = append(c.got, m)
	return nil
}

// Every function stamps its rows in UTC whatever the clock's zone, as the
// outbox compares them.
func TestRowsAreStampedInUTC(t *testing.T) {
	ctx := context.Background()
	r := &capture{}
	c := &cases.Case{ID: 1, OpenKfID: "wk1", ReporterID: "wmA"}
	for _, err := range []error{
		queue.Reply(ctx, r, "wk1", "wmA", 1, []cases.Message{{Text: "收到"}}, now),
		queue.ToReporter(ctx, r, c, cases.Message{Text: "已受理"}, cases.PriorityNormal, now),
		queue.Nudge(ctx, r, "wk1", "wmA", 1, cases.Message{Text: "回访"}, now),
		queue.ToStaff(ctx, r, "zhangsan", 1, cases.Message{Text: "新案件"}, cases.PriorityNormal, now),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(r.got) != 4 {
		t.Fatalf("queued %d rows; want 4", len(r.got))
	}
	for _, m := range r.got {
		if m.CreatedAt.Location() != time.UTC || m.NextAttemptAt.Location() != time.UTC {
			t.Errorf("%q queued at %v, due %v: want both in UTC", m.Message.Text, m.CreatedAt, m.NextAttemptAt)
		}
	}
}
