package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"banchengshi/cases"
)

// maxHistory bounds the 上一步 stack; older steps are forgotten first.
const maxHistory = 40

// turn is the handling of one Incoming: the session it advances and the
// replies it collects.
type turn struct {
	e     *Engine
	ctx   context.Context
	desk  Desk
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
func (e *Engine) Handle(ctx context.Context, sessions cases.SessionStore, desk Desk, in Incoming) (Result, error) {
	now := in.At
	if now.IsZero() {
		now = e.cfg.Now()
	}
	key := SessionKey(in.OpenKfID, in.ExternalUserID)
	s, corrupt, err := loadSession(ctx, sessions, key)
	if err != nil {
		return Result{}, err
	}
	t := &turn{e: e, ctx: ctx, desk: desk, store: sessions, key: key, in: in, now: now}
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
		if s.hasDraft() || !rateStep(s.Step) {
			t.note(textExpired(e.cfg.DraftTTL))
		} // an unanswered follow-up question just lapses: the desk asks again
		s = newSession(now)
	}
	t.s = s
	if err := t.run(); err != nil {
		return Result{}, err
	}
	t.flush()
	if now.After(s.UpdatedAt) {
		s.UpdatedAt = now
	}
	if err := t.dropMedia(); err != nil {
		return Result{}, err
	}
	if !s.inFlow() && !s.hasDraft() && now.Sub(s.MenuAt) >= menuFresh {
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
func (t *turn) dropMedia() error {
	keep := t.s.mediaIDs()
	for _, id := range t.seenMedia {
		if !slices.Contains(keep, id) {
			if err := t.store.DeleteDraftMedia(t.ctx, t.key, keep); err != nil {
				return fmt.Errorf("delete draft files: %w", err)
			}
			return nil
		}
	}
	return nil
}

// run dispatches the message: escape words first (they work on every step),
// then a long silence, then the current step.
func (t *turn) run() error {
	if t.in.Kind == KindEnterSession {
		return t.enter()
	}
	if t.in.Kind == KindText && rateTap(t.in.MenuID) {
		return t.rateTapped()
	}
	if t.in.Kind == KindText {
		if handled, err := t.command(); handled || err != nil {
			return err
		}
	}
	s := t.s
	// A follow-up question is one line: answered late, it still counts.
	if s.inFlow() && s.Step != stepResume && !rateStep(s.Step) && t.now.Sub(s.UpdatedAt) > t.e.cfg.ResumeAfter {
		switch {
		case reportStep(s.Step):
			return t.offerResume()
		case !s.holding():
			// A supplement or withdrawal left half-way long ago is over;
			// one holding files or words still waits for its case to be
			// chosen.
			t.reset()
		}
	}
	switch t.in.Kind {
	case KindText:
		return t.text()
	case KindImage, KindVoice, KindVideo, KindFile:
		return t.media()
	}
	t.note(textUnexpected(t.in.Kind))
	t.ask()
	return nil
}

// command handles the words that mean the same on every step.
func (t *turn) command() (bool, error) {
	w := squeeze(clean(t.in.Text))
	if t.in.MenuID == menuID(stepMenu, 5) {
		w = wordsHandover[0]
	}
	switch {
	case slices.Contains(wordsHandover, w):
		return true, t.handover()
	case slices.Contains(wordsCancel, w):
		t.cancel()
	case slices.Contains(wordsRestart, w):
		return true, t.restart()
	case slices.Contains(wordsBack, w):
		t.back()
	case slices.Contains(wordsRepeat, w):
		t.ask()
	case slices.Contains(wordsQuery, w) && t.s.inFlow():
		return true, t.query()
	case slices.Contains(wordsOtherTask, w) && group(t.s.Step) != "":
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
func (t *turn) enter() error {
	if !t.s.inFlow() {
		t.ask()
		return nil
	}
	if t.now.Sub(t.s.UpdatedAt) > t.e.cfg.ResumeAfter && t.s.Step != stepResume && !rateStep(t.s.Step) {
		if reportStep(t.s.Step) {
			return t.offerResume()
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
func (t *turn) offerResume() error {
	s := t.s
	switch t.in.Kind {
	case KindImage, KindVoice, KindVideo, KindFile:
		if t.in.Media != nil {
			i, err := t.keep(t.in.Media)
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

func (t *turn) resume(text string) error {
	i, ok := t.choose(resumeOptions)
	if !ok {
		t.notUnderstood(text)
		return nil
	}
	if i == 1 {
		return t.restart()
	}
	t.s.Step, t.s.ResumeStep = t.s.ResumeStep, ""
	t.note(textResumeGo)
	t.ask()
	return nil
}

// text answers a typed (or tapped) message on the current step.
func (t *turn) text() error {
	text := strings.TrimSpace(t.in.Text)
	if id := t.in.MenuID; id != "" && !strings.HasPrefix(id, t.s.Step+":") {
		t.notUnderstood(text) // a tap on a menu of an earlier step
		return nil
	}
	if t.s.Step != stepMenu && isGreeting(text) {
		t.note(textHello)
		t.ask()
		return nil
	}
	if q, ok := quickAnswers[t.s.Step]; ok && t.in.MenuID == menuID(t.s.Step, 1) {
		text = q.means
	}
	switch t.s.Step {
	case stepMenu:
		return t.idle(text)
	case stepResume:
		return t.resume(text)
	case stepSuppPick, stepSuppCollect:
		return t.supplementText(text)
	case stepWdPick, stepWdReason, stepWdConfirm:
		return t.withdrawText(text)
	case stepRatePick, stepRateWhy:
		return t.rateText(text)
	}
	return t.reportText(text)
}

// idle handles a message when nothing is in progress. One that is no menu
// choice goes to a case waiting for material, if any (answerRequest);
// otherwise a first message that already tells the problem starts a report
// with it.
func (t *turn) idle(text string) error {
	if text == "" || isGreeting(text) {
		t.ask()
		return nil
	}
	if t.in.MenuID == "" {
		// "1" or "不满意" answers the follow-up of a resolved case, if
		// one waits; otherwise it means what the menu says.
		if done, err := t.rateTyped(text); done || err != nil {
			return err
		}
	}
	i, choice := t.choose(mainOptions)
	if t.in.MenuID == "" && (!choice || !t.meansMenu(text)) {
		// Not a menu choice: maybe what a handler asked for.
		if done, err := t.answerRequest(text, nil); done || err != nil {
			return err
		}
	}
	if choice {
		switch i {
		case 0:
			t.startReport()
			return nil
		case 1:
			return t.query()
		case 2:
			return t.startSupplement()
		case 3:
			return t.startWithdraw()
		}
		return t.handover()
	}
	if t.in.MenuID == "" && looksLikeStory(text, 5) {
		t.s.Parts = append(t.s.Parts, part{Text: text})
		t.note(textKeptFirst)
		t.startReport()
		return nil
	}
	t.notUnderstood(text)
	return nil
}

// media handles a voice message, photo, video or file on the current step.
func (t *turn) media() error {
	m, s := t.in.Media, t.s
	if m == nil {
		t.say(cases.Message{Text: textMediaMissing(t.in.Kind)})
		return nil
	}
	switch s.Step {
	case stepMenu, stepDesc:
		if s.Step == stepMenu {
			if done, err := t.answerRequest("", m); done || err != nil {
				return err
			}
		}
		i, err := t.keep(m)
		if err != nil {
			return err
		}
		s.Parts = append(s.Parts, part{Att: i})
		if s.Step == stepDesc {
			t.sayHere(textMediaAck(t.in.Kind))
			return nil
		}
		t.note(textStartedWithMedia(t.in.Kind))
		t.startReport()
		return nil
	case stepSuppCollect:
		return t.supplementMedia(m)
	case stepRateWhy:
		return t.rateWithMedia(m)
	case stepWdReason, stepWdConfirm:
		// A file sent while withdrawing still reaches the case's handler.
		if _, err := t.keep(m); err != nil {
			return err
		}
		if done, err := t.flushPending(); err != nil || done {
			return err
		}
		t.note(fmt.Sprintf(textSuppAttached, s.Target))
		t.ask()
		return nil
	}
	if _, err := t.keep(m); err != nil {
		return err
	}
	if t.in.Kind == KindVoice && voiceAnswers(s.Step) {
		// Elderly citizens often answer by voice: the recording is the
		// answer, and staff listen to it.
		t.note(textMediaKept(KindVoice))
		return t.reportText(voiceAnswer)
	}
	t.note(textMediaKept(t.in.Kind))
	if choiceStep(s.Step) {
		t.note(textPickHint)
	}
	t.ask()
	return nil
}

// keep stores a received file with the draft media, adds it to the session
// and returns its 1-based index there.
func (t *turn) keep(m *Media) (int, error) {
	a := t.received(m)
	id, err := t.store.SaveDraftMedia(t.ctx, t.key, a)
	if err != nil {
		return 0, fmt.Errorf("keep a received %s: %w", a.Kind, err)
	}
	t.seenMedia = append(t.seenMedia, id)
	t.s.Atts = append(t.s.Atts, attachment{
		Kind: a.Kind, MediaID: a.MediaID, FileName: a.FileName, ContentType: a.ContentType, Media: id, At: t.now,
	})
	return len(t.s.Atts), nil
}

// received is a file just received, as a case keeps it.
func (t *turn) received(m *Media) *cases.Attachment {
	kind := m.Kind
	if kind == "" {
		kind = t.in.Kind
	}
	return &cases.Attachment{Kind: kind, MediaID: m.MediaID, FileName: m.FileName, ContentType: m.ContentType,
		Size: int64(len(m.Data)), Data: m.Data, CreatedAt: t.now}
}

// stored is a file of the session with its bytes, read from the draft
// media. A file whose bytes are gone is handed on without them rather than
// failing the citizen's message again and again; staff still see its kind
// and WeCom media id.
func (t *turn) stored(a attachment) (*cases.Attachment, error) {
	if a.Media == 0 {
		return a.draft(), nil
	}
	got, err := t.store.DraftMedia(t.ctx, a.Media)
	switch {
	case errors.Is(err, cases.ErrNotFound):
		got = &cases.Attachment{Kind: a.Kind, MediaID: a.MediaID, FileName: a.FileName, ContentType: a.ContentType, CreatedAt: a.At}
	case err != nil:
		return nil, fmt.Errorf("load a received %s: %w", a.Kind, err)
	}
	return got, nil
}

// handover asks for a person: the pipeline moves the chat to a servicer.
// Whatever was filled in stays in the session.
func (t *turn) handover() error {
	number := t.s.Target
	if t.s.Rate != nil && t.s.Rate.Number != "" {
		number = t.s.Rate.Number
	}
	if err := t.desk.Handover(t.ctx, t.in.OpenKfID, t.in.ExternalUserID, number); err != nil {
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
	if rateStep(t.s.Step) {
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
	t.say(cases.Message{Text: text})
}

// restart starts the current activity over, forgetting its answers.
func (t *turn) restart() error {
	step := t.s.Step
	if step == stepResume {
		step = t.s.ResumeStep
	}
	if rateStep(step) {
		step = t.s.Rate.Return
	}
	t.reset()
	t.note(textRestart)
	switch {
	case step == stepSuppPick || step == stepSuppCollect:
		return t.startSupplement()
	case step == stepWdPick || step == stepWdReason || step == stepWdConfirm:
		return t.startWithdraw()
	}
	t.startReport()
	return nil
}

// back returns to the previous step; answers stay until changed.
func (t *turn) back() {
	s := t.s
	if rateStep(s.Step) {
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

// reset forgets everything in progress.
func (t *turn) reset() {
	*t.s = *newSession(t.now)
}

// goTo moves forward to step and asks its question.
func (t *turn) goTo(step string) {
	s := t.s
	if s.Step != stepMenu && s.Step != stepResume && s.Step != step {
		s.History = append(s.History, s.Step)
		if len(s.History) > maxHistory {
			s.History = s.History[len(s.History)-maxHistory:]
		}
	}
	s.Step = step
	t.ask()
}

// menuID names a menu item: the step it answers and its 1-based position.
func menuID(step string, n int) string {
	return step + ":" + strconv.Itoa(n)
}

// choose reads the citizen's choice among options on the current step, from
// a tapped menu item or typed words. A tap on an old menu reads as no choice.
func (t *turn) choose(options []string) (int, bool) {
	if id := t.in.MenuID; id != "" {
		step, n, _ := strings.Cut(id, ":")
		i, err := strconv.Atoi(n)
		if step != t.s.Step || err != nil || i < 1 || i > len(options) {
			return 0, false
		}
		return i - 1, true
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
		t.note(textNotUnderstood)
	}
	t.ask()
}

// aside keeps words said on a structured step that are not an answer but
// read like part of the problem, so nothing the citizen said is lost.
func (t *turn) aside(text string) bool {
	step := t.s.Step
	if step == stepResume {
		step = t.s.ResumeStep
	}
	if group(step) == "" && step != stepConfirm && step != stepEdit {
		return false
	}
	if !looksLikeStory(text, storyAside) {
		return false
	}
	t.s.Parts = append(t.s.Parts, part{Text: text})
	t.note(textKeptAside)
	return true
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
		m.Menu = []cases.MenuItem{{ID: menuID(t.s.Step, 1), Text: q.label}}
	}
	t.say(m)
}

// menu builds a question with tappable choices and the typed fallback.
func menu(head, step string, options []string, tail string) cases.Message {
	m := cases.Message{Text: head, MenuTail: tail}
	for i, o := range options {
		m.Menu = append(m.Menu, cases.MenuItem{ID: menuID(step, i+1), Text: fmt.Sprintf("%d. %s", i+1, optionLabel(o))})
	}
	return m
}
