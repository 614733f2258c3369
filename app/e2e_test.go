package app

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/sandbox"
	"banchengshi/wecom"
)

func menuText(l sandbox.ChatLine) string {
	var b strings.Builder
	for _, m := range l.Menu {
		b.WriteString(m.Content)
	}
	return b.String()
}

// reportCase walks one citizen through a whole report and returns the number
// the bot gave them. The citizen reports for themselves and gives their name,
// which the stored case must carry.
func reportCase(t *testing.T, p *product, user, problem string) string {
	t.Helper()
	p.say(user, "你好")
	p.say(user, "1")           // 反映问题
	p.say(user, "1")           // 我本人
	p.say(user, reporterName)  // their name
	p.say(user, "不知道")         // ID number
	p.say(user, "13812345678") // phone
	p.say(user, "1")           // the first category
	p.say(user, "没有")          // no window tried before
	p.say(user, problem)
	p.say(user, "说完了")
	done := p.say(user, "确认")
	number := findNumber(done.Text)
	if number == "" {
		t.Fatalf("no case number in the last answer:\n%s", chatText(p.sb.Chat(user)))
	}
	c := p.caseDetail(number).Case
	if c.Affected.Name != reporterName || c.ReporterName != reporterName {
		t.Errorf("case %s: affected %q, reporter %q; want both %q", number, c.Affected.Name, c.ReporterName, reporterName)
	}
	return number
}

// reporterName is the name reportCase's citizen gives.
const reporterName = "王桂香"

func findNumber(s string) string {
	i := strings.Index(s, "BC")
	if i < 0 || len(s) < i+12 {
		return ""
	}
	return s[i : i+12]
}

func TestCitizenReportBecomesACase(t *testing.T) {
	for _, b := range []backend{onSQLite, onMySQL, onMySQLRedis} {
		t.Run(string(b), func(t *testing.T) {
			p := startProduct(t, b)
			number := reportCase(t, p, "wmCitizen1", "我的养老保险关系转不过来，跑了两年了")
			d := p.caseDetail(number)
			c := d.Case
			// The API masks the phone number, as every display does.
			if c.ReporterID != "wmCitizen1" || c.ContactPhone != "138****5678" || !strings.Contains(c.Description, "养老保险") {
				t.Errorf("stored case: %+v", c)
			}
			if c.Status != cases.StatusSubmitted || c.Deadline.IsZero() || c.LeadDept == "" {
				t.Errorf("case not started on its lifecycle: status %s deadline %v dept %q", c.Status, c.Deadline, c.LeadDept)
			}
			if len(d.Timeline) == 0 {
				t.Fatal("the case has no timeline")
			}
			// The window's duty staff got a card for the new case.
			eventually(t, "a card for the duty staff", func() bool { return len(p.sb.AppInbox("zhangsan")) > 0 })
			if card := p.sb.AppInbox("zhangsan")[0].Card; card == nil || !strings.Contains(card.TaskID, number) {
				t.Errorf("duty staff got %+v", p.sb.AppInbox("zhangsan")[0])
			}
		})
	}
}

// WeCom's repeats of a callback are acknowledged and change nothing: they
// are recognised at the door, and the citizen's next message gets the one
// answer it is owed.
func TestRepeatedCallbackChangesNothing(t *testing.T) {
	p := startProduct(t, onSQLite)
	user := "wmCitizen2"
	p.say(user, "你好")
	replay := p.sb.LastCallback()
	before := len(p.sb.Chat(user))
	const repeat = `bcs_callbacks_total{kind="kf_event",result="repeat"}`
	for i := 0; i < 3; i++ {
		resp, err := p.sb.Deliver(context.Background(), replay)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("repeat #%d answered %d", i+1, resp.StatusCode)
		}
	}
	eventually(t, "three repeats counted", func() bool { return p.metric(repeat) >= 3 })
	if got := p.metric(repeat); got != 3 {
		t.Errorf("%v callbacks counted as repeats, want 3", got)
	}
	// Whatever a repeat could have set off is done before the next
	// message is answered: the citizen's messages are handled in order.
	if reply := p.say(user, "1"); !strings.Contains(reply.Text, "谁遇到的") {
		t.Errorf("the next message was answered with %q", reply.Text)
	}
	if after := len(p.sb.Chat(user)); after != before+2 {
		t.Fatalf("a repeated callback changed the chat:\n%s", chatText(p.sb.Chat(user)))
	}
}

// A restart loses nothing and repeats nothing: a message that arrived while
// the product was down is pulled from the saved cursor when WeCom retries
// the callback, and what was handled before is not handled again.
func TestRestartResumesFromSavedCursor(t *testing.T) {
	for _, b := range []backend{onSQLite, onMySQL} {
		t.Run(string(b), func(t *testing.T) {
			p := startProduct(t, b)
			user := "wmCitizen3"
			p.say(user, "你好")
			p.stop()

			if _, err := p.sb.CitizenSays(context.Background(), user, "1"); err == nil {
				t.Fatal("the callback reached a stopped product")
			}
			missed := p.sb.LastCallback()

			p.start()
			resp, err := p.sb.Deliver(context.Background(), missed) // WeCom's retry
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			reply := p.waitReply(user, 1)
			if !strings.Contains(reply.Text, "谁遇到的") {
				t.Fatalf("the missed message was not handled:\n%s\n%s", chatText(p.sb.Chat(user)), p.counted())
			}
			// Messages are handled in order: had the restart pulled 你好
			// again, it would have been handled before the message it missed.
			const handled = `bcs_kf_messages_total{result="handled"}`
			eventually(t, "the missed message counted", func() bool { return p.metric(handled) >= 1 })
			if got := p.metric(handled); got != 1 {
				t.Errorf("the restarted product handled %v messages, want the one it missed", got)
			}
			if got := len(p.botLines(user)); got != 2 {
				t.Fatalf("want 2 bot answers (greeting, question), got %d:\n%s", got, chatText(p.sb.Chat(user)))
			}
		})
	}
}

// Callbacks that fail verification get 4xx from the running product and
// change nothing.
func TestForgedCallbacksRefused(t *testing.T) {
	p := startProduct(t, onSQLite)
	p.say("wmCitizen4", "你好")
	good := p.sb.LastCallback()
	sc := p.sb.Config()

	post := func(query, body string) int {
		resp, err := http.Post(p.app.URL()+"/wecom/callback?"+query, "text/xml", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	sealed := func(c *wecom.Crypter, plain []byte) (string, string) {
		body, sig, err := c.Seal(plain, "1700000000", "nonce1")
		if err != nil {
			t.Fatal(err)
		}
		return "msg_signature=" + sig + "&timestamp=1700000000&nonce=nonce1", string(body)
	}
	ours, err := wecom.NewCrypter(sc.Token, sc.EncodingAESKey, sc.CorpID)
	if err != nil {
		t.Fatal(err)
	}
	otherCorp, err := wecom.NewCrypter(sc.Token, sc.EncodingAESKey, "wwsomeoneelse")
	if err != nil {
		t.Fatal(err)
	}
	q, body := sealed(ours, good)
	if got := post(q, body); got != 200 {
		t.Fatalf("a genuine callback answered %d", got)
	}
	tampered := strings.Replace(q, "msg_signature=", "msg_signature=0", 1)
	if got := post(tampered, body); got != 401 {
		t.Errorf("tampered signature answered %d, want 401", got)
	}
	q2, body2 := sealed(otherCorp, good)
	if got := post(q2, body2); got != 403 {
		t.Errorf("wrong corp id answered %d, want 403", got)
	}
	big := strings.Repeat("x", int(p.cfg.MaxCallbackBytes)+1)
	if got := post(q, big); got != 413 {
		t.Errorf("oversized body answered %d, want 413", got)
	}
}

// A citizen who opens the chat is greeted with the event's welcome code,
// before they have written anything (send_msg would be refused then).
func TestWelcomeOnEnteringTheChat(t *testing.T) {
	p := startProduct(t, onSQLite)
	if err := p.sb.CitizenEnters(context.Background(), "wmNewcomer"); err != nil {
		t.Fatal(err)
	}
	reply := p.waitReply("wmNewcomer", 0)
	if !strings.Contains(reply.Text, "办不成事") {
		t.Fatalf("no welcome:\n%s", chatText(p.sb.Chat("wmNewcomer")))
	}
	if got := p.sb.Calls("/cgi-bin/kf/send_msg_on_event"); got != 1 {
		t.Errorf("welcome sent through send_msg_on_event %d times, want 1", got)
	}
}

// A message whose callback WeCom gave up on (the product was down for all
// three tries) is still pulled: every kf account is caught up now and then
// from its saved cursor, without waiting for somebody to write again.
func TestMissedCallbackCaughtUp(t *testing.T) {
	p := startProduct(t, onSQLite)
	user := "wmCitizen5"
	p.say(user, "你好")
	p.stop()
	if _, err := p.sb.CitizenSays(context.Background(), user, "1"); err == nil {
		t.Fatal("the callback reached a stopped product")
	}
	// Only the catch-up can find the message now: nobody writes again, and
	// WeCom gave up on its callback.
	p.opt.CatchUpEvery = 500 * time.Millisecond
	p.start()
	reply := p.waitReply(user, 1)
	if !strings.Contains(reply.Text, "谁遇到的") {
		t.Fatalf("the missed message was not handled:\n%s", chatText(p.sb.Chat(user)))
	}
}

// A citizen who asks for a person is told so, then handed to the servicers'
// waiting pool: the answer must go out before the chat leaves the bot.
func TestHandoverToAPerson(t *testing.T) {
	p := startProduct(t, onSQLite)
	user := "wmWantsAPerson"
	p.say(user, "你好")
	reply := p.say(user, "人工")
	if !strings.Contains(reply.Text, "转接") {
		t.Fatalf("no word about the handover:\n%s", chatText(p.sb.Chat(user)))
	}
	if !waitUntil(func() bool { return p.sb.Calls("/cgi-bin/kf/service_state/trans") >= 1 }) {
		t.Fatal("the chat was not handed over")
	}
	if got := p.sb.Calls("/cgi-bin/kf/service_state/trans"); got != 1 {
		t.Errorf("the chat was handed over %d times, want once", got)
	}
	for _, l := range p.sb.Chat(user) {
		if l.ErrCode != 0 {
			t.Errorf("a message was refused by WeCom (errcode %d): %q", l.ErrCode, l.Text)
		}
	}
}

// Operators see the product's counters at /metrics, behind a token of their
// own: the admin token, which reads every case, does not open it.
func TestMetrics(t *testing.T) {
	p := startProduct(t, onSQLite)
	reportCase(t, p, "wmCounted", "档案找不到了")
	get := func(token string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, p.app.URL()+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	if code, _ := get(""); code != http.StatusUnauthorized {
		t.Errorf("metrics without the token: %d, want 401", code)
	}
	if code, _ := get(p.cfg.AdminToken); code != http.StatusUnauthorized {
		t.Errorf("metrics with the admin token: %d, want 401", code)
	}
	want := []string{
		"bcs_cases_submitted_total 1",
		`bcs_callbacks_total{kind="kf_event",result="stored"}`,
		`bcs_kf_messages_total{result="handled"}`,
		`bcs_notifications_total{channel="kf",fate="sent"}`,
		"bcs_callback_seconds_bucket",
	}
	// The last answer reaches the citizen before its fate is counted.
	var missing []string
	counted := func() bool {
		code, body := get(p.cfg.MetricsToken)
		if code != http.StatusOK {
			t.Fatalf("metrics: %d", code)
		}
		missing = missing[:0]
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = append(missing, w)
			}
		}
		return len(missing) == 0
	}
	if !waitUntil(counted) {
		t.Errorf("metrics lack %s", strings.Join(missing, ", "))
	}
}
