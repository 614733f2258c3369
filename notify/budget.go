package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"banchengshi/cases"
	"banchengshi/notify/queue"
	"banchengshi/storage"
	"banchengshi/wecom"
)

// codeKfSessionState is send_msg's answer while the session is with a human
// servicer or in the pool: "not now" rather than "never".
const codeKfSessionState = 95018

// maxBundleBytes keeps a bundle under WeCom's 2048-byte text limit with room
// to spare.
const maxBundleBytes = 1800

// deliverCitizen plans and sends one citizen's due messages (all on one kf
// account), in this order:
//
//  1. Bundle: several low-priority updates become one message; the others
//     are marked merged into it.
//  2. Spend the window on what matters most first: critical (the answer, the
//     follow-up), then normal (replies in a live conversation), then the
//     bundle; each class in the order it was queued.
//  3. Each message is sent if the window has room for it (holdReason);
//     else what cannot wait (the answer, a material request, the follow-up)
//     goes by SMS when an SMS sender is configured and the case has a
//     mobile number (smsInstead); everything else is held until the citizen
//     writes again. See docs/notifications.md.
//
// The messages the plan sends as they are go out in runs, each claimed at
// once before its first send and settled at once after it (group.go); the
// others (a handover, a hold, an SMS, a message out of attempts) are
// handled one at a time between runs, after what went before them is
// settled.
func (o *Outbox) deliverCitizen(ctx context.Context, g []*cases.OutboxMessage) error {
	now := o.now()
	// "The order it was queued" is the id's, not the order due: a message
	// retried after a failure is due later than the ones queued after it.
	slices.SortFunc(g, func(a, b *cases.OutboxMessage) int { return cmp.Compare(a.ID, b.ID) })
	contact, err := loadContact(ctx, o.repo, g[0].OpenKfID, g[0].Recipient)
	if err != nil {
		return err
	}
	eligible := lowPriority
	if o.short(now) {
		// WeCom's call budget is short: each call should carry all the
		// citizen is owed, so their waiting replies go as one message.
		eligible = mergeWhenShort
	}
	g, err = o.bundle(ctx, g, bundleSep, eligible)
	if err != nil {
		return err
	}
	slices.SortStableFunc(g, func(a, b *cases.OutboxMessage) int { return int(b.Priority) - int(a.Priority) })
	for len(g) > 0 {
		done, err := 1, error(nil)
		if n := sendable(contact, g, now); n > 0 {
			done, err = o.sendRun(ctx, g[:n], contact, now)
		} else {
			err = o.deliverKf(ctx, g[0], contact, now)
		}
		if errors.Is(err, errKfWaits) || errors.Is(err, errRetryFirst) {
			if other := withoutStops(err); other != nil {
				// A settlement that failed beside the stop: what it was
				// about goes out again under its key; it must be seen.
				o.log.Error("settle a citizen's messages", "err", other)
			}
			return nil // the rest keep their place behind it
		}
		if err != nil {
			return err
		}
		g = g[done:]
	}
	return nil
}

// withoutStops is err without errKfWaits and errRetryFirst, the planned
// stops of a citizen's messages: nil when nothing else went wrong.
func withoutStops(err error) error { return without(err, errKfWaits, errRetryFirst) }

// without is err, joined errors taken apart, without those that are any of
// targets: nil when nothing else is left.
func without(err error, targets ...error) error {
	var rest []error
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if e == nil {
			return
		}
		for _, t := range targets {
			if errors.Is(e, t) {
				return
			}
		}
		rest = append(rest, e)
	}
	walk(err)
	return errors.Join(rest...)
}

// errKfWaits stops a citizen's messages when kf sends must wait (WeCom's
// frequency limit, or the call budget is spent).
var errKfWaits = errors.New("kf sends wait")

// errRetryFirst stops a recipient's messages after one of them failed and
// will be tried again: what comes after it must not overtake it.
var errRetryFirst = errors.New("an earlier message is retried first")

// mergeWhenShort marks the texts that may share one message while the call
// budget is short: everything but the answer and the follow-up, which keep
// their own message.
func mergeWhenShort(m *cases.OutboxMessage) bool { return m.Priority < cases.PriorityCritical }

// repliesToLatest reports whether m answers the citizen's latest message.
func repliesToLatest(c *cases.Contact, m *cases.OutboxMessage) bool {
	return m.ReplyTo != 0 && m.ReplyTo == c.InboundSeq
}

// mergeable reports whether m is a plain text that can share a message.
func mergeable(m *cases.OutboxMessage) bool {
	return m.Message.Text != "" && len(m.Message.Menu) == 0 && m.Message.Card == nil && m.Message.CardUpdate == nil
}

// bundle merges the texts of g that may share a message (mergeable, and
// eligible) into as few messages as fit WeCom's text limit, joined by sep,
// settles the merged ones, and returns what is left to send, in order.
func (o *Outbox) bundle(ctx context.Context, g []*cases.OutboxMessage, sep string, eligible func(*cases.OutboxMessage) bool) ([]*cases.OutboxMessage, error) {
	var out []*cases.OutboxMessage
	var head *cases.OutboxMessage
	for _, m := range g {
		// A message tried before may have reached WeCom: its text and key
		// stay as they were, or a retry would be a different message.
		if !mergeable(m) || !eligible(m) || m.Attempts > 0 {
			out = append(out, m)
			continue
		}
		if head == nil || len(head.Message.Text)+len(sep)+len(m.Message.Text) > maxBundleBytes {
			head = m
			out = append(out, m)
			continue
		}
		head.Message.Text += sep + m.Message.Text
		// The bundle is as urgent as the most urgent text it carries, and a
		// reply to the citizen's latest message stays one.
		head.Priority = max(head.Priority, m.Priority)
		head.ReplyTo = max(head.ReplyTo, m.ReplyTo)
		if err := o.mergeInto(ctx, m, head); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lowPriority marks the citizen's updates that may be bundled: progress, not
// replies in a live conversation or the answer.
func lowPriority(m *cases.OutboxMessage) bool { return m.Priority == cases.PriorityLow }

// mergeInto records that m travels inside head. head's new text is saved with
// head's own fate, in the same flush; should the process die between the two,
// m's words are still on its timeline as the fate says where they went.
func (o *Outbox) mergeInto(ctx context.Context, m, head *cases.OutboxMessage) error {
	m.Status = cases.OutboxMerged
	m.MergedInto = head.ID
	m.LastError = ""
	return o.repo.InTx(ctx, func(r cases.Repo) error {
		if err := r.UpdateOutboxMessage(ctx, head); err != nil {
			return fmt.Errorf("save bundle: %w", err)
		}
		return o.settleIn(ctx, r, m, o.now())
	})
}

// holdReason says why a message to a citizen must wait, or "" to send it now.
func holdReason(c *cases.Contact, m *cases.OutboxMessage, now time.Time) string {
	if c.ServiceState.WithServicers() {
		return reasonServicer
	}
	left := c.Remaining(now)
	if left == 0 {
		return reasonBudget
	}
	// The last message of a window is kept for what matters most: the answer
	// to the case and the follow-up question. The reply to the citizen's
	// latest message is the exception: they are in the conversation now, so
	// every message they send gets its answer, and their next message opens
	// a new window for the case's news.
	if left == 1 && m.Priority < cases.PriorityCritical && !repliesToLatest(c, m) {
		return reasonReserve
	}
	return ""
}

// deliverKf handles m, a message the plan does not send as it is (see
// sendable): a handover, a message that must wait (it goes by SMS or is
// held), or one with no attempts left (given up on).
func (o *Outbox) deliverKf(ctx context.Context, m *cases.OutboxMessage, contact *cases.Contact, now time.Time) error {
	if m.Message.Handover {
		return o.handOver(ctx, m, contact, now)
	}
	if reason := holdReason(contact, m, now); reason != "" {
		// What cannot wait goes by SMS rather than waiting (sms.go).
		if done, err := o.smsInstead(ctx, m, windowOf(contact), reason, now); done || err != nil {
			return err
		}
		return o.holdUnlessReopened(ctx, m, windowOf(contact), reason, now)
	}
	// Out of attempts: claim gives it up.
	_, err := o.claim(ctx, m, now)
	return err
}

// handOver moves the citizen's chat to the servicers' waiting pool. It sends
// no message, so it costs nothing from the window. Should WeCom keep refusing,
// the citizen is told, not left waiting for a person who never comes.
func (o *Outbox) handOver(ctx context.Context, m *cases.OutboxMessage, contact *cases.Contact, now time.Time) error {
	due := m.NextAttemptAt
	if ok, err := o.claim(ctx, m, now); !ok {
		return err
	}
	if !contact.ServiceState.WithServicers() {
		if _, err := o.api.TransServiceState(ctx, m.OpenKfID, m.Recipient, int(cases.StatePool), ""); err != nil {
			if wait, ok := wecom.RetryAfter(err); ok {
				return o.later(ctx, m, due, err, wait, now)
			}
			o.failedKf(m, err, now)
			// As in sendRun: WeCom answering resumes the others before this
			// one (claimed, so left alone) is settled; WeCom unreachable is
			// counted once it is.
			if answered(err) {
				o.wecomAnswered(ctx)
			}
			if wecom.Transient(err) {
				defer o.wecomFailed()
			}
			if m.Status != cases.OutboxFailed {
				return o.settle(ctx, m)
			}
			ctx, cancel := recordCtx(ctx)
			defer cancel()
			return o.repo.InTx(ctx, func(r cases.Repo) error {
				sorry := []cases.Message{{Text: textHandoverFailed}}
				if err := queue.Reply(ctx, r, m.OpenKfID, m.Recipient, 0, sorry, now); err != nil {
					return fmt.Errorf("queue handover apology: %w", err)
				}
				return o.settleIn(ctx, r, m, now)
			})
		}
		contact.ServiceState = cases.StatePool
		o.wecomAnswered(ctx)
	}
	markSent(m, "", now)
	ctx, cancel := recordCtx(ctx)
	defer cancel()
	return o.repo.InTx(ctx, func(r cases.Repo) error {
		// Only the state changes, in place: the citizen may have written
		// meanwhile, and the window read before the send must not be
		// written back.
		if err := r.SetServiceState(ctx, m.OpenKfID, m.Recipient, contact.ServiceState, now); err != nil {
			return err
		}
		return o.settleIn(ctx, r, m, now)
	})
}

// holdUnlessReopened holds m, unless the citizen wrote after the window seen
// was read: intake may already have released this citizen's held messages,
// and m, held now, would wait for yet another message from them.
func (o *Outbox) holdUnlessReopened(ctx context.Context, m *cases.OutboxMessage, seen window, reason string, now time.Time) error {
	ctx, cancel := recordCtx(ctx)
	defer cancel()
	return o.repo.InTx(ctx, func(r cases.Repo) error {
		// Locked before it is read: a citizen's message now being handled
		// either committed first (and is seen here) or waits for this hold
		// and then releases it.
		if err := r.LockContact(ctx, m.OpenKfID, m.Recipient); err != nil {
			return err
		}
		fresh, err := loadContact(ctx, r, m.OpenKfID, m.Recipient)
		if err != nil {
			return err
		}
		if seen.reopenedIn(fresh) {
			m.NextAttemptAt = now.UTC() // still due: the next round sends it
			return r.UpdateOutbox(ctx, m)
		}
		hold(m, reason, now)
		return o.settleIn(ctx, r, m, now)
	})
}

// markSent records that WeCom accepted m (msgid empty for what sends no
// message: a card update, a handover).
func markSent(m *cases.OutboxMessage, msgid string, now time.Time) {
	m.Status = cases.OutboxSent
	m.WeComMsgID = msgid
	m.LastError = ""
	sent := now.UTC()
	m.SentAt = &sent
}

// hold parks m until the citizen writes again; NextAttemptAt keeps when it was
// held, so that an answer held too long becomes a phone task (EscalateHeld).
//
// A held message has not reached WeCom, or WeCom refused it: it goes out
// later under a fresh idempotency key, or WeCom would take it for the
// message it already has and swallow it.
func hold(m *cases.OutboxMessage, reason string, now time.Time) {
	m.Status = cases.OutboxHeld
	m.LastError = reason
	m.NextAttemptAt = now.UTC()
	m.SendKey = storage.NewSendKey()
}
