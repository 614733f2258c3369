package bot

import (
	"context"
	"fmt"

	"banchengshi/cases"
)

// handover asks for a person: the pipeline moves the chat to a servicer.
// Whatever was filled in stays in the session.
func (t *turn) handover(ctx context.Context) error {
	number := t.s.Target
	if t.s.Rate != nil && t.s.Rate.Number != "" {
		number = t.s.Rate.Number
	}
	if err := t.desk.Handover(ctx, t.in.OpenKfID, t.in.ExternalUserID, number); err != nil {
		return fmt.Errorf("record handover: %w", err)
	}
	t.res.Handover = true
	if t.s.hasDraft() {
		t.say(cases.Message{Text: textHandoverDraft})
	} else {
		t.say(cases.Message{Text: textHandover})
	}
	return nil
}

func (t *turn) cancel() {
	if t.s.Step.in(actRate) {
		t.leaveRating()
		return
	}
	if !t.s.inFlow() && !t.s.hasDraft() {
		t.note(textNothingToStop)
		t.ask()
		return
	}
	text := textCancelled
	switch t.s.Step {
	case stepSuppPick:
		text = textStopped
	case stepSuppCollect:
		text = textSuppDone
	case stepWdPick, stepWdReason, stepWdConfirm:
		text = textWdStopped
	}
	t.reset()
	t.s.About = "" // they stopped: their next words are a fresh start
	t.say(cases.Message{Text: text})
}

// restart starts the current activity over, forgetting its answers.
func (t *turn) restart(ctx context.Context) error {
	step := t.s.Step
	if step == stepResume {
		step = t.s.ResumeStep
	}
	if step.in(actRate) {
		step = t.s.Rate.Return
	}
	t.reset()
	t.note(textRestart)
	switch {
	case step.in(actSupplement):
		return t.startSupplement(ctx)
	case step.in(actWithdraw):
		return t.startWithdraw(ctx)
	}
	t.startReport()
	return nil
}

// back returns to the previous step; answers stay until changed.
func (t *turn) back() {
	s := t.s
	if s.Step.in(actRate) {
		t.leaveRating()
		return
	}
	if s.Step == stepResume {
		s.Step, s.ResumeStep = s.ResumeStep, ""
	}
	if len(s.History) == 0 {
		if s.inFlow() {
			t.note(textFirstStep)
		}
		t.ask()
		return
	}
	s.Step = s.History[len(s.History)-1]
	s.History = s.History[:len(s.History)-1]
	s.Editing = ""
	t.ask()
}

// reset forgets everything in progress but the case the bot last spoke
// about: that is the conversation's context, not a task.
func (t *turn) reset() {
	about, at := t.s.About, t.s.AboutAt
	*t.s = *newSession(t.now)
	t.s.About, t.s.AboutAt = about, at
}

// goTo moves forward to step and asks its question.
func (t *turn) goTo(step Step) {
	s := t.s
	if s.Step != stepMenu && s.Step != stepResume && s.Step != step {
		s.History = append(s.History, s.Step)
		if len(s.History) > maxHistory {
			s.History = s.History[len(s.History)-maxHistory:]
		}
	}
	if s.Step != step {
		s.Missed = 0
	}
	s.Step = step
	t.ask()
}
