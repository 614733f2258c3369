package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"banchengshi/cases"
)

// This file is the one home of a citizen's 48-hour window: what a message
// from them opens, what each message sent to them spends, and what WeCom's
// refusals say about it. The planner (budget.go, sms.go) and WeCom's reports
// (fates.go) read the window and mark it used up through these functions; a
// message WeCom took counts in it by its own state (sent, at its sent_at:
// storage's contactSelect), written in one change (UpdateOutboxSent,
// group.go).

// window names one of a citizen's 48-hour windows: the one their latest
// message opened. Messages are counted (InboundSeq), not only timed: two
// messages in the same second (LastInboundAt has whole seconds) open two
// windows.
type window struct {
	at  time.Time
	seq int64
}

func windowOf(c *cases.Contact) window { return window{c.LastInboundAt, c.InboundSeq} }

// reopenedIn reports whether c shows a message from the citizen after w.
func (w window) reopenedIn(c *cases.Contact) bool {
	return c.InboundSeq > w.seq || c.LastInboundAt.After(w.at)
}

// exhaust records that WeCom says the window w is used up. It works on the
// stored contact, in place, not on the copy read before sending, because
// the citizen may have written in between: a new window is never marked
// used up by the old one's refusal.
func exhaust(ctx context.Context, r cases.Repo, openKfID, user string, w window, now time.Time) error {
	_, err := r.ExhaustWindow(ctx, openKfID, user, w.at, w.seq, now.UTC())
	return err
}

func loadContact(ctx context.Context, r cases.Repo, openKfID, user string) (*cases.Contact, error) {
	c, err := r.GetContact(ctx, openKfID, user)
	if errors.Is(err, cases.ErrNotFound) {
		return &cases.Contact{OpenKfID: openKfID, ExternalUserID: user}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load contact: %w", err)
	}
	return c, nil
}

// Conversation is what a citizen's messages found and changed in their chat.
type Conversation struct {
	// Seqs number the messages among the citizen's, one for each message
	// given to CitizenWrote: a reply names the message it answers (see
	// queue.Reply), so that the answer to their latest message may spend the
	// window's last message.
	Seqs []int64
	// WithServicer says a person has the chat, or it waits in the servicers'
	// pool: the bot keeps quiet.
	WithServicer bool
	// Released says messages held for the citizen are due again.
	Released bool
}

// CitizenWrote records ms, messages from one citizen in the order they sent
// them (usually one; several handled together in one transaction), inside
// r's transaction: each opens a new 48-hour window (WeCom resets its limit
// to 5 messages with each message from the citizen), and the messages held
// until they wrote again are due again. Several messages at once are
// recorded as one after the other would be: within the transaction only
// the window the last one opened is ever seen.
//
// Every message from the citizen opens WeCom's window anew, however close to
// the last it came (send_time has whole seconds; several photos forwarded at
// once share one): it is counted (InboundSeq), and the window's count starts
// again. What counts in it is what the outbox sent after the message reached
// us, which is surely after it reached WeCom, and what it writes down as
// sent after this transaction (a reply in flight meanwhile may have gone
// after the message reached WeCom); replies sent and written down before
// (answers to the citizen's earlier messages) are not counted. A rare
// undercount ends in WeCom's 95001, which holds the message until the
// citizen writes; an overcount would hold live replies for nothing.
// (Strictly after: a reply stamped the same microsecond is taken to have
// gone first. See storage's contactSelect.)
func CitizenWrote(ctx context.Context, r cases.Repo, now time.Time, ms ...*cases.KfMessage) (Conversation, error) {
	if len(ms) == 0 {
		return Conversation{}, errors.New("open the window: no message")
	}
	last := ms[len(ms)-1]
	sent := last.SendTime
	for _, m := range ms {
		if m.OpenKfID != last.OpenKfID || m.ExternalUserID != last.ExternalUserID {
			return Conversation{}, fmt.Errorf("open the window: messages from %s and %s", m.ExternalUserID, last.ExternalUserID)
		}
		if m.SendTime.After(sent) {
			sent = m.SendTime
		}
	}
	c, held, err := r.OpenWindow(ctx, last.OpenKfID, last.ExternalUserID, len(ms), sent, last.ReceivedAt, now)
	if err != nil {
		return Conversation{}, fmt.Errorf("open the window: %w", err)
	}
	conv := Conversation{WithServicer: c.ServiceState.WithServicers()}
	for i := range ms {
		conv.Seqs = append(conv.Seqs, c.InboundSeq-int64(len(ms)-1-i))
	}
	if held {
		if conv.Released, err = releaseHeld(ctx, r, c, now); err != nil {
			return Conversation{}, err
		}
	}
	return conv, nil
}

// releaseHeld makes the messages held outside the citizen's window due
// again, and reports whether there were any.
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

// ServicerWrote records, inside r's transaction, that a servicer wrote to
// the citizen from the WeCom client: a person has the chat, and the bot
// keeps quiet. A citizen never seen is left unrecorded; their first message
// finds the session's state anew.
func ServicerWrote(ctx context.Context, r cases.Repo, openKfID, user string, now time.Time) error {
	c, err := r.GetContact(ctx, openKfID, user)
	if errors.Is(err, cases.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load contact: %w", err)
	}
	if c.ServiceState == cases.StateHuman {
		return nil
	}
	// In place: the window read is never written back (a contact saved
	// whole would count its window's messages twice: storage.SaveContact).
	if err := r.SetServiceState(ctx, openKfID, user, cases.StateHuman, now.UTC()); err != nil {
		return fmt.Errorf("save contact: %w", err)
	}
	return nil
}

// SessionChanged records, inside r's transaction, the citizen's kf session
// state after WeCom reported a change (taken by a servicer, transferred,
// ended, re-entered), in place (see ServicerWrote); a citizen never seen
// is recorded with it.
func SessionChanged(ctx context.Context, r cases.Repo, openKfID, user string, state cases.ServiceState, now time.Time) error {
	if err := r.SetServiceState(ctx, openKfID, user, state, now.UTC()); err != nil {
		return fmt.Errorf("save contact: %w", err)
	}
	return nil
}
