package corpus

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"banchengshi/bot"
	"banchengshi/cases"
)

const (
	openKf  = "wkCORPUS"
	citizen = "wmCorpus"
	// maxMessages ends a conversation that goes nowhere.
	maxMessages = 40
	// giveUp is how many times in a row the same question makes a citizen
	// give up (the first ask not counted).
	giveUp = 4
)

// start is when every conversation begins (a working Tuesday morning).
var start = time.Date(2026, 12, 1, 9, 30, 0, 0, cases.Shanghai)

// questions tell the kinds of question apart by their words, the way a
// citizen reading the chat does; the first that matches the bot's last
// message wins. "done" and "handover" end the conversation.
var questions = []struct{ slot, words string }{
	{"done", "提交成功"},
	{"handover", "转接工作人员"},
	{"确认", "以上信息对吗"},
	{"修改", "要改哪一项"},
	{"接着", "要接着填吗"},
	{"补充到", "要补充到哪一件|补充到哪一件"},
	{"为什么", "哪里还没解决|哪里办得不满意|哪里让您不满意"},
	{"谁", "谁遇到的"},
	{"同意", "知道您来反映"},
	{"关系", "是您的什么人"},
	{"称呼", "怎么称呼您"},
	{"姓名", "您的姓名|叫什么名字|姓名？"},
	{"身份证", "身份证"},
	{"电话归属", "打哪个电话"},
	{"电话", "电话|号码好像不对"},
	{"类别", "哪一类|类别"},
	{"窗口", "哪个窗口"},
	{"时间", "什么时候|时间没看懂"},
	{"答复", "怎么答复"},
	{"还有", "还有吗|还有要补充|发完了回复"},
	{"菜单", "请问您要办什么"},
	{"描述", "说说遇到的问题|对问题的说明|遇到了什么事"},
}

// misunderstandings are the words of a bot that did not take an answer.
var misunderstandings = []string{"没太明白", "没看懂", "好像不对", "请只写", "这里请写", "对不上", "这一步请点选", "有点长了"}

// Result is how one conversation went.
type Result struct {
	Conversation *Conversation
	// Messages is how many messages the citizen sent.
	Messages int
	// Misunderstandings counts the bot's answers that did not take what
	// the citizen said: an explicit "没太明白" and the like, or the same
	// question asked again right after it was answered.
	Misunderstandings int
	// Longest is the longest bot message other than the summary, in
	// characters as shown (menu items included); LongestText is it.
	Longest     int
	LongestText string
	// Summary is the longest summary shown; SummaryText is it.
	Summary     int
	SummaryText string
	// Reported is whether a case was submitted.
	Reported bool
	// Problems say why the outcome is not the one wanted; none means right.
	Problems []string
	// Transcript is the whole conversation, for reading a failure.
	Transcript []string
}

// Right reports whether the conversation ended with the wanted outcome.
func (r *Result) Right() bool { return len(r.Problems) == 0 }

// Options change how the citizens of the corpus behave.
type Options struct {
	// Literal citizens never follow a question's example to answer two
	// things in one message ("直接发号码就行", "可以连称呼一起说"): they
	// answer only what the question's first words ask.
	Literal bool
}

// Run plays every conversation through a fresh dialog engine (the real one)
// and reports each.
func Run(ctx context.Context, cats []cases.Category, convs []Conversation, opt Options) ([]Result, error) {
	out := make([]Result, 0, len(convs))
	for i := range convs {
		r, err := play(ctx, cats, &convs[i], opt)
		if err != nil {
			return nil, fmt.Errorf("%s:%d %s: %w", convs[i].File, convs[i].Line, convs[i].Title, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// player is one conversation in progress.
type player struct {
	ctx    context.Context
	engine *bot.Engine
	store  *sessions
	desk   *desk
	now    time.Time
	seq    int
	res    Result
	last   bot.Result
	tried  map[string]int
	// asked is the slot of the question the citizen last answered; same
	// counts how many times in a row it was asked again.
	asked string
	same  int
	// literal is Options.Literal.
	literal bool
}

func play(ctx context.Context, cats []cases.Category, c *Conversation, opt Options) (Result, error) {
	p := &player{ctx: ctx, store: newSessions(), desk: newDesk(cats, start), now: start, tried: map[string]int{}, literal: opt.Literal}
	p.engine = bot.New(bot.Config{Now: func() time.Time { return p.now }})
	p.res.Conversation = c
	var seeded []string
	for _, s := range c.Seed {
		n, err := p.desk.seed(s)
		if err != nil {
			return Result{}, err
		}
		seeded = append(seeded, n)
	}
	for _, text := range c.Opening {
		if err := p.send(text); err != nil {
			return Result{}, err
		}
	}
	later := c.Later
	for p.res.Messages < maxMessages {
		slot := p.question()
		if slot == "done" || slot == "handover" || slot == "" {
			if len(later) == 0 {
				break
			}
			p.asked = ""
			if err := p.send(later[0]); err != nil {
				return Result{}, err
			}
			later = later[1:]
			continue
		}
		if slot == p.asked {
			p.same++
		} else {
			p.same = 0
		}
		if p.same >= giveUp {
			break // the citizen gives up
		}
		answer := p.answer(slot, p.lastQuestion())
		if err := p.send(answer); err != nil {
			return Result{}, err
		}
	}
	p.check(seeded)
	return p.res, nil
}

// question is the kind of question the bot's last message asks, "" for none.
func (p *player) question() string {
	if p.last.Handover {
		return "handover"
	}
	if len(p.last.Replies) == 0 {
		return ""
	}
	text := p.last.Replies[len(p.last.Replies)-1].Text
	if strings.Contains(text, "是补充到 BC") && strings.Contains(text, "吗？") {
		return "补充到" // "是补充到 BC… 吗？"
	}
	// The question is the last line that reads as one; the lines before
	// it say what was done ("电话记下了。").
	lines := strings.Split(text, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		for _, q := range questions {
			for _, w := range strings.Split(q.words, "|") {
				if strings.Contains(lines[i], w) {
					return q.slot
				}
			}
		}
	}
	return ""
}

// lastQuestion is the text of the bot's last message.
func (p *player) lastQuestion() string {
	if len(p.last.Replies) == 0 {
		return ""
	}
	return p.last.Replies[len(p.last.Replies)-1].Text
}

// answer is what the citizen says to a question of kind slot: their next
// way of saying it, or the last again when they have no other. When the
// question shows how to answer in one go, they do: the number itself for
// "直接发号码就行" when it is their own, the relation with the name for
// "可以连称呼一起说，比如：我妈王秀兰", the time with the window's answer for
// "答复也可以一起说，比如：去年6月，说要等".
func (p *player) answer(slot, question string) string {
	c := p.res.Conversation
	first := p.tried[slot] == 0 && !p.literal
	if first && slot == "电话归属" && strings.Contains(question, "直接发号码") &&
		len(c.Answers["电话"]) > 0 && mine(c.Answers["电话归属"]) {
		p.tried[slot]++
		p.tried["电话"]++
		p.asked = slot
		return c.Answers["电话"][0]
	}
	if first && slot == "时间" && strings.Contains(question, "一起说") &&
		len(c.Answers["时间"]) > 0 && len(c.Answers["答复"]) > 0 {
		when, told := c.Answers["时间"][0], c.Answers["答复"][0]
		if !strings.HasPrefix(when, "[") && !strings.HasPrefix(told, "[") {
			p.tried[slot]++
			p.tried["答复"]++
			p.asked = slot
			return when + "，" + told
		}
	}
	if first && slot == "姓名" && strings.Contains(question, "连称呼一起说") &&
		len(c.Answers["关系"]) > 0 && len(c.Answers["姓名"]) > 0 {
		rel := c.Answers["关系"][len(c.Answers["关系"])-1]
		name := c.Answers["姓名"][0]
		if !strings.HasPrefix(rel, "[") && !strings.HasPrefix(name, "[") && utf8.RuneCountInString(name) <= 4 {
			p.tried[slot]++
			p.asked = slot
			return rel + name
		}
	}
	answers := p.res.Conversation.Answers[slot]
	if desc := p.res.Conversation.Answers["描述"]; slot == "还有" && p.tried["描述"] < len(desc) {
		// Asked for more before telling the problem: they tell it now.
		slot, answers = "描述", desc
	}
	if len(answers) == 0 {
		answers = defaults[slot]
	}
	if len(answers) == 0 {
		answers = []string{"不知道"}
	}
	i := min(p.tried[slot], len(answers)-1)
	p.tried[slot]++
	p.asked = slot
	return answers[i]
}

// send delivers one citizen message and reads the bot's answer.
func (p *player) send(text string) error {
	p.seq++
	p.now = p.now.Add(time.Minute)
	in := bot.Incoming{MsgID: fmt.Sprintf("m%d", p.seq), OpenKfID: openKf, ExternalUserID: citizen,
		Kind: bot.KindText, Text: text, At: p.now}
	switch text {
	case "[语音]", "[照片]", "[文件]":
		kind := map[string]string{"[语音]": bot.KindVoice, "[照片]": bot.KindImage, "[文件]": bot.KindFile}[text]
		in.Kind, in.Text = kind, ""
		in.Media = &bot.Media{Kind: kind, FileName: fmt.Sprintf("f%d", p.seq), Data: []byte("bytes"), MediaID: fmt.Sprintf("media%d", p.seq)}
	}
	before := p.asked
	res, err := p.engine.Handle(p.ctx, p.store, p.desk, in)
	if err != nil {
		return err
	}
	p.res.Messages++
	p.last = res
	p.res.Transcript = append(p.res.Transcript, "我："+text)
	missed := false
	for _, m := range res.Replies {
		shown := render(m)
		p.res.Transcript = append(p.res.Transcript, "办："+strings.ReplaceAll(shown, "\n", "⏎"))
		n := utf8.RuneCountInString(shown)
		if strings.Contains(m.Text, "以上信息对吗") {
			if n > p.res.Summary {
				p.res.Summary, p.res.SummaryText = n, shown
			}
		} else if n > p.res.Longest {
			p.res.Longest, p.res.LongestText = n, shown
		}
		for _, w := range misunderstandings {
			if strings.Contains(m.Text, w) {
				missed = true
			}
		}
	}
	if q := p.question(); before != "" && q == before && q != "还有" && q != "描述" && q != "确认" {
		missed = true
	}
	if missed {
		p.res.Misunderstandings++
	}
	return nil
}

// render is a message as the phone shows it: text, menu items, the tail.
func render(m cases.Message) string {
	var b strings.Builder
	b.WriteString(m.Text)
	for _, it := range m.Menu {
		b.WriteString("\n" + it.Text)
	}
	if m.MenuTail != "" {
		b.WriteString("\n" + m.MenuTail)
	}
	return b.String()
}

// check compares the outcome with the one wanted.
func (p *player) check(seeded []string) {
	r, w := &p.res, p.res.Conversation.Want
	bad := func(format string, a ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, a...)) }
	got := p.desk.submitted()
	r.Reported = len(got) > 0
	switch {
	case w.Handover:
		if !p.desk.handover {
			bad("no handover to a person")
		}
		if len(got) > 0 {
			bad("a case was submitted")
		}
		return
	case w.Supplement != "":
		if len(got) > 0 {
			bad("a new case was submitted instead of a supplement")
		}
		found := false
		for _, s := range p.desk.supps {
			if slices.Contains(seeded, s.number) && strings.Contains(s.text, w.Supplement) {
				found = true
			}
		}
		if !found {
			bad("%q did not reach the case as a supplement", w.Supplement)
		}
		return
	}
	if len(got) != 1 {
		bad("%d cases submitted, want 1", len(got))
		return
	}
	c := got[0].c
	fields := map[string]string{
		"姓名": c.Affected.Name, "关系": c.Relation, "同意": c.Consent, "称呼": c.ReporterName,
		"身份证": c.Affected.IDNumber, "电话": c.ContactPhone, "类别": c.Category,
		"窗口": c.TriedWindow, "时间": c.TriedWhen, "答复": c.TriedAnswer,
	}
	for _, k := range fieldKeys {
		if got, want := fields[k], w.Fields[k]; got != want {
			bad("%s: got %q, want %q", k, got, want)
		}
	}
	for _, words := range w.DescHas {
		if !strings.Contains(c.Description, words) {
			bad("描述 %q lacks %q", c.Description, words)
		}
	}
	for _, words := range w.DescLacks {
		if strings.Contains(c.Description, words) {
			bad("描述 %q holds %q", c.Description, words)
		}
	}
	if got[0].atts != w.Atts {
		bad("附件: got %d, want %d", got[0].atts, w.Atts)
	}
}

// Figures sum up a run, as cmd/bcs-dialog prints them.
type Figures struct {
	Conversations, Right int
	// Reports counts conversations that submitted a case; MedianMessages
	// and MaxMessages are over those.
	Reports                     int
	MedianMessages, MaxMessages int
	// Misunderstandings is the total; MaxMisunderstandings the most in one
	// conversation.
	Misunderstandings, MaxMisunderstandings int
	// StandardSelf and StandardProxy are the most messages of a standard
	// report, story first, for oneself and for somebody else; StandardSelfN
	// and StandardProxyN how many there are.
	StandardSelf, StandardSelfN, StandardProxy, StandardProxyN int
	// Longest is the longest bot message other than the summary; Summary
	// the longest summary.
	Longest, Summary         int
	LongestText, SummaryText string
}

// Sum computes the figures of a run.
func Sum(results []Result) Figures {
	var f Figures
	var msgs []int
	for _, r := range results {
		f.Conversations++
		if r.Right() {
			f.Right++
		}
		switch r.Conversation.Standard {
		case "本人":
			f.StandardSelf, f.StandardSelfN = max(f.StandardSelf, r.Messages), f.StandardSelfN+1
		case "代办":
			f.StandardProxy, f.StandardProxyN = max(f.StandardProxy, r.Messages), f.StandardProxyN+1
		}
		if r.Reported {
			f.Reports++
			msgs = append(msgs, r.Messages)
		}
		f.Misunderstandings += r.Misunderstandings
		f.MaxMisunderstandings = max(f.MaxMisunderstandings, r.Misunderstandings)
		if r.Longest > f.Longest {
			f.Longest, f.LongestText = r.Longest, r.LongestText
		}
		if r.Summary > f.Summary {
			f.Summary, f.SummaryText = r.Summary, r.SummaryText
		}
	}
	if len(msgs) > 0 {
		slices.Sort(msgs)
		f.MedianMessages = msgs[len(msgs)/2] // the upper middle of an even count
		f.MaxMessages = msgs[len(msgs)-1]
	}
	return f
}

// mine reports whether a citizen's answer to "打哪个电话" is their own phone.
func mine(answers []string) bool {
	if len(answers) == 0 {
		return false
	}
	a := answers[0]
	return a == "1" || a == "１" || strings.Contains(a, "我的") || a != "" && a[0] >= '0' && a[0] <= '9'
}
