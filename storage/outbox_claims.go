package storage

import (
	"context"
	"time"

	"banchengshi/cases"
)

// UpdateOutboxSent is UpdateOutbox for a kf message WeCom took, with the
// message counted in its citizen's window (CountSentInWindow) in the same
// transaction: neither is written when the message changed since it was
// read. It is two statements, not one multi-table UPDATE: MariaDB updates
// every table of a multi-table UPDATE after the first through a temporary
// table, which, as contacts has TEXT columns, it creates on disk (a file per
// reply in a burst: TestUpdateOutboxSentMakesNoTemporaryTable).
func (s *SQL) UpdateOutboxSent(ctx context.Context, m *cases.OutboxMessage, now time.Time) error {
	return s.inTx(ctx, func(t *SQL) error {
		if err := t.CountSentInWindow(ctx, m.OpenKfID, m.Recipient, now); err != nil {
			return err
		}
		return t.UpdateOutbox(ctx, m)
	})
}
