package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
	clock "banchengshi/internal/clocktest"
	"banchengshi/sandbox"
)

// startProductAt runs the product and the sandbox on a fake clock. The
// scheduler runs on its own, often, and the workers when woken; after the
// test moves the clock, settle waits for them to catch up. (The workers
// look for work by themselves rarely: on SQLite's one connection that
// would hold up the work.)
func startProductAt(t *testing.T, b backend, clk *clock.Fake) *timedProduct {
	t.Helper()
	p := startProductWith(t, b, Options{Now: clk.Now, WorkerInterval: 200 * time.Millisecond, ScheduleEvery: 50 * time.Millisecond})
	return &timedProduct{product: p, clock: clk}
}

// timedProduct is the product on a fake clock.
type timedProduct struct {
	*product
	clock *clock.Fake
}

// act has a staff member type a command to the app, as in the WeCom client,
// and waits until the case's timeline shows it; a refusal fails the test
// with what the staff member was told.
func (p *product) act(user, number, command string) {
	p.t.Helper()
	actor := "staff:" + user
	theirs := func() int {
		n := 0
		for _, e := range p.caseDetail(number).Timeline {
			if e.Actor == actor {
				n++
			}
		}
		return n
	}
	before, told := theirs(), len(p.sb.AppInbox(user))
	if err := p.sb.StaffSays(context.Background(), user, command); err != nil {
		p.t.Fatalf("%s says %q: %v", user, command, err)
	}
	if !waitUntil(func() bool { return theirs() > before }) {
		p.t.Fatalf("%s says %q: not on the case's timeline; they were told %+v", user, command, p.sb.AppInbox(user)[told:])
	}
}

// Rounds of the scheduler, as /metrics counts them.
const (
	roundsDone   = `bcs_schedule_rounds_total{result="done"}`
	roundsFailed = `bcs_schedule_rounds_total{result="error"}`
)

// settle waits until the product has caught up with the clock: a scheduler
// round begun after the clock last moved has finished, no notification of
// the cases (number by citizen) is due or being sent, and every message
// WeCom reported undeliverable (msg_send_fail) has its fate.
func (p *timedProduct) settle(number map[string]string) {
	p.t.Helper()
	// The round under way when the clock moved may have read the time
	// before: the one after it has not.
	rounds := p.metric(roundsDone)
	if !waitFrom(100*time.Millisecond, func() bool { return p.metric(roundsDone) >= rounds+2 }) {
		p.t.Fatalf("the scheduler did not run twice within %s", waitLimit)
	}
	if n := p.metric(roundsFailed); n > 0 {
		p.t.Fatalf("%v rounds of the scheduler failed", n)
	}
	if !waitFrom(50*time.Millisecond, func() bool {
		for user, n := range number {
			d := p.caseDetail(n)
			if p.busy(d) || !p.failsHandled(user, d) {
				return false
			}
		}
		return true
	}) {
		for user, n := range number {
			// The notifications say which one is still due, and its last
			// error: a retry due later than the clock, which the test does
			// not move, is never sent.
			p.t.Logf("%s:\n%s\n%s", user, chatText(p.sb.Chat(user)), p.describe(n))
		}
		p.t.Fatalf("the product does not settle at %s", p.clock.Now().Format(time.DateTime))
	}
}

// failsHandled reports whether every message to user the sandbox reported
// refused (msg_send_fail) has left the "sent" state among the case's
// notifications.
func (p *product) failsHandled(user string, d apiCaseDetail) bool {
	status := map[string]cases.OutboxStatus{}
	for _, n := range d.Notifications {
		if n.WeComMsgID != "" {
			status[n.WeComMsgID] = n.Status
		}
	}
	for _, l := range p.sb.Chat(user) {
		if l.FailType == 0 {
			continue
		}
		if s, ok := status[l.MsgID]; !ok || s == cases.OutboxSent {
			return false
		}
	}
	return true
}

const nudgeWords = "回复“查询”随时查看进度"

// budgetViolations checks the chat as WeCom's rule reads: every product
// message within 48 hours after the citizen's last message, at most 5.
func budgetViolations(lines []sandbox.ChatLine) []string {
	var bad []string
	var start time.Time
	sent := 0
	for _, l := range lines {
		switch {
		case l.From == "citizen":
			start, sent = l.At, 0
		case l.From == "bot" && l.ErrCode != 0:
			bad = append(bad, fmt.Sprintf("%s refused with errcode %d: %q", l.At.Format(time.DateTime), l.ErrCode, l.Text))
		case l.From == "bot":
			sent++
			if start.IsZero() || l.At.Sub(start) > cases.KfWindow || sent > cases.KfWindowMessages {
				bad = append(bad, fmt.Sprintf("%s sent as message %d, %v after the citizen wrote: %q", l.At.Format(time.DateTime), sent, l.At.Sub(start), l.Text))
			}
		}
	}
	return bad
}

// A case of two weeks for three citizens, on a clock the test moves: one
// goes quiet after reporting, one answers every nudge, one blocks messages.
// WeCom (the sandbox) enforces 5 messages in 48 hours. Nothing may be sent
// past the budget, and every notification must end with a fate on its
// case's timeline.
func TestBudgetOverTwoWeeks(t *testing.T) {
	for _, b := range []backend{onSQLite, onMySQL} {
		t.Run(string(b), func(t *testing.T) { budgetOverTwoWeeks(t, b) })
	}
}

func budgetOverTwoWeeks(t *testing.T, b backend) {
	clk := clock.NewFake(time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)) // Monday 09:00 in Shanghai
	p := startProductAt(t, b, clk)
	quiet, replier, blocked := "wmQuiet", "wmReplier", "wmBlocked"
	users := []string{quiet, replier, blocked}
	number := map[string]string{}
	for _, u := range users {
		number[u] = reportCase(t, p.product, u, "养老金从上个月开始停发了，问了好几次都说不清楚")
	}
	p.sb.SetBlocked(blocked, true)

	step := func(d time.Duration) {
		clk.Advance(d)
		p.settle(number)
		// The replier answers every nudge, as soon as they see it.
		lines := p.sb.Chat(replier)
		for i := len(lines) - 1; i >= 0 && lines[i].From != "citizen"; i-- {
			if lines[i].From == "bot" && lines[i].ErrCode == 0 && strings.Contains(lines[i].Text, nudgeWords) {
				clk.Advance(20 * time.Minute)
				p.say(replier, "查询")
				p.settle(number)
				break
			}
		}
	}

	step(time.Hour)
	for _, u := range users {
		// Accepted, then assigned: two low-priority updates.
		p.act("zhangsan", number[u], "受理 "+number[u])
		p.act("zhangsan", number[u], "派单 "+number[u]+" 养老保险科")
	}
	plan := []struct {
		after time.Duration
		do    func(u string)
	}{
		{22 * time.Hour, func(u string) { p.act("zhouba", number[u], "回复 "+number[u]+" 已联系外省社保中心核实") }},
		{6 * time.Hour, func(u string) { p.act("zhangsan", number[u], "派单 "+number[u]+" 养老保险科 协办 档案馆") }},
		{2 * 24 * time.Hour, func(u string) { p.act("zhouba", number[u], "延期 "+number[u]+" 5 等待外省回函") }},
		{3 * 24 * time.Hour, func(u string) { p.act("zhouba", number[u], "补充 "+number[u]+" 请提供原单位的证明") }},
		{3 * 24 * time.Hour, func(u string) {
			p.act("zhouba", number[u], "办结 "+number[u]+" 已恢复发放并补发停发期间的养老金")
		}},
	}
	for _, s := range plan {
		// Move towards the next staff action in steps of six hours, so that
		// nudges and phone tasks happen on the way.
		for left := s.after; left > 0; left -= 6 * time.Hour {
			step(min(left, 6*time.Hour))
		}
		for _, u := range users {
			s.do(u)
		}
		step(time.Minute)
	}
	for range 4 * 4 { // four more days: phone tasks and follow-up reminders
		step(6 * time.Hour)
	}

	for _, u := range users {
		t.Run(u, func(t *testing.T) {
			chat := p.sb.Chat(u)
			for _, v := range budgetViolations(chat) {
				t.Errorf("past the budget: %s", v)
			}
			d := p.caseDetail(number[u])
			out := d.Notifications
			fates := map[int64]string{} // notification id → last fate on the timeline
			for _, e := range d.Timeline {
				if e.Kind != cases.EventNotification {
					continue
				}
				var fate struct {
					ID     int64  `json:"outbox_id"`
					Status string `json:"status"`
				}
				if err := json.Unmarshal([]byte(e.Data), &fate); err != nil {
					t.Fatalf("timeline entry %q: %v", e.Data, err)
				}
				fates[fate.ID] = fate.Status
			}
			count := map[cases.OutboxStatus]int{}
			var answer *apiNotification
			for i, m := range out {
				if m.Channel != cases.ChannelKf {
					continue
				}
				count[m.Status]++
				switch m.Status {
				case cases.OutboxPending:
					t.Errorf("message %d still pending: %q", m.ID, m.Message.Text)
				case cases.OutboxHeld, cases.OutboxFailed, cases.OutboxPhoneTask:
					if m.LastError == "" {
						t.Errorf("message %d is %s without a reason", m.ID, m.Status)
					}
				}
				if fates[m.ID] != string(m.Status) {
					t.Errorf("message %d is %s, its timeline says %q", m.ID, m.Status, fates[m.ID])
				}
				if strings.Contains(m.Message.Text, "已办结") {
					answer = &out[i]
				}
			}
			if answer == nil {
				t.Fatal("no answer queued")
			}
			nudges := 0
			for _, l := range chat {
				if l.From == "bot" && l.ErrCode == 0 && strings.Contains(l.Text, nudgeWords) {
					nudges++
				}
			}
			switch u {
			case quiet:
				if nudges != 1 {
					t.Errorf("quiet citizen nudged %d times, want once (one window)", nudges)
				}
				if answer.Status != cases.OutboxPhoneTask {
					t.Errorf("answer to the quiet citizen is %s (%s), want a phone task", answer.Status, answer.LastError)
				}
				if count[cases.OutboxHeld] == 0 {
					t.Errorf("nothing held for the quiet citizen: %v", count)
				}
			case replier:
				if nudges < 3 {
					t.Errorf("replier nudged %d times, want one per window (at least 3)", nudges)
				}
				if answer.Status != cases.OutboxSent {
					t.Errorf("answer to the replier is %s (%s), want sent", answer.Status, answer.LastError)
				}
				if count[cases.OutboxHeld] != 0 {
					t.Errorf("%d messages still held for a citizen who keeps writing", count[cases.OutboxHeld])
				}
			case blocked:
				if count[cases.OutboxFailed] == 0 {
					t.Errorf("no message to the blocking citizen failed: %v", count)
				}
				if answer.Status != cases.OutboxPhoneTask {
					t.Errorf("answer to the blocking citizen is %s (%s), want a phone task", answer.Status, answer.LastError)
				}
			}
			if answer.Status == cases.OutboxPhoneTask {
				found := false
				for _, m := range p.sb.AppInbox("zhangsan") {
					if strings.Contains(m.Text, "【电话联系】案件 "+number[u]) && strings.Contains(m.Text, "13812345678") {
						found = true
					}
				}
				if !found {
					t.Errorf("duty staff got no phone task for %s", number[u])
				}
			}
			if t.Failed() {
				for _, l := range chat {
					t.Logf("%s %s: %.40q errcode=%d fail=%d", l.At.Format(time.DateTime), l.From, l.Text, l.ErrCode, l.FailType)
				}
				for _, m := range out {
					t.Logf("notification %d %s %s p%d %.40q (%s) created %s next %s", m.ID, m.Channel, m.Status, m.Priority, m.Message.Text, m.LastError,
						m.CreatedAt.Format(time.DateTime), m.NextAttemptAt.Format(time.DateTime))
				}
			}
		})
	}
}

// Updates that wait while a citizen's window is closed go out as one
// message when the citizen writes again: two updates, one message, and the
// other marked merged into it.
func TestHeldUpdatesBundled(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)) // Monday 09:00 in Shanghai
	p := startProductAt(t, onSQLite, clk)
	user := "wmBundled"
	n := reportCase(t, p.product, user, "养老金从上个月开始停发了，问了好几次都说不清楚")
	number := map[string]string{user: n}
	p.act("zhangsan", n, "受理 "+n)
	p.settle(number)
	clk.Advance(49 * time.Hour)
	p.settle(number)
	p.act("zhangsan", n, "派单 "+n+" 养老保险科")
	p.act("zhangsan", n, "派单 "+n+" 养老保险科 协办 档案馆")
	p.settle(number)
	updates := func() map[cases.OutboxStatus][]apiNotification {
		out := map[cases.OutboxStatus][]apiNotification{}
		for _, m := range p.caseDetail(n).Notifications {
			if m.Channel == cases.ChannelKf && strings.Contains(m.Message.Text, "已交给养老保险科办理") {
				out[m.Status] = append(out[m.Status], m)
			}
		}
		return out
	}
	if held := updates()[cases.OutboxHeld]; len(held) != 2 {
		t.Fatalf("updates while the window is closed: %+v; want two held", updates())
	}

	before := len(p.botLines(user))
	p.say(user, "查询")
	p.settle(number)
	got := updates()
	if len(got[cases.OutboxSent]) != 1 || len(got[cases.OutboxMerged]) != 1 {
		t.Fatalf("updates after the citizen wrote: %+v; want one sent, one merged into it", got)
	}
	if sent := got[cases.OutboxSent][0]; strings.Count(sent.Message.Text, "已交给养老保险科办理") != 2 {
		t.Errorf("the message sent does not carry both updates: %q", sent.Message.Text)
	}
	// The answer to 查询 and the bundle.
	if lines := p.botLines(user)[before:]; len(lines) != 2 {
		t.Errorf("%d messages after 查询, want the answer and one bundle:\n%s", len(lines), chatText(p.sb.Chat(user)))
	}
}
