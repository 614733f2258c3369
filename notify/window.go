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
// refusals say about it. The planner (budget.go) and WeCom's reports
// (fates.go) read and change the window only through it.

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

// countSent records one more message in the citizen's window, or (exhausted)
// that WeCom says the window w is used up. It works on the stored contact, in
// place, not on the copy read before sending, because the citizen may have
// written in between: a new window is never marked used up by the old one's
// refusal, and a message sent around the moment the window reset is counted
// in the new one, which errs on the side of sending less.
func countSent(ctx context.Context, r cases.Repo, openKfID, user string, w window, exhausted bool, now time.Time) error {
	if !exhausted {
		return r.CountSentInWindow(ctx, openKfID, user, now.UTC())
	}
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
