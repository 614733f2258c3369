package bot

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
)

// A transcript is a conversation a reviewer can read:
//
//	我：text            the citizen types text
//	我：[语音]          voice (also [照片] [视频] [文件]; [语音失败] a failed download)
//	我：[位置]          location (also [链接] [名片] [小程序] [表情] [进入])
//	我：[点 who:3]      the citizen taps a menu item
//	办：words           the bot's answer to the last citizen line contains words
//	办不含：words       ... and does not contain them
//	办：[转人工]        the answer hands the chat to a person
//	（过了2天）         time passes (天 / 小时 / 分钟)
//	（重启）            the process restarts: a new Engine, the same session store
//	（BC… 办结了）      staff close a case meanwhile
//	（BC… 并入 BC…）    staff merge the first case into the second meanwhile
//	（BC… 撤回了）      the case is withdrawn meanwhile (from another device)
//	（BC… 回访）        the desk asks the follow-up of resolved case BC… (its
//	                    menu: rate:BC…:1 … rate:BC…:5, rate:BC…:0 not solved)
//	（BC… 要补充：text）  a handler asks the citizen for material on BC… (补充)
//
// Every citizen line must get at least one reply; no reply may repeat an ID
// or phone number the citizen typed; no reply may ask more than one question.

var (
	testStart = time.Date(2026, 11, 28, 9, 30, 0, 0, cases.Shanghai)
	reWait    = regexp.MustCompile(`^（过了(\d+)(天|小时|分钟)）$`)
	reTap     = regexp.MustCompile(`^\[点 (\S+)\]$`)
	reClose   = regexp.MustCompile(`^（(\S+) 办结了）$`)
	reMerge   = regexp.MustCompile(`^（(\S+) 并入 (\S+)）$`)
	reGone    = regexp.MustCompile(`^（(\S+) 撤回了）$`)
	reFollow  = regexp.MustCompile(`^（(\S+) 回访）$`)
	reAsk     = regexp.MustCompile(`^（(\S+) 要补充：(.+)）$`)
	reNumbers = regexp.MustCompile(`[0-9]{11}[0-9Xx]*`)
)

// conversation runs transcripts against one store and desk.
type conversation struct {
	t        *testing.T
	engine   *Engine
	store    *memSessions
	desk     *fakeDesk
	now      time.Time
	user     string
	last     Result
	lastText string
	secrets  []string
	seq      int
}

func newConversation(t *testing.T, desk *fakeDesk) *conversation {
	c := &conversation{t: t, store: newMemSessions(), desk: desk, now: testStart, user: "wm_citizen"}
	c.engine = New(Config{Now: func() time.Time { return c.now }})
	return c
}

// play runs script and fails the test at the first line that does not hold.
func (c *conversation) play(script string) {
	c.t.Helper()
	for n, raw := range strings.Split(script, "\n") {
		line := strings.TrimSpace(raw)
		where := fmt.Sprintf("line %d %q", n+1, line)
		switch {
		case line == "":
		case line == "（重启）":
			c.engine = New(Config{Now: func() time.Time { return c.now }})
		case reWait.MatchString(line):
			g := reWait.FindStringSubmatch(line)
			k, _ := strconv.Atoi(g[1])
			unit := map[string]time.Duration{"天": 24 * time.Hour, "小时": time.Hour, "分钟": time.Minute}[g[2]]
			c.now = c.now.Add(time.Duration(k) * unit)
		case reClose.MatchString(line):
			c.desk.closeCase(reClose.FindStringSubmatch(line)[1])
		case reMerge.MatchString(line):
			g := reMerge.FindStringSubmatch(line)
			c.desk.merge(g[1], g[2])
		case reGone.MatchString(line):
			c.desk.setStatus(reGone.FindStringSubmatch(line)[1], cases.StatusWithdrawn)
		case reFollow.MatchString(line):
			c.last = Result{Replies: []cases.Message{followUpQuestion(reFollow.FindStringSubmatch(line)[1])}}
			c.lastText = render(c.last)
		case reAsk.MatchString(line):
			g := reAsk.FindStringSubmatch(line)
			c.desk.askMaterial(g[1])
			c.last = Result{Replies: []cases.Message{{Text: "办理您的事项（" + g[1] + "）还需要您补充：\n" + g[2] + "\n请回复“补充”，然后直接发文字、照片或语音。"}}}
			c.lastText = render(c.last)
		case strings.HasPrefix(line, "我："):
			c.send(strings.TrimPrefix(line, "我："), where)
		case line == "办：[转人工]":
			if !c.last.Handover {
				c.t.Fatalf("%s: no handover; bot said:\n%s", where, c.lastText)
			}
		case strings.HasPrefix(line, "办不含："):
			if want := strings.TrimPrefix(line, "办不含："); strings.Contains(c.lastText, want) {
				c.t.Fatalf("%s: bot said what it must not:\n%s", where, c.lastText)
			}
		case strings.HasPrefix(line, "办："):
			if want := strings.TrimPrefix(line, "办："); !strings.Contains(c.lastText, want) {
				c.t.Fatalf("%s: bot said instead:\n%s", where, c.lastText)
			}
		default:
			c.t.Fatalf("%s: not a transcript line", where)
		}
	}
}

// send delivers one citizen line and checks the rules every answer keeps.
func (c *conversation) send(what, where string) {
	c.t.Helper()
	c.seq++
	c.now = c.now.Add(time.Minute)
	in := Incoming{
		MsgID: fmt.Sprintf("msg%d", c.seq), OpenKfID: "kf1", ExternalUserID: c.user,
		Kind: KindText, Text: what, At: c.now,
	}
	media := func(kind, name, ctype string) {
		in.Kind, in.Text = kind, ""
		in.Media = &Media{Kind: kind, FileName: fmt.Sprintf("%s%d", name, c.seq), ContentType: ctype,
			Data: []byte(fmt.Sprintf("%s bytes %d", kind, c.seq)), MediaID: fmt.Sprintf("media%d", c.seq)}
	}
	switch what {
	case "[语音]":
		media(KindVoice, "voice.amr", "audio/amr")
	case "[照片]":
		media(KindImage, "photo.jpg", "image/jpeg")
	case "[视频]":
		media(KindVideo, "video.mp4", "video/mp4")
	case "[文件]":
		media(KindFile, "证明.pdf", "application/pdf")
	case "[语音失败]":
		in.Kind, in.Text = KindVoice, ""
	case "[位置]", "[链接]", "[名片]", "[小程序]", "[表情]", "[进入]":
		in.Kind = map[string]string{"[位置]": KindLocation, "[链接]": KindLink, "[名片]": KindBusinessCard,
			"[小程序]": KindMiniProgram, "[表情]": KindOther, "[进入]": KindEnterSession}[what]
		in.Text = ""
	default:
		if g := reTap.FindStringSubmatch(what); g != nil {
			in.MenuID, in.Text = g[1], c.itemText(g[1])
			if in.Text == "" {
				in.Text = g[1] // an item of an older menu
			}
		} else {
			c.secrets = append(c.secrets, reNumbers.FindAllString(squeeze(strings.NewReplacer("-", "", " ", "").Replace(what)), -1)...)
		}
	}
	res, err := c.engine.Handle(context.Background(), c.store, c.desk, in)
	if err != nil {
		c.t.Fatalf("%s: Handle: %v", where, err)
	}
	c.last, c.lastText = res, render(res)
	if len(res.Replies) == 0 {
		c.t.Fatalf("%s: no reply", where)
	}
	for _, m := range res.Replies {
		if q := strings.Count(m.Text, "？") + strings.Count(m.Text, "?"); q > 1 {
			c.t.Errorf("%s: %d questions in one message:\n%s", where, q, m.Text)
		}
	}
	for _, s := range c.secrets {
		if strings.Contains(strings.ToUpper(c.lastText), strings.ToUpper(s)) {
			c.t.Errorf("%s: reply repeats a number in full:\n%s", where, c.lastText)
		}
	}
}

// itemText is the text of a menu item in the last answer, as WeCom sends it
// back with the tap.
func (c *conversation) itemText(id string) string {
	for _, m := range c.last.Replies {
		for _, it := range m.Menu {
			if it.ID == id {
				return it.Text
			}
		}
	}
	return ""
}

// render writes replies as the citizen sees them.
func render(res Result) string {
	var b strings.Builder
	for i, m := range res.Replies {
		if i > 0 {
			b.WriteString("\n---\n")
		}
		b.WriteString(m.Text)
		for _, it := range m.Menu {
			b.WriteString("\n[" + it.Text + "]")
		}
		if m.MenuTail != "" {
			b.WriteString("\n" + m.MenuTail)
		}
	}
	return b.String()
}

// caseFields is what a transcript checks of a stored case.
func caseFields(c *cases.Case) cases.Case {
	return cases.Case{
		OpenKfID: c.OpenKfID, ReporterID: c.ReporterID, ReporterName: c.ReporterName, Affected: c.Affected,
		Relation: c.Relation, Consent: c.Consent, ContactPhone: c.ContactPhone, Category: c.Category,
		TriedWindow: c.TriedWindow, TriedWhen: c.TriedWhen, TriedAnswer: c.TriedAnswer,
		Description: c.Description, Status: c.Status,
	}
}

// attKinds lists the kinds of a submitted case's attachments.
func attKinds(atts []*cases.Attachment) []string {
	var out []string
	for _, a := range atts {
		if len(a.Data) == 0 || a.Size != int64(len(a.Data)) {
			out = append(out, a.Kind+"(empty)")
			continue
		}
		out = append(out, a.Kind)
	}
	return out
}

// followUpQuestion is the follow-up the desk sends when a case is resolved.
func followUpQuestion(number string) cases.Message {
	m := cases.Message{Text: "您反映的事项（" + number + "）已办结。问题真的解决了吗？请为办理打分", MenuTail: "点选或回复数字。"}
	for n := 1; n <= 5; n++ {
		m.Menu = append(m.Menu, cases.MenuItem{ID: fmt.Sprintf("rate:%s:%d", number, n), Text: fmt.Sprintf("%d %s", n, cases.RatingText(n))})
	}
	m.Menu = append(m.Menu, cases.MenuItem{ID: "rate:" + number + ":0", Text: "问题没解决"})
	return m
}
