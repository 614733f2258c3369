package bot

import (
	"regexp"
	"strings"
	"time"

	"banchengshi/cases"
	"banchengshi/pii"
)

// What a message tells besides the answer to the question on screen: the
// citizen's name, whom the matter is about, an ID or phone number, the
// category, the window already tried. The first message of a conversation
// often holds the whole story; later ones often hold a number given before
// it was asked for. Whatever is recognised is kept for its slot, and that
// question is not asked.

var (
	reIDIn    = regexp.MustCompile(`(^|[^0-9])([0-9]{17}[0-9Xx])([^0-9]|$)`)
	rePhoneIn = regexp.MustCompile(`(^|[^0-9])(1[3-9][0-9]{9}|0[1-9][0-9]{1,2}-?[0-9]{7,8})([^0-9]|$)`)
	reMyName  = regexp.MustCompile(`(?:我叫|我的名字叫|本人)([\p{Han}]{2,3})(?:[，,。 ]|$|身份证|电话|今年)`)
	reDateIn  = regexp.MustCompile(`(?:\d{4}年(?:\d{1,2}月)?|(?:今年|去年|前年)(?:\d{1,2}月)?|上个月|上周|半年前|\d{1,2}个多?月前|\d{1,2}年多?前)`)
	reTried   = regexp.MustCompile(`(?:去|到|找|问)(?:过|的)?([^去到找问年月，,。0-9]{0,6}?(?:社保中心|社保所|人社局|档案馆|就业中心|服务中心|窗口|大厅|社区|街道|医保局|原单位))`)
	reTold    = regexp.MustCompile(`((?:说|答复|告诉我)[^，,。]{2,30})`)
)

// idIn finds a valid ID number in free text.
func idIn(text string) string {
	for _, m := range reIDIn.FindAllStringSubmatch(squeeze(fold(text)), -1) {
		if norm, ok, _ := ValidIDNumber(m[2]); ok {
			return norm
		}
	}
	return ""
}

// phoneIn finds a phone number in free text, not part of an ID number.
func phoneIn(text string) string {
	s := squeeze(fold(text))
	s = reIDIn.ReplaceAllString(s, "$1#$3")
	for _, m := range rePhoneIn.FindAllStringSubmatch(s, -1) {
		if norm, ok := pii.ParsePhone(m[2]); ok {
			return norm
		}
	}
	return ""
}

// onlyNumber reports whether text is a number and little else.
func onlyNumber(text string) bool {
	s := reLongNumber.ReplaceAllString(fold(text), "")
	return runeLen(strings.Trim(s, trailingPunct+"号码电话手机身份证是我的他她")) <= 2
}

// categoryIn infers the category from words of the problem: the one whose
// keywords (from the directory file) the text holds most of, when it clearly
// wins; "" when none does or two tie. Without keywords configured, the
// categories' names and aliases stand in for them.
func categoryIn(text string, cats []cases.Category) string {
	s := squeeze(fold(text))
	keywords := false
	for _, c := range cats {
		keywords = keywords || len(c.Keywords) > 0
	}
	found, best, second := "", 0, 0
	for _, c := range cats {
		words := c.Keywords
		if !keywords {
			words = append([]string{c.Name}, c.Aliases...)
		}
		score := 0
		for _, w := range words {
			if runeLen(w) >= 2 && strings.Contains(s, w) {
				score += runeLen(w)
			}
		}
		switch {
		case score > best:
			found, best, second = c.Key, score, best
		case score > second:
			second = score
		}
	}
	if best == 0 || best == second {
		return ""
	}
	return found
}

// firstPerson reports whether a story is told about the writer ("我的养老金",
// "我退休") with no other person named.
func firstPerson(text string) bool {
	s := fold(text)
	for _, kw := range kinWords {
		if runeLen(kw.word) >= 2 && strings.Contains(s, "的"+kw.word) {
			return false // "我是王秀兰的女儿": somebody else's matter
		}
	}
	for _, w := range []string{"我的", "我是", "我们厂", "我交", "我退休", "我失业", "我住", "我在", "我从", "我工龄", "俺的", "本人"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// takeStory keeps what a message telling the problem says about the rest of
// the form, for the slots still empty.
func (t *turn) takeStory(text string) {
	d := &t.s.Draft
	k, name := kinIn(text)
	switch {
	case d.Who != "":
	case k != nil:
		d.Who, d.Relation = k.who, k.relation
		if name != "" {
			d.Name = name
		}
	default:
		if g := reMyName.FindStringSubmatch(fold(text)); g != nil && isSurname([]rune(g[1])[0]) {
			d.Who, d.Name = whoSelf, g[1]
		} else if firstPerson(text) {
			d.Who = whoSelf // the summary shows 遇事人：本人, to change if wrong
		}
	}
	t.takeNumbers(text)
	if d.Category == "" {
		d.Category = categoryIn(text, t.desk.Categories())
	}
	if d.TriedWindow == "" {
		t.takeTried(text)
	}
}

// takeTried keeps the window a citizen went to, with when and what they
// were told when said with it: "去年去区人社局问过，说让自己找". It reports whether a
// window was found.
func (t *turn) takeTried(text string) bool {
	d := &t.s.Draft
	a := arabize(fold(text))
	g := reTried.FindStringSubmatchIndex(a)
	if g == nil {
		return false
	}
	d.TriedWindow = a[g[2]:g[3]]
	// The date said with the visit: the last one before it, or right
	// after it.
	m := ""
	for _, loc := range reDateIn.FindAllStringIndex(a, -1) {
		if loc[0] < g[0] || m == "" && loc[0] < g[1]+12 {
			m = a[loc[0]:loc[1]]
		}
	}
	if when, ok := ParseDate(m, t.now); ok && m != "" && d.TriedWhen == "" {
		d.TriedWhen = when
	}
	if told := reTold.FindStringSubmatch(fold(text)); told != nil && d.TriedWhen != "" && d.TriedAnswer == "" {
		d.TriedAnswer = strings.Trim(told[1], trailingPunct)
	}
	return true
}

// takeNumbers keeps an ID or phone number found in text for its slot, if
// not yet answered, and says which it kept ("" for none).
func (t *turn) takeNumbers(text string) string {
	d := &t.s.Draft
	var took []string
	if id := idIn(text); id != "" && !d.IDAsked && t.s.Step != stepID {
		d.IDNumber, d.IDAsked = id, true
		took = append(took, "身份证号")
	}
	if p := phoneIn(text); p != "" && !d.PhoneAsked && t.s.Step != stepPhone {
		d.Phone, d.PhoneAsked = p, true
		if d.PhoneWhose == "" {
			d.PhoneWhose = phoneReporter
			if d.Who != whoSelf && t.s.Step == stepPhoneWhose && theirs(text, d.Name) {
				d.PhoneWhose = phoneAffected // "她的，13812345678"
			}
		}
		took = append(took, "电话")
	}
	if len(took) == 0 {
		return ""
	}
	return strings.Join(took, "和") + "记下了。"
}

// theirs reports whether words given with a number say it is the affected
// person's: "她的", "打他的", or their name.
func theirs(text, name string) bool {
	s := fold(text)
	return strings.Contains(s, "她的") || strings.Contains(s, "他的") || strings.Contains(s, "打她") || strings.Contains(s, "打他") ||
		name != "" && name != voiceAnswer && strings.Contains(s, name)
}

// toldStory reports whether the description holds words that tell a problem.
func toldStory(s *session) bool {
	for _, p := range s.Parts {
		if p.About == "" && p.Text != "" && tellsProblem(p.Text) {
			return true
		}
	}
	return false
}

// wholeStory is how many Chinese characters make one description message
// a whole story: the summary follows at once, instead of "还有吗？".
const wholeStory = 6

// whenAndAnswer reads a time followed by what the window said, as the
// question invites: "去年6月，说要等通知". ok is false unless both are there.
func whenAndAnswer(text string, now time.Time) (when, told string, ok bool) {
	s := strings.TrimSpace(text)
	i := strings.IndexAny(s, "，,。；; 　")
	if i < 0 {
		return "", "", false
	}
	head, tail := s[:i], strings.Trim(s[i:], trailingPunct)
	when, ok = ParseDate(head, now)
	if !ok || !hasHan(tail) {
		return "", "", false
	}
	return when, tail, true
}
