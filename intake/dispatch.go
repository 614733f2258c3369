package intake

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"banchengshi/bot"
	"banchengshi/cases"
	"banchengshi/notify"
	"banchengshi/notify/queue"
	"banchengshi/wecom"
)

// kf message origins (sync_msg "origin").
const (
	originCitizen  = 3
	originSystem   = 4
	originServicer = 5
)

// mediaAttempts is how often a media download is tried (over about a minute,
// see retryWait) before the dialog is told the file did not arrive and asks
// the citizen to send it again. WeCom keeps media three days; a hiccup must
// not cost an elderly citizen their voice message.
const mediaAttempts = 6

// welcomeValidity is how long an enter_session welcome code may be used.
const welcomeValidity = 20 * time.Second

// handleKf handles one stored kf message; on success it is marked done in the
// same transaction as everything it changed.
func (in *Intake) handleKf(ctx context.Context, m *cases.KfMessage) error {
	var msg wecom.KfMessage
	if err := json.Unmarshal([]byte(m.Raw), &msg); err != nil {
		return fmt.Errorf("decode stored kf message: %w", err)
	}
	switch m.Origin {
	case originCitizen:
		return in.citizenMessage(ctx, m, &msg)
	case originServicer:
		return in.servicerMessage(ctx, m, &msg)
	case originSystem:
		return in.systemEvent(ctx, m, &msg)
	}
	return in.markDone(ctx, in.repo, m)
}

func (in *Intake) markDone(ctx context.Context, r cases.Repo, m *cases.KfMessage) error {
	done := *m
	now := in.now().UTC()
	done.DoneAt, done.TriedAt = &now, &now
	done.Attempts++
	if err := r.UpdateKfMessage(ctx, &done); err != nil {
		return fmt.Errorf("mark kf message done: %w", err)
	}
	return nil
}

func (in *Intake) citizenMessage(ctx context.Context, m *cases.KfMessage, msg *wecom.KfMessage) error {
	incoming := incomingOf(m, msg)
	if id := mediaID(msg); id != "" {
		media, err := in.download(ctx, incoming.Kind, id)
		if err != nil && m.Attempts+1 < mediaAttempts {
			return fmt.Errorf("download %s: %w", incoming.Kind, err)
		}
		incoming.Media = media // nil after repeated failures: the dialog asks again
	}
	wake := false
	err := in.repo.InTx(ctx, func(r cases.Repo) error {
		var err error
		wake, err = in.citizenMessageIn(ctx, r, m, incoming)
		return err
	})
	if err != nil {
		return err
	}
	if wake {
		in.released()
	}
	return nil
}

// incomingOf is a citizen's message as the dialog reads it, without its
// media (see citizenMessage).
func incomingOf(m *cases.KfMessage, msg *wecom.KfMessage) bot.Incoming {
	incoming := bot.Incoming{
		MsgID:          m.MsgID,
		OpenKfID:       m.OpenKfID,
		ExternalUserID: m.ExternalUserID,
		Kind:           kindOf(msg.MsgType),
		At:             m.SendTime,
	}
	if msg.Text != nil {
		incoming.Text = msg.Text.Content
		incoming.MenuID = msg.Text.MenuID
	}
	return incoming
}

// citizenMessageIn handles a citizen's message inside r's transaction and
// marks it done there. It reports whether the outbox has something new to
// send: replies, or held messages the message released.
func (in *Intake) citizenMessageIn(ctx context.Context, r cases.Repo, m *cases.KfMessage, incoming bot.Incoming) (bool, error) {
	conv, err := notify.CitizenWrote(ctx, r, in.now(), m)
	if err != nil {
		return false, err
	}
	replied, err := in.citizenTurn(ctx, r, m, incoming, conv.Seqs[0], conv.WithServicer)
	return conv.Released || replied, err
}

// citizenTurn gives a citizen's message, its window already opened (seq is
// its number), to the dialog, or to the case while a person has the chat,
// queues the replies and marks the message done, inside r's transaction. It
// reports whether it queued replies.
func (in *Intake) citizenTurn(ctx context.Context, r cases.Repo, m *cases.KfMessage, incoming bot.Incoming, seq int64, withServicer bool) (bool, error) {
	replied, err := in.citizenTurnUnmarked(ctx, r, r, m, incoming, seq, withServicer)
	if err != nil {
		return false, err
	}
	return replied, in.markDone(ctx, r, m)
}

// citizenTurnUnmarked is citizenTurn without marking the message done, with
// the dialog's sessions kept in sessions: a run keeps them for all its turns
// and marks its messages together (handleRun).
func (in *Intake) citizenTurnUnmarked(ctx context.Context, r cases.Repo, sessions cases.SessionStore, m *cases.KfMessage, incoming bot.Incoming, seq int64, withServicer bool) (bool, error) {
	if withServicer {
		// A person has the chat: the bot keeps quiet, the words go on the case.
		return false, in.recordOnCase(ctx, r, m.ExternalUserID, cases.CitizenActor(m.ExternalUserID), cases.EventMessageIn, describe(incoming))
	}
	res, err := in.engine.Handle(ctx, sessions, in.desk(r), incoming)
	if err != nil {
		return false, fmt.Errorf("dialog: %w", err)
	}
	replies := res.Replies
	if res.Handover {
		// After the replies, through the same ordered outbox: the citizen
		// is told before the chat leaves the bot.
		replies = append(replies, cases.Message{Handover: true})
	}
	if err := queue.Reply(ctx, r, m.OpenKfID, m.ExternalUserID, seq, replies, in.now()); err != nil {
		return false, err
	}
	return len(res.Replies) > 0, nil
}

func (in *Intake) servicerMessage(ctx context.Context, m *cases.KfMessage, msg *wecom.KfMessage) error {
	text := "[" + kindLabel[kindOf(msg.MsgType)] + "]"
	if msg.MsgType == "text" {
		text = "[" + kindLabel["other"] + "]" // a text without its content
	}
	if msg.Text != nil {
		text = msg.Text.Content
	}
	return in.repo.InTx(ctx, func(r cases.Repo) error {
		if err := notify.ServicerWrote(ctx, r, m.OpenKfID, m.ExternalUserID, in.now()); err != nil {
			return err
		}
		if err := in.recordOnCase(ctx, r, m.ExternalUserID, cases.StaffActor(msg.ServicerUserID), cases.EventServicerMsg, text); err != nil {
			return err
		}
		return in.markDone(ctx, r, m)
	})
}

// Timeline is the desk's side of what intake records on cases (desk alone
// writes case timelines).
type Timeline interface {
	// RecordChat puts what passed in a citizen's chat outside the dialog on
	// their newest open or resolved case, if any, inside r's transaction.
	RecordChat(ctx context.Context, r cases.Repo, reporterID string, actor cases.Actor, kind cases.EventKind, body string) error
}

// recordOnCase puts a message on the citizen's newest open case, if any,
// through the desk: the case timeline is where staff read the whole story.
func (in *Intake) recordOnCase(ctx context.Context, r cases.Repo, reporter string, actor cases.Actor, kind cases.EventKind, body string) error {
	if in.timeline == nil {
		return nil
	}
	return in.timeline.RecordChat(ctx, r, reporter, actor, kind, body)
}

func (in *Intake) download(ctx context.Context, kind, mediaID string) (*bot.Media, error) {
	data, contentType, name, err := in.api.GetMedia(ctx, mediaID)
	if err != nil {
		return nil, err
	}
	return &bot.Media{Kind: kind, FileName: name, ContentType: contentType, Data: data, MediaID: mediaID}, nil
}

func mediaID(msg *wecom.KfMessage) string {
	switch {
	case msg.Image != nil:
		return msg.Image.MediaID
	case msg.Voice != nil:
		return msg.Voice.MediaID
	case msg.Video != nil:
		return msg.Video.MediaID
	case msg.File != nil:
		return msg.File.MediaID
	}
	return ""
}

func kindOf(msgType string) string {
	switch msgType {
	case "text", "image", "voice", "video", "file", "location", "link", "business_card", "miniprogram":
		return msgType
	}
	return "other"
}

// describe is how a citizen's message reads on a case timeline while a human
// servicer has the chat.
func describe(in bot.Incoming) string {
	if in.Kind == "text" {
		return in.Text
	}
	return "[" + kindLabel[in.Kind] + "]"
}

// maxRun bounds how many of a citizen's messages share one transaction:
// enough for the quick lines of a burst, not so many that the citizen's
// contact stays locked for long.
const maxRun = 20

// handleRun handles the messages at the head of msgs (one citizen's pending
// messages, in order) that may share one transaction, and reports how many
// it handled: all of the run, or none. A run is the citizen's own messages
// with nothing to download, each due now, at least two and at most maxRun;
// each is handled as alone (counted in the window, its dialog turn, its
// replies, marked done), in order, and they commit together, which spares a
// transaction per message, the window's statements per message and the
// dialog session's: the turns share the session through runSessions, read
// once and written once, before the messages are marked done. When
// anything in the run fails or panics it is rolled back whole, none is
// counted and ok is false: the caller then handles the messages one by one,
// each with its own attempts and fate.
func (in *Intake) handleRun(ctx context.Context, msgs []*cases.KfMessage) (handled int, ok bool) {
	type item struct {
		m        *cases.KfMessage
		incoming bot.Incoming
	}
	var run []item
	now := in.now()
	for _, m := range msgs {
		if len(run) == maxRun || m.Origin != originCitizen || !kfDue(m, now) {
			break
		}
		var msg wecom.KfMessage
		if err := json.Unmarshal([]byte(m.Raw), &msg); err != nil || mediaID(&msg) != "" {
			break
		}
		run = append(run, item{m, incomingOf(m, &msg)})
	}
	if len(run) < 2 {
		return 0, true
	}
	defer func() {
		if p := recover(); p != nil {
			// The messages are handled again one by one, where a panic
			// counts as an attempt and is logged with its stack.
			in.log.Debug("a run of messages panicked; they are handled one by one", "panic", fmt.Sprint(p))
			handled, ok = 0, false
		}
	}()
	ms := make([]*cases.KfMessage, len(run))
	for i, it := range run {
		ms[i] = it.m
	}
	wake := false
	err := in.repo.InTx(ctx, func(r cases.Repo) error {
		// The run's windows are opened at once: one after the other, only
		// the last would ever be seen (the turns neither read nor change
		// the window).
		conv, err := notify.CitizenWrote(ctx, r, in.now(), ms...)
		if err != nil {
			return err
		}
		wake = conv.Released
		// The dialog's session is read once and written once for the whole
		// run (runSessions), in this transaction only: if the run fails,
		// what it held goes with it.
		sessions := newRunSessions(r)
		// The replies of the run are stored together, in one statement
		// (queue.Batch).
		batch := queue.NewBatch(r)
		for i, it := range run {
			replied, err := in.citizenTurnUnmarked(ctx, batch, sessions, it.m, it.incoming, conv.Seqs[i], conv.WithServicer)
			if err != nil {
				return fmt.Errorf("message %s: %w", it.m.MsgID, err)
			}
			wake = wake || replied
		}
		if err := batch.Flush(ctx); err != nil {
			return err
		}
		if err := sessions.flush(ctx); err != nil {
			return err
		}
		// Marked done together, one more attempt each; if any was handled
		// elsewhere meanwhile, the run rolls back and goes one by one.
		ids := make([]int64, len(ms))
		for i, m := range ms {
			ids[i] = m.ID
		}
		n, err := r.MarkKfMessagesDone(ctx, ids, in.now().UTC())
		if err != nil {
			return fmt.Errorf("mark kf messages done: %w", err)
		}
		if n != len(ids) {
			return fmt.Errorf("mark kf messages done: %d of %d: %w", n, len(ids), cases.ErrDone)
		}
		return nil
	})
	if err != nil {
		in.log.Debug("a run of messages failed; they are handled one by one", "err", err)
		return 0, false
	}
	if wake {
		in.released()
	}
	return len(run), true
}
