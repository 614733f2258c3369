package notify_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/notify"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// recorder is WeCom as far as these tests need it: it accepts every message
// and remembers it.
type recorder struct {
	mu  sync.Mutex
	kf  []string
	app []string
	n   int
}

func (r *recorder) SendKf(_ context.Context, _, user, _ string, m cases.Message) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	r.kf = append(r.kf, user+": "+m.Text)
	return fmt.Sprintf("msg%d", r.n), nil
}

func (r *recorder) SendApp(_ context.Context, to []string, m cases.Message) (string, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	r.app = append(r.app, strings.Join(to, ",")+": "+m.Text)
	return fmt.Sprintf("msg%d", r.n), "", nil
}

func (r *recorder) UpdateCard(context.Context, []string, string, string) error { return nil }

func (r *recorder) TransServiceState(_ context.Context, _, user string, state int, _ string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kf = append(r.kf, fmt.Sprintf("%s: [state %d]", user, state))
	return "code", nil
}

// tasks records phone tasks.
type tasks struct{ got []string }

func (t *tasks) PhoneTask(_ context.Context, _ cases.Repo, caseID int64, reason string) error {
	t.got = append(t.got, fmt.Sprintf("case %d: %s", caseID, reason))
	return nil
}

var t0 = time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)

type fixture struct {
	db    *storage.SQL
	out   *notify.Outbox
	api   *recorder
	tasks *tasks
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{db: storagetest.SQLite(t), api: &recorder{}, tasks: &tasks{}, now: t0}
	mem := storage.NewMemory()
	t.Cleanup(func() { mem.Close() })
	f.out = notify.New(notify.Config{Repo: f.db, API: f.api, Locker: mem.Locker(), Limiter: mem.RateLimiter(), Tasks: f.tasks,
		Now: func() time.Time { return f.now }})
	return f
}

func (f *fixture) contact(t *testing.T, user string, lastInbound time.Time, sent int) {
	t.Helper()
	c := &cases.Contact{OpenKfID: "wk1", ExternalUserID: user, LastInboundAt: lastInbound, SentInWindow: sent, UpdatedAt: f.now}
	if err := f.db.SaveContact(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) newCase(t *testing.T, user string, status cases.Status) *cases.Case {
	t.Helper()
	c := &cases.Case{Number: "BC26113000" + fmt.Sprint(10+len(user)%90) + user[len(user)-2:], OpenKfID: "wk1", ReporterID: user,
		Status: status, CreatedAt: f.now}
	if err := f.db.CreateCase(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

// enqueue queues a text; a critical one about a case is the case's answer
// (urgent), as desk queues it.
func (f *fixture) enqueue(t *testing.T, caseID int64, user, text string, p cases.Priority) *cases.OutboxMessage {
	t.Helper()
	var urgent cases.Urgency
	if p == cases.PriorityCritical && caseID != 0 {
		urgent = cases.UrgentAnswer
	}
	return f.enqueueFor(t, caseID, user, text, p, cases.PurposeNone, urgent)
}

func (f *fixture) enqueueFor(t *testing.T, caseID int64, user, text string, p cases.Priority, purpose cases.Purpose, urgent cases.Urgency) *cases.OutboxMessage {
	t.Helper()
	m := &cases.OutboxMessage{CaseID: caseID, Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: user,
		Message: cases.Message{Text: text, Urgent: urgent}, Priority: p, Purpose: purpose, CreatedAt: f.now}
	if err := f.db.Enqueue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) fates(t *testing.T, caseID int64) []string {
	t.Helper()
	out, err := f.db.CaseOutbox(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range out {
		got = append(got, fmt.Sprintf("%s %s", m.Message.Text, m.Status))
	}
	return got
}

// The window's budget is spent on what matters most; low updates are
// bundled; the last message waits for the answer.
func TestPlanSpendsTheWindowWell(t *testing.T) {
	tests := []struct {
		name      string
		sent      int // already sent in the window
		queue     []cases.Priority
		wantFates []string
		wantSent  []string
	}{
		{name: "three updates, one message", sent: 0,
			queue:     []cases.Priority{cases.PriorityLow, cases.PriorityLow, cases.PriorityLow},
			wantFates: []string{"m0\n\nm1\n\nm2 sent", "m1 merged", "m2 merged"},
			wantSent:  []string{"wmA: m0\n\nm1\n\nm2"}},
		{name: "the last message is kept for the answer", sent: 4,
			queue:     []cases.Priority{cases.PriorityLow, cases.PriorityNormal, cases.PriorityLow},
			wantFates: []string{"m0\n\nm2 held", "m1 held", "m2 merged"}},
		{name: "the answer may use the last message", sent: 4,
			queue:     []cases.Priority{cases.PriorityLow, cases.PriorityCritical},
			wantFates: []string{"m0 held", "m1 sent"},
			wantSent:  []string{"wmA: m1"}},
		{name: "the answer goes first, and the reserve stays", sent: 3,
			queue:     []cases.Priority{cases.PriorityLow, cases.PriorityNormal, cases.PriorityCritical},
			wantFates: []string{"m0 held", "m1 held", "m2 sent"},
			wantSent:  []string{"wmA: m2"}},
		{name: "a reply in a live conversation goes before updates", sent: 2,
			queue:     []cases.Priority{cases.PriorityLow, cases.PriorityNormal, cases.PriorityLow},
			wantFates: []string{"m0\n\nm2 sent", "m1 sent", "m2 merged"},
			wantSent:  []string{"wmA: m1", "wmA: m0\n\nm2"}},
		{name: "nothing past five", sent: 5,
			queue:     []cases.Priority{cases.PriorityCritical},
			wantFates: []string{"m0 held"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			c := f.newCase(t, "wmA", cases.StatusAssigned)
			f.contact(t, "wmA", f.now.Add(-time.Hour), tt.sent)
			for i, p := range tt.queue {
				f.enqueue(t, c.ID, "wmA", fmt.Sprintf("m%d", i), p)
			}
			if err := f.out.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantFates, f.fates(t, c.ID)); diff != "" {
				t.Errorf("fates (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSent, f.api.kf); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			contact, err := f.db.GetContact(ctx, "wk1", "wmA")
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.sent + len(tt.wantSent); contact.SentInWindow != want {
				t.Errorf("contact counts %d sent, want %d", contact.SentInWindow, want)
			}
		})
	}
}

// msg_send_fail changes a sent message's fate.
func TestSendFailed(t *testing.T) {
	tests := []struct {
		name       string
		status     cases.Status // the case's
		priority   cases.Priority
		urgent     cases.Urgency
		purpose    cases.Purpose
		failType   int
		wroteSince bool
		want       cases.OutboxStatus
		wantTasks  int
	}{
		{name: "over the limit", status: cases.StatusAssigned, priority: cases.PriorityLow, failType: 6, want: cases.OutboxHeld},
		{name: "past 48 hours", status: cases.StatusAssigned, priority: cases.PriorityNormal, failType: 4, want: cases.OutboxHeld},
		{name: "session closed, but the citizen wrote since", status: cases.StatusAssigned, priority: cases.PriorityLow, failType: 5, wroteSince: true, want: cases.OutboxPending},
		{name: "refused answer", status: cases.StatusResolved, priority: cases.PriorityCritical, urgent: cases.UrgentAnswer, failType: 10, want: cases.OutboxPhoneTask, wantTasks: 1},
		{name: "refused material request", status: cases.StatusInProgress, priority: cases.PriorityNormal, urgent: cases.UrgentMaterial, failType: 10, want: cases.OutboxPhoneTask, wantTasks: 1},
		{name: "refused nudge", status: cases.StatusInProgress, priority: cases.PriorityCritical, purpose: cases.PurposeNudge, failType: 10, want: cases.OutboxFailed},
		{name: "refused update", status: cases.StatusAssigned, priority: cases.PriorityLow, failType: 10, want: cases.OutboxFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			c := f.newCase(t, "wmA", tt.status)
			f.contact(t, "wmA", f.now.Add(-time.Hour), 0)
			queued := f.enqueueFor(t, c.ID, "wmA", "m0", tt.priority, tt.purpose, tt.urgent)
			if err := f.out.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if tt.wroteSince {
				f.now = f.now.Add(time.Minute)
				f.contact(t, "wmA", f.now, 0)
			}
			err := f.db.InTx(ctx, func(r cases.Repo) error { return f.out.SendFailed(ctx, r, "wk1", "wmA", "msg1", tt.failType) })
			if err != nil {
				t.Fatal(err)
			}
			out, err := f.db.CaseOutbox(ctx, c.ID)
			if err != nil || len(out) == 0 {
				t.Fatalf("the case's outbox: %+v, %v", out, err)
			}
			if out[0].Status != tt.want || out[0].LastError == "" {
				t.Errorf("fate %s (%q), want %s with a reason", out[0].Status, out[0].LastError, tt.want)
			}
			if len(f.tasks.got) != tt.wantTasks {
				t.Errorf("phone tasks %q, want %d", f.tasks.got, tt.wantTasks)
			}
			// WeCom did not deliver it: a later send is a new message to WeCom,
			// under a new key, or WeCom would take it for the one it has.
			if again := out[0].Status == cases.OutboxHeld || out[0].Status == cases.OutboxPending; again && out[0].SendKey == queued.SendKey {
				t.Errorf("message to be sent again keeps its key %q", queued.SendKey)
			}
			contact, err := f.db.GetContact(ctx, "wk1", "wmA")
			if err != nil {
				t.Fatal(err)
			}
			if exhausted := contact.Remaining(f.now) == 0; exhausted == tt.wroteSince {
				t.Errorf("window exhausted %v after fail type %d (citizen wrote since: %v)", exhausted, tt.failType, tt.wroteSince)
			}
			tl, err := f.db.Timeline(ctx, c.ID)
			if err != nil || len(tl) == 0 {
				t.Fatalf("timeline: %+v, %v", tl, err)
			}
			if last := tl[len(tl)-1]; last.Kind != cases.EventNotification || last.Body != notify.Fate(out[0]) {
				t.Errorf("timeline ends with %+v, want the fate %q", last, notify.Fate(out[0]))
			}
		})
	}
	t.Run("unknown msgid", func(t *testing.T) {
		f := newFixture(t)
		ctx := context.Background()
		// A message this outbox never sent (the welcome message): logged and ignored.
		err := f.db.InTx(ctx, func(r cases.Repo) error { return f.out.SendFailed(ctx, r, "wk1", "wmA", "welcome-msg", 10) })
		if err != nil {
			t.Errorf("unknown msgid: %v", err)
		}
	})
	t.Run("reported before it is written down, the citizen written since", func(t *testing.T) {
		// A reply's send timed out though WeCom took it; the citizen wrote
		// again (a new window) before WeCom reported it over the limit. The
		// new window is not marked used up, and the reply goes again in it.
		f := newFixture(t)
		ctx := context.Background()
		c := f.newCase(t, "wmA", cases.StatusInProgress)
		f.contact(t, "wmA", f.now.Add(-time.Hour), 0)
		m := f.enqueueFor(t, c.ID, "wmA", "回复", cases.PriorityNormal, cases.PurposeNone, "")
		m.Attempts, m.NextAttemptAt = 1, f.now.Add(time.Minute) // to be tried again, same key
		if err := f.db.UpdateOutboxes(ctx, []*cases.OutboxMessage{m}); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(10 * time.Second)
		f.contact(t, "wmA", f.now, 0)
		if err := f.db.InTx(ctx, func(r cases.Repo) error { return f.out.SendFailed(ctx, r, "wk1", "wmA", m.SendKey, 6) }); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.db.GetContact(ctx, "wk1", "wmA"); got.Remaining(f.now) == 0 {
			t.Error("the window the citizen opened after the reply was queued is marked used up")
		}
		if err := f.out.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"wmA: 回复"}, f.api.kf); diff != "" {
			t.Errorf("sent (-want +got):\n%s", diff)
		}
	})
	t.Run("reported before it is written down", func(t *testing.T) {
		// WeCom took the answer, and its sender died before writing that
		// down; its claim has run out when the report comes. The answer is
		// held for the citizen's next message, not sent again as if new
		// and then left "sent".
		f := newFixture(t)
		ctx := context.Background()
		c := f.newCase(t, "wmA", cases.StatusResolved)
		f.contact(t, "wmA", f.now.Add(-time.Hour), 0)
		m := f.enqueueFor(t, c.ID, "wmA", "答复", cases.PriorityCritical, cases.PurposeNone, cases.UrgentAnswer)
		m.Attempts, m.NextAttemptAt = 1, f.now.Add(-time.Second)
		if err := f.db.UpdateOutboxes(ctx, []*cases.OutboxMessage{m}); err != nil {
			t.Fatal(err)
		}
		if err := f.db.InTx(ctx, func(r cases.Repo) error { return f.out.SendFailed(ctx, r, "wk1", "wmA", m.SendKey, 6) }); err != nil {
			t.Fatal(err)
		}
		if err := f.out.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if len(f.api.kf) != 0 {
			t.Errorf("sent %q after WeCom reported it undelivered", f.api.kf)
		}
		out, err := f.db.CaseOutbox(ctx, c.ID)
		if err != nil || len(out) != 1 {
			t.Fatalf("the case's outbox: %+v, %v", out, err)
		}
		if out[0].Status != cases.OutboxHeld || out[0].SendKey == m.SendKey {
			t.Errorf("%s under key %q, want held under a new key", out[0].Status, out[0].SendKey)
		}
		if got, _ := f.db.GetContact(ctx, "wk1", "wmA"); got.Remaining(f.now) != 0 {
			t.Errorf("%d left in the window WeCom says is used up", got.Remaining(f.now))
		}
	})
}

// An answer held for a citizen who does not write becomes a phone task after
// PhoneAfter; a nudge held that long is dropped as no longer needed.
func TestEscalateHeld(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	resolved := f.newCase(t, "wmResolved", cases.StatusResolved)
	working := f.newCase(t, "wmWorking", cases.StatusInProgress)
	for _, c := range []*cases.Case{resolved, working} {
		f.contact(t, c.ReporterID, f.now.Add(-50*time.Hour), 0)  // window closed
		purpose, urgent := cases.PurposeNone, cases.UrgentAnswer // the answer
		if c == working {
			purpose, urgent = cases.PurposeNudge, ""
		}
		f.enqueueFor(t, c.ID, c.ReporterID, "critical", cases.PriorityCritical, purpose, urgent)
		f.enqueue(t, c.ID, c.ReporterID, "low", cases.PriorityLow)
	}
	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(when string, wantResolved, wantWorking []string, wantTasks int) {
		t.Helper()
		if err := f.out.EscalateHeld(ctx); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantResolved, f.fates(t, resolved.ID)); diff != "" {
			t.Errorf("%s: resolved case (-want +got):\n%s", when, diff)
		}
		if diff := cmp.Diff(wantWorking, f.fates(t, working.ID)); diff != "" {
			t.Errorf("%s: working case (-want +got):\n%s", when, diff)
		}
		if len(f.tasks.got) != wantTasks {
			t.Errorf("%s: phone tasks %q, want %d", when, f.tasks.got, wantTasks)
		}
	}
	held := []string{"critical held", "low held"}
	f.now = f.now.Add(notify.DefaultPhoneAfter - time.Minute)
	check("just before", held, held, 0)
	f.now = f.now.Add(time.Minute)
	check("after a day", []string{"critical phone_task", "low held"}, []string{"critical failed", "low held"}, 1)
	check("again", []string{"critical phone_task", "low held"}, []string{"critical failed", "low held"}, 1)
}

// A citizen whose window closes soon, with an open case and budget left, is
// nudged once in that window; a citizen with no open case, none left or
// nudged already is not.
func TestNudge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	open := f.newCase(t, "wmOpen", cases.StatusAssigned)
	f.newCase(t, "wmDone", cases.StatusClosed)
	f.newCase(t, "wmSpent", cases.StatusAssigned)
	f.newCase(t, "wmEarly", cases.StatusAssigned)
	f.contact(t, "wmOpen", f.now.Add(-44*time.Hour), 4)
	f.contact(t, "wmDone", f.now.Add(-44*time.Hour), 0)
	f.contact(t, "wmSpent", f.now.Add(-44*time.Hour), 5)
	f.contact(t, "wmEarly", f.now.Add(-30*time.Hour), 0)
	for range 3 {
		if err := f.out.Nudge(ctx); err != nil {
			t.Fatal(err)
		}
		if err := f.out.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Hour)
	}
	if len(f.api.kf) != 1 || !strings.HasPrefix(f.api.kf[0], "wmOpen: ") || !strings.Contains(f.api.kf[0], "回复“查询”随时查看进度") {
		t.Errorf("nudges sent: %q, want one to wmOpen", f.api.kf)
	}
	if diff := cmp.Diff([]string{f.api.kf[0][len("wmOpen: "):] + " sent"}, f.fates(t, open.ID)); diff != "" {
		t.Errorf("nudge on the timeline (-want +got):\n%s", diff)
	}
}

// Texts waiting for one staff member go out as one message.
func TestStaffTextsMerged(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := range 4 {
		m := &cases.OutboxMessage{Channel: cases.ChannelApp, Recipient: "wangwu", Message: cases.Message{Text: fmt.Sprintf("s%d", i)}, CreatedAt: f.now}
		if err := f.db.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"wangwu: s0\n———\ns1\n———\ns2\n———\ns3"}, f.api.app); diff != "" {
		t.Errorf("to staff (-want +got):\n%s", diff)
	}
}

// WeCom drops app messages past 30 a minute to one member: the 31st waits,
// merged with what else waits for them, and goes out a little later.
func TestStaffRateLimitQueuesAndMerges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	enqueue := func(text string) {
		m := &cases.OutboxMessage{Channel: cases.ChannelApp, Recipient: "wangwu", Message: cases.Message{Text: text}, CreatedAt: f.now}
		if err := f.db.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		enqueue(fmt.Sprintf("s%d", i))
		if err := f.out.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	enqueue("late1")
	enqueue("late2")
	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(f.api.app) != 30 {
		t.Fatalf("sent %d, want 30 within the minute", len(f.api.app))
	}
	due, err := f.db.DueOutbox(ctx, f.now.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].Message.Text != "late1\n———\nlate2" {
		t.Errorf("waiting: %+v, want one merged message", due)
	}
}

// The handover to a person goes out after the replies queued with it, and
// costs nothing from the citizen's 5-message window.
func TestHandoverAfterTheReplies(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.contact(t, "wmH", f.now, 0)
	f.enqueue(t, 0, "wmH", "好的，正在为您转接工作人员", cases.PriorityNormal)
	handover := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: "wmH",
		Message: cases.Message{Handover: true}, Priority: cases.PriorityLow, CreatedAt: f.now}
	if err := f.db.Enqueue(ctx, handover); err != nil {
		t.Fatal(err)
	}
	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"wmH: 好的，正在为您转接工作人员", "wmH: [state 2]"}
	if diff := cmp.Diff(want, f.api.kf); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
	c, err := f.db.GetContact(ctx, "wk1", "wmH")
	if err != nil {
		t.Fatal(err)
	}
	if c.ServiceState != 2 || c.SentInWindow != 1 {
		t.Errorf("contact after the handover: state %d, sent %d; want 2 and 1", c.ServiceState, c.SentInWindow)
	}
}
