package notify_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/notify"
	"banchengshi/sms"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// texter is an SMS provider that answers from a script and remembers what it
// was asked to send.
type texter struct {
	mu     sync.Mutex
	script []error // answers to the next sends, in order; nil: accepted
	sent   []sms.Message
	calls  int
}

func (x *texter) Send(_ context.Context, m sms.Message) (sms.Receipt, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.calls++
	if len(x.script) > 0 {
		err := x.script[0]
		x.script = x.script[1:]
		if err != nil {
			return sms.Receipt{}, err
		}
	}
	x.sent = append(x.sent, m)
	return sms.Receipt{ID: "serial-1"}, nil
}

type smsFixture struct {
	*fixture
	texter *texter
	sms    *notify.SMS
}

func newSMSFixture(t *testing.T) *smsFixture {
	f := &smsFixture{fixture: &fixture{db: storagetest.SQLite(t), api: &recorder{}, tasks: &tasks{}, now: t0}, texter: &texter{}}
	mem := storage.NewMemory()
	t.Cleanup(func() { mem.Close() })
	now := func() time.Time { return f.now }
	f.sms = notify.NewSMS(notify.SMSConfig{Repo: f.db, Sender: f.texter, Tasks: f.tasks, Locker: mem.Locker(), Now: now})
	f.out = notify.New(notify.Config{Repo: f.db, API: f.api, Locker: mem.Locker(), Limiter: mem.RateLimiter(), Tasks: f.tasks,
		Now: now, SMS: f.sms})
	return f
}

func (f *smsFixture) answeredCase(t *testing.T, user, phone string) *cases.Case {
	t.Helper()
	resolved := f.now.Add(-time.Minute)
	c := &cases.Case{Number: "BC261130" + user[len(user)-4:], OpenKfID: "wk1", ReporterID: user, ContactPhone: phone,
		Status: cases.StatusResolved, Resolution: "已恢复发放", ResolvedAt: &resolved, CreatedAt: f.now}
	if err := f.db.CreateCase(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

// The planner's choice between chat, SMS and holding, message by message.
func TestPlannerChoosesChatSMSOrHold(t *testing.T) {
	tests := []struct {
		name     string
		inbound  time.Duration // how long ago the citizen last wrote; 0: never
		sent     int
		state    cases.ServiceState
		phone    string
		urgent   cases.Urgency
		priority cases.Priority
		want     cases.OutboxStatus
		texts    int
	}{
		{name: "window open: the answer goes by chat", inbound: time.Hour, phone: "13812345678",
			urgent: cases.UrgentAnswer, priority: cases.PriorityCritical, want: cases.OutboxSent},
		{name: "window closed: the answer goes by SMS", inbound: 49 * time.Hour, phone: "13812345678",
			urgent: cases.UrgentAnswer, priority: cases.PriorityCritical, want: cases.OutboxSMS, texts: 1},
		{name: "never wrote in: a material request goes by SMS", phone: "+86 13812345678",
			urgent: cases.UrgentMaterial, priority: cases.PriorityNormal, want: cases.OutboxSMS, texts: 1},
		{name: "five sent in an open window: the answer goes by SMS", inbound: time.Hour, sent: 5, phone: "13812345678",
			urgent: cases.UrgentAnswer, priority: cases.PriorityCritical, want: cases.OutboxSMS, texts: 1},
		{name: "window closed: progress is chatter and waits", inbound: 49 * time.Hour, phone: "13812345678",
			priority: cases.PriorityLow, want: cases.OutboxHeld},
		{name: "window closed, a landline: the answer waits (staff phone later)", inbound: 49 * time.Hour, phone: "010-12345678",
			urgent: cases.UrgentAnswer, priority: cases.PriorityCritical, want: cases.OutboxHeld},
		{name: "a person has the chat: nothing is texted", inbound: 49 * time.Hour, state: 3, phone: "13812345678",
			urgent: cases.UrgentAnswer, priority: cases.PriorityCritical, want: cases.OutboxHeld},
		{name: "the last message is kept for the answer: a material request goes by SMS", inbound: time.Hour, sent: 4, phone: "13812345678",
			urgent: cases.UrgentMaterial, priority: cases.PriorityNormal, want: cases.OutboxSMS, texts: 1},
		{name: "the last message is kept for the answer: a reply waits", inbound: time.Hour, sent: 4, phone: "13812345678",
			priority: cases.PriorityNormal, want: cases.OutboxHeld},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newSMSFixture(t)
			ctx := context.Background()
			var last time.Time
			if tc.inbound > 0 {
				last = f.now.Add(-tc.inbound)
			}
			c := &cases.Contact{OpenKfID: "wk1", ExternalUserID: "wmUser", LastInboundAt: last, SentInWindow: tc.sent,
				ServiceState: tc.state, UpdatedAt: f.now}
			if err := f.db.SaveContact(ctx, c); err != nil {
				t.Fatal(err)
			}
			cs := f.answeredCase(t, "wmUser", tc.phone)
			m := &cases.OutboxMessage{CaseID: cs.ID, Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: "wmUser",
				Message: cases.Message{Text: "您反映的事项已办结。", Urgent: tc.urgent}, Priority: tc.priority, CreatedAt: f.now}
			if err := f.db.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			if err := f.out.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if err := f.sms.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			out, err := f.db.CaseOutbox(ctx, cs.ID)
			if err != nil {
				t.Fatal(err)
			}
			if out[0].Status != tc.want {
				t.Errorf("message is %s (%s), want %s", out[0].Status, out[0].LastError, tc.want)
			}
			if len(f.texter.sent) != tc.texts {
				t.Errorf("%d texts sent, want %d", len(f.texter.sent), tc.texts)
			}
			if tc.texts > 0 {
				want := []sms.Message{{Phone: tc.phone, Params: []string{cs.Number, "已办结。答复：已恢复发放。"}}}
				if tc.urgent == cases.UrgentMaterial {
					want[0].Params[1] = "您反映的事项已办结。"
				}
				if diff := cmp.Diff(want, f.texter.sent); diff != "" {
					t.Errorf("texts (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// A text whose sending was interrupted (the process died during the call)
// is never sent again: after a while it becomes a phone task. Temporary
// failures are retried after a growing wait; a permanent one is not.
func TestSMSRetriesAndGivesUp(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T, f *smsFixture) *cases.SMSMessage {
		cs := f.answeredCase(t, "wmUser", "13812345678")
		m := &cases.SMSMessage{EventKey: "answer:x", CaseID: cs.ID, Urgent: cases.UrgentAnswer, Params: []string{cs.Number, "已办结。"},
			Status: cases.SMSPending, NextAttemptAt: f.now, CreatedAt: f.now}
		if err := f.db.EnqueueSMS(ctx, m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	status := func(t *testing.T, f *smsFixture, id int64) *cases.SMSMessage {
		t.Helper()
		all, err := f.db.DueSMS(ctx, cases.SMSPending, f.now.Add(time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []cases.SMSStatus{cases.SMSSending, cases.SMSSent, cases.SMSFailed} {
			more, err := f.db.DueSMS(ctx, s, f.now.Add(time.Hour), 10)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, more...)
		}
		for _, m := range all {
			if m.ID == id {
				return m
			}
		}
		t.Fatalf("text %d not found", id)
		return nil
	}

	t.Run("interrupted", func(t *testing.T) {
		f := newSMSFixture(t)
		m := setup(t, f)
		m.Status, m.Attempts = cases.SMSSending, 1
		if err := f.db.UpdateSMS(ctx, m); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(5 * time.Minute)
		if err := f.sms.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := status(t, f, m.ID).Status; got != cases.SMSSending || len(f.tasks.got) != 0 {
			t.Fatalf("after 5 minutes: %s, %d tasks; want still sending, no task", got, len(f.tasks.got))
		}
		f.now = f.now.Add(10 * time.Minute)
		if err := f.sms.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := status(t, f, m.ID); got.Status != cases.SMSFailed || f.texter.calls != 0 || len(f.tasks.got) != 1 {
			t.Errorf("after 15 minutes: %s (%s), %d calls, tasks %v; want failed, no call, one phone task", got.Status, got.LastError, f.texter.calls, f.tasks.got)
		}
	})

	t.Run("temporary failures with backoff", func(t *testing.T) {
		f := newSMSFixture(t)
		m := setup(t, f)
		limited := &sms.Error{Reason: sms.ReasonRateLimited, Code: "LimitExceeded.PhoneNumberThirtySecondLimit"}
		f.texter.script = []error{limited, limited, nil}
		var waits []time.Duration
		for range 3 {
			if err := f.sms.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			got := status(t, f, m.ID)
			if got.Status != cases.SMSPending {
				break
			}
			waits = append(waits, got.NextAttemptAt.Sub(f.now))
			f.now = got.NextAttemptAt
		}
		if diff := cmp.Diff([]time.Duration{30 * time.Second, time.Minute}, waits); diff != "" {
			t.Errorf("waits between attempts (-want +got):\n%s", diff)
		}
		if got := status(t, f, m.ID); got.Status != cases.SMSSent || got.Attempts != 3 || got.ProviderID != "serial-1" {
			t.Errorf("text %+v, want sent on the third attempt", got)
		}
		if len(f.tasks.got) != 0 {
			t.Errorf("phone tasks for a text that went out: %v", f.tasks.got)
		}
	})

	t.Run("permanent failure", func(t *testing.T) {
		f := newSMSFixture(t)
		m := setup(t, f)
		f.texter.script = []error{&sms.Error{Reason: sms.ReasonAccount, Code: "FailedOperation.TemplateIncorrectOrUnapproved"}}
		if err := f.sms.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		got := status(t, f, m.ID)
		if got.Status != cases.SMSFailed || f.texter.calls != 1 || len(f.tasks.got) != 1 {
			t.Errorf("%s after %d calls, tasks %v; want failed after one call and a phone task", got.Status, f.texter.calls, f.tasks.got)
		}
	})
}
