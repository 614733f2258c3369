package bot

import (
	"fmt"

	"banchengshi/cases"
)

// What the bot asks on each step. The step table (steps.go) names each
// step's question; the words are in text.go.

// ask says the current step's question, with the step's one-tap answer
// (quickAnswers) under a question that offers no options.
func (t *turn) ask() {
	s := t.s
	def, ok := steps[s.Step]
	if !ok {
		// Back to a step of a newer release (its name in the history):
		// the menu, without the welcome of a menu asked for.
		s.Step = stepMenu
		t.say(menu(textMenuHead, stepMenu, mainOptions, textMenuTail))
		return
	}
	m := def.ask(t)
	if q, ok := quickAnswers[s.Step]; ok && m.Menu == nil {
		m.Menu = []cases.MenuItem{{ID: StepItem{Step: s.Step, N: 1}.ID(), Text: q.label}}
	}
	t.say(m)
}

// says is a question in words alone.
func says(text string) func(*turn) cases.Message {
	return func(*turn) cases.Message { return cases.Message{Text: text} }
}

// offers is a question with options that do not change.
func offers(head string, options []string, tail string) func(*turn) cases.Message {
	return func(t *turn) cases.Message { return menu(head, t.s.Step, options, tail) }
}

// askMenu offers what can be done; a digit typed soon after picks from it.
func (t *turn) askMenu() cases.Message {
	head := textMenuHead
	if len(t.lead) > 0 {
		head = textMenuAgain
	}
	m := menu(head, stepMenu, mainOptions, textMenuTail)
	t.s.MenuAt = t.now
	return m
}

// askName asks the affected person's name, by the relation when it is known.
func (t *turn) askName() cases.Message {
	d := t.s.Draft
	switch {
	case d.Relation != "" && d.Relation != voiceAnswer && d.Who == whoFamily:
		return cases.Message{Text: fmt.Sprintf(textAskNameOf, d.Relation)}
	case d.Relation != "":
		return cases.Message{Text: textAskName}
	}
	return cases.Message{Text: textAskName + "\n" + textAskNameHint}
}

func (t *turn) askRelation() cases.Message {
	return cases.Message{Text: fmt.Sprintf(textAskRelation, affectedName(t.s.Draft))}
}

func (t *turn) askConsent() cases.Message {
	return menu(fmt.Sprintf(textAskConsent, affectedName(t.s.Draft)), stepConsent, consentOptions, textStepTail)
}

func (t *turn) askID() cases.Message {
	d := t.s.Draft
	if d.Who == whoSelf {
		return cases.Message{Text: textAskIDSelf}
	}
	return cases.Message{Text: fmt.Sprintf(textAskIDOther, affectedName(d))}
}

func (t *turn) askPhoneWhose() cases.Message {
	return menu(textAskPhoneWhose+"\n"+textPhoneWhoseHint, stepPhoneWhose, phoneOptions(affectedName(t.s.Draft)), textStepTail)
}

func (t *turn) askPhone() cases.Message {
	d := t.s.Draft
	if d.Who != whoSelf && d.PhoneWhose == phoneAffected {
		return cases.Message{Text: fmt.Sprintf(textAskPhoneOther, affectedName(d))}
	}
	return cases.Message{Text: textAskPhoneSelf}
}

func (t *turn) askCategory() cases.Message {
	return menu(textAskCategory, stepCategory, categoryOptions(t.desk.Categories()), textStepTail)
}

// askDesc asks for the problem, or for more of it once some was told.
func (t *turn) askDesc() cases.Message {
	if len(t.s.Parts) > 0 {
		return cases.Message{Text: textAskDescMore}
	}
	return cases.Message{Text: textAskDesc}
}

// askConfirm shows the summary to confirm.
func (t *turn) askConfirm() cases.Message {
	return menu(summary(t.s, t.desk.Categories())+"\n"+textConfirmAsk, stepConfirm, confirmOptions, textMenuTail)
}

// askAbout asks whether words go to the case the bot last spoke about.
func (t *turn) askAbout() cases.Message {
	return menu(fmt.Sprintf(textAskAbout, t.s.About), stepAboutAsk, aboutOptions, textMenuTail)
}

// askSuppPick asks which case to supplement: for what was already sent,
// when the session holds it.
func (t *turn) askSuppPick() cases.Message {
	head := textAskSuppPick
	if t.s.holding() {
		head = textAskHeldPick
	}
	return menu(head, stepSuppPick, t.s.Choices, textStepTail)
}

func (t *turn) askSupp() cases.Message {
	return cases.Message{Text: fmt.Sprintf(textAskSupp, t.s.Target)}
}

func (t *turn) askWdPick() cases.Message {
	return menu(textAskWdPick, stepWdPick, t.s.Choices, textStepTail)
}

func (t *turn) askWdConfirm() cases.Message {
	return menu(fmt.Sprintf(textAskWdSure, t.s.Target), stepWdConfirm, withdrawOptions, textMenuTail)
}

// askRatePick asks which waiting case a follow-up answer is about.
func (t *turn) askRatePick() cases.Message {
	r := t.s.Rate
	return menu(textAskRatePick(r.Rating, r.Solved, len(r.Choices)), stepRatePick, r.Choices, textStepTail)
}

func (t *turn) askRateWhy() cases.Message {
	return cases.Message{Text: textAskRateWhy(t.s.Rate.Name, t.s.Rate.Solved)}
}
