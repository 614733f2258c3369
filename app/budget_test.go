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
	"banchengshi/staff"
	"banchengshi/storage"
)

// startProductAt runs the product and the sandbox on a fake clock. The
// scheduler ticks only when the test says (Tick); the other workers run.
func startProductAt(t *testing.T, b backend, clk *clock.Fake) *timedProduct {
	t.Helper()
	p := startProductWith(t, b, Options{Now: clk.Now, WorkerInterval: 20 * time.Millisecond, ScheduleEvery: 24 * time.Hour})
	return &timedProduct{product: p, clock: clk}
}

// timedProduct is the product on a fake clock.
type timedProduct struct {
	*product
	clock *clock.Fake
}

// act runs staff commands in one transaction, as if typed at once.
func (p *product) act(user string, cmds ...staff.Command) {
	p.t.Helper()
	ctx := context.Background()
	err := p.app.Repo().InTx(ctx, func(r cases.Repo) error {
		for _, cmd := range cmds {
			if _, err := p.app.Desk().Act(ctx, r, user, cmd); err != nil {
				return fmt.Errorf("%s %s: %w", user, cmd.Action, err)
			}
		}
		return nil
	})
	if err != nil {
		p.t.Fatal(err)
	}
}

// settleAll ticks the scheduler, sends what is due and waits until WeCom's
// msg_send_fail events about it are handled.
func (p *timedProduct) settleAll(users ...string) {
	p.t.Helper()
	ctx := context.Background()
	if err := p.app.Tick(ctx); err != nil {
		p.t.Fatal(err)
	}
	// Drain skips what a background worker is busy with: repeat until
	// nothing waits, so that the clock moves only over a settled product.
	repo := p.app.Repo()
	quiet := func() bool {
		in, err1 := repo.PendingInbound(ctx, 1)
		kf, err2 := repo.PendingKfMessages(ctx, 1)
		// A message claimed by a sender (its next try a lease ahead) is in
		// flight: not settled yet.
		due, err3 := repo.DueOutbox(ctx, p.clock.Now().Add(storage.LeaseTTL), 1)
		return err1 == nil && err2 == nil && err3 == nil && len(in)+len(kf)+len(due) == 0
	}
	for range 200 {
		p.settle()
		for _, u := range users {
			p.waitFailsHandled(u)
		}
		if quiet() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.t.Fatal("the product does not settle")
}

// waitFailsHandled waits until every message the sandbox reported refused
// (msg_send_fail) has left the "sent" state in the outbox.
func (p *product) waitFailsHandled(user string) {
	p.t.Helper()
	cond := func() bool {
		for _, l := range p.sb.Chat(user) {
			if l.FailType == 0 {
				continue
			}
			m, err := p.app.Repo().OutboxByWeComMsgID(context.Background(), l.MsgID)
			if err != nil || m.Status == cases.OutboxSent {
				return false
			}
		}
		return true
	}
	if err := p.sb.WaitFor(timeout(p.t), cond); err != nil {
		p.t.Fatalf("msg_send_fail for %s not handled:\n%s", user, chatText(p.sb.Chat(user)))
	}
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
	ctx := context.Background()
	quiet, replier, blocked := "wmQuiet", "wmReplier", "wmBlocked"
	users := []string{quiet, replier, blocked}
	number := map[string]string{}
	for _, u := range users {
		number[u] = reportCase(t, p.product, u, "养老金从上个月开始停发了，问了好几次都说不清楚")
	}
	p.sb.SetBlocked(blocked, true)

	step := func(d time.Duration) {
		clk.Advance(d)
		p.settleAll(users...)
		// The replier answers every nudge, as soon as they see it.
		lines := p.sb.Chat(replier)
		for i := len(lines) - 1; i >= 0 && lines[i].From != "citizen"; i-- {
			if lines[i].From == "bot" && lines[i].ErrCode == 0 && strings.Contains(lines[i].Text, nudgeWords) {
				clk.Advance(20 * time.Minute)
				p.say(replier, "查询")
				p.settleAll(users...)
				break
			}
		}
	}

	step(time.Hour)
	for _, u := range users {
		// Accepted and assigned at once: two low-priority updates, one message.
		p.act("zhangsan",
			staff.Command{Verb: "受理", Action: cases.ActionAccept, CaseRef: number[u]},
			staff.Command{Verb: "派单", Action: cases.ActionAssign, CaseRef: number[u], Dept: "养老保险科"})
	}
	plan := []struct {
		after time.Duration
		do    func(u string)
	}{
		{22 * time.Hour, func(u string) {
			p.act("zhouba", staff.Command{Verb: "回复", Action: cases.ActionReply, CaseRef: number[u], Text: "已联系外省社保中心核实"})
		}},
		{6 * time.Hour, func(u string) {
			p.act("zhangsan", staff.Command{Verb: "派单", Action: cases.ActionAssign, CaseRef: number[u], Dept: "养老保险科", CoDepts: []string{"档案馆"}})
		}},
		{2 * 24 * time.Hour, func(u string) {
			p.act("zhouba", staff.Command{Verb: "延期", Action: cases.ActionExtend, CaseRef: number[u], Days: 5, Text: "等待外省回函"})
		}},
		{3 * 24 * time.Hour, func(u string) {
			p.act("zhouba", staff.Command{Verb: "补充", Action: cases.ActionAskMaterial, CaseRef: number[u], Text: "请提供原单位的证明"})
		}},
		{3 * 24 * time.Hour, func(u string) {
			p.act("zhouba", staff.Command{Verb: "办结", Action: cases.ActionResolve, CaseRef: number[u], Text: "已恢复发放并补发停发期间的养老金"})
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

	repo := p.app.Repo()
	for _, u := range users {
		t.Run(u, func(t *testing.T) {
			chat := p.sb.Chat(u)
			for _, v := range budgetViolations(chat) {
				t.Errorf("past the budget: %s", v)
			}
			c, err := repo.GetCase(ctx, number[u])
			if err != nil {
				t.Fatal(err)
			}
			out, err := repo.CaseOutbox(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			timeline, err := repo.Timeline(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			fates := map[int64]string{} // outbox id → last fate on the timeline
			for _, e := range timeline {
				if e.Kind != cases.EventNotification {
					continue
				}
				var d struct {
					ID     int64  `json:"outbox_id"`
					Status string `json:"status"`
				}
				if json.Unmarshal([]byte(e.Data), &d) == nil {
					fates[d.ID] = d.Status
				}
			}
			count := map[cases.OutboxStatus]int{}
			var answer *cases.OutboxMessage
			for _, m := range out {
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
					answer = m
				}
			}
			if count[cases.OutboxMerged] == 0 {
				t.Errorf("no updates were bundled: %v", count)
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
					t.Logf("outbox %d %s %s p%d %.40q (%s) created %s next %s", m.ID, m.Channel, m.Status, m.Priority, m.Message.Text, m.LastError,
						m.CreatedAt.Format(time.DateTime), m.NextAttemptAt.Format(time.DateTime))
				}
			}
		})
	}
}
