package bot

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"banchengshi/cases"
)

// choose reads the citizen's choice among options on the current step, from
// a tapped menu item or typed words. A tap on an old menu reads as no choice.
func (t *turn) choose(options []string) (int, bool) {
	if id := t.in.MenuID; id != "" {
		it, ok := ParseStepItem(id)
		if !ok || it.Step != t.s.Step || it.N > len(options) {
			return 0, false
		}
		return it.N - 1, true
	}
	return ParseChoice(t.in.Text, options)
}

// notUnderstood repeats the question, keeping a long message that looks like
// part of the problem, and says so when an old menu was tapped.
func (t *turn) notUnderstood(text string) {
	switch {
	case t.in.MenuID != "":
		t.note(textStaleMenu)
	case t.aside(text):
	default:
		// Never the same misunderstanding twice: the second time explain
		// differently, then offer a person.
		t.s.Missed++
		switch {
		case t.s.Missed == 1:
			t.note(textNotUnderstood)
		case t.s.Missed == 2 && t.s.Step.def().choice:
			t.note(textNotUnderstood2)
		default:
			t.note(textOfferPerson)
		}
	}
	t.ask()
}

// again answers an answer that cannot be one, never the same way twice:
// first what is wanted, then an example, then the offer of a person.
func (t *turn) again(first, second string) {
	t.s.Missed++
	switch t.s.Missed {
	case 1:
		t.sayHere(first)
	case 2:
		t.sayHere(second)
	default:
		t.note(textOfferPerson)
		t.ask()
	}
}

// aside keeps words said on a structured step that are not an answer but
// read like part of the problem, so nothing the citizen said is lost.
func (t *turn) aside(text string) bool {
	step := t.s.Step
	if step == stepResume {
		step = t.s.ResumeStep
	}
	if !step.in(actReport) {
		return false
	}
	if idUnknown(text) && !t.s.Draft.IDAsked && step != stepID {
		// "不记得了，身份证在我妈那儿": an answer to the ID question, not
		// part of the problem.
		t.s.Draft.IDAsked = true
		t.note(textIDLater)
		return true
	}
	if !looksLikeStory(text, storyAside) {
		return false
	}
	t.s.Parts = append(t.s.Parts, part{Text: text})
	t.note(textKeptAside)
	return true
}

// idUnknown reports whether words say the ID number is not at hand.
func idUnknown(text string) bool {
	s := fold(text)
	if !strings.Contains(s, "身份证") || idIn(s) != "" {
		return false
	}
	for _, w := range []string{"不记得", "不知道", "不清楚", "记不住", "记不清", "没带", "找不到", "那儿", "那里", "手里"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// storyAside is how many Chinese characters make words said on a question
// step read as part of the problem rather than a clumsy answer.
const storyAside = 10

// looksLikeStory reports whether text reads like someone telling their
// problem: at least minHan Chinese characters, and no long number (a phone
// or ID number typed at the wrong moment is not a story).
func looksLikeStory(text string, minHan int) bool {
	han, digits := 0, 0
	for _, r := range fold(text) {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
			digits = 0
		case r >= '0' && r <= '9':
			digits++
			if digits >= 7 {
				return false
			}
		default:
			digits = 0
		}
	}
	return han >= minHan && !isGreeting(text)
}

func isGreeting(text string) bool {
	return slices.Contains(wordsGreeting, squeeze(clean(text)))
}

// is reports whether text is one of words.
func is(text string, words []string) bool {
	return slices.Contains(words, squeeze(clean(text)))
}

// note puts a statement in front of the next reply.
func (t *turn) note(line string) { t.lead = append(t.lead, line) }

// say adds a reply, prefixed with the pending statements.
func (t *turn) say(m cases.Message) {
	if len(t.lead) > 0 {
		m.Text = strings.Join(append(t.lead, m.Text), "\n")
		t.lead = nil
	}
	t.res.Replies = append(t.res.Replies, m)
}

// flush sends statements no reply carried, so every message gets an answer.
func (t *turn) flush() {
	if len(t.lead) > 0 || len(t.res.Replies) == 0 {
		lead := t.lead
		t.lead = nil
		if len(lead) == 0 {
			t.ask()
			return
		}
		t.res.Replies = append(t.res.Replies, cases.Message{Text: strings.Join(lead, "\n")})
	}
}

// sayHere says text as an answer on the current step, with the step's
// one-tap answer when it has one (so a citizen stuck on a number can skip).
func (t *turn) sayHere(text string) {
	m := cases.Message{Text: text}
	if q, ok := quickAnswers[t.s.Step]; ok {
		m.Menu = []cases.MenuItem{{ID: StepItem{Step: t.s.Step, N: 1}.ID(), Text: q.label}}
	}
	t.say(m)
}

// menu builds a question with tappable choices and the typed fallback.
func menu(head string, step Step, options []string, tail string) cases.Message {
	m := cases.Message{Text: head, MenuTail: tail}
	for i, o := range options {
		m.Menu = append(m.Menu, cases.MenuItem{ID: StepItem{Step: step, N: i + 1}.ID(), Text: fmt.Sprintf("%d. %s", i+1, optionLabel(o))})
	}
	return m
}
