package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"banchengshi/cases"
)

// maxHistory bounds the 上一步 stack; older steps are forgotten first.
const maxHistory = 40

// turn is the handling of one Incoming: the session it advances and the
// replies it collects.
type turn struct {
	e     *Engine
	desk  cases.Desk
	store cases.SessionStore
	key   string
	in    Incoming
	s     *session
	now   time.Time
	// seenMedia are the draft files the session referred to this turn;
	// those it no longer refers to at the end are deleted.
	seenMedia []int64

	res  Result
	lead []string // statements put in front of the next reply
}

// Handle advances the citizen's dialog by one message and returns what to
// answer. The session is read from and written to sessions, so the caller
// decides the transaction. Errors are infrastructure failures (the session
// store or the desk); the caller retries the message.
func (e *Engine) Handle(ctx context.Context, sessions cases.SessionStore, desk cases.Desk, in Incoming) (Result, error) {
	now := in.At
	if now.IsZero() {
		now = e.cfg.Now()
	}
	key := SessionKey(in.OpenKfID, in.ExternalUserID)
	s, corrupt, err := loadSession(ctx, sessions, key)
	if err != nil {
		return Result{}, err
	}
	t := &turn{e: e, desk: desk, store: sessions, key: key, in: in, now: now}
	if s != nil {
		t.seenMedia = s.mediaIDs()
	}
	switch {
	case corrupt:
		// Its files cannot be told apart: they go with it.
		if err := sessions.DeleteDraftMedia(ctx, key, nil); err != nil {
			return Result{}, fmt.Errorf("delete draft files: %w", err)
		}
		t.note(textCorrupt)
		s = newSession(now)
	case s == nil:
		s = newSession(now)
	case (s.inFlow() || s.hasDraft()) && now.Sub(s.UpdatedAt) > e.cfg.DraftTTL:
		if s.hasDraft() || s.holding() || !s.Step.in(actRate) {
			t.note(textExpired(e.cfg.DraftTTL))
		} // an unanswered follow-up question alone just lapses: the desk asks again
		s = newSession(now)
	}
	t.s = s
	if err := t.run(ctx); err != nil {
		return Result{}, err
	}
	t.flush()
	if now.After(s.UpdatedAt) {
		s.UpdatedAt = now
	}
	if err := t.dropMedia(ctx); err != nil {
		return Result{}, err
	}
	if _, _, about := t.aboutCase(); !s.inFlow() && !s.hasDraft() && now.Sub(s.MenuAt) >= menuFresh && !about {
		if err := sessions.DeleteSession(ctx, key); err != nil && !errors.Is(err, cases.ErrNotFound) {
			return Result{}, fmt.Errorf("delete dialog session: %w", err)
		}
		return t.res, nil
	}
	if err := saveSession(ctx, sessions, key, s); err != nil {
		return Result{}, err
	}
	return t.res, nil
}

// dropMedia deletes the draft files the session no longer refers to: those
// of a report submitted, cancelled, expired or handed to a case.
func (t *turn) dropMedia(ctx context.Context) error {
	keep := t.s.mediaIDs()
	for _, id := range t.seenMedia {
		if !slices.Contains(keep, id) {
			if err := t.store.DeleteDraftMedia(ctx, t.key, keep); err != nil {
				return fmt.Errorf("delete draft files: %w", err)
			}
			return nil
		}
	}
	return nil
}

// run dispatches the message: escape words first (they work on every step),
// then a long silence, then the current step.
func (t *turn) run(ctx context.Context) error {
	if t.in.Kind == KindEnterSession {
		return t.enter(ctx)
	}
	if t.in.Kind == KindText && cases.IsRateItem(t.in.MenuID) {
		return t.rateTapped(ctx)
	}
	if t.in.Kind == KindText {
		if handled, err := t.command(ctx); handled || err != nil {
			return err
		}
	}
	s := t.s
	// A follow-up question is one line: answered late, it still counts.
	if s.inFlow() && s.Step != stepResume && !s.Step.in(actRate) && t.now.Sub(s.UpdatedAt) > t.e.cfg.ResumeAfter {
		switch {
		case s.Step.in(actReport):
			return t.offerResume(ctx)
		case !s.holding():
			// A supplement or withdrawal left half-way long ago is over;
			// one holding files or words still waits for its case to be
			// chosen.
			t.reset()
		}
	}
	switch t.in.Kind {
	case KindText:
		return t.text(ctx)
	case KindImage, KindVoice, KindVideo, KindFile:
		return t.media(ctx)
	}
	t.note(textUnexpected(t.in.Kind))
	t.ask()
	return nil
}

// command handles the words that mean the same on every step.
func (t *turn) command(ctx context.Context) (bool, error) {
	w := squeeze(clean(t.in.Text))
	if t.tapped(StepItem{Step: stepMenu, N: 5}) {
		w = wordsHandover[0]
	}
	switch {
	case slices.Contains(wordsHandover, w):
		return true, t.handover(ctx)
	case slices.Contains(wordsCancel, w):
		t.cancel()
	case slices.Contains(wordsRestart, w):
		return true, t.restart(ctx)
	case slices.Contains(wordsBack, w):
		t.back()
	case slices.Contains(wordsRepeat, w):
		t.ask()
	case slices.Contains(wordsQuery, w) && t.s.inFlow():
		return true, t.query(ctx)
	case slices.Contains(wordsOtherTask, w) && t.s.Step.def().group != "":
		t.note(textFinishFirst)
		t.ask()
	case slices.Contains(wordsMenu, w):
		if t.s.inFlow() {
			t.note(textMenuInFlow)
		}
		t.ask()
	default:
		return false, nil
	}
	return true, nil
}

// enter greets a citizen who opened the chat.
func (t *turn) enter(ctx context.Context) error {
	if !t.s.inFlow() {
		t.ask()
		return nil
	}
	if t.now.Sub(t.s.UpdatedAt) > t.e.cfg.ResumeAfter && t.s.Step != stepResume && !t.s.Step.in(actRate) {
		if t.s.Step.in(actReport) {
			return t.offerResume(ctx)
		}
		if !t.s.holding() {
			t.reset()
		}
		t.ask()
		return nil
	}
	t.note(textWelcomeBack)
	t.ask()
	return nil
}

// offerResume asks a citizen back after a long silence whether to continue.
// What they just sent is kept: files with the report, words that look like
// part of the problem in its description.
func (t *turn) offerResume(ctx context.Context) error {
	s := t.s
	switch t.in.Kind {
	case KindImage, KindVoice, KindVideo, KindFile:
		if t.in.Media != nil {
			i, err := t.keep(ctx, t.in.Media)
			if err != nil {
				return err
			}
			if s.Step == stepDesc {
				s.Parts = append(s.Parts, part{Att: i})
			}
		}
	case KindText:
		text := strings.TrimSpace(t.in.Text)
		if text != "" && (s.Step == stepDesc || (t.in.MenuID == "" && looksLikeStory(text, storyAside))) {
			s.Parts = append(s.Parts, part{Text: text})
		}
	}
	s.ResumeStep, s.Step = s.Step, stepResume
	t.ask()
	return nil
}

func (t *turn) resume(ctx context.Context, text string) error {
	i, ok := t.choose(resumeOptions)
	if !ok {
		t.notUnderstood(text)
		return nil
	}
	if i == 1 {
		return t.restart(ctx)
	}
	t.s.Step, t.s.ResumeStep = t.s.ResumeStep, ""
	t.note(textResumeGo)
	t.ask()
	return nil
}

// text answers a typed (or tapped) message on the current step.
func (t *turn) text(ctx context.Context) error {
	text := strings.TrimSpace(t.in.Text)
	if id := t.in.MenuID; id != "" {
		if it, ok := ParseStepItem(id); !ok || it.Step != t.s.Step {
			t.notUnderstood(text) // a tap on a menu of an earlier step
			return nil
		}
	}
	if t.s.Step != stepMenu && isGreeting(text) {
		t.note(textHello)
		t.ask()
		return nil
	}
	if q, ok := quickAnswers[t.s.Step]; ok && (t.tapped(StepItem{Step: t.s.Step, N: 1}) || t.in.MenuID == "" && squeeze(clean(text)) == squeeze(clean(q.label))) {
		text = q.means
	}
	def, ok := steps[t.s.Step]
	switch {
	case !ok:
		t.s.Step = stepMenu // not reached: upgrade and ask leave no unknown step
		t.ask()
		return nil
	case def.activity == actReport:
		return t.reportText(ctx, text)
	}
	return def.answer(t, ctx, text)
}

// idle handles a message when nothing is in progress. One that is no menu
// choice goes to a case waiting for material, if any (answerRequest);
// otherwise a first message that already tells the problem starts a report
// with it.
func (t *turn) idle(ctx context.Context, text string) error {
	if text == "" || isGreeting(text) {
		t.ask()
		return nil
	}
	if t.in.MenuID == "" {
		// "1" or "不满意" answers the follow-up of a resolved case, if
		// one waits; otherwise it means what the menu says.
		if done, err := t.rateTyped(ctx, text); done || err != nil {
			return err
		}
	}
	i, choice := t.choose(mainOptions)
	if t.in.MenuID == "" && (!choice || !t.meansMenu(text)) {
		// Not a menu choice: maybe what a handler asked for.
		if done, err := t.answerRequest(ctx, text, nil); done || err != nil {
			return err
		}
	}
	if choice {
		switch i {
		case 0:
			t.startReport()
			return nil
		case 1:
			return t.query(ctx)
		case 2:
			return t.startSupplement(ctx)
		case 3:
			return t.startWithdraw(ctx)
		}
		return t.handover(ctx)
	}
	if t.in.MenuID == "" {
		if done, err := t.continueCase(ctx, text); done || err != nil {
			return err
		}
	}
	if t.in.MenuID == "" && looksLikeStory(reLongNumber.ReplaceAllString(fold(text), ""), 5) {
		if tellsProblem(text) {
			t.s.Parts = append(t.s.Parts, part{Text: text})
		} // "我想替我妈反映个事" says for whom, not what
		t.takeStory(text)
		t.note(textKeptFirst)
		t.startReport()
		return nil
	}
	if t.in.MenuID == "" && isIntent(text) {
		t.ask() // "我想问问": the menu says what can be done, no "没太明白"
		return nil
	}
	t.notUnderstood(text)
	return nil
}
