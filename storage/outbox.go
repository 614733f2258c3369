package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"banchengshi/cases"
)

var outboxCols = []string{
	"case_id", "channel", "open_kfid", "recipient", "message", "priority",
	"status", "attempts", "next_attempt_at", "last_error", "wecom_msgid", "merged_into",
	"created_at", "sent_at", "send_key", "purpose", "reply_to_seq", "seal_ref",
}

const outboxSelect = "SELECT id, case_id, channel, open_kfid, recipient, message, priority, " +
	"status, attempts, next_attempt_at, last_error, wecom_msgid, merged_into, created_at, sent_at, send_key, purpose, reply_to_seq, version, seal_ref FROM outbox"

// Enqueue stores m and sets its ID. A zero CreatedAt becomes now, a zero
// NextAttemptAt becomes CreatedAt and an empty Status pending.
func (s *SQL) Enqueue(ctx context.Context, m *cases.OutboxMessage) error {
	queued(m)
	// Sealed to a reference chosen before the insert (see seal.go): one
	// INSERT writes the row whole.
	return s.inTx(ctx, func(t *SQL) error {
		args, err := t.outboxArgs(ctx, m, newSealRef())
		if err != nil {
			return err
		}
		res, err := t.q.ExecContext(ctx, insertSQL("outbox", outboxCols), args...)
		if err != nil {
			return t.wrap(err, "enqueue %s message to case %d", m.Channel, m.CaseID)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return t.wrap(err, "enqueue message: read id")
		}
		m.ID = id
		return nil
	})
}

// EnqueueMany stores ms in one INSERT, in order (their ids ascend in the
// order given), each as Enqueue would; the ids are not set. A run of a
// citizen's messages queues its replies with it (intake).
func (s *SQL) EnqueueMany(ctx context.Context, ms []*cases.OutboxMessage) error {
	if len(ms) == 0 {
		return nil
	}
	return s.inTx(ctx, func(t *SQL) error {
		args := make([]any, 0, len(ms)*len(outboxCols))
		for _, m := range ms {
			queued(m)
			row, err := t.outboxArgs(ctx, m, newSealRef())
			if err != nil {
				return err
			}
			args = append(args, row...)
		}
		if _, err := t.q.ExecContext(ctx, insertRowsSQL("outbox", outboxCols, len(ms)), args...); err != nil {
			return t.wrap(err, "enqueue %d messages", len(ms))
		}
		return nil
	})
}

// queued gives m what a message has when it is queued: a creation time,
// due then, pending, a send key, the first version.
func queued(m *cases.OutboxMessage) {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	if m.Status == "" {
		m.Status = cases.OutboxPending
	}
	if m.SendKey == "" {
		m.SendKey = NewSendKey()
	}
	m.Version = 0
	normalizeOutboxTimes(m)
}

// DueOutbox returns pending messages whose NextAttemptAt is not after now,
// oldest first. A message queued after one to the same recipient that is
// still waiting for its next try (a retry after a failure, a send in flight)
// is not due yet: each recipient's messages go out in the order queued.
func (s *SQL) DueOutbox(ctx context.Context, now time.Time, limit int) ([]*cases.OutboxMessage, error) {
	return s.dueOutbox(ctx, now, "", limit)
}

// DueOutboxExcept is DueOutbox without the messages of channel skip: while
// one API is paused, its messages keep their place in the queue (due) and
// must not fill the page that the others are read from.
func (s *SQL) DueOutboxExcept(ctx context.Context, now time.Time, skip cases.Channel, limit int) ([]*cases.OutboxMessage, error) {
	return s.dueOutbox(ctx, now, skip, limit)
}

func (s *SQL) dueOutbox(ctx context.Context, now time.Time, skip cases.Channel, limit int) ([]*cases.OutboxMessage, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	where, args := " WHERE status = ? AND next_attempt_at <= ?", []any{string(cases.OutboxPending), s.d.t(now)}
	if skip != "" {
		where += " AND channel <> ?"
		args = append(args, string(skip))
	}
	args = append(args, string(cases.OutboxPending), s.d.t(now), limit)
	return s.queryOutbox(ctx, "read due outbox",
		outboxSelect+where+
			" AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.open_kfid = outbox.open_kfid AND e.recipient = outbox.recipient"+
			" AND e.status = ? AND e.id < outbox.id AND e.next_attempt_at > ?)"+
			" ORDER BY next_attempt_at, id LIMIT ?", args...)
}

// HeldOutbox returns one citizen's held messages, oldest first.
func (s *SQL) HeldOutbox(ctx context.Context, openKfID, externalUserID string) ([]*cases.OutboxMessage, error) {
	return s.queryOutbox(ctx, "read held outbox",
		outboxSelect+" WHERE open_kfid = ? AND recipient = ? AND status = ? ORDER BY id",
		openKfID, externalUserID, string(cases.OutboxHeld))
}

// CaseOutbox returns every message about a case, oldest first.
func (s *SQL) CaseOutbox(ctx context.Context, caseID int64) ([]*cases.OutboxMessage, error) {
	return s.queryOutbox(ctx, fmt.Sprintf("read outbox of case %d", caseID),
		outboxSelect+" WHERE case_id = ? ORDER BY id", caseID)
}

// UpdateOutbox saves m's state (found by ID) if the stored row is still at
// m.Version, and moves both to the next version. A row changed since m was
// read gives ErrConflict (a stale copy is never written back, and so never
// sent again); a missing row ErrNotFound. The message itself is not written:
// it was sealed when queued and a change of state (claimed, sent, held,
// failed …) leaves it as it is, so no key is read and nothing is sealed
// again; UpdateOutboxMessage writes a changed message.
func (s *SQL) UpdateOutbox(ctx context.Context, m *cases.OutboxMessage) error {
	normalizeOutboxTimes(m)
	args := append(outboxStateArgs(s.d, m), m.ID, m.Version)
	res, err := s.q.ExecContext(ctx, "UPDATE outbox SET "+setList(outboxStateCols)+", version = version + 1 WHERE id = ? AND version = ?", args...)
	if err != nil {
		return s.wrap(err, "update outbox message %d", m.ID)
	}
	if err := s.versioned(ctx, res, m); err != nil {
		return err
	}
	m.Version++
	return nil
}

// UpdateOutboxMessage is UpdateOutbox for a message whose text changed too
// (a bundle): the message is sealed again, to a fresh reference written
// with it in the same statement (m does not carry the row's reference, and
// a row bound to its id moves to a reference this way).
func (s *SQL) UpdateOutboxMessage(ctx context.Context, m *cases.OutboxMessage) error {
	normalizeOutboxTimes(m)
	err := s.inTx(ctx, func(t *SQL) error {
		args, err := t.outboxArgs(ctx, m, newSealRef())
		if err != nil {
			return err
		}
		args = append(args, m.ID, m.Version)
		res, err := t.q.ExecContext(ctx, "UPDATE outbox SET "+setList(outboxCols)+", version = version + 1 WHERE id = ? AND version = ?", args...)
		if err != nil {
			return t.wrap(err, "update outbox message %d", m.ID)
		}
		return t.versioned(ctx, res, m)
	})
	if err != nil {
		return err
	}
	m.Version++
	return nil
}

// versioned reads the outcome of a versioned update of m: no row changed is
// ErrNotFound for a missing row, else ErrConflict (changed since m was read).
func (s *SQL) versioned(ctx context.Context, res sql.Result, m *cases.OutboxMessage) error {
	what := fmt.Sprintf("update outbox message %d", m.ID)
	n, err := res.RowsAffected()
	if err != nil {
		return s.wrap(err, "%s: rows affected", what)
	}
	if n == 0 {
		if err := s.updatedRow(ctx, res, "outbox", m.ID, what); err != nil {
			return err
		}
		return fmt.Errorf("%s at version %d: %w", what, m.Version, cases.ErrConflict)
	}
	return nil
}

// outboxStateCols are the columns a change of state writes: all but the
// message, the recipient and when it was queued, which never change.
var outboxStateCols = []string{
	"case_id", "priority", "status", "attempts", "next_attempt_at", "last_error", "wecom_msgid", "merged_into",
	"sent_at", "send_key", "purpose", "reply_to_seq",
}

// outboxStateArgs returns m's values of outboxStateCols.
func outboxStateArgs(d dialect, m *cases.OutboxMessage) []any {
	return []any{m.CaseID, int(m.Priority), string(m.Status), m.Attempts, d.t(m.NextAttemptAt), m.LastError, m.WeComMsgID, m.MergedInto,
		d.ntp(m.SentAt), m.SendKey, string(m.Purpose), m.ReplyTo}
}

// NewSendKey returns a fresh idempotency key for an outgoing message: 24 hex
// digits (96 random bits), within kf msgid's 32 characters of [0-9a-zA-Z_-].
func NewSendKey() string { return newToken()[:24] }

// outboxArgs returns m's column values in outboxCols order. The message, texts
// to citizens and staff with names and phone numbers in them, is sealed JSON
// bound to ref, the row's seal_ref.
func (s *SQL) outboxArgs(ctx context.Context, m *cases.OutboxMessage, ref string) ([]any, error) {
	msg, err := json.Marshal(m.Message)
	if err != nil {
		return nil, fmt.Errorf("encode outbox message: %w", err)
	}
	k, err := s.sealKey(ctx)
	if err != nil {
		return nil, err
	}
	return []any{
		m.CaseID, string(m.Channel), m.OpenKfID, m.Recipient, k.Seal(string(msg), adSealRef("outbox", "message", ref)), int(m.Priority),
		string(m.Status), m.Attempts, s.d.t(m.NextAttemptAt), m.LastError, m.WeComMsgID, m.MergedInto,
		s.d.t(m.CreatedAt), s.d.ntp(m.SentAt), m.SendKey, string(m.Purpose), m.ReplyTo, ref,
	}, nil
}

func (s *SQL) queryOutbox(ctx context.Context, what, q string, args ...any) ([]*cases.OutboxMessage, error) {
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(err, "%s", what)
	}
	defer rows.Close()
	var out []*cases.OutboxMessage
	for rows.Next() {
		var m cases.OutboxMessage
		var channel, msg, status, purpose, ref string
		var prio int
		err := rows.Scan(&m.ID, &m.CaseID, &channel, &m.OpenKfID, &m.Recipient, &msg, &prio,
			&status, &m.Attempts, timeCol{&m.NextAttemptAt}, &m.LastError, &m.WeComMsgID, &m.MergedInto,
			timeCol{&m.CreatedAt}, timePtrCol{&m.SentAt}, &m.SendKey, &purpose, &m.ReplyTo, &m.Version, sealRefCol{&ref})
		if err != nil {
			return nil, s.wrap(err, "%s", what)
		}
		m.Channel, m.Status, m.Priority, m.Purpose = cases.Channel(channel), cases.OutboxStatus(status), cases.Priority(prio), cases.Purpose(purpose)
		if m.SendKey == "" {
			// Queued before keys existed: derived from what never changes.
			m.SendKey = fmt.Sprintf("bcs%d-%d", m.ID, m.CreatedAt.UnixMicro())
		}
		if msg, err = s.openRef(ctx, msg, "outbox", "message", ref, m.ID); err != nil {
			if u := cases.AsUnreadable(err); u != nil {
				u.OpenKfID, u.ExternalUserID = m.OpenKfID, m.Recipient
			}
			return nil, fmt.Errorf("%s: message %d: %w", what, m.ID, err)
		}
		if err := json.Unmarshal([]byte(msg), &m.Message); err != nil {
			return nil, fmt.Errorf("%s: decode message %d: %w", what, m.ID, err)
		}
		out = append(out, &m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "%s", what)
	}
	return out, nil
}

func normalizeOutboxTimes(m *cases.OutboxMessage) {
	m.CreatedAt = utc(m.CreatedAt)
	m.NextAttemptAt = utc(m.NextAttemptAt)
	m.SentAt = utcPtr(m.SentAt)
}

// contactSelect reads a contact row c (the caller adds FROM and what else it
// reads; contactCols scans it). The count of messages sent in the window is
// what WeCom took for the citizen through the outbox since their latest
// message reached us (sent_at after window_from, set by OpenWindow: strictly,
// a reply stamped the same microsecond is taken to have gone first, as
// notify.CitizenWrote says) or written down as sent after that message
// opened the window, whenever it went (window_seq, the contact's
// inbound_seq as UpdateOutboxSent found it: the database's own order, so
// that a reply settled after the window opened is counted in it, as the
// count kept on the contact until migration 0020 did, whatever the clocks
// say); plus what is counted apart from the outbox (sent_in_window: WeCom's
// word that the window is used up, ExhaustWindow, which the outbox is not
// asked about then). A message is counted by its own row, so that its
// settlement is one UPDATE of the outbox and writes no contact (it reads
// the contact's inbound_seq under a shared lock: UpdateOutboxSent).
var contactSelect = fmt.Sprintf("SELECT c.last_inbound_at, CASE WHEN c.sent_in_window >= %d THEN c.sent_in_window"+
	" ELSE c.sent_in_window + (SELECT COUNT(*) FROM outbox o"+
	" WHERE o.open_kfid = c.open_kfid AND o.recipient = c.external_userid AND o.status = '%s'"+
	" AND (o.window_seq = c.inbound_seq OR o.sent_at > c.window_from) AND o.channel = '%s' AND o.wecom_msgid <> '') END,"+
	" c.service_state, c.updated_at, c.inbound_seq", cases.KfWindowMessages, cases.OutboxSent, cases.ChannelKf)

// contactCols is where contactSelect's columns are scanned into c, then
// more, what the caller selected after them.
func contactCols(c *cases.Contact, more ...any) []any {
	return append([]any{timeCol{&c.LastInboundAt}, &c.SentInWindow, &c.ServiceState, timeCol{&c.UpdatedAt}, &c.InboundSeq}, more...)
}

// GetContact returns the state of one citizen's kf conversation, or
// ErrNotFound for a citizen never seen.
func (s *SQL) GetContact(ctx context.Context, openKfID, externalUserID string) (*cases.Contact, error) {
	c := cases.Contact{OpenKfID: openKfID, ExternalUserID: externalUserID}
	err := s.q.QueryRowContext(ctx, contactSelect+" FROM contacts c WHERE c.open_kfid = ? AND c.external_userid = ?",
		openKfID, externalUserID).Scan(contactCols(&c)...)
	if err != nil {
		return nil, s.wrap(err, "get contact")
	}
	return &c, nil
}

// LockContact takes the write lock on a citizen's contacts row (a no-op
// UPDATE) for the rest of the transaction. On SQLite, whose transactions
// take the database's write lock at BEGIN, it changes nothing.
func (s *SQL) LockContact(ctx context.Context, openKfID, externalUserID string) error {
	if _, err := s.q.ExecContext(ctx, "UPDATE contacts SET updated_at = updated_at WHERE open_kfid = ? AND external_userid = ?",
		openKfID, externalUserID); err != nil {
		return s.wrap(err, "lock contact")
	}
	return nil
}

// SetServiceState changes a citizen's kf session state in place, so that a
// window the citizen opened meanwhile is not written back with older values.
func (s *SQL) SetServiceState(ctx context.Context, openKfID, externalUserID string, state cases.ServiceState, at time.Time) error {
	res, err := s.q.ExecContext(ctx, "UPDATE contacts SET service_state = ?, updated_at = ? WHERE open_kfid = ? AND external_userid = ?",
		state, s.d.t(utc(at)), openKfID, externalUserID)
	if err != nil {
		return s.wrap(err, "set service state")
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		return nil
	}
	// No change: the same state already, or a citizen not seen before.
	if _, err := s.GetContact(ctx, openKfID, externalUserID); errors.Is(err, cases.ErrNotFound) {
		return s.SaveContact(ctx, &cases.Contact{OpenKfID: openKfID, ExternalUserID: externalUserID, ServiceState: state, UpdatedAt: at})
	} else if err != nil {
		return err
	}
	return nil
}

// SaveContact inserts or replaces a citizen's conversation state. A zero
// UpdatedAt becomes now. Its window is the one opened at LastInboundAt:
// c.SentInWindow is stored as counted apart from the outbox, and the kf
// messages WeCom took for the citizen after LastInboundAt count on top (see
// contactSelect), so a contact read and saved back would count those twice;
// the product changes a contact in place (OpenWindow, SetServiceState,
// ExhaustWindow) and saves one only where it is new.
func (s *SQL) SaveContact(ctx context.Context, c *cases.Contact) error {
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = time.Now()
	}
	c.UpdatedAt, c.LastInboundAt = utc(c.UpdatedAt), utc(c.LastInboundAt)
	q := s.d.upsert("contacts",
		[]string{"open_kfid", "external_userid", "last_inbound_at", "sent_in_window", "service_state", "updated_at", "inbound_seq", "window_from"},
		[]string{"open_kfid", "external_userid"},
		[]string{"last_inbound_at", "sent_in_window", "service_state", "updated_at", "inbound_seq", "window_from"})
	_, err := s.q.ExecContext(ctx, q, c.OpenKfID, c.ExternalUserID, s.d.nt(c.LastInboundAt), c.SentInWindow, int(c.ServiceState), s.d.t(c.UpdatedAt), c.InboundSeq, s.d.nt(c.LastInboundAt))
	if err != nil {
		return s.wrap(err, "save contact")
	}
	return nil
}
