package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"banchengshi/bot"
	"banchengshi/cases"
	"banchengshi/wecom"
)

// kf message origins (sync_msg "origin").
const (
	originCitizen  = 3
	originSystem   = 4
	originServicer = 5
)

// kf session states.
const (
	statePool  = 2
	stateHuman = 3
	stateEnded = 4
)

// mediaAttempts is how often a media download is tried (over about a minute,
// see retryDue) before the dialog is told the file did not arrive and asks
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
	done.DoneAt = &now
	done.Attempts++
	if err := r.UpdateKfMessage(ctx, &done); err != nil {
		return fmt.Errorf("mark kf message done: %w", err)
	}
	return nil
}

func (in *Intake) citizenMessage(ctx context.Context, m *cases.KfMessage, msg *wecom.KfMessage) error {
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
	if id := mediaID(msg); id != "" {
		media, err := in.download(ctx, incoming.Kind, id)
		if err != nil && m.Attempts+1 < mediaAttempts {
			return fmt.Errorf("download %s: %w", incoming.Kind, err)
		}
		incoming.Media = media // nil after repeated failures: the dialog asks again
	}

	var res bot.Result
	released := false
	err := in.repo.InTx(ctx, func(r cases.Repo) error {
		contact, err := in.touchContact(ctx, r, m)
		if err != nil {
			return err
		}
		if released, err = releaseHeld(ctx, r, contact, in.now()); err != nil {
			return err
		}
		if contact.ServiceState == statePool || contact.ServiceState == stateHuman {
			// A person has the chat: the bot keeps quiet, the words go on the case.
			if err := in.recordOnCase(ctx, r, m.ExternalUserID, "citizen:"+m.ExternalUserID, cases.EventMessageIn, describe(incoming)); err != nil {
				return err
			}
			return in.markDone(ctx, r, m)
		}
		res, err = in.engine.Handle(ctx, r, in.desk(r), incoming)
		if err != nil {
			return fmt.Errorf("dialog: %w", err)
		}
		replies := res.Replies
		if res.Handover {
			// After the replies, through the same ordered outbox: the citizen
			// is told before the chat leaves the bot.
			replies = append(replies, cases.Message{Handover: true})
		}
		if err := enqueueReplies(ctx, r, m.OpenKfID, m.ExternalUserID, contact.InboundSeq, replies, in.now()); err != nil {
			return err
		}
		return in.markDone(ctx, r, m)
	})
	if err != nil {
		return err
	}
	if released || len(res.Replies) > 0 {
		in.released()
	}
	return nil
}

// touchContact opens the citizen's 48-hour window anew: a message from them
// resets WeCom's limit to 5 messages in 48 hours.
func (in *Intake) touchContact(ctx context.Context, r cases.Repo, m *cases.KfMessage) (*cases.Contact, error) {
	c, err := r.GetContact(ctx, m.OpenKfID, m.ExternalUserID)
	if errors.Is(err, cases.ErrNotFound) {
		c = &cases.Contact{OpenKfID: m.OpenKfID, ExternalUserID: m.ExternalUserID}
	} else if err != nil {
		return nil, fmt.Errorf("load contact: %w", err)
	}
	// Every message from the citizen opens WeCom's window anew, however close
	// to the last it came (send_time has whole seconds; several photos
	// forwarded at once share one): it is counted (InboundSeq), and the
	// window's count starts again. What counts in it is what the outbox sent
	// after the message reached us, which is surely after it reached WeCom;
	// replies sent before (answers to the citizen's earlier messages) are
	// not counted. A rare undercount ends in WeCom's 95001, which holds the
	// message until the citizen writes; an overcount would hold live replies
	// for nothing. (Strictly after: a reply stamped the same microsecond is
	// taken to have gone first.)
	sent, err := r.SentSince(ctx, m.OpenKfID, m.ExternalUserID, m.ReceivedAt.Add(time.Microsecond))
	if err != nil {
		return nil, fmt.Errorf("count messages in the new window: %w", err)
	}
	c.InboundSeq++
	if m.SendTime.After(c.LastInboundAt) {
		c.LastInboundAt = m.SendTime
	}
	c.SentInWindow = sent
	if c.ServiceState == stateEnded {
		c.ServiceState = 0
	}
	c.UpdatedAt = in.now().UTC()
	if err := r.SaveContact(ctx, c); err != nil {
		return nil, fmt.Errorf("save contact: %w", err)
	}
	return c, nil
}

// releaseHeld makes messages held outside the citizen's window due again.
func releaseHeld(ctx context.Context, r cases.Repo, c *cases.Contact, now time.Time) (bool, error) {
	held, err := r.HeldOutbox(ctx, c.OpenKfID, c.ExternalUserID)
	if err != nil {
		return false, fmt.Errorf("load held messages: %w", err)
	}
	for _, h := range held {
		h.Status = cases.OutboxPending
		h.NextAttemptAt = now.UTC()
		if err := r.UpdateOutbox(ctx, h); err != nil {
			return false, fmt.Errorf("release held message: %w", err)
		}
	}
	return len(held) > 0, nil
}

// enqueueReplies queues replies to a citizen; replyTo is the InboundSeq of
// the message they answer (0: none).
func enqueueReplies(ctx context.Context, r cases.Repo, openKfID, user string, replyTo int64, replies []cases.Message, now time.Time) error {
	for _, reply := range replies {
		p := cases.PriorityNormal
		if reply.Handover {
			p = cases.PriorityLow // the outbox sends by priority: the handover goes last
		}
		out := &cases.OutboxMessage{
			Channel: cases.ChannelKf, OpenKfID: openKfID, Recipient: user, Message: reply,
			Priority: p, Status: cases.OutboxPending, NextAttemptAt: now.UTC(), CreatedAt: now.UTC(), ReplyTo: replyTo,
		}
		if err := r.Enqueue(ctx, out); err != nil {
			return fmt.Errorf("queue reply: %w", err)
		}
	}
	return nil
}

func (in *Intake) servicerMessage(ctx context.Context, m *cases.KfMessage, msg *wecom.KfMessage) error {
	text := "[" + msg.MsgType + "]"
	if msg.Text != nil {
		text = msg.Text.Content
	}
	return in.repo.InTx(ctx, func(r cases.Repo) error {
		c, err := r.GetContact(ctx, m.OpenKfID, m.ExternalUserID)
		if err == nil && c.ServiceState != stateHuman {
			c.ServiceState = stateHuman
			c.UpdatedAt = in.now().UTC()
			if err := r.SaveContact(ctx, c); err != nil {
				return fmt.Errorf("save contact: %w", err)
			}
		}
		if err := in.recordOnCase(ctx, r, m.ExternalUserID, "staff:"+msg.ServicerUserID, cases.EventServicerMsg, text); err != nil {
			return err
		}
		return in.markDone(ctx, r, m)
	})
}

// recordOnCase puts a message on the citizen's newest open case, if any: the
// case timeline is where staff read the whole story.
func (in *Intake) recordOnCase(ctx context.Context, r cases.Repo, reporter, actor string, kind cases.EventKind, body string) error {
	open := cases.UnfinishedStatuses()
	list, err := r.ListCases(ctx, cases.Filter{ReporterID: reporter, Status: open, Limit: 1})
	if err != nil {
		return fmt.Errorf("find open case: %w", err)
	}
	if len(list) == 0 {
		return nil
	}
	ev := &cases.Event{CaseID: list[0].ID, At: in.now().UTC(), Actor: actor, Kind: kind, Body: body}
	if err := r.AppendEvent(ctx, ev); err != nil {
		return fmt.Errorf("record message on case: %w", err)
	}
	return nil
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
