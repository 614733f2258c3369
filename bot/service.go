package bot

import (
	"context"
	"fmt"
	"slices"

	"banchengshi/cases"
)

// What a citizen does with cases already reported: ask where they stand, add
// material to an open one, withdraw one.

// query lists the reporter's cases; an unfinished report stays where it was.
func (t *turn) query(ctx context.Context) error {
	views, err := t.desk.ReporterCases(ctx, t.in.OpenKfID, t.in.ExternalUserID)
	if err != nil {
		return fmt.Errorf("list reporter cases: %w", err)
	}
	t.say(cases.Message{Text: textCaseList(views)})
	var open []string
	for _, v := range views {
		if v.Working {
			open = append(open, v.Number)
		}
	}
	if len(open) == 1 {
		t.spoke(open[0])
	}
	if t.s.inFlow() {
		t.note(textStillHere)
		t.ask()
	}
	return nil
}

// hasWorking reports whether the bureau still works on one of views.
func hasWorking(views []cases.CaseView) bool {
	return slices.ContainsFunc(views, func(v cases.CaseView) bool { return v.Working })
}

// pickCase starts choosing among the reporter's open cases: with one it is
// chosen at once and next is asked, with several pickStep offers them.
func (t *turn) pickCase(ctx context.Context, pickStep, next Step, none string) error {
	views, err := t.desk.ReporterCases(ctx, t.in.OpenKfID, t.in.ExternalUserID)
	if err != nil {
		return fmt.Errorf("list reporter cases: %w", err)
	}
	var open []cases.CaseView
	for _, v := range views {
		if v.Working {
			open = append(open, v)
		}
	}
	s := t.s
	s.History, s.Choices, s.Target = nil, nil, ""
	switch len(open) {
	case 0:
		s.Step = stepMenu
		t.say(cases.Message{Text: none})
		return nil
	case 1:
		s.Target = open[0].Number
		s.Step = next
		t.ask()
		return nil
	}
	for _, v := range open {
		s.Choices = append(s.Choices, caseOption(v))
	}
	s.Step = pickStep
	t.ask()
	return nil
}

// caseOption offers a case by number and category; its last digits alone
// also choose it.
func caseOption(v cases.CaseView) string {
	return numberedOption(v.Number+" "+v.Category, v.Number)
}

// numberedOption offers a case under label; its number and last digits
// also choose it.
func numberedOption(label, number string) string {
	opt := label + "|" + number
	if n := len(number); n > 4 {
		opt += "|" + number[n-4:]
	}
	return opt
}

// picked reads the case chosen on a pick step.
func (t *turn) picked(text string) (string, bool) {
	i, ok := t.choose(t.s.Choices)
	if !ok {
		t.notUnderstood(text)
		return "", false
	}
	return numberOf(t.s.Choices[i]), true
}

// numberOf is the case number in a case option.
func numberOf(option string) string {
	for i, r := range option {
		if r == ' ' || r == '|' {
			return option[:i]
		}
	}
	return option
}

func (t *turn) startSupplement(ctx context.Context) error {
	return t.pickCase(ctx, stepSuppPick, stepSuppCollect, textNoOpenSupp)
}

func (t *turn) supplementText(ctx context.Context, text string) error {
	s := t.s
	if s.Step == stepSuppPick {
		if _, ok := t.choose(s.Choices); !ok && t.in.MenuID == "" && looksLikeStory(text, storyAside) {
			// More words before the case is chosen: they wait with it.
			s.Held = append(s.Held, text)
			t.note(textKeptAside)
			t.ask()
			return nil
		}
		number, ok := t.picked(text)
		if !ok {
			return nil
		}
		s.Target = number
		held := s.holding()
		if done, err := t.flushPending(ctx); err != nil || done {
			return err
		}
		if held {
			// What was sent is with the case now: ask for more, not for it.
			s.History = append(s.History, s.Step)
			s.Step = stepSuppCollect
			t.sayHere(fmt.Sprintf(textMaterialAck, number))
			return nil
		}
		t.goTo(stepSuppCollect)
		return nil
	}
	if is(text, wordsDone) {
		// Files kept during a detour (a rating asked meanwhile) belong to the
		// case being supplemented: hand them over before the session is cleared.
		if done, err := t.flushPending(ctx); err != nil || done {
			return err
		}
		number := s.Target
		t.reset()
		t.spoke(number)
		t.say(cases.Message{Text: textSuppDone})
		return nil
	}
	refused, err := t.supplement(ctx, text, nil)
	if err != nil {
		return err
	}
	if refused != "" {
		s.Held = append(s.Held, text)
		return t.rehome(ctx, refused)
	}
	t.sayHere(fmt.Sprintf(textSuppAck, s.Target))
	return nil
}

// flushPending adds the words and files sent while a case was being chosen
// to the chosen case, so they reach its handler. done reports that the case
// refused them: what it did not take is still held, and the citizen has
// been asked where it should go (rehome).
func (t *turn) flushPending(ctx context.Context) (done bool, err error) {
	for len(t.s.Held) > 0 {
		refused, err := t.supplement(ctx, t.s.Held[0], nil)
		if err != nil {
			return false, err
		}
		if refused != "" {
			return true, t.rehome(ctx, refused)
		}
		t.s.Held = t.s.Held[1:]
	}
	t.s.Held = nil
	for len(t.s.Atts) > 0 {
		a, err := t.stored(ctx, t.s.Atts[0])
		if err != nil {
			return false, err
		}
		refused, err := t.supplement(ctx, "", a)
		if err != nil {
			return false, err
		}
		if refused != "" {
			return true, t.rehome(ctx, refused)
		}
		t.s.Atts = t.s.Atts[1:]
	}
	t.s.Atts = nil
	return false, nil
}

func (t *turn) supplementMedia(ctx context.Context, m *Media) error {
	refused, err := t.supplement(ctx, "", t.received(m))
	if err != nil {
		return err
	}
	if refused != "" {
		if _, err := t.keep(ctx, m); err != nil {
			return err
		}
		return t.rehome(ctx, refused)
	}
	t.sayHere(fmt.Sprintf(textSuppAck, t.s.Target))
	return nil
}

// supplement hands one message to the case being supplemented. refused is
// the desk's refusal in the citizen's words, "" when the case took it; the
// caller keeps what was refused and calls rehome.
func (t *turn) supplement(ctx context.Context, text string, att *cases.Attachment) (refused string, err error) {
	err = t.desk.Supplement(ctx, t.s.Target, t.in.ExternalUserID, text, att)
	if err == nil {
		return "", nil
	}
	if msg, ok := refusal(err); ok {
		return msg, nil
	}
	return "", fmt.Errorf("supplement case: %w", err)
}

// rehome answers a supplement the desk refused (the case was closed,
// withdrawn or merged meanwhile). Nothing the citizen sent is dropped: they
// are told why, and what is held (words in Held, files in Atts) waits for a
// case that can take it. With other open cases they pick again; with none
// they are offered to report it as a new matter or to have a person look
// at it (stepHeldNew). Whatever they were doing with the refused case is
// over.
func (t *turn) rehome(ctx context.Context, refusal string) error {
	s := t.s
	refused := s.Target
	views, err := t.desk.ReporterCases(ctx, t.in.OpenKfID, t.in.ExternalUserID)
	if err != nil {
		return fmt.Errorf("list reporter cases: %w", err)
	}
	s.History, s.Choices, s.Reason, s.Missed = nil, nil, "", 0
	for _, v := range views {
		if v.Working && v.Number != refused {
			s.Choices = append(s.Choices, caseOption(v))
		}
	}
	t.note(refusal)
	if len(s.Choices) > 0 {
		s.Target, s.Step = "", stepSuppPick
		t.note(textHeldStill)
		t.ask()
		return nil
	}
	// Target stays: a person asked to look is shown the case that refused.
	s.Step = stepHeldNew
	t.ask()
	return nil
}

// heldNewText answers whether what no case could take becomes a new report.
// More words meanwhile join what is held.
func (t *turn) heldNewText(ctx context.Context, text string) error {
	s := t.s
	i, ok := t.choose(heldNewOptions)
	switch {
	case !ok && t.in.MenuID == "" && looksLikeStory(text, storyAside):
		s.Held = append(s.Held, text)
		t.note(textKeptAside)
		t.ask()
		return nil
	case !ok:
		t.notUnderstood(text)
		return nil
	case i == 1:
		return t.heldToStaff(ctx)
	}
	t.heldAsReport()
	return nil
}

// heldAsReport starts a report with what no case could take: the words as
// the story and the files attached, the way a first message is taken.
func (t *turn) heldAsReport() {
	s := t.s
	held := s.Held
	s.Held, s.Choices, s.Target, s.About = nil, nil, "", ""
	for _, h := range held {
		s.Parts = append(s.Parts, part{Text: h})
		t.takeStory(h)
	}
	for i := range s.Atts {
		if !slices.ContainsFunc(s.Parts, func(p part) bool { return p.Att == i+1 }) {
			s.Parts = append(s.Parts, part{Att: i + 1})
		}
	}
	t.note(textHeldAsReport)
	t.startReport()
}

// heldToStaff hands the chat to a person, recorded on the case that refused
// what was sent. What is held stays: the citizen may still report it.
func (t *turn) heldToStaff(ctx context.Context) error {
	if err := t.desk.Handover(ctx, t.in.OpenKfID, t.in.ExternalUserID, t.s.Target); err != nil {
		return fmt.Errorf("record handover: %w", err)
	}
	t.res.Handover = true
	t.say(cases.Message{Text: textHeldToStaff})
	return nil
}

func (t *turn) startWithdraw(ctx context.Context) error {
	return t.pickCase(ctx, stepWdPick, stepWdReason, textNoOpenWd)
}

func (t *turn) withdrawText(ctx context.Context, text string) error {
	s := t.s
	switch s.Step {
	case stepWdPick:
		number, ok := t.picked(text)
		if !ok {
			return nil
		}
		s.Target = number
		if done, err := t.flushPending(ctx); err != nil || done {
			return err
		}
		t.goTo(stepWdReason)
	case stepWdReason:
		if is(text, wordsSkip) {
			s.Reason = ""
		} else {
			s.Reason = text
		}
		t.goTo(stepWdConfirm)
	case stepWdConfirm:
		i, ok := t.choose(withdrawOptions)
		if !ok {
			t.notUnderstood(text)
			return nil
		}
		number := s.Target
		// Whatever was sent meanwhile (a file kept during a detour) goes to
		// the case before the session is cleared, withdrawn or not.
		if done, err := t.flushPending(ctx); err != nil || done {
			return err
		}
		if i == 1 {
			t.reset()
			t.say(cases.Message{Text: fmt.Sprintf(textWdKept, number)})
			return nil
		}
		err := t.desk.Withdraw(ctx, number, t.in.ExternalUserID, s.Reason)
		if msg, refused := refusal(err); refused {
			t.reset()
			t.say(cases.Message{Text: msg})
			return nil
		}
		if err != nil {
			return fmt.Errorf("withdraw case: %w", err)
		}
		t.reset()
		t.say(cases.Message{Text: fmt.Sprintf(textWdDone, number)})
	}
	return nil
}
