package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"banchengshi/cases"
	"banchengshi/wecom"
)

// WeCom's limits on app messages to one member (messages past them are dropped
// by WeCom without an error, so we never send them).
const (
	appPerMinute = 30
	appPerHour   = 1000
)

// staffSep separates merged texts to one staff member.
const staffSep = "\n———\n"

// deliverStaff sends one staff member's due messages. Texts waiting together
// are merged into one message (as many as fit WeCom's text limit), so that a
// busy morning costs a handler a few messages of their 30 a minute, not
// dozens; cards and card updates go one by one.
func (o *Outbox) deliverStaff(ctx context.Context, g []*cases.OutboxMessage) error {
	send, err := o.bundle(ctx, g, staffSep, func(*cases.OutboxMessage) bool { return true })
	if err != nil {
		return err
	}
	for _, m := range send {
		if err := o.deliverApp(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (o *Outbox) deliverApp(ctx context.Context, m *cases.OutboxMessage) error {
	now := o.now()
	if u := m.Message.CardUpdate; u != nil {
		// Updating a card sends no new message, so it does not count against
		// the member's message limits. Its response code is single-use: a
		// repeat changes nothing.
		due := m.NextAttemptAt
		if ok, err := o.claim(ctx, m, now); !ok {
			return err
		}
		err := o.api.UpdateCard(ctx, u.UserIDs, u.ResponseCode, u.ReplaceText)
		if wait, ok := wecom.RetryAfter(err); ok {
			return o.later(ctx, m, due, err, wait, now)
		}
		if err != nil {
			o.retryLater(m, err, now)
			return o.settle(ctx, m)
		}
		markSent(m, "", now)
		return o.settle(ctx, m)
	}
	// A card goes to several members at once (Recipient "a|b|c", WeCom's own
	// touser form); each member's limits count.
	users := strings.Split(m.Recipient, "|")
	for _, lim := range []struct {
		n      int
		window time.Duration
	}{{appPerMinute, time.Minute}, {appPerHour, time.Hour}} {
		ok, err := o.allowAll(ctx, users, lim.n, lim.window)
		if err != nil {
			return fmt.Errorf("rate limit: %w", err)
		}
		if !ok {
			// Queued, not dropped: it goes out (merged with whatever else
			// waits for this member) when the window has room again.
			m.NextAttemptAt = now.Add(lim.window / 6).UTC()
			m.LastError = reasonAppLimit
			return o.settle(ctx, m)
		}
	}
	due := m.NextAttemptAt
	if ok, err := o.claim(ctx, m, now); !ok {
		return err
	}
	msgid, responseCode, err := o.api.SendApp(ctx, users, m.Message)
	if wait, ok := wecom.RetryAfter(err); ok {
		return o.later(ctx, m, due, err, wait, now)
	}
	if err != nil {
		o.retryLater(m, err, now)
		return o.settle(ctx, m)
	}
	markSent(m, msgid, now)
	ctx, cancel := recordCtx(ctx)
	defer cancel()
	return o.repo.InTx(ctx, func(r cases.Repo) error {
		if o.cards != nil && m.Message.Card != nil && responseCode != "" {
			if err := o.cards.CardSent(ctx, r, m, responseCode); err != nil {
				return err
			}
		}
		return o.settleIn(ctx, r, m, now)
	})
}

// allowAll takes one message from each member's allowance; it refuses when any
// member has none left.
func (o *Outbox) allowAll(ctx context.Context, users []string, n int, window time.Duration) (bool, error) {
	for _, u := range users {
		ok, err := o.limiter.Allow(ctx, fmt.Sprintf("app:%s:%d", u, n), n, window)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}
