package notify

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"banchengshi/cases"
	"banchengshi/wecom"
)

// A citizen's due replies are sent in runs: the messages at the head of
// their queue that the plan sends as they are (sendable: no reason to wait,
// each counted in the window before the next is planned, as the sends will
// count them). A run is claimed in one statement before its first message
// is sent (every message's attempt counted, its next try a lease ahead, at
// the version read: all or none), sent in order, and settled after its
// last message, or earlier, as soon as a send stops it. A message counts in
// the citizen's window by its own state (sent, and when: storage's
// contactSelect), so a settlement writes no contact: a run that went out
// whole is settled in one statement of its own (settleSent), one with fates
// for case timelines or a stop in one transaction (settleRun). Five replies
// due together cost a claim and a settlement, not five of each.
//
// A send that stops the run (a refusal, WeCom's frequency limit, an error,
// the lease lost) settles what went before it, decides the stopped
// message's fate as a lone send would, and gives back the claims of the
// messages after it (their attempt and their place in the queue, as if
// they had not been claimed): they are planned again with what the stop
// taught (a window WeCom says is used up, a pause). A panic in a send
// leaves the message in flight claimed (its attempt spent, so a message
// that kills its sender is given up in the end) and gives back the rest.
//
// Should the sender die between sends and the settlement, the claimed
// messages are due again when the claim runs out (claimFor), and the next
// sender sends them again under the same send_key (one at a time: see
// sendable): WeCom answers a msgid it took as already taken, so the citizen
// gets no second copy, and each message is settled, counted in the window
// and given its fate once.

// sendable is how many of g, from its head, the plan sends as they are:
// messages that are no handover, have attempts left and have no reason to
// wait, each counted in the window (in a copy of c) before the next one is
// planned. The sends count them in c as they go.
//
// A message tried before goes first in its run, never after another: its
// sender may have died on it, and a message that kills its sender every
// time must spend only its own attempts, not those of the messages claimed
// with it (a run left claimed by a dead sender is therefore sent again one
// message at a time).
func sendable(c *cases.Contact, g []*cases.OutboxMessage, now time.Time) int {
	plan := *c
	for i, m := range g {
		if i > 0 && m.Attempts > 0 {
			return i
		}
		if m.Message.Handover || m.Attempts >= maxSendAttempts || holdReason(&plan, m, now) != "" {
			return i
		}
		plan.SentInWindow++
	}
	return len(g)
}

// sendRun claims run (sendable, in order), sends it and settles it. It
// reports how many of run are done (sent, or their fate decided); the
// claims of the rest are given back and the caller plans them again. An
// error errKfWaits or errRetryFirst says the rest of the citizen's messages
// wait behind the message that stopped the run.
func (o *Outbox) sendRun(ctx context.Context, run []*cases.OutboxMessage, contact *cases.Contact, now time.Time) (done int, err error) {
	due := make([]time.Time, len(run))
	for i, m := range run {
		due[i] = m.NextAttemptAt
	}
	if err := o.claimRun(ctx, run, now); err != nil {
		return 0, err
	}
	s := &runSettlement{}
	// inFlight is the message being sent: a panic out of its send leaves it
	// claimed; what comes after it is given back.
	inFlight := -1
	defer func() {
		if inFlight >= 0 {
			s.back, s.due = run[inFlight+1:], due[inFlight+1:]
		}
		// WeCom answered: the replies waiting after its failures are due
		// now, before this run is settled, while its own messages are
		// still claimed and so left alone (one WeCom refused stays on its
		// backoff). A failure in a run of which WeCom took a message is
		// the message's own (wecomFailed).
		if len(s.sent) > 0 || s.answered {
			o.wecomAnswered(ctx)
		}
		err = errors.Join(err, o.settleRun(ctx, s, now))
		if s.unreachable {
			o.wecomFailed()
		}
	}()
	window := windowOf(contact)
	for i, m := range run {
		if ctx.Err() != nil {
			// The recipient's lease is lost: what went is settled, nothing
			// more is sent.
			s.back, s.due = run[i:], due[i:]
			return i, ctx.Err()
		}
		inFlight = i
		msgid, err := o.api.SendKf(ctx, m.OpenKfID, m.Recipient, m.SendKey, m.Message)
		inFlight = -1
		if err == nil {
			contact.SentInWindow++
			// Stamped when WeCom took it: a message counts in the window
			// its sent_at falls in (storage's contactSelect).
			markSent(m, msgid, o.now())
			s.sent = append(s.sent, m)
			continue
		}
		stop := o.sendFailed(m, err, contact, window, due[i], now, s)
		s.decided = m
		s.back, s.due = run[i+1:], due[i+1:]
		return i + 1, stop
	}
	return len(run), nil
}

// claimRun claims every message of run at once (see claim, which claims one
// and gives up on a message with no attempts left; sendable leaves those
// out of a run).
func (o *Outbox) claimRun(ctx context.Context, run []*cases.OutboxMessage, now time.Time) error {
	// A claim's end is made its own to the microsecond, so that giving
	// back a claim found partly refused (storage.ClaimOutboxes) cannot
	// take another sender's claim for this one's.
	until := now.Add(claimFor + time.Duration(rand.IntN(1000))*time.Microsecond)
	if err := o.repo.ClaimOutboxes(ctx, run, until); err != nil {
		return fmt.Errorf("claim %d outbox messages from %d: %w", len(run), run[0].ID, err)
	}
	return nil
}

// sendFailed decides the fate of m, which WeCom did not take (err), as a
// lone send would, and returns errKfWaits or errRetryFirst when the
// citizen's messages after it must wait; the fate is written with the
// run's settlement.
func (o *Outbox) sendFailed(m *cases.OutboxMessage, err error, contact *cases.Contact, w window, due, now time.Time, s *runSettlement) error {
	if wait, ok := wecom.RetryAfter(err); ok {
		o.postpone(m, due, err, wait, now)
		return errKfWaits
	}
	switch code := wecom.ErrCode(err); {
	case code == wecom.CodeKfSendLimit:
		// WeCom counts differently from us (a message sent by a servicer in the
		// client counts too): believe WeCom and hold until the citizen writes.
		contact.SentInWindow = cases.KfWindowMessages
		hold(m, reasonBudget, now)
		s.exhausted = &w
	case code == codeKfSessionState:
		hold(m, reasonServicer, now)
	case errors.Is(err, wecom.ErrInvalidMessage):
		// Retrying cannot make a message WeCom would refuse acceptable.
		m.LastError = err.Error()
		giveUp(m)
	default:
		o.failedKf(m, err, now)
		s.unreachable = wecom.Transient(err)
		s.answered = answered(err)
		return errRetryFirst
	}
	s.answered = answered(err)
	return nil
}

// runSettlement is what a run leaves to write.
type runSettlement struct {
	sent []*cases.OutboxMessage // WeCom took them
	// decided is the message that stopped the run, its fate decided; when
	// WeCom said the window is used up, exhausted is the window.
	decided   *cases.OutboxMessage
	exhausted *window
	// unreachable: the stopped message failed for WeCom's reasons
	// (wecom.Transient); answered: WeCom answered its call, refusing it.
	unreachable, answered bool
	// back are claimed messages not sent; due, when each was due before
	// its claim.
	back []*cases.OutboxMessage
	due  []time.Time
}

// settleRun writes s in one transaction: the sent messages' states and
// fates, the stopped message's fate, the claims given back; a run that went
// out whole with no fate to write is settleSent's.
// It is written even while the process shuts down (recordCtx): the
// messages have gone out. Should the transaction fail (a message changed
// meanwhile, a deadlock), each part is written again on its own, so that
// one changed message does not cost the others their settlement.
func (o *Outbox) settleRun(ctx context.Context, s *runSettlement, now time.Time) error {
	for i, m := range s.back {
		m.Attempts--
		m.NextAttemptAt = s.due[i]
	}
	all := append(append([]*cases.OutboxMessage(nil), s.sent...), s.back...)
	if s.decided != nil {
		all = append(all, s.decided)
	}
	if len(all) == 0 {
		return nil
	}
	ctx, cancel := recordCtx(ctx)
	defer cancel()
	if s.decided == nil && len(s.back) == 0 && !slices.ContainsFunc(s.sent, hasFate) {
		return o.settleSent(ctx, s.sent)
	}
	was := make([]cases.OutboxMessage, len(all))
	for i, m := range all {
		was[i] = *m
	}
	err := o.repo.InTx(ctx, func(r cases.Repo) error {
		if s.exhausted != nil {
			// The contact is locked before anything reads it: the sent
			// messages' window (UpdateOutboxSent) takes a shared lock on it
			// and the window used up an exclusive one, and intake's
			// OpenWindow, waiting for it in between, would deadlock.
			if err := r.LockContact(ctx, s.decided.OpenKfID, s.decided.Recipient); err != nil {
				return err
			}
		}
		if err := o.writeSent(ctx, r, s.sent, now); err != nil {
			return err
		}
		if err := o.writeDecided(ctx, r, s, now); err != nil {
			return err
		}
		return r.UpdateOutboxes(ctx, s.back)
	})
	if err == nil {
		o.countFates(s)
		return nil
	}
	for i, m := range all {
		*m = was[i]
	}
	return errors.Join(err, o.settleRunAlone(ctx, s, now))
}

// settleSent writes the states of ms, a run that went out whole, in one
// statement outside any transaction (UpdateOutboxSent): none has a fate to
// write, and no contact is written. Should it fail, what it wrote is read
// back: a message found written as sent is settled; each other one is
// written on its own, as settleRunAlone does, and left as it is when it had
// changed meanwhile.
func (o *Outbox) settleSent(ctx context.Context, ms []*cases.OutboxMessage) error {
	err := o.repo.UpdateOutboxSent(ctx, ms)
	if err == nil {
		o.countFates(&runSettlement{sent: ms})
		return nil
	}
	errs := []error{fmt.Errorf("settle %d sent outbox messages from %d: %w", len(ms), ms[0].ID, err)}
	if errors.Is(err, cases.ErrConflict) {
		errs = nil // someone else's change: each message is settled below
	}
	// Time of its own: the statement may have failed for want of it, and
	// may have been written even so.
	ctx, cancel := recordCtx(ctx)
	defer cancel()
	for _, m := range ms {
		got, err := o.repo.OutboxByWeComMsgID(ctx, m.WeComMsgID)
		if err == nil && got.ID == m.ID && got.Status == cases.OutboxSent && got.Version == m.Version+1 {
			m.Version = got.Version
			o.metrics.Notification(string(m.Channel), fateLabel(m))
			continue
		}
		if err != nil && !errors.Is(err, cases.ErrNotFound) {
			errs = append(errs, fmt.Errorf("read back outbox message %d: %w", m.ID, err))
			continue
		}
		errs = append(errs, o.settledAlone(m, o.repo.UpdateOutboxSent(ctx, []*cases.OutboxMessage{m})))
	}
	return errors.Join(errs...)
}

// hasFate reports whether m, sent, has a fate to write on a case's
// timeline (appendFate).
func hasFate(m *cases.OutboxMessage) bool { return m.CaseID != 0 }

// settleRunAlone writes each part of s in a transaction of its own. A
// message changed meanwhile is left as it is, its settlement or given-back
// claim unwritten: the change is someone else's.
func (o *Outbox) settleRunAlone(ctx context.Context, s *runSettlement, now time.Time) error {
	var errs []error
	for _, m := range s.sent {
		err := o.repo.InTx(ctx, func(r cases.Repo) error { return o.writeSent(ctx, r, []*cases.OutboxMessage{m}, now) })
		errs = append(errs, o.settledAlone(m, err))
	}
	if s.decided != nil {
		err := o.repo.InTx(ctx, func(r cases.Repo) error { return o.writeDecided(ctx, r, s, now) })
		errs = append(errs, o.settledAlone(s.decided, err))
	}
	for _, m := range s.back {
		if err := o.repo.UpdateOutbox(ctx, m); err != nil && !errors.Is(err, cases.ErrConflict) {
			errs = append(errs, fmt.Errorf("give back the claim of outbox message %d: %w", m.ID, err))
		}
	}
	return errors.Join(errs...)
}

// settledAlone counts m's fate once its settlement (err) is written, and
// returns what went wrong: nothing when m had changed meanwhile (WeCom's
// msg_send_fail for it came first: SendFailed; or its claim ran out and
// another sender has it), as theirs stands.
func (o *Outbox) settledAlone(m *cases.OutboxMessage, err error) error {
	switch {
	case err == nil:
		o.metrics.Notification(string(m.Channel), fateLabel(m))
	case errors.Is(err, cases.ErrConflict):
		o.log.Warn("outbox message changed before its settlement; left as it is", "outbox_id", m.ID, "err", err)
	default:
		return err
	}
	return nil
}

// writeSent writes, in r's transaction, the state of ms, which WeCom took,
// and their fates on the case timelines.
func (o *Outbox) writeSent(ctx context.Context, r cases.Repo, ms []*cases.OutboxMessage, now time.Time) error {
	if len(ms) == 0 {
		return nil
	}
	if err := r.UpdateOutboxSent(ctx, ms); err != nil {
		return fmt.Errorf("save sent messages' state: %w", err)
	}
	for _, m := range ms {
		if err := appendFate(ctx, r, m, now); err != nil {
			return err
		}
	}
	return nil
}

// writeDecided writes, in r's transaction, the fate of the message that
// stopped the run, and the window used up when WeCom said so.
func (o *Outbox) writeDecided(ctx context.Context, r cases.Repo, s *runSettlement, now time.Time) error {
	m := s.decided
	if m == nil {
		return nil
	}
	if s.exhausted != nil {
		if err := exhaust(ctx, r, m.OpenKfID, m.Recipient, *s.exhausted, now); err != nil {
			return err
		}
	}
	return o.settleRows(ctx, r, m, now)
}

// countFates counts the fates s wrote in the metrics.
func (o *Outbox) countFates(s *runSettlement) {
	for _, m := range s.sent {
		o.metrics.Notification(string(m.Channel), fateLabel(m))
	}
	if s.decided != nil {
		o.metrics.Notification(string(s.decided.Channel), fateLabel(s.decided))
	}
}
