package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"banchengshi/cases"
	"banchengshi/storage"
)

// msg_send_fail fail types (kf).
const (
	failPast48h       = 4
	failSessionClosed = 5
	failOverLimit     = 6
	failUserRefused   = 10
)

// SendFailed records what WeCom's msg_send_fail event says about a message
// it had accepted, inside r's transaction (it implements intake.Events):
//
//   - 4 (past 48 h), 5 (session closed), 6 (over the limit): the window is
//     used up; the message is held until the citizen writes again, and
//     nothing more is spent in this window. If the citizen has written since
//     the message went out, it is sent again at once instead.
//   - 10 (the citizen refuses messages): nothing more is spent in this
//     window; the answer or follow-up of a resolved case becomes a phone task
//     for staff, anything else (a nudge, an update) fails with the reason.
//
// A report can come before the message's sender has written down that WeCom
// took it (a run of replies is settled after its last send, a sender that
// died left it claimed, a send that timed out waits to be tried again under
// the same key): the pending message is found by its send key, which WeCom
// gives back as the msgid, and its fate is written at once; the sender's
// own settlement then finds it changed and leaves it. A msgid the outbox
// does not know at all (the welcome message, or a message sent before this
// outbox existed) is logged and ignored.
func (o *Outbox) SendFailed(ctx context.Context, r cases.Repo, openKfID, externalUserID, msgID string, failType int) error {
	m, err := r.OutboxReported(ctx, openKfID, externalUserID, msgID)
	if errors.Is(err, cases.ErrNotFound) {
		o.log.Warn("msg_send_fail for a message not in the outbox", "msgid", msgID, "fail_type", failType)
		return nil
	}
	if err != nil {
		return fmt.Errorf("find failed message: %w", err)
	}
	if m.WeComMsgID != msgID {
		// Not written down as sent: WeCom took it under this key; when is
		// not known, only that it was after the message was queued.
		m.WeComMsgID = msgID
	}
	if m.Channel != cases.ChannelKf {
		return nil
	}
	now := o.now()
	contact, err := loadContact(ctx, r, m.OpenKfID, m.Recipient)
	if err != nil {
		return err
	}
	// The citizen wrote since it went out, so a window WeCom has not used
	// up may be open for it. For a message not written down as sent, the
	// citizen may have written before it went out, into the window it
	// failed in: it is tried once more, and WeCom's answer to that send
	// says which it was (a message over the limit is held then).
	went := m.CreatedAt
	if m.SentAt != nil {
		went = *m.SentAt
	}
	wroteSince := contact.LastInboundAt.After(went)
	if !wroteSince {
		// Spend nothing more on this window: WeCom will not deliver in it.
		if err := exhaust(ctx, r, m.OpenKfID, m.Recipient, windowOf(contact), now); err != nil {
			return err
		}
	}
	release, err := o.failed(ctx, r, m, failType, wroteSince, now)
	if err != nil {
		return err
	}
	if err := o.settleIn(ctx, r, m, now); err != nil {
		return err
	}
	if release {
		if err := recordResend(ctx, r, m, now); err != nil {
			return err
		}
		o.Kick()
	}
	return nil
}

// failed sets m's fate after WeCom reported it undelivered for failType.
// release reports that it goes out again as a new message: the citizen wrote
// since it was sent (wroteSince), so a window is open for it.
func (o *Outbox) failed(ctx context.Context, r cases.Repo, m *cases.OutboxMessage, failType int, wroteSince bool, now time.Time) (release bool, err error) {
	switch failType {
	case failPast48h, failSessionClosed, failOverLimit:
		if wroteSince {
			m.Status, m.NextAttemptAt, m.LastError = cases.OutboxPending, now.UTC(), failReason(failType)
			// WeCom did not deliver it: send it again as a new message.
			m.SendKey = storage.NewSendKey()
			return true, nil
		}
		hold(m, failReason(failType), now)
	case failUserRefused:
		m.LastError = reasonRefused
		answer, err := o.isAnswer(ctx, r, m)
		if err != nil {
			return false, err
		}
		if !answer {
			m.Status = cases.OutboxFailed
			return false, nil
		}
		m.Status = cases.OutboxPhoneTask
		if err := o.tasks.PhoneTask(ctx, r, m.CaseID, reasonRefused); err != nil {
			return false, err
		}
	default:
		m.Status = cases.OutboxFailed
		m.LastError = failReason(failType)
	}
	return false, nil
}

// recordResend puts on m's case why it goes out again: settleIn records no
// fate for a pending message, and this one changed.
func recordResend(ctx context.Context, r cases.Repo, m *cases.OutboxMessage, now time.Time) error {
	if m.CaseID == 0 {
		return nil
	}
	ev := &cases.Event{CaseID: m.CaseID, At: now.UTC(), Actor: cases.ActorSystem, Kind: cases.EventNotification, Body: Fate(m),
		Data: cases.EventData(cases.OutboxFate{OutboxID: m.ID, Status: m.Status})}
	if err := r.AppendEvent(ctx, ev); err != nil {
		return fmt.Errorf("record notification fate: %w", err)
	}
	return nil
}

// EscalateHeld gives staff the answers (critical messages about a resolved
// case) that have waited longer than PhoneAfter for a citizen who does not
// write: each becomes a phone task, as the window phones people anyway. Other
// critical messages held that long (a nudge) fail as no longer needed. Messages held because a
// human servicer has the chat are left alone: a person is talking to the
// citizen already. The scheduler calls it every tick.
func (o *Outbox) EscalateHeld(ctx context.Context) error {
	now := o.now()
	held, err := o.repo.HeldOutboxSince(ctx, now.Add(-o.phoneAfter).UTC(), cases.PriorityCritical, 100)
	if err != nil {
		return fmt.Errorf("load long-held messages: %w", err)
	}
	for _, m := range held {
		if m.LastError == reasonServicer {
			// A person has the chat: the wait starts again, which also moves
			// the message behind the others, so that a pile of these never
			// fills the page and hides answers that do need a phone call.
			m.NextAttemptAt = now.UTC()
			if err := o.repo.UpdateOutbox(ctx, m); err != nil && !errors.Is(err, cases.ErrConflict) {
				return fmt.Errorf("restart wait of a message held for a servicer: %w", err)
			}
			continue
		}
		err := o.repo.InTx(ctx, func(r cases.Repo) error {
			if still, err := stillHeld(ctx, r, m); err != nil || !still {
				return err
			}
			reason := fmt.Sprintf(reasonOutOfReach, int(o.phoneAfter.Hours()))
			m.LastError = reason
			answer, err := o.isAnswer(ctx, r, m)
			if err != nil {
				return err
			}
			if !answer {
				// A nudge for a case still being worked on, say: by the time
				// the citizen writes it has nothing left to say.
				m.Status = cases.OutboxFailed
				m.LastError = reasonStale
				return o.settleIn(ctx, r, m, now)
			}
			m.Status = cases.OutboxPhoneTask
			if err := o.tasks.PhoneTask(ctx, r, m.CaseID, reason); err != nil {
				return err
			}
			return o.settleIn(ctx, r, m, now)
		})
		if err != nil {
			return fmt.Errorf("escalate held message %d: %w", m.ID, err)
		}
	}
	return nil
}

// isAnswer reports whether m is a message staff phone about when WeChat
// cannot deliver it: the answer, the rating question or a material request
// (cases.OutboxMessage.MustReach), not a nudge.
func (o *Outbox) isAnswer(_ context.Context, _ cases.Repo, m *cases.OutboxMessage) (bool, error) {
	return o.tasks != nil && m.MustReach(), nil
}

// stillHeld re-reads m inside the transaction: the citizen may have written
// (and intake released m) since the list was read.
func stillHeld(ctx context.Context, r cases.Repo, m *cases.OutboxMessage) (bool, error) {
	if m.CaseID == 0 {
		held, err := r.HeldOutbox(ctx, m.OpenKfID, m.Recipient)
		if err != nil {
			return false, fmt.Errorf("re-read held messages: %w", err)
		}
		return containsID(held, m.ID), nil
	}
	list, err := r.CaseOutbox(ctx, m.CaseID)
	if err != nil {
		return false, fmt.Errorf("re-read case messages: %w", err)
	}
	for _, x := range list {
		if x.ID == m.ID {
			return x.Status == cases.OutboxHeld, nil
		}
	}
	return false, nil
}

func containsID(list []*cases.OutboxMessage, id int64) bool {
	for _, x := range list {
		if x.ID == id {
			return true
		}
	}
	return false
}
