package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"banchengshi/cases"
)

// A citizen's message that WeCom took is settled (its state, the window's
// count, its fate on the timeline) in the same transaction that claims the
// citizen's next message, when the next is claimed straight after: a
// citizen with five replies due costs six commits, not ten. Nothing is
// waited for in between: the settlement is owed only while the next
// message is planned (holdReason: no I/O), and whatever the next message
// needs instead (a hold, an SMS, a handover), or the end of the citizen's
// messages, pays what is owed first, alone, as before. A settlement is
// never lost to the claim beside it: when their transaction fails (the
// next message changed meanwhile, a deadlock), the settlement is written
// again on its own before the claim's error is returned.

// owed is a message WeCom took whose settlement is not written yet.
type owed struct {
	m *cases.OutboxMessage
	// was is m as it was before its settlement was tried, to try it again
	// alone: a transaction that failed changed the copy (its version) but
	// not the row.
	was cases.OutboxMessage
}

// owe defers the settlement of m, which WeCom took, to the claim of the
// citizen's next message (or to pay).
func owe(m *cases.OutboxMessage) *owed { return &owed{m: m, was: *m} }

// pay writes what is owed, alone, and forgets it. It is written even while
// the process shuts down (recordCtx): the message has gone out.
func (o *Outbox) pay(ctx context.Context, debt **owed) error {
	d := *debt
	if d == nil {
		return nil
	}
	*debt = nil
	ctx, cancel := recordCtx(ctx)
	defer cancel()
	if err := o.repo.InTx(ctx, func(r cases.Repo) error { return settleSentIn(ctx, r, d.m, o.now()) }); err != nil {
		return err
	}
	o.metrics.Notification(string(d.m.Channel), fateLabel(d.m))
	return nil
}

// settleSentIn writes, in r's transaction (if any), the state of m, which
// WeCom took, counted in the citizen's window (in place: see countSent),
// and its fate on the case's timeline.
func settleSentIn(ctx context.Context, r cases.Repo, m *cases.OutboxMessage, now time.Time) error {
	if err := r.UpdateOutboxSent(ctx, []*cases.OutboxMessage{m}, now.UTC()); err != nil {
		return fmt.Errorf("save message state: %w", err)
	}
	return appendFate(ctx, r, m, now)
}

// claimAfter is claim, with what is owed settled in the same transaction.
// With nothing owed it is claim.
func (o *Outbox) claimAfter(ctx context.Context, debt **owed, m *cases.OutboxMessage, now time.Time) (bool, error) {
	d := *debt
	if d == nil {
		return o.claim(ctx, m, now)
	}
	if ctx.Err() != nil {
		// The recipient's lease is lost: nothing more is claimed, but what
		// went out is settled.
		return false, errors.Join(o.pay(ctx, debt), ctx.Err())
	}
	*debt = nil
	was := *m
	send := true
	rctx, cancel := recordCtx(ctx)
	defer cancel()
	err := o.repo.InTx(rctx, func(r cases.Repo) error {
		if err := settleSentIn(rctx, r, d.m, o.now()); err != nil {
			return err
		}
		if m.Attempts >= maxSendAttempts {
			giveUp(m)
			send = false
			return o.settleRows(rctx, r, m, nil, now)
		}
		m.Attempts++
		m.NextAttemptAt = now.Add(claimFor).UTC()
		if err := r.UpdateOutbox(rctx, m); err != nil {
			return fmt.Errorf("claim outbox message %d: %w", m.ID, err)
		}
		return nil
	})
	if err != nil {
		// Neither was written: the claim is undone and the settlement
		// written alone. A settlement that fails alone as well (its
		// message changed meanwhile) fails as it did before.
		*m, *d.m = was, d.was
		return false, errors.Join(err, o.pay(ctx, &d))
	}
	o.metrics.Notification(string(d.m.Channel), fateLabel(d.m))
	if !send {
		o.metrics.Notification(string(m.Channel), fateLabel(m))
	}
	return send, nil
}
