package bot

import (
	"context"
	"fmt"
	"strings"

	"banchengshi/cases"
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

// reportText answers a step of the form.
func (t *turn) reportText(ctx context.Context, text string) error {
	s := t.s
	d := &s.Draft
	if s.Editing == "" && t.in.MenuID == "" && text != voiceAnswer && !s.Step.def().names {
		// A number given before it was asked for is kept for its slot.
		if took := t.takeNumbers(text); took != "" && onlyNumber(text) {
			t.note(took)
			if t.filled(s.Step) {
				t.advance()
			} else {
				t.ask()
			}
			return nil
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
		return nil
	}
	switch s.Step {
	case stepWho:
		who, relation, name, ok := t.whoAnswer(text)
		if !ok {
			t.notUnderstood(text)
			return nil
		}
		if who != d.Who && (who == whoSelf || d.Who == whoSelf) {
			// The name given belongs to the other side of the change.
			d.Name, d.Relation, d.Consent, d.PhoneWhose, d.Reporter = "", "", "", "", ""
		}
		d.Who = who
		if relation != "" {
			d.Relation = relation
		}
		if name != "" {
			d.Name = name
		}
	case stepSelfName, stepReporter:
		return t.personName(text)
	case stepName, stepRelation:
		if runeLen(text) > 30 {
			t.notUnderstood(text) // a story rather than a name: kept as description
			return nil
		}
		if text != maskNumbers(text) {
			t.note(textNotAName)
			t.ask()
			return nil
		}
		if s.Step == stepName {
			return t.affectedName(text)
		}
		return t.relation(text)
	case stepConsent:
		i, ok := t.choose(consentOptions)
		if !ok {
			t.notUnderstood(text)
			return nil
		}
		d.Consent = optionLabel(consentOptions[i])
	case stepID:
		return t.idNumber(text)
	case stepPhoneWhose:
		i, ok := t.choose(phoneOptions(affectedName(*d)))
		if !ok {
			t.notUnderstood(text)
			return nil
		}
		d.PhoneWhose = []string{phoneReporter, phoneAffected}[i]
	case stepPhone:
		return t.phone(text)
	case stepCategory:
		cats := t.desk.Categories()
		i, ok := t.choose(categoryOptions(cats))
		if !ok {
			t.notUnderstood(text)
			return nil
		}
		d.Category = cats[i].Key
	case stepTriedWindow:
		switch {
		case is(text, wordsNone):
			d.TriedWindow, d.TriedWhen, d.TriedAnswer = noneAnswer, "", ""
		case s.Editing == "" && t.takeTried(text):
			// "去年6月去的区社保中心，说要等": the window, when and its answer.
		default:
			d.TriedWindow = text
		}
	case stepTriedWhen:
		if when, told, ok := whenAndAnswer(text, t.now); ok {
			// "去年6月，说要等通知": the answer came with the time.
			s.WhenTries = 0
			d.TriedWhen, d.TriedAnswer = when, told
			break
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
	case stepTriedAnswer:
		if is(text, wordsNone) {
			d.TriedAnswer = noneAnswer
		} else {
			d.TriedAnswer = text
		}
	case stepDesc:
		if is(text, wordsDone) {
			if len(s.Parts) == 0 {
				t.sayHere(textDescEmpty)
				return nil
			}
			break
		}
		if text != voiceAnswer {
			s.Parts = append(s.Parts, part{Text: text})
		}
		if text == voiceAnswer || !looksLikeStory(text, wholeStory) || s.Editing != "" {
			t.sayHere(textDescAck)
			return nil
		}
		t.note(textGotStory)
	case stepConfirm:
		i, ok := t.choose(confirmOptions)
		switch {
		case !ok && t.in.MenuID == "" && is(text, wordsDone):
			t.ask() // "说完了" after the story: here is the summary
		case !ok && t.in.MenuID == "":
			return t.confirmWords(text)
		case !ok:
			t.notUnderstood(text)
		case i == 0:
			return t.submit(ctx)
		case i == 1:
			t.goTo(stepEdit)
		default:
			t.cancel()
		}
		return nil
	case stepEdit:
		i, ok := t.choose(editOptions)
		if !ok {
			t.notUnderstood(text)
			return nil
		}
		t.edit(editGroups[i])
		return nil
	default:
		s.Step = stepMenu // not reached: upgrade maps unknown steps to the menu
		t.ask()
		return nil
	}
	t.advance()
	return nil
}

// edit starts changing one summary item.
func (t *turn) edit(g string) {
	s := t.s
	s.Editing = g
	switch g {
	case "who":
		t.goTo(stepWho)
	case "id":
		s.IDTries = 0
		t.goTo(stepID)
	case "phone":
		if s.Draft.Who == whoSelf {
			t.goTo(stepPhone)
		} else {
			t.goTo(stepPhoneWhose)
		}
	case "category":
		if len(t.desk.Categories()) == 0 {
			s.Editing = ""
			t.ask()
			return
		}
		t.goTo(stepCategory)
	case "tried":
		t.goTo(stepTriedWindow)
	default:
		t.goTo(stepDesc)
	}
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
	norm, ok := ParsePhone(text)
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
		if p.Text != "" {
			texts = append(texts, p.Text)
		}
	}
	return strings.Join(texts, "\n")
}

// submit turns the draft into a case and hands it to the desk.
func (t *turn) submit(ctx context.Context) error {
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
	atts := make([]*cases.Attachment, len(s.Atts))
	for i, a := range s.Atts {
		var err error
		if atts[i], err = t.stored(ctx, a); err != nil {
			return err
		}
	}
	said := make([]string, 0, len(s.Parts))
	for _, p := range s.Parts {
		if p.Text != "" {
			said = append(said, p.Text)
		} else if p.Att > 0 && p.Att <= len(s.Atts) {
			said = append(said, "["+mediaName(s.Atts[p.Att-1].Kind)+"]")
		}
	}
	if err := t.desk.Submit(ctx, c, atts, said); err != nil {
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
