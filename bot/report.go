package bot

import (
	"context"
	"fmt"
	"strings"

	"banchengshi/cases"
	"banchengshi/pii"
)

// The report form: who is affected and what to call the reporter, the
// affected person's ID number and phone, the category,
// what was tried before, the problem in the citizen's words, a summary to
// confirm, and Submit.

// startReport begins the form, keeping anything already said.
func (t *turn) startReport() {
	t.s.History = nil
	t.s.Editing = ""
	t.s.Step = stepWho
	if t.filled(stepWho) {
		t.advance()
		return
	}
	t.ask()
}

// nextStep is the form step after from, given what the draft holds: the
// summary once the form is done.
func (t *turn) nextStep(from Step) Step {
	if next := from.def().next; next != nil {
		return next(t)
	}
	return stepConfirm
}

// filled reports whether a form step's answer is already known.
func (t *turn) filled(step Step) bool {
	f := step.def().filled
	return f != nil && f(t.s)
}

// advance moves past the answered step; while changing one summary item it
// returns to the summary once that item's steps are done.
func (t *turn) advance() {
	s := t.s
	next := t.nextStep(s.Step)
	for s.Editing == "" && next != stepConfirm && t.filled(next) {
		next = t.nextStep(next)
	}
	if s.Editing != "" && next.def().group != s.Editing {
		next, s.Editing = stepConfirm, ""
	}
	t.goTo(next)
}

// reportText answers a step of the form: words that answer something else
// first, then the step's own answer (the step table's answer).
func (t *turn) reportText(ctx context.Context, text string) error {
	if t.outOfTurn(text) {
		return nil
	}
	return t.s.Step.def().answer(t, ctx, text)
}

// outOfTurn takes words on a form step that are no answer to it: a number
// given before it was asked for, kept for its slot, or what the citizen
// wants to do. It reports whether the citizen has been answered.
func (t *turn) outOfTurn(text string) bool {
	s := t.s
	if s.Editing == "" && t.in.MenuID == "" && text != voiceAnswer && !s.Step.def().names {
		if took := t.takeNumbers(text); took != "" && onlyNumber(text) {
			t.note(took)
			if t.filled(s.Step) {
				t.advance()
			} else {
				t.ask()
			}
			return true
		}
	}
	if t.in.MenuID == "" && isIntent(text) && s.Step != stepDesc {
		// "还有个事想说一下", "我要反映问题": what they want, not an answer.
		if startsNew(text) {
			t.note(textOneAtATime)
		} else {
			t.note(textAlreadyOn)
		}
		t.ask()
		return true
	}
	return false
}

// answerConsent reads whether the affected person knows and agrees.
func (t *turn) answerConsent(text string) error {
	i, ok := t.choose(consentOptions)
	if !ok {
		t.notUnderstood(text)
		return nil
	}
	t.s.Draft.Consent = optionLabel(consentOptions[i])
	t.advance()
	return nil
}

// answerPhoneWhose reads whose phone staff call.
func (t *turn) answerPhoneWhose(text string) error {
	d := &t.s.Draft
	i, ok := t.choose(phoneOptions(affectedName(*d)))
	if !ok {
		t.notUnderstood(text)
		return nil
	}
	d.PhoneWhose = []string{phoneReporter, phoneAffected}[i]
	t.advance()
	return nil
}

// answerCategory reads the kind of problem among the configured ones.
func (t *turn) answerCategory(text string) error {
	cats := t.desk.Categories()
	i, ok := t.choose(categoryOptions(cats))
	if !ok {
		t.notUnderstood(text)
		return nil
	}
	t.s.Draft.Category = cats[i].Key
	t.advance()
	return nil
}

// answerTriedWindow reads where the citizen tried before: nowhere, or a
// window, perhaps with when and what it said.
func (t *turn) answerTriedWindow(text string) error {
	d := &t.s.Draft
	switch {
	case is(text, wordsNone):
		d.TriedWindow, d.TriedWhen, d.TriedAnswer = noneAnswer, "", ""
	case t.s.Editing == "" && t.takeTried(text):
		// "去年6月去的区社保中心，说要等": the window, when and its answer.
	default:
		d.TriedWindow = text
	}
	t.advance()
	return nil
}

// answerTriedWhen reads when the citizen went to the window: a date, asked
// once more when it cannot be read, then taken in their own words.
func (t *turn) answerTriedWhen(text string) error {
	s, d := t.s, &t.s.Draft
	if when, told, ok := whenAndAnswer(text, t.now); ok {
		// "去年6月，说要等通知": the answer came with the time.
		s.WhenTries = 0
		d.TriedWhen, d.TriedAnswer = when, told
		t.advance()
		return nil
	}
	when, ok := ParseDate(text, t.now)
	if !ok {
		s.WhenTries++
		if s.WhenTries < 2 && text != voiceAnswer {
			t.sayHere(textWhenBad)
			return nil
		}
		when = text // their own words are better than nothing
	}
	s.WhenTries = 0
	d.TriedWhen = when
	t.advance()
	return nil
}

// answerTriedAnswer reads what the window answered.
func (t *turn) answerTriedAnswer(text string) error {
	d := &t.s.Draft
	if is(text, wordsNone) {
		d.TriedAnswer = noneAnswer
	} else {
		d.TriedAnswer = text
	}
	t.advance()
	return nil
}

// answerDesc takes the problem in the citizen's words, in as many messages
// as they like: a whole story, or 说完了, leads to the summary.
func (t *turn) answerDesc(text string) error {
	s := t.s
	if is(text, wordsDone) {
		if len(s.Parts) == 0 {
			t.sayHere(textDescEmpty)
			return nil
		}
		t.advance()
		return nil
	}
	if text != voiceAnswer {
		s.Parts = append(s.Parts, part{Text: text})
	}
	if text == voiceAnswer || !looksLikeStory(text, wholeStory) || s.Editing != "" {
		t.sayHere(textDescAck)
		return nil
	}
	t.note(textGotStory)
	t.advance()
	return nil
}

// idNumber checks the affected person's ID number: a wrong one is explained,
// tried once more, and may then be skipped.
func (t *turn) idNumber(text string) error {
	s, d := t.s, &t.s.Draft
	if is(text, wordsSkip) || text == voiceAnswer {
		d.IDNumber, d.IDAsked, s.IDTries = "", true, 0
		t.note(textSkipped)
		t.advance()
		return nil
	}
	norm, ok, reason := ValidIDNumber(text)
	if ok {
		d.IDNumber, d.IDAsked, s.IDTries = norm, true, 0
		t.note(textGot)
		t.advance()
		return nil
	}
	if reason == textIDChars && t.aside(text) {
		t.ask()
		return nil
	}
	s.IDTries++
	if s.IDTries == 1 {
		t.sayHere(textIDAgain(reason, false))
	} else {
		t.sayHere(textIDAgain(reason, true))
	}
	return nil
}

// phone reads the contact number.
func (t *turn) phone(text string) error {
	d := &t.s.Draft
	if text == voiceAnswer {
		d.Phone, d.PhoneAsked = "", true
		t.advance()
		return nil
	}
	if is(text, wordsNoPhone) {
		if d.Who != whoSelf && d.PhoneWhose == phoneAffected {
			d.PhoneWhose = phoneReporter
			t.sayHere(textPhoneMine)
			return nil
		}
		d.Phone, d.PhoneAsked = "", true
		t.note(textPhoneNone)
		t.advance()
		return nil
	}
	norm, ok := pii.ParsePhone(text)
	if !ok {
		if t.aside(text) {
			t.ask()
			return nil
		}
		t.again(textPhoneBad, textPhoneBad2)
		return nil
	}
	d.Phone, d.PhoneAsked = norm, true
	t.advance()
	return nil
}

// categoryOptions offers the configured categories with their aliases.
func categoryOptions(cats []cases.Category) []string {
	out := make([]string, len(cats))
	for i, c := range cats {
		out[i] = strings.Join(append([]string{c.Name}, c.Aliases...), "|")
	}
	return out
}

func categoryName(cats []cases.Category, key string) string {
	for _, c := range cats {
		if c.Key == key {
			return c.Name
		}
	}
	return key
}

// writtenName is a name staff can say on the phone: one given by voice is
// in the recording, not in the case's words.
func writtenName(name string) string {
	if name == voiceAnswer {
		return ""
	}
	return name
}

// descriptionText joins the typed parts of the description.
func descriptionText(s *session) string {
	var texts []string
	for _, p := range s.Parts {
		if said := p.said(); said != "" {
			texts = append(texts, said)
		}
	}
	return strings.Join(texts, "\n")
}

// submit turns the draft into a case and hands it to the desk.
func (t *turn) submit(ctx context.Context) error {
	s := t.s
	c := t.draftCase()
	atts := make([]*cases.Attachment, len(s.Atts))
	for i, a := range s.Atts {
		var err error
		if atts[i], err = t.stored(ctx, a); err != nil {
			return err
		}
	}
	if err := t.desk.Submit(ctx, c, atts, saidParts(s)); err != nil {
		if msg, ok := refusal(err); ok {
			t.note(msg)
			t.ask()
			return nil
		}
		return fmt.Errorf("submit case: %w", err)
	}
	t.reset()
	t.s.About = "" // a new case: words about an older one are no longer likely
	t.say(cases.Message{Text: textSubmitted(c)})
	return nil
}

// draftCase is the case the draft describes, as the desk receives it.
func (t *turn) draftCase() *cases.Case {
	s, d := t.s, t.s.Draft
	c := &cases.Case{
		OpenKfID:     t.in.OpenKfID,
		ReporterID:   t.in.ExternalUserID,
		ReporterName: writtenName(d.Reporter),
		Affected:     cases.Person{Name: d.Name, IDNumber: d.IDNumber},
		Relation:     d.Relation,
		Consent:      d.Consent,
		ContactPhone: d.Phone,
		Category:     d.Category,
		TriedWindow:  d.TriedWindow,
		TriedWhen:    d.TriedWhen,
		TriedAnswer:  d.TriedAnswer,
		Description:  descriptionText(s),
		Status:       cases.StatusSubmitted,
		CreatedAt:    t.now,
		UpdatedAt:    t.now,
	}
	switch {
	case d.Who == whoSelf:
		c.Affected.Name, c.Relation, c.Consent = d.Name, relationSelf, relationSelf
		c.ReporterName = writtenName(d.Name)
		c.Affected.Phone = d.Phone
	case d.PhoneWhose == phoneAffected:
		c.Affected.Phone = d.Phone
	}
	if c.Description == "" {
		c.Description = textSeeFiles(filesText(s.Atts))
	}
	return c
}

// saidParts are the description messages in order, a file by its kind, as
// the case's timeline shows them.
func saidParts(s *session) []string {
	said := make([]string, 0, len(s.Parts))
	for _, p := range s.Parts {
		if p.Text != "" {
			said = append(said, p.said())
		} else if p.Att > 0 && p.Att <= len(s.Atts) {
			file := "[" + cases.MediaLabel(s.Atts[p.Att-1].Kind) + "]"
			if p.About != "" {
				file = fmt.Sprintf(textReasonAbout, p.About) + file
			}
			said = append(said, file)
		}
	}
	return said
}
