package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"banchengshi/cases"
)

// media handles a voice message, photo, video or file on the current step:
// by the step's own handling (the step table's media), or else kept with
// the session, as the answer on a step a voice message may answer.
func (t *turn) media(ctx context.Context) error {
	m, s := t.in.Media, t.s
	if m == nil {
		t.say(cases.Message{Text: textMediaMissing(t.in.Kind)})
		return nil
	}
	if handle := s.Step.def().media; handle != nil {
		return handle(t, ctx, m)
	}
	if _, err := t.keep(ctx, m); err != nil {
		return err
	}
	if t.in.Kind == KindVoice && announcedVoice(s) {
		// "我说不清楚，发个语音": the recording tells the problem.
		s.Parts = append(s.Parts, part{Att: len(s.Atts)})
		t.note(textMediaKept(KindVoice))
		t.ask()
		return nil
	}
	if t.in.Kind == KindVoice && s.Step.def().voice {
		// Elderly citizens often answer by voice: the recording is the
		// answer, and staff listen to it.
		t.note(textMediaKept(KindVoice))
		return t.reportText(ctx, voiceAnswer)
	}
	t.note(textMediaKept(t.in.Kind))
	if s.Step.def().choice {
		t.note(textPickHint)
	}
	t.ask()
	return nil
}

// mediaOnMenu takes a file sent when nothing is in progress: material a
// handler asked for, or else the start of a report.
func (t *turn) mediaOnMenu(ctx context.Context, m *Media) error {
	if done, err := t.answerRequest(ctx, "", m); done || err != nil {
		return err
	}
	i, err := t.keep(ctx, m)
	if err != nil {
		return err
	}
	t.s.Parts = append(t.s.Parts, part{Att: i})
	t.note(textStartedWithMedia(t.in.Kind))
	t.startReport()
	return nil
}

// mediaInStory takes a file as part of the description.
func (t *turn) mediaInStory(ctx context.Context, m *Media) error {
	i, err := t.keep(ctx, m)
	if err != nil {
		return err
	}
	t.s.Parts = append(t.s.Parts, part{Att: i})
	t.sayHere(textMediaAck(t.in.Kind))
	return nil
}

// mediaOnSummary takes more of the problem after the summary: it joins the
// description.
func (t *turn) mediaOnSummary(ctx context.Context, m *Media) error {
	i, err := t.keep(ctx, m)
	if err != nil {
		return err
	}
	t.s.Parts = append(t.s.Parts, part{Att: i})
	t.note(textMediaKept(t.in.Kind))
	t.ask()
	return nil
}

// mediaWhileWithdrawing hands a file sent while withdrawing to the case's
// handler all the same.
func (t *turn) mediaWhileWithdrawing(ctx context.Context, m *Media) error {
	if _, err := t.keep(ctx, m); err != nil {
		return err
	}
	if done, err := t.flushPending(ctx); err != nil || done {
		return err
	}
	t.note(fmt.Sprintf(textSuppAttached, t.s.Target))
	t.ask()
	return nil
}

// keep stores a received file with the draft media, adds it to the session
// and returns its 1-based index there.
func (t *turn) keep(ctx context.Context, m *Media) (int, error) {
	a := t.received(m)
	id, err := t.store.SaveDraftMedia(ctx, t.key, a)
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
func (t *turn) stored(ctx context.Context, a attachment) (*cases.Attachment, error) {
	if a.Media == 0 {
		return a.draft(), nil
	}
	got, err := t.store.DraftMedia(ctx, a.Media)
	switch {
	case errors.Is(err, cases.ErrNotFound):
		got = &cases.Attachment{Kind: a.Kind, MediaID: a.MediaID, FileName: a.FileName, ContentType: a.ContentType, CreatedAt: a.At}
	case err != nil:
		return nil, fmt.Errorf("load a received %s: %w", a.Kind, err)
	}
	return got, nil
}

// announcedVoice reports whether the citizen's last words said a voice
// message about the problem comes next.
func announcedVoice(s *session) bool {
	if len(s.Parts) == 0 {
		return false
	}
	last := s.Parts[len(s.Parts)-1].Text
	return strings.Contains(last, "语音") && strings.ContainsAny(last, "发说")
}
