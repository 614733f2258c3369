package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"banchengshi/cases"
	"banchengshi/pii"
)

// The follow-up (回访): when a case is resolved the desk asks the citizen,
// outside the dialog, whether the problem is really solved and to rate the
// handling, with a menu of cases.RateItem (1–5 on the government service
// scale, and "not solved"), each naming its case. A tap rates at any point,
// even in the middle of a report. Typed answers ("2", "满意", "没解决")
// count when nothing else is in progress and a follow-up waits. An answer
// that reopens the case is asked why first, in one question.

// menuFresh is how long after the main menu was shown a typed digit picks
// from it rather than rating a resolved case.
const menuFresh = 30 * time.Minute

// pendingRating is a follow-up answer waiting for the case it is about or
// for the reason.
type pendingRating struct {
	Number string `json:"number,omitempty"`
	Rating int    `json:"rating,omitempty"` // 1–5; 0 when only "not solved" was said
	Solved bool   `json:"solved,omitempty"`
	Why    string `json:"why,omitempty"`
	// Name is the affected person, when the reporter wrote for somebody else.
	Name string `json:"name,omitempty"`
	// Choices and Names are the cases offered when several wait.
	Choices []string `json:"choices,omitempty"`
	Names   []string `json:"names,omitempty"`
	// Return is the step the citizen was on; the dialog goes back to it.
	Return Step `json:"return,omitempty"`
}

// rateAnswer is what the citizen answered to a follow-up.
type rateAnswer struct {
	rating int // 1–5, or 0 for "not solved" alone
	solved bool
	why    string // the reason, when said with the answer
	digit  bool   // typed as a number
}

// satisfied reports whether the answer closes the case.
func (a rateAnswer) satisfied() bool { return a.solved && a.rating >= 1 && a.rating <= 3 }

// parseRateTap reads a follow-up item (cases.RateItem): the case number (""
// for an item of the older form) and the answer.
func parseRateTap(id string) (number string, a rateAnswer, ok bool) {
	item, ok := cases.ParseRateItem(id)
	switch {
	case !ok:
		return "", rateAnswer{}, false
	case item.Rating == cases.RatingNotSolved:
		return item.Number, rateAnswer{}, true
	}
	return item.Number, rateAnswer{rating: item.Rating, solved: true}, true
}

// parseRating reads a typed follow-up answer: a number in any form the
// choices accept ("2", "２", "二", "第二个"; 6 is the desk's "not solved"),
// the scale's words ("满意", "非常不满意"), "没解决" and the like, a menu
// item typed out ("4 不满意"), "我觉得" in front, or words followed by more:
// the reason of an unhappy answer ("没解决，钱还是没到"), a short "谢谢"
// after a happy one.
func parseRating(text string) (rateAnswer, bool) {
	w := squeeze(clean(text))
	if n, isNum := ordinal(w); isNum {
		switch {
		case n >= 1 && n <= 5:
			return rateAnswer{rating: n, solved: true, digit: true}, true
		case n == 6:
			return rateAnswer{digit: true}, true
		}
		return rateAnswer{}, false
	}
	w = strings.TrimLeft(w, "0123456789.、)）:：-")
	for _, p := range []string{"我们觉得", "我觉得", "我们", "我", "还是"} {
		if rest, found := strings.CutPrefix(w, p); found {
			w = rest
			break
		}
	}
	for _, rw := range rateWordsLongestFirst {
		rest, found := strings.CutPrefix(w, rw)
		if !found {
			continue
		}
		n := rateWords[rw]
		a := rateAnswer{rating: n, solved: n != 0}
		rest = strings.Trim(rest, trailingPunct)
		switch {
		case rest == "":
		case a.satisfied() && runeLen(rest) <= 10:
		case !a.satisfied() && hasHan(rest):
			a.why = strings.TrimSpace(text)
		default:
			return rateAnswer{}, false
		}
		return a, true
	}
	return rateAnswer{}, false
}

// rateWordsLongestFirst are the keys of rateWords, longest first, so that
// "非常不满意" is not read as "非常" something.
var rateWordsLongestFirst = func() []string {
	out := make([]string, 0, len(rateWords))
	for w := range rateWords {
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b string) int {
		if d := runeLen(b) - runeLen(a); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return out
}()

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// proxyName is the affected person's name when the reporter wrote for
// somebody else, "" when they wrote for themselves.
func proxyName(v cases.CaseView) string {
	if v.Relation == "" || v.Relation == relationSelf || v.AffectedName == "" {
		return ""
	}
	return pii.MaskText(v.AffectedName)
}

// menuIsFresh reports whether the main menu was shown so recently that a
// typed number picks from it.
func (t *turn) menuIsFresh() bool {
	return !t.s.MenuAt.IsZero() && t.now.Sub(t.s.MenuAt) < menuFresh
}

// rateTyped reads a typed follow-up answer when nothing is in progress.
// done is false when the text is no such answer, no follow-up waits, or a
// digit picks from the main menu just shown.
func (t *turn) rateTyped(ctx context.Context, text string) (done bool, err error) {
	a, ok := parseRating(text)
	if !ok || a.digit && t.menuIsFresh() {
		return false, nil
	}
	views, err := t.desk.FollowUps(ctx, t.in.OpenKfID, t.in.ExternalUserID)
	if err != nil {
		return false, fmt.Errorf("list follow-ups: %w", err)
	}
	if len(views) == 0 {
		return false, nil
	}
	return true, t.rateAmong(ctx, views, a, t.s.Step)
}

// rateTapped answers a tap on a follow-up item, on any step.
func (t *turn) rateTapped(ctx context.Context) error {
	number, a, ok := parseRateTap(t.in.MenuID)
	if !ok {
		t.note(textStaleMenu)
		t.ask()
		return nil
	}
	ret := t.s.Step
	if ret.in(actRate) {
		ret = t.s.Rate.Return // a new tap replaces an answer in progress
	}
	views, err := t.desk.FollowUps(ctx, t.in.OpenKfID, t.in.ExternalUserID)
	if err != nil {
		return fmt.Errorf("list follow-ups: %w", err)
	}
	if number == "" {
		if len(views) == 0 {
			t.s.Step, t.s.Rate = ret, nil
			t.note(textRateNone)
			t.ask()
			return nil
		}
		return t.rateAmong(ctx, views, a, ret)
	}
	name := ""
	for _, v := range views {
		if v.Number == number {
			name = proxyName(v)
		}
	}
	// A case not waiting (answered already, or reopened) still takes the
	// answer as the desk sees fit: a closed one may be reopened.
	return t.rateCase(ctx, number, name, a, ret)
}

// rateAmong applies an answer that names no case: to the one waiting, or
// after asking which when several wait.
func (t *turn) rateAmong(ctx context.Context, views []cases.CaseView, a rateAnswer, ret Step) error {
	if len(views) == 1 {
		return t.rateCase(ctx, views[0].Number, proxyName(views[0]), a, ret)
	}
	r := &pendingRating{Rating: a.rating, Solved: a.solved, Why: a.why, Return: ret}
	for _, v := range views {
		opt := v.Number + " " + v.Category
		if name := proxyName(v); name != "" {
			opt += "（" + name + "）"
		}
		r.Choices = append(r.Choices, numberedOption(opt, v.Number))
		r.Names = append(r.Names, proxyName(v))
	}
	t.s.Rate, t.s.Step = r, stepRatePick
	t.ask()
	return nil
}

// rateCase applies an answer to case number: a happy one at once, an
// unhappy one after asking why, unless the reason came with it.
func (t *turn) rateCase(ctx context.Context, number, name string, a rateAnswer, ret Step) error {
	if a.satisfied() || a.why != "" {
		return t.sendRating(ctx, number, a, nil, ret)
	}
	t.s.Rate = &pendingRating{Number: number, Rating: a.rating, Solved: a.solved, Name: name, Return: ret}
	t.s.Step = stepRateWhy
	t.ask()
	return nil
}

// answerRatePick reads which waiting case a follow-up answer is about.
func (t *turn) answerRatePick(ctx context.Context, text string) error {
	r := t.s.Rate
	i, ok := t.choose(r.Choices)
	if !ok {
		t.notUnderstood(text)
		return nil
	}
	name := ""
	if i < len(r.Names) {
		name = r.Names[i]
	}
	return t.rateCase(ctx, numberOf(r.Choices[i]), name, rateAnswer{rating: r.Rating, solved: r.Solved, why: r.Why}, r.Return)
}

// answerRateWhy reads why the citizen is unhappy, or a new answer instead.
func (t *turn) answerRateWhy(ctx context.Context, text string) error {
	r := t.s.Rate
	a := rateAnswer{rating: r.Rating, solved: r.Solved}
	again, isRating := parseRating(text)
	switch {
	case is(text, wordsSkip):
	case isRating && again.satisfied():
		// A happy answer instead of a reason: they changed their mind, or
		// "5" was meant as the best mark.
		return t.sendRating(ctx, r.Number, again, nil, r.Return)
	case isRating && again.why == "":
		r.Rating, r.Solved = again.rating, again.solved
		t.ask()
		return nil
	case isRating:
		a = again
	default:
		a.why = text
	}
	return t.sendRating(ctx, r.Number, a, nil, r.Return)
}

// rateWithMedia takes a voice message or photo sent as the reason: it goes
// with the answer to the case, where staff listen to it.
func (t *turn) rateWithMedia(ctx context.Context, m *Media) error {
	r := t.s.Rate
	a := rateAnswer{rating: r.Rating, solved: r.Solved, why: textSeeMedia(t.received(m).Kind)}
	return t.sendRating(ctx, r.Number, a, m, r.Return)
}

// sendRating gives the answer to the desk, tells the citizen what it made of
// it, and goes back to where the citizen was. A reason sent as a file (m)
// follows the answer to the case; a reason no case took is kept
// (keepReason).
func (t *turn) sendRating(ctx context.Context, number string, a rateAnswer, m *Media, ret Step) error {
	rated, err := t.desk.Rate(ctx, number, t.in.ExternalUserID, a.rating, a.solved, a.why)
	reply := textRated(rated, number, a.rating)
	// words are the citizen's own reason; with a file, why only points to it.
	words := a.why
	if m != nil {
		words = ""
	}
	// deliver is what must still reach the case beside the answer.
	deliver := m != nil
	switch msg, refused := refusal(err); {
	case refused && errors.Is(err, cases.ErrRefused):
		// The only refusal of an answer on the scale: the case is being
		// handled again. What they said still reaches it.
		reply, err = fmt.Sprintf(textRateNotYet, number), nil
		deliver = deliver || words != ""
	case refused && (words != "" || m != nil):
		// The case is finished or gone meanwhile: what they said or sent
		// reached no case.
		return t.keepReason(ctx, number, nil, msg, words, m, ret)
	case refused:
		reply, err = msg, nil
	case err != nil:
		return fmt.Errorf("rate case: %w", err)
	default:
		words = "" // it went with the answer
	}
	if deliver {
		var att *cases.Attachment
		if m != nil {
			att = t.received(m)
		}
		err := t.desk.Supplement(ctx, number, t.in.ExternalUserID, words, att)
		if msg, ok := refusal(err); ok {
			return t.keepReason(ctx, number, []string{reply}, msg, words, m, ret)
		}
		if err != nil {
			return fmt.Errorf("add the reason to the case: %w", err)
		}
	}
	t.s.Step, t.s.Rate = ret, nil
	if !a.satisfied() {
		t.spoke(number) // reopened: what they say next is about it
	}
	if t.s.Step == "" || t.s.Step.in(actRate) {
		t.s.Step = stepMenu
	}
	t.say(cases.Message{Text: reply})
	if t.s.inFlow() {
		t.note(textStillHere)
		t.ask()
	}
	return nil
}

// keepReason keeps the reason of a follow-up answer that case number did
// not take (it was withdrawn or merged meanwhile): words, or a file (m).
// before is what to say first, refused the desk's refusal in the citizen's
// words. Nothing the citizen sent is dropped. In the middle of a report the
// reason joins it, labelled with the case it was about, and goes to staff
// with it. Otherwise it is held like material a case refused (rehome):
// another open case may take it, or it becomes a new report, or a person
// looks at it. A withdrawal or supplement the citizen was in the middle of
// is stopped, and they are told so: what rehome asks next must not read as
// that flow's next question, and what it holds must not go to that flow's
// case unasked.
func (t *turn) keepReason(ctx context.Context, number string, before []string, refused, words string, m *Media, ret Step) error {
	s := t.s
	s.Step, s.Rate = ret, nil
	if s.Step == "" || s.Step.in(actRate) {
		s.Step = stepMenu
	}
	for _, line := range before {
		t.say(cases.Message{Text: line})
	}
	if s.Step.in(actReport) || s.Step == stepResume {
		t.say(cases.Message{Text: refused})
		if words != "" {
			s.Parts = append(s.Parts, part{Text: words, About: number})
			t.note(textKeptAside)
		}
		if m != nil {
			i, err := t.keep(ctx, m)
			if err != nil {
				return err
			}
			s.Parts = append(s.Parts, part{Att: i, About: number})
			t.note(textMediaKept(s.Atts[i-1].Kind))
		}
		t.note(textStillHere)
		t.ask()
		return nil
	}
	switch {
	case s.Step == stepSuppCollect:
		// What they sent for that case reached it; only the supplement ends.
		refused += "\n" + fmt.Sprintf(textSuppEnded, s.Target)
	case s.Step == stepHeldNew || s.Step == stepSuppPick && s.holding():
		// Already asked where held material goes: the question comes again,
		// with the reason among what is held.
	case s.Step != stepMenu:
		refused += "\n" + textFlowStopped
	}
	if words != "" {
		s.Held = append(s.Held, words)
	}
	if m != nil {
		if _, err := t.keep(ctx, m); err != nil {
			return err
		}
	}
	s.Target = number
	return t.rehome(ctx, refused)
}

// leaveRating drops a follow-up answer in progress (取消, 上一步): nothing is
// recorded, and the desk asks again later.
func (t *turn) leaveRating() {
	t.s.Step, t.s.Rate = t.s.Rate.Return, nil
	if t.s.Step == "" {
		t.s.Step = stepMenu
	}
	t.note(textRateDropped)
	t.ask()
}
