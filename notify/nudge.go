package notify

import (
	"context"
	"fmt"
	"time"

	"banchengshi/cases"
	"banchengshi/notify/queue"
)

// Nudge invites a reply from every citizen whose window closes within
// NudgeLead, who has an open case, has budget left, is not with a human
// servicer and was not nudged in this window: one message saying "回复“查询”随时
// 查看进度". A reply reopens the window with five fresh messages, so the
// case's news can still reach them.
//
// The nudge is critical: it may spend the message kept in reserve, because a
// reserve that expires unused protects nothing, and a reply restores all
// five. That it was sent in this window is marked in the same transaction as
// the message is queued, so two schedulers cannot nudge twice.
func (o *Outbox) Nudge(ctx context.Context) error {
	now := o.now()
	// Windows closing within NudgeLead, that one included (storage keeps
	// microseconds).
	from := now.Add(-cases.KfWindow)
	to := from.Add(o.nudgeLead + time.Microsecond)
	queued := false
	// Page through every window closing soon: contacts with no open case must
	// not crowd out those with one. A nudge is marked once, so a contact
	// seen on two pages is nudged once.
	for page := 0; page < 100; page++ {
		list, err := o.repo.ContactsClosing(ctx, from.UTC(), to.UTC(), nudgePage)
		if err != nil {
			return fmt.Errorf("find windows closing: %w", err)
		}
		if err := o.nudgePage(ctx, list, now, &queued); err != nil {
			return err
		}
		if len(list) < nudgePage {
			break
		}
		next := list[len(list)-1].LastInboundAt
		if !next.After(from) {
			next = from.Add(time.Microsecond)
		}
		from = next
	}
	if queued {
		o.Kick()
	}
	return nil
}

// nudgePage is how many contacts Nudge reads at a time.
const nudgePage = 500

func (o *Outbox) nudgePage(ctx context.Context, list []*cases.Contact, now time.Time, queued *bool) error {
	for _, c := range list {
		if c.ServiceState.WithServicers() || c.Remaining(now) == 0 {
			continue
		}
		open, err := o.repo.ListCases(ctx, cases.Filter{ReporterID: c.ExternalUserID, Status: cases.WorkingStatuses(), Limit: 1})
		if err != nil {
			return fmt.Errorf("find open case: %w", err)
		}
		if len(open) == 0 {
			continue
		}
		cs := open[0]
		key := fmt.Sprintf("nudge:%s:%s:%d", c.OpenKfID, c.ExternalUserID, c.LastInboundAt.UnixMicro())
		err = o.repo.InTx(ctx, func(r cases.Repo) error {
			first, err := r.MarkOnce(ctx, key, now)
			if err != nil || !first {
				return err
			}
			msg := cases.Message{Text: fmt.Sprintf(textNudge, cs.Number)}
			if err := queue.Nudge(ctx, r, c.OpenKfID, c.ExternalUserID, cs.ID, msg, now); err != nil {
				return err
			}
			*queued = true
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
