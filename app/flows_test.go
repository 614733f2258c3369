package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/sandbox"
	"banchengshi/storage"
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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.sb.WaitFor(ctx, func() bool { return len(p.sb.AppInbox(user)) > before }); err != nil {
		p.t.Fatalf("%s got no answer", user)
	}
	in := p.sb.AppInbox(user)
	return in[len(in)-1]
}

// settle lets the product finish what it is doing: it drains the product
// until no callback, kf message or due notification waits (a background
// worker may hold one for a moment).
func (p *product) settle() {
	p.t.Helper()
	ctx := context.Background()
	repo := p.app.Repo()
	now := time.Now
	if p.opt.Now != nil {
		now = p.opt.Now
	}
	for range 100 {
		if err := p.app.Drain(ctx); err != nil {
			p.t.Fatal(err)
		}
		in, err1 := repo.PendingInbound(ctx, 1)
		kf, err2 := repo.PendingKfMessages(ctx, 1)
		// A message claimed by a sender (its next try a lease ahead) is in
		// flight: not settled yet.
		due, err3 := repo.DueOutbox(ctx, now().Add(storage.LeaseTTL), 1)
		if err := errors.Join(err1, err2, err3); err != nil {
			p.t.Fatal(err)
		}
		if len(in)+len(kf)+len(due) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.t.Fatal("the product did not settle")
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
	ctx := context.Background()
	c, err := p.app.Repo().GetCase(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if c.Affected.Name != "老李" || c.ReporterName != "王阿姨" || c.Relation == "本人" || c.TriedWindow == "" || !strings.Contains(c.Description, "破产") {
		t.Errorf("stored case: %+v", c)
	}
	atts, err := p.app.Repo().Attachments(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, a := range atts {
		kinds[a.Kind] = true
		full, err := p.app.Repo().GetAttachment(ctx, a.ID)
		if err != nil || len(full.Data) == 0 {
			t.Errorf("attachment %d has no bytes: %v", a.ID, err)
		}
	}
	if !kinds["voice"] || !kinds["image"] {
		t.Errorf("attachments kept: %+v", atts)
	}
	timeline, err := p.app.Repo().Timeline(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[cases.EventKind]int{}
	for _, e := range timeline {
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
		if err := p.sb.WaitFor(timeout(t), func() bool { return len(p.sb.AppInbox(staff)) > 0 }); err != nil {
			t.Fatalf("%s got no card", staff)
		}
		card = p.sb.AppInbox(staff)[0].Card
		if card == nil {
			t.Fatalf("%s got no card: %+v", staff, p.sb.AppInbox(staff)[0])
		}
	}
	p.settle()

	// Both click 受理 at nearly the same time: one wins, the other is told who.
	beforeLisi := len(p.sb.AppInbox("lisi"))
	if err := p.sb.StaffClicks(ctx, "zhangsan", card.TaskID, "accept:"+number); err != nil {
		t.Fatal(err)
	}
	lisiClicked := p.sb.StaffClicks(ctx, "lisi", card.TaskID, "accept:"+number) == nil
	p.settle()
	c, _ := p.app.Repo().GetCase(ctx, number)
	if c.Status != cases.StatusAccepted {
		t.Fatalf("after two clicks the case is %s", c.Status)
	}
	if lisiClicked {
		if got := p.waitApp("lisi", beforeLisi); !strings.Contains(got.Text, "张三") {
			t.Errorf("the second clicker was not told who took the case: %q", got.Text)
		}
	}
	if got := cardText(p.sb.AppInbox("lisi")[0].Card); !strings.Contains(got, "已由 张三 受理") {
		t.Errorf("lisi's card does not show who took the case: %q", got)
	}

	short := number[len(number)-4:]
	ans := p.staffSays("zhangsan", "派单 "+short+" 养老保险科 协办 社保中心")
	c, _ = p.app.Repo().GetCase(ctx, number)
	if c.Status != cases.StatusAssigned || len(c.CoDepts) != 1 {
		t.Fatalf("assign: %q; case %s lead %s co %v", ans.Text, c.Status, c.LeadDept, c.CoDepts)
	}

	handler := firstHandler(t, p, c.LeadDept)
	p.settle()
	if today := p.staffSays(handler, "今日"); !strings.Contains(today.Text, number) {
		t.Errorf("the handler's 今日 list lacks their department's new case: %q", today.Text)
	}
	p.staffSays(handler, "补充 "+short+" 请发一张外省社保卡的照片")
	p.settle()
	if !strings.Contains(p.botLines(user)[len(p.botLines(user))-1].Text, "外省社保卡") {
		t.Fatalf("the citizen was not asked for material:\n%s", chatText(p.sb.Chat(user)))
	}
	// An elderly citizen just sends the photo, without typing 补充 first.
	if got := p.send(user, "image", png, ""); !strings.Contains(got.Text, number) {
		t.Errorf("the photo was not taken as the material asked for:\n%s", chatText(p.sb.Chat(user)))
	}
	p.say(user, "好了")
	p.settle()
	atts, _ := p.app.Repo().Attachments(ctx, c.ID)
	if len(atts) != 1 {
		t.Fatalf("the photo did not reach the case: %d attachments", len(atts))
	}
	if !anyText(p.sb.AppInbox(handler), "补充了材料") {
		t.Errorf("the handler was not told of the supplement: %+v", p.sb.AppInbox(handler))
	}

	p.staffSays(handler, "办结 "+short+" 已与外省社保中心核实，恢复发放，补发3个月养老金。")
	p.settle()
	c, _ = p.app.Repo().GetCase(ctx, number)
	if c.Status != cases.StatusResolved {
		t.Fatalf("after 办结 the case is %s", c.Status)
	}
	if !strings.Contains(chatText(p.sb.Chat(user)), "恢复发放") {
		t.Errorf("the citizen did not receive the answer:\n%s", chatText(p.sb.Chat(user)))
	}

	// The follow-up: the citizen says it is not really solved; the case is
	// reopened and the supervisors are alerted.
	last := p.botLines(user)[len(p.botLines(user))-1]
	var unsolved string
	for _, m := range last.Menu {
		if strings.HasSuffix(m.ID, ":0") {
			unsolved = m.ID
		}
	}
	if unsolved == "" {
		t.Fatalf("the answer came without the follow-up question: %+v", last)
	}
	before := len(p.botLines(user))
	if _, err := p.sb.CitizenTaps(ctx, user, unsolved, "问题没解决"); err != nil {
		t.Fatal(err)
	}
	p.waitReply(user, before)
	p.say(user, "钱只补发了一个月")
	p.settle()
	c, _ = p.app.Repo().GetCase(ctx, number)
	if c.Status != cases.StatusAssigned || c.Reopened != 1 {
		t.Fatalf("after 没解决 the case is %s, reopened %d:\n%s", c.Status, c.Reopened, chatText(p.sb.Chat(user)))
	}
	if !anyText(p.sb.AppInbox("sunqi"), "钱只补发了一个月") {
		t.Errorf("the supervisor was not alerted with the reason: %+v", p.sb.AppInbox("sunqi"))
	}
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
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

func firstHandler(t *testing.T, p *product, dept string) string {
	t.Helper()
	for _, m := range p.app.desk.Directory().Handlers(dept) {
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
	p.settle()
	botBefore := len(p.botLines(user))

	p.sb.SetServiceState("wkSANDBOX001", user, 3, "zhangsan")
	if err := p.sb.ServicerSays(ctx, "wkSANDBOX001", user, "zhangsan", "您好，我是窗口的张三，您的档案我们调出来了。"); err != nil {
		t.Fatal(err)
	}
	p.settle()
	if _, err := p.sb.CitizenSays(ctx, user, "好的，谢谢你们"); err != nil {
		t.Fatal(err)
	}
	p.settle()
	p.settle()
	if got := len(p.botLines(user)); got != botBefore {
		t.Errorf("the bot spoke while a person had the chat:\n%s", chatText(p.sb.Chat(user)))
	}
	c, _ := p.app.Repo().GetCase(ctx, number)
	timeline, _ := p.app.Repo().Timeline(ctx, c.ID)
	var servicer, citizen bool
	for _, e := range timeline {
		servicer = servicer || (e.Kind == cases.EventServicerMsg && strings.Contains(e.Body, "档案我们调出来了") && e.Actor == "staff:zhangsan")
		citizen = citizen || (e.Kind == cases.EventMessageIn && e.Body == "好的，谢谢你们")
	}
	if !servicer || !citizen {
		t.Errorf("timeline lacks the servicer's (%v) or the citizen's (%v) words: %+v", servicer, citizen, timeline)
	}
}
