package storage

import (
	"context"
	"fmt"
	"time"

	"banchengshi/cases"
)

// OutboxByWeComMsgID returns the message WeCom accepted under msgID, or
// ErrNotFound.
func (s *SQL) OutboxByWeComMsgID(ctx context.Context, msgID string) (*cases.OutboxMessage, error) {
	if msgID == "" {
		return nil, cases.ErrNotFound
	}
	list, err := s.queryOutbox(ctx, "find outbox message by wecom msgid",
		outboxSelect+" WHERE wecom_msgid = ? ORDER BY id LIMIT 1", msgID)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, cases.ErrNotFound
	}
	return list[0], nil
}

// OutboxReported returns the message WeCom reports on under msgID (a
// msg_send_fail): the one WeCom accepted under it, or else the pending kf
// message to the citizen whose send_key is msgID (send_msg's msgid, which
// WeCom gives back as the message's): one WeCom took whose sender has not
// written it down yet (a run of replies is settled after its last send; a
// sender that died left it claimed), or one whose send timed out, to be
// tried again under the same key. ErrNotFound when there is neither. One
// statement, so that a settlement committed meanwhile cannot make it miss
// both, whatever the isolation level.
func (s *SQL) OutboxReported(ctx context.Context, openKfID, externalUserID, msgID string) (*cases.OutboxMessage, error) {
	if msgID == "" {
		return nil, cases.ErrNotFound
	}
	list, err := s.queryOutbox(ctx, "find the outbox message WeCom reports on",
		outboxSelect+" WHERE wecom_msgid = ? UNION ALL "+
			outboxSelect+" WHERE open_kfid = ? AND recipient = ? AND status = ? AND channel = ? AND send_key = ?",
		msgID, openKfID, externalUserID, string(cases.OutboxPending), string(cases.ChannelKf), msgID)
	if err != nil {
		return nil, err
	}
	var found *cases.OutboxMessage
	for _, m := range list {
		switch {
		case found == nil:
			found = m
		case m.WeComMsgID == msgID && (found.WeComMsgID != msgID || m.ID < found.ID):
			found = m // the message accepted under msgID comes first
		}
	}
	if found == nil {
		return nil, cases.ErrNotFound
	}
	return found, nil
}

// OpenWindow records, in place, messages from the citizen, the last of
// which they sent at sentAt and reached us at receivedAt (see
// cases.OutboxStore). The
// contact's row is written (and so locked) before anything is read: a
// decision to hold a message for the citizen (LockContact) either committed
// before and is seen here, or waits and then sees this message. The window
// now counts from receivedAt (window_from: see contactSelect), and the
// count is read in the same statement as the contact and whether anything
// is held: one write and one read.
func (s *SQL) OpenWindow(ctx context.Context, openKfID, externalUserID string, messages int, sentAt, receivedAt, now time.Time) (*cases.Contact, bool, error) {
	if messages < 1 {
		return nil, false, fmt.Errorf("open the window for %d messages", messages)
	}
	lastInbound := "last_inbound_at"
	from := s.d.t(utc(receivedAt))
	args := []any{openKfID, externalUserID, s.d.nt(sentAt), 0, 0, s.d.t(utc(now)), messages, from, messages, from}
	if !sentAt.IsZero() {
		// Forward only: messages are handled in order, but send_time has
		// whole seconds.
		lastInbound = "CASE WHEN last_inbound_at IS NULL OR last_inbound_at < ? THEN ? ELSE last_inbound_at END"
		args = append(args, s.d.t(sentAt), s.d.t(sentAt))
	}
	args = append(args, s.d.t(utc(now)))
	q := s.d.upsertSet("contacts",
		[]string{"open_kfid", "external_userid", "last_inbound_at", "sent_in_window", "service_state", "updated_at", "inbound_seq", "window_from"},
		[]string{"open_kfid", "external_userid"},
		// kf's rule: an ended session (4) is new (0) again when the citizen writes.
		"inbound_seq = inbound_seq + ?, window_from = ?, last_inbound_at = "+lastInbound+", sent_in_window = 0, "+
			"service_state = CASE WHEN service_state = 4 THEN 0 ELSE service_state END, updated_at = ?")
	if _, err := s.q.ExecContext(ctx, q, args...); err != nil {
		return nil, false, s.wrap(err, "open the window")
	}

	c := cases.Contact{OpenKfID: openKfID, ExternalUserID: externalUserID}
	var held bool
	err := s.q.QueryRowContext(ctx,
		contactSelect+", EXISTS (SELECT 1 FROM outbox h WHERE h.open_kfid = c.open_kfid AND h.recipient = c.external_userid AND h.status = ?)"+
			" FROM contacts c WHERE c.open_kfid = ? AND c.external_userid = ?",
		string(cases.OutboxHeld), openKfID, externalUserID).
		Scan(contactCols(&c, &held)...)
	if err != nil {
		return nil, false, s.wrap(err, "read the window opened")
	}
	return &c, held, nil
}

// HeldOutboxSince returns held messages of at least priority min held at or
// before before (their NextAttemptAt), oldest first.
func (s *SQL) HeldOutboxSince(ctx context.Context, before time.Time, min cases.Priority, limit int) ([]*cases.OutboxMessage, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	return s.queryOutbox(ctx, "read long-held outbox",
		outboxSelect+" WHERE status = ? AND next_attempt_at <= ? AND priority >= ? ORDER BY next_attempt_at, id LIMIT ?",
		string(cases.OutboxHeld), s.d.t(before), int(min), limit)
}

// ContactsClosing returns the contacts whose citizen last wrote in [from, to),
// oldest first.
func (s *SQL) ContactsClosing(ctx context.Context, from, to time.Time, limit int) ([]*cases.Contact, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	rows, err := s.q.QueryContext(ctx,
		contactSelect+", c.open_kfid, c.external_userid FROM contacts c"+
			" WHERE c.last_inbound_at >= ? AND c.last_inbound_at < ? ORDER BY c.last_inbound_at, c.open_kfid, c.external_userid LIMIT ?",
		s.d.t(from), s.d.t(to), limit)
	if err != nil {
		return nil, s.wrap(err, "list contacts closing")
	}
	defer rows.Close()
	var out []*cases.Contact
	for rows.Next() {
		var c cases.Contact
		if err := rows.Scan(contactCols(&c, &c.OpenKfID, &c.ExternalUserID)...); err != nil {
			return nil, s.wrap(err, "list contacts closing")
		}
		out = append(out, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "list contacts closing")
	}
	return out, nil
}

// MarkOnce records key at at unless it is recorded already, and reports
// whether this call recorded it. Inside a transaction the mark commits with
// what it guards, so a mark never outlives a rolled-back effect.
func (s *SQL) MarkOnce(ctx context.Context, key string, at time.Time) (bool, error) {
	q := s.d.insertIgnore("once_marks", []string{"mark_key", "marked_at"}, "mark_key")
	res, err := s.q.ExecContext(ctx, q, key, s.d.t(utc(at)))
	if err != nil {
		return false, s.wrap(err, "mark %s", key)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.wrap(err, "mark %s: rows affected", key)
	}
	return n == 1, nil
}

// MarkedAt returns when key was recorded, or ErrNotFound.
func (s *SQL) MarkedAt(ctx context.Context, key string) (time.Time, error) {
	var at time.Time
	err := s.q.QueryRowContext(ctx, "SELECT marked_at FROM once_marks WHERE mark_key = ?", key).Scan(timeCol{&at})
	if err != nil {
		return time.Time{}, s.wrap(err, "read mark %s", key)
	}
	return at, nil
}

// ExhaustWindow sets sent_in_window to the limit if the stored window is
// still the one opened by message number seq at at: counted apart from the
// outbox, it holds the window used up whatever the outbox shows.
func (s *SQL) ExhaustWindow(ctx context.Context, openKfID, externalUserID string, at time.Time, seq int64, now time.Time) (bool, error) {
	res, err := s.q.ExecContext(ctx,
		"UPDATE contacts SET sent_in_window = ?, updated_at = ? WHERE open_kfid = ? AND external_userid = ? AND inbound_seq = ? AND last_inbound_at = ?",
		cases.KfWindowMessages, s.d.t(utc(now)), openKfID, externalUserID, seq, s.d.t(utc(at)))
	if err != nil {
		return false, s.wrap(err, "mark the window used up")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.wrap(err, "mark the window used up: rows affected")
	}
	return n > 0, nil
}
