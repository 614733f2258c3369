package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"banchengshi/cases"
	"banchengshi/sandbox"
	"banchengshi/staff"
)

// send has the citizen send a voice message, photo or file and waits for the
// product's answer.
func (p *product) send(user, msgtype string, data []byte, name string) sandbox.ChatLine {
	p.t.Helper()
	before := len(p.botLines(user))
	if _, err := p.sb.CitizenSends(context.Background(), user, msgtype, data, name); err != nil {
		p.t.Fatalf("citizen sends %s: %v", msgtype, err)
	}
	return p.waitReply(user, before)
}

// staffSays has a staff member type to the app and waits for the answer.
func (p *product) staffSays(user, text string) sandbox.AppMessage {
	p.t.Helper()
	before := len(p.sb.AppInbox(user))
	if err := p.sb.StaffSays(context.Background(), user, text); err != nil {
		p.t.Fatalf("%s says %q: %v", user, text, err)
	}
	return p.waitApp(user, before)
}

func (p *product) waitApp(user string, before int) sandbox.AppMessage {
	p.t.Helper()
	if !waitUntil(func() bool { return len(p.sb.AppInbox(user)) > before }) {
		p.t.Fatalf("%s got no answer", user)
	}
	in := p.sb.AppInbox(user)
	return in[len(in)-1]
}

// untilCase waits until the staff API shows the case as cond wants it, and
// returns it.
func (p *product) untilCase(number, what string, cond func(apiCase) bool) apiCase {
	p.t.Helper()
	var c apiCase
	if !waitUntil(func() bool { c = p.caseDetail(number).Case; return cond(c) }) {
		p.t.Fatalf("case %s is not %s: %+v", number, what, c)
	}
	return c
}

// amr is the header of an AMR-NB file followed by silence frames.
var amr = append([]byte("#!AMR\n"), []byte(strings.Repeat("\x3c\x48\xf5\x5f\x96\x66\x79\xe1\xe0\x01\xe7\x8a\xf0\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 50))...)

// png is a 1×1 picture.
var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")

// Issue 3: one whole report with a voice message and a photo, ending with
// the case, its attachments and its timeline in MySQL.
func TestReportWithVoiceAndPhotoOnMySQL(t *testing.T) {
	p := startProduct(t, onMySQL)
	user := "wmNeighbour"
	p.say(user, "你好")
	p.say(user, "反映问题")
	p.say(user, "3") // a neighbour or friend
	p.say(user, "老李")
	p.say(user, "邻居")
	p.say(user, "1")   // he knows and agrees
	p.say(user, "王阿姨") // how to address the neighbour
	p.say(user, "不知道")
	p.say(user, "2") // call the affected person
	p.say(user, "0571-88886666")
	p.say(user, "退休")
	p.say(user, "区社保窗口")
	p.say(user, "去年6月")
	p.say(user, "说单位档案找不到，办不了")
	p.send(user, "voice", amr, "")
	p.send(user, "image", png, "")
	p.say(user, "原单位破产了，老李病得下不了床")
	p.say(user, "说完了")
	done := p.say(user, "确认")
	number := findNumber(done.Text)
	if number == "" {
		t.Fatalf("no case number:\n%s", chatText(p.sb.Chat(user)))
	}
	d := p.caseDetail(number)
	if c := d.Case; c.Affected.Name != "老李" || c.ReporterName != "王阿姨" || c.Relation == "本人" || c.TriedWindow == "" || !strings.Contains(c.Description, "破产") {
		t.Errorf("stored case: %+v", c)
	}
	// The files are kept with the case, bytes and all: staff open them on
	// the case page.
	page := signInHTTP(t, p.app.URL(), "sunqi")
	kinds := map[string]bool{}
	for _, a := range d.Attachments {
		kinds[a.Kind] = true
		if body := page(fmt.Sprintf("%s/web/attachments/%d", p.app.URL(), a.ID)); a.Size == 0 || int64(len(body)) != a.Size {
			t.Errorf("attachment %d (%s): %d bytes served, size %d", a.ID, a.Kind, len(body), a.Size)
		}
	}
	if !kinds["voice"] || !kinds["image"] {
		t.Errorf("attachments kept: %+v", d.Attachments)
	}
	counts := map[cases.EventKind]int{}
	for _, e := range d.Timeline {
		counts[e.Kind]++
	}
	if counts[cases.EventSubmitted] != 1 || counts[cases.EventAttachment] != 2 || counts[cases.EventMessageIn] == 0 {
		t.Errorf("timeline kinds: %v", counts)
	}
}

// Issue 4: a citizen reports; two duty staff get the card; both click accept
// — one wins, the other is told who did; the case goes to two departments;
// the handler asks for material, the citizen sends a photo, the handler sees
// it; the handler resolves; the citizen reads the answer in the chat.
func TestStaffHandleACaseEndToEnd(t *testing.T) {
	p := startProduct(t, onSQLite)
	user := "wmPensioner"
	number := reportCase(t, p, user, "外省的养老金停发了，说生存认证没通过")
	ctx := context.Background()

	var card *sandbox.Card
	for _, staff := range []string{"zhangsan", "lisi"} {
		eventually(t, staff+" gets the new-case card", func() bool { return len(p.sb.AppInbox(staff)) > 0 })
		card = p.sb.AppInbox(staff)[0].Card
		if card == nil {
			t.Fatalf("%s got no card: %+v", staff, p.sb.AppInbox(staff)[0])
		}
	}
	p.settleCases(number)

	// Both click 受理 at nearly the same time: one wins, the other is told
	// who. WeCom refuses a click on a card already updated: then 李四 saw
	// the winner on the card itself.
	beforeLisi := len(p.sb.AppInbox("lisi"))
	if err := p.sb.StaffClicks(ctx, "zhangsan", card.TaskID, "accept:"+number); err != nil {
		t.Fatal(err)
	}
	lisiClicked := true
	if err := p.sb.StaffClicks(ctx, "lisi", card.TaskID, "accept:"+number); err != nil {
		if !strings.Contains(err.Error(), "already updated") {
			t.Fatal(err)
		}
		lisiClicked = false
	}
	p.untilCase(number, "accepted", func(c apiCase) bool { return c.Status == cases.StatusAccepted })
	if lisiClicked {
		eventually(t, "李四 told who took the case", func() bool { return anyText(p.sb.AppInbox("lisi")[beforeLisi:], "张三") })
	}
	eventually(t, "李四's card shows who took the case", func() bool {
		return strings.Contains(cardText(p.sb.AppInbox("lisi")[0].Card), "已由 张三 受理")
	})

	short := number[len(number)-4:]
	p.staffSays("zhangsan", "派单 "+short+" 养老保险科 协办 社保中心")
	c := p.untilCase(number, "assigned", func(c apiCase) bool { return c.Status == cases.StatusAssigned })
	if len(c.CoDepts) != 1 {
		t.Fatalf("assigned to lead %s, co-handlers %v; want one co-handler", c.LeadDept, c.CoDepts)
	}

	handler := firstHandler(t, c.LeadDept)
	p.settleCases(number)
	if today := p.staffSays(handler, "今日"); !strings.Contains(today.Text, number) {
		t.Errorf("the handler's 今日 list lacks their department's new case: %q", today.Text)
	}
	p.staffSays(handler, "补充 "+short+" 请发一张外省社保卡的照片")
	if !waitUntil(func() bool { l := p.botLines(user); return strings.Contains(l[len(l)-1].Text, "外省社保卡") }) {
		t.Fatalf("the citizen was not asked for material:\n%s\n%s\n%s was told: %+v", chatText(p.sb.Chat(user)), p.describe(number), handler, p.sb.AppInbox(handler))
	}
	// An elderly citizen just sends the photo, without typing 补充 first.
	if got := p.send(user, "image", png, ""); !strings.Contains(got.Text, number) {
		t.Errorf("the photo was not taken as the material asked for:\n%s", chatText(p.sb.Chat(user)))
	}
	p.say(user, "好了")
	eventually(t, "the photo on the case", func() bool { return len(p.caseDetail(number).Attachments) > 0 })
	p.settleCases(number)
	if atts := p.caseDetail(number).Attachments; len(atts) != 1 {
		t.Fatalf("the photo reached the case as %d attachments, want 1", len(atts))
	}
	if !waitUntil(func() bool { return anyText(p.sb.AppInbox(handler), "补充了材料") }) {
		t.Errorf("the handler was not told of the supplement: %+v", p.sb.AppInbox(handler))
	}

	p.staffSays(handler, "办结 "+short+" 已与外省社保中心核实，恢复发放，补发3个月养老金。")
	p.untilCase(number, "resolved", func(c apiCase) bool { return c.Status == cases.StatusResolved })
	if !waitUntil(func() bool { return strings.Contains(chatText(p.sb.Chat(user)), "恢复发放") }) {
		t.Errorf("the citizen did not receive the answer:\n%s", chatText(p.sb.Chat(user)))
	}

	// The follow-up: the citizen says it is not really solved; the case is
	// reopened and the supervisors are alerted.
	var unsolved string
	if !waitUntil(func() bool {
		last := p.botLines(user)[len(p.botLines(user))-1]
		for _, m := range last.Menu {
			if strings.HasSuffix(m.ID, ":0") {
				unsolved = m.ID
			}
		}
		return unsolved != ""
	}) {
		t.Fatalf("the answer came without the follow-up question:\n%s", chatText(p.sb.Chat(user)))
	}
	before := len(p.botLines(user))
	if _, err := p.sb.CitizenTaps(ctx, user, unsolved, "问题没解决"); err != nil {
		t.Fatal(err)
	}
	p.waitReply(user, before)
	p.say(user, "钱只补发了一个月")
	p.untilCase(number, "reopened", func(c apiCase) bool { return c.Status == cases.StatusAssigned && c.Reopened == 1 })
	if !waitUntil(func() bool { return anyText(p.sb.AppInbox("sunqi"), "钱只补发了一个月") }) {
		t.Errorf("the supervisor was not alerted with the reason: %+v", p.sb.AppInbox("sunqi"))
	}
}

func cardText(c *sandbox.Card) string {
	if c == nil {
		return ""
	}
	var b strings.Builder
	for _, btn := range c.Buttons {
		b.WriteString(btn.Text)
	}
	b.WriteString(c.Replaced)
	return b.String()
}

func anyText(in []sandbox.AppMessage, s string) bool {
	for _, m := range in {
		if strings.Contains(m.Text, s) {
			return true
		}
	}
	return false
}

// firstHandler is a handler of dept in the directory the product was given.
func firstHandler(t *testing.T, dept string) string {
	t.Helper()
	dir, err := staff.LoadDirectory(filepath.Join("..", "configs", "directory.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range dir.Handlers(dept) {
		return m.ID
	}
	t.Fatalf("no handler in %s", dept)
	return ""
}

// Issue 4: while a staff member has the chat as a human servicer (kf state 3),
// the bot keeps quiet and both sides' words land on the case's timeline.
func TestHumanServicerTakesTheChat(t *testing.T) {
	p := startProduct(t, onSQLite)
	user := "wmServiced"
	number := reportCase(t, p, user, "档案里的出生日期和身份证不一样，退休时间算错了")
	ctx := context.Background()
	p.settleCases(number)
	botBefore := len(p.botLines(user))

	p.sb.SetServiceState("wkSANDBOX001", user, 3, "zhangsan")
	if err := p.sb.ServicerSays(ctx, "wkSANDBOX001", user, "zhangsan", "您好，我是窗口的张三，您的档案我们调出来了。"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.sb.CitizenSays(ctx, user, "好的，谢谢你们"); err != nil {
		t.Fatal(err)
	}
	var servicer, citizen bool
	if !waitUntil(func() bool {
		servicer, citizen = false, false
		for _, e := range p.caseDetail(number).Timeline {
			servicer = servicer || (e.Kind == cases.EventServicerMsg && strings.Contains(e.Body, "档案我们调出来了") && e.Actor == "staff:zhangsan")
			citizen = citizen || (e.Kind == cases.EventMessageIn && e.Body == "好的，谢谢你们")
		}
		return servicer && citizen
	}) {
		t.Errorf("timeline lacks the servicer's (%v) or the citizen's (%v) words: %+v", servicer, citizen, p.caseDetail(number).Timeline)
	}

	// Had the bot answered the citizen, its answer would be queued before
	// a reply staff send now, and have its fate by the time that reply
	// has: the reply waits while a person has the chat, and is the only
	// fate counted.
	eventually(t, "every message to the citizen counted", func() bool {
		return p.metric(`bcs_notifications_total{channel="kf",fate="sent"}`) == float64(len(p.botLines(user)))
	})
	fates := p.kfFates()
	p.staffSays("zhangsan", "回复 "+number+" 我们正在核对您的出生日期")
	var reply apiNotification
	eventually(t, "the staff reply's fate", func() bool {
		for _, n := range p.caseDetail(number).Notifications {
			if strings.Contains(n.Message.Text, "核对您的出生日期") && n.Status != cases.OutboxPending {
				reply = n
				return true
			}
		}
		return false
	})
	if reply.Status != cases.OutboxHeld {
		t.Errorf("a reply while a person has the chat is %s (%s), want held", reply.Status, reply.LastError)
	}
	if got := p.kfFates() - fates; got != 1 {
		t.Errorf("%v fates of messages to the citizen since the person took the chat, want only the reply's:\n%s", got, p.counted())
	}
	if got := len(p.botLines(user)); got != botBefore {
		t.Errorf("the bot spoke while a person had the chat:\n%s", chatText(p.sb.Chat(user)))
	}
}

// kfFates counts every fate of a message to a citizen the product has
// recorded.
func (p *product) kfFates() float64 {
	p.t.Helper()
	var n float64
	for k, v := range p.metrics() {
		if strings.HasPrefix(k, `bcs_notifications_total{channel="kf",`) {
			n += v
		}
	}
	return n
}
