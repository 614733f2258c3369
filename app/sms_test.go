package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/configs"
	clock "banchengshi/internal/clocktest"
	"banchengshi/sandbox"
	"banchengshi/staff"
)

// startTexting runs the product on a fake clock with SMS through the
// sandbox's gateway (BCS_SMS_PROVIDER=sandbox): the shared harness starts it
// without SMS, so it is restarted with it, as a deploy would.
func startTexting(t *testing.T, b backend, clk *clock.Fake) *timedProduct {
	t.Helper()
	p := startProductAt(t, b, clk)
	p.stop()
	p.cfg.SMSProvider = configs.SMSSandbox
	if err := p.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p.start()
	return p
}

// settleTexts settles the product (settleAll) and waits until no text is
// due or in the provider's hands.
func (p *timedProduct) settleTexts(users ...string) {
	p.t.Helper()
	ctx := context.Background()
	store := p.app.Repo().(cases.SMSStore)
	for range 200 {
		p.settleAll(users...)
		due, err1 := store.DueSMS(ctx, cases.SMSPending, p.clock.Now(), 1)
		sending, err2 := store.DueSMS(ctx, cases.SMSSending, p.clock.Now(), 1)
		if err1 != nil || err2 != nil {
			p.t.Fatal(err1, err2)
		}
		if len(due)+len(sending) == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.t.Fatal("the texts do not settle")
}

// textsTo returns the sandbox gateway's texts that mention a case.
func textsTo(sb *sandbox.Sandbox, number string) []sandbox.SMSText {
	var out []sandbox.SMSText
	for _, s := range sb.SMS() {
		if strings.Contains(s.Text, number) {
			out = append(out, s)
		}
	}
	return out
}

// fates returns the notification lines of a case's timeline.
func fates(t *testing.T, p *product, number string) []string {
	t.Helper()
	ctx := context.Background()
	c, err := p.app.Repo().GetCase(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := p.app.Repo().Timeline(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range tl {
		if e.Kind == cases.EventNotification {
			out = append(out, e.Body)
		}
	}
	return out
}

func hasLine(lines []string, parts ...string) bool {
	for _, l := range lines {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}

// A case answered after the citizen's 48-hour window has closed: the answer
// reaches them by SMS in the sandbox, the timeline says so, and neither the
// rest of the same answer nor a second run of the planner over it sends a
// second text. Provider errors are retried with backoff; a text that keeps
// failing, or that can never succeed, ends as a phone task for the duty
// staff.
func TestSMSFallback(t *testing.T) {
	for _, b := range []backend{onSQLite, onMySQL, onMySQLRedis} {
		t.Run(string(b), func(t *testing.T) { smsFallback(t, b) })
	}
}

func smsFallback(t *testing.T, b backend) {
	clk := clock.NewFake(time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)) // Monday 09:00 in Shanghai
	p := startTexting(t, b, clk)
	ctx := context.Background()
	answered, long, flaky, blocked := "wmAnswered", "wmLongAnswer", "wmFlaky", "wmBlockedNumber"
	users := []string{answered, long, flaky, blocked}
	number := map[string]string{}
	for _, u := range users {
		number[u] = reportCase(t, p.product, u, "养老金从上个月开始停发了，问了好几次都说不清楚")
		p.act("zhangsan",
			staff.Command{Verb: "受理", Action: cases.ActionAccept, CaseRef: number[u]},
			staff.Command{Verb: "派单", Action: cases.ActionAssign, CaseRef: number[u], Dept: "养老保险科"})
	}
	p.settleTexts(users...)
	// The citizens go quiet; two days later their windows have closed.
	clk.Advance(49 * time.Hour)
	p.settleTexts(users...)
	if n := len(p.sb.SMS()); n != 0 {
		t.Fatalf("%d texts before anything urgent happened (progress is chatter): %v", n, p.sb.SMS())
	}
	botBefore := map[string]int{}
	for _, u := range users {
		botBefore[u] = len(p.botLines(u))
	}
	resolve := func(u, answer string) {
		p.act("zhouba", staff.Command{Verb: "办结", Action: cases.ActionResolve, CaseRef: number[u], Text: answer})
	}

	t.Run("answer by SMS", func(t *testing.T) {
		resolve(answered, "已恢复发放并补发停发期间的养老金")
		p.settleTexts(users...)
		got := textsTo(p.sb, number[answered])
		if len(got) != 1 {
			t.Fatalf("texts about %s: %v, want one", number[answered], got)
		}
		if got[0].Phone != "138****5678" || !strings.Contains(got[0].Text, "已办结。答复：已恢复发放并补发停发期间的养老金。") {
			t.Errorf("text = %+v, want the answer to 138****5678", got[0])
		}
		if n := len(p.botLines(answered)); n != botBefore[answered] {
			t.Errorf("%d chat messages sent past the closed window", n-botBefore[answered])
		}
		lines := fates(t, p.product, number[answered])
		if !hasLine(lines, "微信无法送达", "改为短信发送", "已办结") {
			t.Errorf("timeline does not say the answer went by SMS:\n%s", strings.Join(lines, "\n"))
		}
		if !hasLine(lines, "短信已发送给群众（138****5678）", "已恢复发放") {
			t.Errorf("timeline does not show the text's fate:\n%s", strings.Join(lines, "\n"))
		}
		for _, l := range lines {
			if strings.Contains(l, "13812345678") {
				t.Errorf("timeline shows the full number: %s", l)
			}
		}
	})

	t.Run("same event again sends nothing", func(t *testing.T) {
		calls := p.sb.SMSCalls()
		c, err := p.app.Repo().GetCase(ctx, number[answered])
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.app.Repo().CaseOutbox(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		// As a crash between the send and its record leaves it: the answer is
		// due again, and the planner resolves it a second time.
		again := 0
		for _, m := range out {
			if m.Message.Urgent == cases.UrgentAnswer && m.Status == cases.OutboxSMS {
				m.Status, m.NextAttemptAt = cases.OutboxPending, clk.Now().UTC()
				if err := p.app.Repo().UpdateOutbox(ctx, m); err != nil {
					t.Fatal(err)
				}
				again++
			}
		}
		if again == 0 {
			t.Fatal("no answer message went by SMS")
		}
		for range 3 {
			clk.Advance(time.Hour)
			p.settleTexts(users...)
		}
		if got := textsTo(p.sb, number[answered]); len(got) != 1 || p.sb.SMSCalls() != calls {
			t.Errorf("after a second resolution: %d texts, %d more calls; want 1 text, no call", len(got), p.sb.SMSCalls()-calls)
		}
		lines := fates(t, p.product, number[answered])
		if !hasLine(lines, "同一事项已发短信告知") {
			t.Errorf("timeline does not say the second resolution was covered:\n%s", strings.Join(lines, "\n"))
		}
	})

	t.Run("a long answer and its question are one event", func(t *testing.T) {
		answer := strings.Repeat("经核实，您的养老保险关系已从外省转入，停发期间的待遇将一并补发。", 12)
		resolve(long, answer)
		p.settleTexts(users...)
		c, err := p.app.Repo().GetCase(ctx, number[long])
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.app.Repo().CaseOutbox(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		viaSMS := 0
		for _, m := range out {
			if m.Status == cases.OutboxSMS {
				viaSMS++
			}
		}
		got := textsTo(p.sb, number[long])
		if viaSMS != 2 || len(got) != 1 {
			t.Fatalf("%d messages went by SMS in %d texts; want the answer and the question in one text", viaSMS, len(got))
		}
		if !strings.Contains(got[0].Text, "全文请在微信客服中回复“查询”查看") {
			t.Errorf("a long answer is cut without saying where the rest is: %q", got[0].Text)
		}
	})

	t.Run("provider errors are retried, then phoned", func(t *testing.T) {
		// Five timeouts: every attempt fails, with backoff between them.
		p.sb.FailSMS(strings.Split(strings.Repeat("InternalError.Timeout,", 5), ",")[:5]...)
		calls := p.sb.SMSCalls()
		resolve(flaky, "已恢复发放")
		p.settleTexts(users...)
		for i := 0; i < 8 && p.sb.SMSCalls()-calls < 5; i++ {
			if p.sb.SMSCalls()-calls != i+1 {
				t.Fatalf("after %d backoffs the gateway was called %d times", i, p.sb.SMSCalls()-calls)
			}
			clk.Advance(5 * time.Minute) // past the longest backoff (4 min)
			p.settleTexts(users...)
		}
		if n := p.sb.SMSCalls() - calls; n != 5 {
			t.Errorf("gateway called %d times, want 5 attempts", n)
		}
		if got := textsTo(p.sb, number[flaky]); len(got) != 0 {
			t.Errorf("texts sent despite the failures: %v", got)
		}
		lines := fates(t, p.product, number[flaky])
		if !hasLine(lines, "短信发送失败", "InternalError.Timeout", "已转为工作人员电话联系任务") {
			t.Errorf("timeline does not show the failed text:\n%s", strings.Join(lines, "\n"))
		}
		if !phoneTask(p.sb, number[flaky]) {
			t.Errorf("duty staff got no phone task for %s", number[flaky])
		}
	})

	t.Run("a number that cannot get texts is phoned at once", func(t *testing.T) {
		p.sb.FailSMS("FailedOperation.PhoneNumberInBlacklist", "InternalError.Timeout")
		calls := p.sb.SMSCalls()
		resolve(blocked, "已恢复发放")
		p.settleTexts(users...)
		if n := p.sb.SMSCalls() - calls; n != 1 {
			t.Errorf("gateway called %d times for a blocked number, want 1", n)
		}
		p.sb.FailSMS() // the second failure stays queued: take it away
		if !phoneTask(p.sb, number[blocked]) {
			t.Errorf("duty staff got no phone task for %s", number[blocked])
		}
		lines := fates(t, p.product, number[blocked])
		if !hasLine(lines, "号码无法接收短信") {
			t.Errorf("timeline does not say why:\n%s", strings.Join(lines, "\n"))
		}
	})

	// Every text has one final fate, on its case's timeline.
	for _, u := range users {
		c, err := p.app.Repo().GetCase(ctx, number[u])
		if err != nil {
			t.Fatal(err)
		}
		texts, err := p.app.Repo().(cases.SMSStore).CaseSMS(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		tl, err := p.app.Repo().Timeline(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		onTimeline := map[int64]string{}
		for _, e := range tl {
			var d struct {
				ID     int64  `json:"sms_id"`
				Status string `json:"status"`
			}
			if e.Kind == cases.EventNotification && json.Unmarshal([]byte(e.Data), &d) == nil && d.ID != 0 {
				onTimeline[d.ID] = d.Status
			}
		}
		if len(texts) != 1 {
			t.Errorf("%s: %d texts, want one per answer", u, len(texts))
		}
		for _, s := range texts {
			if s.Status != cases.SMSSent && s.Status != cases.SMSFailed {
				t.Errorf("%s: text %d is %s", u, s.ID, s.Status)
			}
			if onTimeline[s.ID] != string(s.Status) {
				t.Errorf("%s: text %d is %s, its timeline says %q", u, s.ID, s.Status, onTimeline[s.ID])
			}
		}
	}
}

func phoneTask(sb *sandbox.Sandbox, number string) bool {
	for _, m := range sb.AppInbox("zhangsan") {
		if strings.Contains(m.Text, fmt.Sprintf("【电话联系】案件 %s", number)) && strings.Contains(m.Text, "短信未能发出") {
			return true
		}
	}
	return false
}

// On the embedded default (no WeCom corp) the product texts through its own
// sandbox, mounted under /sandbox: the text shows on the sandbox page.
func TestEmbeddedDefaultTextsThroughItsSandbox(t *testing.T) {
	cfg := configs.Default()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DBDSN = "file:" + t.TempDir() + "/bcs.db"
	cfg.DataKeyFile = t.TempDir() + "/data.key"
	cfg.Directory = "../configs/directory.example.yaml"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), cfg, Options{Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	defer a.Close(context.Background())
	if a.sms == nil || a.Sandbox() == nil {
		t.Fatal("the embedded default has no SMS fallback")
	}
	p := &product{t: t, app: a, sb: a.Sandbox(), cfg: cfg}
	user := "wmEmbedded"
	number := reportCase(t, p, user, "养老金从上个月开始停发了")
	p.act("zhangsan",
		staff.Command{Verb: "受理", Action: cases.ActionAccept, CaseRef: number},
		staff.Command{Verb: "派单", Action: cases.ActionAssign, CaseRef: number, Dept: "养老保险科"})
	p.settle()
	// The citizen wrote two days ago (the sandbox runs on the real clock).
	ctx := context.Background()
	c, err := a.Repo().GetContact(ctx, "wkSANDBOX001", user)
	if err != nil {
		t.Fatal(err)
	}
	c.LastInboundAt = time.Now().Add(-49 * time.Hour)
	if err := a.Repo().SaveContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	p.act("zhouba", staff.Command{Verb: "办结", Action: cases.ActionResolve, CaseRef: number, Text: "已恢复发放"})
	if err := p.sb.WaitFor(timeout(t), func() bool { return len(textsTo(p.sb, number)) == 1 }); err != nil {
		t.Fatalf("no text on the sandbox page: %v", p.sb.SMS())
	}
	if got := textsTo(p.sb, number)[0]; got.Phone != "138****5678" || !strings.Contains(got.Text, "已恢复发放") {
		t.Errorf("text = %+v", got)
	}
}
