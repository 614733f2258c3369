package storage

import (
	"context"
	"strings"
	"time"

	"banchengshi/cases"
)

// UpdateOutboxSent is UpdateOutbox for a kf message WeCom took, with the
// message counted in its citizen's window (CountSentInWindow) in the same
// change: neither is written when the message changed since it was read.
// On MySQL it is one statement, which updates the message and the contact
// together (the contact joined on the side, so that a citizen never seen
// does not stop the message's update), committed on its own outside a
// transaction; on SQLite two, in a transaction.
func (s *SQL) UpdateOutboxSent(ctx context.Context, m *cases.OutboxMessage, now time.Time) error {
	if s.d.name != DriverMySQL {
		return s.inTx(ctx, func(t *SQL) error {
			if err := t.CountSentInWindow(ctx, m.OpenKfID, m.Recipient, now); err != nil {
				return err
			}
			return t.UpdateOutbox(ctx, m)
		})
	}
	normalizeOutboxTimes(m)
	args := append(outboxStateArgs(s.d, m), s.d.t(utc(now)), m.ID, m.Version)
	res, err := s.q.ExecContext(ctx, updateOutboxSentSQL, append([]any{m.OpenKfID, m.Recipient}, args...)...)
	if err != nil {
		return s.wrap(err, "update outbox message %d and count it in the window", m.ID)
	}
	if err := s.versioned(ctx, res, m); err != nil {
		return err
	}
	m.Version++
	return nil
}

// updateOutboxSentSQL is UpdateOutboxSent's statement on MySQL: the
// message's state at its version, and the window's count.
var updateOutboxSentSQL = "UPDATE outbox o LEFT JOIN contacts c ON c.open_kfid = ? AND c.external_userid = ? SET o." +
	strings.Join(outboxStateCols, " = ?, o.") + " = ?, o.version = o.version + 1," +
	" c.sent_in_window = c.sent_in_window + 1, c.updated_at = ? WHERE o.id = ? AND o.version = ?"
