package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/configs"
	clock "banchengshi/internal/clocktest"
	"banchengshi/pii"
	"banchengshi/sandbox"
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

// textsTo returns the sandbox gateway's texts that mention a case.
func textsTo(sb *sandbox.Sandbox, number string) []sandbox.SMSText {
	return textsAbout(sb.SMS(), number)
}

func textsAbout(texts []sandbox.SMSText, number string) []sandbox.SMSText {
	var out []sandbox.SMSText
	for _, s := range texts {
		if strings.Contains(s.Text, number) {
			out = append(out, s)
		}
	}
	return out
}

// fates returns the notification lines of a case's timeline.
func fates(p *product, number string) []string {
	p.t.Helper()
	var out []string
	for _, e := range p.caseDetail(number).Timeline {
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

// untilLine waits until a notification line of the case's timeline has
// every part.
func (p *product) untilLine(number string, parts ...string) {
	p.t.Helper()
	if !waitUntil(func() bool { return hasLine(fates(p, number), parts...) }) {
		p.t.Fatalf("the timeline of %s lacks a line with %q:\n%s", number, parts, strings.Join(fates(p, number), "\n"))
	}
}

// Texts by outcome, as /metrics counts them: one per call to the provider.
const (
	smsSent   = `bcs_notifications_total{channel="sms",fate="sent"}`
	smsRetry  = `bcs_notifications_total{channel="sms",fate="retry"}`
	smsFailed = `bcs_notifications_total{channel="sms",fate="failed"}`
)

// A case answered after the citizen's 48-hour window has closed: the answer
// reaches them by SMS in the sandbox, the timeline says so, and the rest of
// the same answer sends no second text. Provider errors are retried with
// backoff; a text that keeps failing, or that can never succeed, ends as a
// phone task for the duty staff.
func TestSMSFallback(t *testing.T) {
	for _, b := range []backend{onSQLite, onMySQL, onMySQLRedis} {
		t.Run(string(b), func(t *testing.T) { smsFallback(t, b) })
	}
}

func smsFallback(t *testing.T, b backend) {
	clk := clock.NewFake(time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)) // Monday 09:00 in Shanghai
	p := startTexting(t, b, clk)
	answered, long, flaky, blocked := "wmAnswered", "wmLongAnswer", "wmFlaky", "wmBlockedNumber"
	users := []string{answered, long, flaky, blocked}
	number := map[string]string{}
	for _, u := range users {
		number[u] = reportCase(t, p.product, u, "养老金从上个月开始停发了，问了好几次都说不清楚")
		p.act("zhangsan", number[u], "受理 "+number[u])
		p.act("zhangsan", number[u], "派单 "+number[u]+" 养老保险科")
	}
	p.settle(number)
	// The citizens go quiet; two days later their windows have closed.
	clk.Advance(49 * time.Hour)
	p.settle(number)
	for _, u := range users {
		for _, n := range p.caseDetail(number[u]).Notifications {
			if n.Status == cases.OutboxSMS {
				t.Errorf("%q went by SMS before anything urgent happened (progress is chatter)", n.Message.Text)
			}
		}
	}
	if n := len(p.sb.SMS()); n != 0 {
		t.Fatalf("%d texts before anything urgent happened: %v", n, p.sb.SMS())
	}
	botBefore := map[string]int{}
	for _, u := range users {
		botBefore[u] = len(p.botLines(u))
	}
	resolve := func(u, answer string) {
		p.act("zhouba", number[u], "办结 "+number[u]+" "+answer)
	}

	t.Run("answer by SMS", func(t *testing.T) {
		resolve(answered, "已恢复发放并补发停发期间的养老金")
		p.untilLine(number[answered], "短信已发送给群众")
		p.settle(number)
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
		lines := fates(p.product, number[answered])
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

	t.Run("a long answer and its question are one event", func(t *testing.T) {
		calls := p.sb.SMSCalls()
		answer := strings.Repeat("经核实，您的养老保险关系已从外省转入，停发期间的待遇将一并补发。", 12)
		resolve(long, answer)
		p.untilLine(number[long], "短信已发送给群众")
		p.untilLine(number[long], "同一事项已发短信告知")
		p.settle(number)
		viaSMS := 0
		for _, n := range p.caseDetail(number[long]).Notifications {
			if n.Status == cases.OutboxSMS {
				viaSMS++
			}
		}
		got := textsTo(p.sb, number[long])
		if viaSMS != 2 || len(got) != 1 || p.sb.SMSCalls() != calls+1 {
			t.Fatalf("%d messages went by SMS in %d texts, %d calls; want the answer and the question in one text, one call",
				viaSMS, len(got), p.sb.SMSCalls()-calls)
		}
		if !strings.Contains(got[0].Text, "全文请在微信客服中回复“查询”查看") {
			t.Errorf("a long answer is cut without saying where the rest is: %q", got[0].Text)
		}
	})

	t.Run("provider errors are retried, then phoned", func(t *testing.T) {
		// Five timeouts: every attempt fails, with backoff between them.
		p.sb.FailSMS(strings.Split(strings.Repeat("InternalError.Timeout,", 5), ",")[:5]...)
		calls, retries, failed := p.sb.SMSCalls(), p.metric(smsRetry), p.metric(smsFailed)
		resolve(flaky, "已恢复发放")
		for i := 1; i <= 5; i++ {
			if i > 1 {
				clk.Advance(5 * time.Minute) // past the longest backoff (4 min)
			}
			// The attempt is made and its outcome recorded (the backoff
			// counts from then) before the clock moves on.
			if !waitUntil(func() bool { return p.metric(smsRetry)-retries+p.metric(smsFailed)-failed >= float64(i) }) {
				t.Fatalf("attempt %d was not made: the gateway was called %d times", i, p.sb.SMSCalls()-calls)
			}
			if n := p.sb.SMSCalls() - calls; n != i {
				t.Fatalf("after %d backoffs the gateway was called %d times", i-1, n)
			}
		}
		p.untilLine(number[flaky], "短信发送失败", "InternalError.Timeout", "已转为工作人员电话联系任务")
		if !waitUntil(func() bool { return phoneTask(p.sb, number[flaky]) }) {
			t.Errorf("duty staff got no phone task for %s", number[flaky])
		}
		clk.Advance(5 * time.Minute)
		p.settle(number)
		if n := p.sb.SMSCalls() - calls; n != 5 {
			t.Errorf("gateway called %d times, want 5 attempts", n)
		}
		if got := textsTo(p.sb, number[flaky]); len(got) != 0 {
			t.Errorf("texts sent despite the failures: %v", got)
		}
	})

	t.Run("a number that cannot get texts is phoned at once", func(t *testing.T) {
		p.sb.FailSMS("FailedOperation.PhoneNumberInBlacklist")
		calls := p.sb.SMSCalls()
		resolve(blocked, "已恢复发放")
		p.untilLine(number[blocked], "号码无法接收短信")
		if !waitUntil(func() bool { return phoneTask(p.sb, number[blocked]) }) {
			t.Errorf("duty staff got no phone task for %s", number[blocked])
		}
		// A retry would be due by now, and the gateway would take it.
		clk.Advance(5 * time.Minute)
		p.settle(number)
		if n := p.sb.SMSCalls() - calls; n != 1 {
			t.Errorf("gateway called %d times for a blocked number, want 1", n)
		}
	})

	// Every text has one final fate, on its case's timeline, and it is what
	// the gateway and the duty staff saw.
	for _, u := range users {
		onTimeline := map[int64]string{}
		for _, e := range p.caseDetail(number[u]).Timeline {
			if e.Kind != cases.EventNotification {
				continue
			}
			var d struct {
				ID     int64  `json:"sms_id"`
				Status string `json:"status"`
			}
			if err := json.Unmarshal([]byte(e.Data), &d); err != nil {
				t.Fatalf("%s: timeline entry %q: %v", u, e.Data, err)
			}
			if d.ID != 0 {
				onTimeline[d.ID] = d.Status
			}
		}
		if len(onTimeline) != 1 {
			t.Errorf("%s: %d texts on the timeline (%v), want one per answer", u, len(onTimeline), onTimeline)
		}
		for id, status := range onTimeline {
			sent := len(textsTo(p.sb, number[u]))
			switch {
			case status == string(cases.SMSSent) && sent == 1:
			case status == string(cases.SMSFailed) && sent == 0 && phoneTask(p.sb, number[u]):
			default:
				t.Errorf("%s: text %d is %q on the timeline; the gateway sent %d texts, phone task %v", u, id, status, sent, phoneTask(p.sb, number[u]))
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

// sandboxPage drives the sandbox's page over HTTP, as the page does in a
// browser: what citizens and staff say, what they were sent, the texts.
type sandboxPage struct {
	t    *testing.T
	base string // ends in /sandbox
}

func (s sandboxPage) do(req *http.Request, into any) {
	s.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		s.t.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, res.StatusCode, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		s.t.Fatalf("%s %s: %v\n%s", req.Method, req.URL.Path, err, body)
	}
}

func (s sandboxPage) get(path string, q url.Values, into any) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+path+"?"+q.Encode(), nil)
	if err != nil {
		s.t.Fatal(err)
	}
	s.do(req, into)
}

func (s sandboxPage) post(path string, v any) {
	s.t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		s.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.base+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	var ok map[string]string
	s.do(req, &ok)
}

func (s sandboxPage) botLines(user string) []sandbox.ChatLine {
	s.t.Helper()
	var chat, out []sandbox.ChatLine
	s.get("/api/chat", url.Values{"user": {user}}, &chat)
	for _, l := range chat {
		if l.From == "bot" && l.ErrCode == 0 {
			out = append(out, l)
		}
	}
	return out
}

// report walks a citizen through reportScript and returns their case number.
func (s sandboxPage) report(user string) string {
	s.t.Helper()
	var last string
	for i, step := range reportScript {
		s.post("/api/say", map[string]string{"user": user, "text": step.say})
		if !waitUntil(func() bool { return len(s.botLines(user)) > i }) {
			s.t.Fatalf("no answer to %q", step.say)
		}
		if last = s.botLines(user)[i].Text; !strings.Contains(last, step.expect) {
			s.t.Fatalf("answer %d to %q is %q, want it to mention %q", i+1, step.say, last, step.expect)
		}
	}
	number := findNumber(last)
	if number == "" {
		s.t.Fatalf("no case number in %q", last)
	}
	return number
}

// On the embedded default (no WeCom corp) the product texts through its own
// sandbox, mounted under /sandbox, on the product's clock: the text shows on
// the sandbox page.
func TestEmbeddedDefaultTextsThroughItsSandbox(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)) // Monday 09:00 in Shanghai
	cfg := configs.Default()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DBDSN = "file:" + t.TempDir() + "/bcs.db"
	cfg.DataKeyFile = t.TempDir() + "/data.key"
	cfg.Directory = "../configs/directory.example.yaml"
	cfg.AdminToken = "test-admin-" + pii.NewKey()[:16]
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	opt := Options{Log: testLogger(t), Now: clk.Now, WorkerInterval: 20 * time.Millisecond}
	a, err := New(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	p := &product{t: t, app: a, cfg: cfg, opt: opt}
	t.Cleanup(p.stop)
	page := sandboxPage{t: t, base: a.URL() + "/sandbox"}

	number := page.report("wmEmbedded")
	for _, cmd := range []string{"受理 " + number, "派单 " + number + " 养老保险科"} {
		page.post("/api/staff/say", map[string]string{"user": "zhangsan", "text": cmd})
	}
	p.untilCase(number, "assigned", func(c apiCase) bool { return c.Status == cases.StatusAssigned })
	p.settleCases(number)
	clk.Advance(49 * time.Hour) // the citizen wrote two days ago
	page.post("/api/staff/say", map[string]string{"user": "zhouba", "text": "办结 " + number + " 已恢复发放"})
	var texts []sandbox.SMSText
	if !waitUntil(func() bool { page.get("/api/sms", nil, &texts); return len(textsAbout(texts, number)) > 0 }) {
		t.Fatalf("no text on the sandbox page: %v", texts)
	}
	if got := textsAbout(texts, number); len(got) != 1 || got[0].Phone != "138****5678" || !strings.Contains(got[0].Text, "已恢复发放") {
		t.Errorf("texts = %+v, want the answer to 138****5678", got)
	}
}
