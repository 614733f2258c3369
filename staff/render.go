package staff

import (
	"fmt"
	"strings"
	"unicode"

	"banchengshi/cases"
	"banchengshi/pii"
)

// maxTextBytes bounds a text message to a staff member: WeCom's app text
// message holds 2048 bytes.
const maxTextBytes = 2000

// NewCaseCard is the template card announcing a new case to the window's duty
// staff: number, category, who reports for whom, a one-line summary and the
// deadline, with buttons to accept, assign or ask the citizen for more. It
// never carries an ID or phone number, not even masked, and masks any typed
// into the description. Text repeats the card for clients that show no cards.
func NewCaseCard(c *cases.Case, d *Directory) cases.Message {
	fields := []cases.CardField{
		{Key: textCardNumber, Value: c.Number},
		{Key: textCardCategory, Value: d.CategoryName(c.Category)},
		{Key: textCardReporter, Value: whoFor(c)},
	}
	if dl := deadline(c); dl != "" {
		fields = append(fields, cases.CardField{Key: textCardDeadline, Value: dl})
	}
	if c.TriedWindow != "" {
		fields = append(fields, cases.CardField{Key: textCardTried, Value: cases.OneLine(pii.MaskText(c.TriedWindow), 30)})
	}
	if c.Source.OrWeCom() != cases.SourceWeCom {
		fields = append(fields, cases.CardField{Key: textCardSource, Value: cases.SourceText(c.Source)})
	}
	card := &cases.Card{
		TaskID: "new-" + c.Number,
		Title:  textCardTitle,
		Desc:   summary(c.Description, 40),
		Fields: fields,
		Buttons: []cases.CardButton{
			{Key: CardKey(cases.ActionAccept, c.Number), Text: textButtonAccept},
			{Key: CardKey(cases.ActionAssign, c.Number), Text: textButtonAssign},
			{Key: CardKey(cases.ActionAskMaterial, c.Number), Text: textButtonMaterial},
		},
	}
	lines := []string{card.Title, card.Desc}
	for _, f := range fields {
		lines = append(lines, f.Key+"："+f.Value)
	}
	return cases.Message{Text: strings.Join(lines, "\n"), Card: card}
}

// CardKey is a card button's key: "<action>:<number>".
func CardKey(a cases.Action, number string) string { return string(a) + ":" + number }

// ParseCardKey reads a button key made by CardKey, as it comes back in a
// template_card_event's EventKey. Only staff actions and plain case numbers
// are accepted.
func ParseCardKey(key string) (action cases.Action, number string, ok bool) {
	a, n, found := strings.Cut(strings.TrimSpace(key), ":")
	if !found || n == "" {
		return "", "", false
	}
	if _, staffAction := matrix[cases.Action(a)]; !staffAction {
		return "", "", false
	}
	for _, r := range n {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return "", "", false
		}
	}
	return cases.Action(a), n, true
}

// RenderCase is the answer to 查: the case and as much of its timeline as fits
// in one message, newest kept. Unless showPII, the affected person's ID
// number and phone numbers are masked, and so are such numbers typed into the
// description and the timeline. d may be nil; names then show as keys.
func (d *Directory) RenderCase(c *cases.Case, events []cases.Event, showPII bool) string {
	show := func(s string) string {
		if showPII {
			return s
		}
		return pii.MaskText(s)
	}
	var head []string
	head = append(head, d.caseIdentity(c)...)
	head = append(head, personalNumbers(c, showPII)...)
	head = append(head, d.caseHandling(c, show)...)
	out := strings.Join(head, "\n")
	if len(events) == 0 {
		return out
	}
	lines := make([]string, len(events))
	for i, e := range events {
		lines[i] = d.eventLine(e, show)
	}
	return out + fitTimeline(len(out), lines)
}

// caseIdentity is the case card's first lines: number and category, status,
// who reports for whom, and whom it is about.
func (d *Directory) caseIdentity(c *cases.Case) []string {
	lines := []string{
		fmt.Sprintf(textCaseHead, c.Number, d.CategoryName(c.Category)),
		fmt.Sprintf(textCaseStatus, statusLine(c)),
		textCardReporter + "：" + whoFor(c),
	}
	if c.Affected.Name != "" {
		lines = append(lines, fmt.Sprintf(textCaseAffected, c.Affected.Name))
	}
	return lines
}

// personalNumbers are the affected person's ID number and the phone numbers
// to call back (each once), masked unless showPII.
func personalNumbers(c *cases.Case, showPII bool) []string {
	var lines []string
	if c.Affected.IDNumber != "" {
		id := c.Affected.IDNumber
		if !showPII {
			id = pii.MaskID(id)
		}
		lines = append(lines, fmt.Sprintf(textCaseIDNumber, id))
	}
	var phones []string
	seen := map[string]bool{}
	for _, p := range []string{c.ContactPhone, c.Affected.Phone} {
		n := pii.Normalize(p)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		if !showPII {
			p = pii.MaskPhone(n)
		}
		phones = append(phones, p)
	}
	if len(phones) > 0 {
		lines = append(lines, fmt.Sprintf(textCasePhone, strings.Join(phones, textSeparator)))
	}
	return lines
}

// caseHandling is where the case stands with the bureau: departments and
// handler, what the citizen tried before, the story, and what has come of it.
// Free text goes through show, which masks numbers typed into it.
func (d *Directory) caseHandling(c *cases.Case, show func(string) string) []string {
	lines := []string{d.deptLine(c)}
	if c.Assignee != "" {
		lines = append(lines, fmt.Sprintf(textCaseAssignee, d.memberName(c.Assignee)))
	}
	if tried := joinNonEmpty("，", c.TriedWindow, c.TriedWhen, c.TriedAnswer); tried != "" {
		lines = append(lines, fmt.Sprintf(textCaseTried, cases.OneLine(show(tried), 80)))
	}
	desc := cases.OneLine(show(c.Description), 200)
	if desc == "" {
		desc = textNoDescription
	}
	lines = append(lines, fmt.Sprintf(textCaseDescription, desc))
	for _, extra := range []struct{ format, value string }{
		{textCaseAccount, c.Accountability},
		{textCaseCommon, c.CommonTag},
		{textCaseMerged, c.MergedInto},
		{textCaseResolution, cases.OneLine(show(c.Resolution), 120)},
	} {
		if extra.value != "" {
			lines = append(lines, fmt.Sprintf(extra.format, extra.value))
		}
	}
	if c.Satisfaction > 0 {
		lines = append(lines, fmt.Sprintf(textCaseRating, c.Satisfaction))
	}
	return lines
}

// fitTimeline is the timeline section that follows a head of headBytes:
// the newest lines that fit in one message, and how many older ones were
// left out.
func fitTimeline(headBytes int, lines []string) string {
	budget := maxTextBytes - headBytes - len(textCaseTimeline) - len(textCaseEarlier) - 16
	first := len(lines)
	for first > 0 && budget-len(lines[first-1])-1 >= 0 {
		budget -= len(lines[first-1]) + 1
		first--
	}
	var b strings.Builder
	b.WriteString("\n" + textCaseTimeline)
	if first > 0 {
		b.WriteString("\n" + fmt.Sprintf(textCaseEarlier, first))
	}
	for _, l := range lines[first:] {
		b.WriteString("\n" + l)
	}
	return b.String()
}

// RenderList is the answer to 我的, 超时 and 今日: one short entry per case,
// as many as fit in one message. Lists never show personal data: numbers typed
// into descriptions are masked. d may be nil.
func (d *Directory) RenderList(title string, cs []*cases.Case) string {
	if len(cs) == 0 {
		return fmt.Sprintf(textListEmpty, title)
	}
	var b strings.Builder
	b.WriteString(fmt.Sprintf(textListHead, title, len(cs)))
	for i, c := range cs {
		entry := fmt.Sprintf("\n%d. %s %s · %s", i+1, c.Number, d.CategoryName(c.Category), statusLine(c))
		if s := summary(c.Description, 30); s != "" {
			entry += "\n   " + s
		}
		more := fmt.Sprintf("\n"+textListMore, len(cs)-i)
		if b.Len()+len(entry)+len(more) > maxTextBytes {
			b.WriteString(more)
			break
		}
		b.WriteString(entry)
	}
	return b.String()
}

// WhoFor is the sentence saying who reports for whom, as staff cards and the
// case page show it: "小李代其母亲王秀兰反映，本人知情同意" or "刘振华（本人）".
func WhoFor(c *cases.Case) string { return whoFor(c) }

// whoFor says who reports for whom: "李某（本人）" or "王大妈代其邻居张某某反映，
// 本人知情同意". The relation and consent are as the citizen gave them, so
// they are put into words that read well whatever was typed ("我妈" reads
// as 母亲, a relation that is no word of kinship is named apart).
func whoFor(c *cases.Case) string {
	reporter := c.ReporterName
	if reporter == "" {
		reporter = textReporter // the citizen chose not to give a name
	}
	rel := relationWord(c.Relation)
	if rel == "" || rel == textSelf || c.Affected.Name == "" || c.Affected.Name == reporter {
		return reporter + "（" + textSelf + "）"
	}
	var s string
	if plainRelation(rel) {
		s = fmt.Sprintf(textForOther, reporter, rel, c.Affected.Name)
	} else {
		s = fmt.Sprintf(textForOtherAs, reporter, c.Affected.Name, rel)
	}
	if consent := consentWords(c.Consent); consent != "" {
		s += fmt.Sprintf(textConsentSuffix, consent)
	}
	return s
}

// relationWord is a relation as typed, without the possessive around it
// ("我妈" → 母亲, "是俺爹的" → 父亲).
func relationWord(rel string) string {
	r := strings.Trim(strings.TrimSpace(rel), "（）()") // "（见语音）"
	for _, p := range []string{"我的", "俺的", "他是我", "她是我", "是我", "是俺", "我", "俺", "咱", "是"} {
		if rest, ok := strings.CutPrefix(r, p); ok && rest != "" {
			r = rest
			break
		}
	}
	for _, suf := range []string{"的事", "的"} {
		if rest, ok := strings.CutSuffix(r, suf); ok && rest != "" {
			r = rest
		}
	}
	if formal, ok := colloquialRelations[r]; ok {
		return formal
	}
	return r
}

// plainRelation reports whether a relation is a word of kinship or
// acquaintance that reads in "代其母亲王秀兰反映"; anything else is named apart.
func plainRelation(rel string) bool { return knownRelations[rel] }

// consentWords is the consent the citizen chose, as a staff member reads it.
func consentWords(consent string) string {
	if w, ok := consentTexts[consent]; ok {
		return w
	}
	return consent
}

// statusLine is "办理中 · 🟡黄灯 · 12-18前（15个工作日）".
func statusLine(c *cases.Case) string {
	parts := []string{statusName(c.Status)}
	if l, ok := lightNames[c.Light]; ok && c.Status.Unfinished() {
		parts = append(parts, l)
	}
	if dl := deadline(c); dl != "" && c.Status.Unfinished() {
		parts = append(parts, dl)
	}
	return strings.Join(parts, " · ")
}

func statusName(s cases.Status) string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return string(s)
}

// deadline is "2026-12-18前（15个工作日）", or "" when none is set.
func deadline(c *cases.Case) string {
	if c.Deadline.IsZero() {
		return ""
	}
	// Deadline is the midnight after the last working day: show that day.
	return fmt.Sprintf(textDeadline, cases.LastDay(c.Deadline).In(cases.Shanghai).Format("2006-01-02"), c.LimitDays)
}

func (d *Directory) deptLine(c *cases.Case) string {
	if c.LeadDept == "" {
		return fmt.Sprintf(textCaseDepts, textUnassigned)
	}
	s := fmt.Sprintf(textCaseDepts, d.DeptName(c.LeadDept))
	if len(c.CoDepts) > 0 {
		names := make([]string, len(c.CoDepts))
		for i, id := range c.CoDepts {
			names[i] = d.DeptName(id)
		}
		s += fmt.Sprintf(textCaseCoDepts, strings.Join(names, "、"))
	}
	return s
}

func (d *Directory) memberName(id string) string {
	if d != nil {
		if m, ok := d.Member(id); ok {
			return m.Name
		}
	}
	return id
}

// eventLine is "11-28 09:12 张三 备注：已联系档案馆".
func (d *Directory) eventLine(e cases.Event, show func(string) string) string {
	kind, ok := eventNames[e.Kind]
	if !ok {
		kind = string(e.Kind)
	}
	line := e.At.In(cases.Shanghai).Format("01-02 15:04") + " " + d.actorName(e.Actor) + " " + kind
	if body := cases.OneLine(show(e.Body), 50); body != "" {
		line += "：" + body
	}
	return line
}

// actorName shows a timeline actor; a citizen is never named by their WeCom id.
func (d *Directory) actorName(actor cases.Actor) string {
	if id, ok := actor.Staff(); ok {
		return d.memberName(id)
	}
	if _, ok := actor.Citizen(); ok {
		return textActorCitizen
	}
	if actor == cases.ActorBot {
		return textActorBot
	}
	return textActorSystem
}

// summary is one masked line of at most n characters.
func summary(s string, n int) string { return cases.OneLine(pii.MaskText(s), n) }

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
