package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"banchengshi/cases"
)

var _ cases.SMSStore = (*SQL)(nil)

var smsCols = []string{
	"event_key", "case_id", "outbox_id", "urgent", "params", "status", "attempts",
	"next_attempt_at", "last_error", "provider_id", "created_at", "sent_at",
}

const smsSelect = "SELECT id, event_key, case_id, outbox_id, urgent, params, status, attempts, " +
	"next_attempt_at, last_error, provider_id, created_at, sent_at FROM sms_messages"

// EnqueueSMS stores m and sets its ID, or returns ErrDuplicate when a text for
// m.EventKey exists already. A zero CreatedAt becomes now, a zero
// NextAttemptAt becomes CreatedAt and an empty Status pending.
func (s *SQL) EnqueueSMS(ctx context.Context, m *cases.SMSMessage) error {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	if m.Status == "" {
		m.Status = cases.SMSPending
	}
	var id int64
	err := s.inTx(ctx, func(t *SQL) error {
		args, err := t.smsArgs(ctx, m)
		if err != nil {
			return err
		}
		res, err := t.q.ExecContext(ctx, insertSQL("sms_messages", smsCols), args...)
		if err != nil {
			return t.wrap(err, "enqueue sms for case %d", m.CaseID)
		}
		if id, err = res.LastInsertId(); err != nil {
			return t.wrap(err, "enqueue sms: read id")
		}
		return nil
	})
	if err != nil {
		return err
	}
	m.ID = id
	return nil
}

// DueSMS returns texts in status whose NextAttemptAt is not after before,
// oldest first.
func (s *SQL) DueSMS(ctx context.Context, status cases.SMSStatus, before time.Time, limit int) ([]*cases.SMSMessage, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	return s.querySMS(ctx, "read due sms",
		smsSelect+" WHERE status = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
		string(status), s.d.t(utc(before)), limit)
}

// CaseSMS returns a case's texts, oldest first.
func (s *SQL) CaseSMS(ctx context.Context, caseID int64) ([]*cases.SMSMessage, error) {
	return s.querySMS(ctx, fmt.Sprintf("read sms of case %d", caseID), smsSelect+" WHERE case_id = ? ORDER BY id", caseID)
}

// UpdateSMS saves m (found by ID), or returns ErrNotFound.
func (s *SQL) UpdateSMS(ctx context.Context, m *cases.SMSMessage) error {
	return s.inTx(ctx, func(t *SQL) error {
		args, err := t.smsArgs(ctx, m)
		if err != nil {
			return err
		}
		args = append(args, m.ID)
		res, err := t.q.ExecContext(ctx, "UPDATE sms_messages SET "+setList(smsCols)+" WHERE id = ?", args...)
		if err != nil {
			return t.wrap(err, "update sms %d", m.ID)
		}
		return t.updatedRow(ctx, res, "sms_messages", m.ID, fmt.Sprintf("update sms %d", m.ID))
	})
}

// smsArgs returns m's column values in smsCols order; the text's parameters
// (the answer, what staff asked for) are sealed, bound to the event key.
func (s *SQL) smsArgs(ctx context.Context, m *cases.SMSMessage) ([]any, error) {
	k, err := s.sealKey(ctx)
	if err != nil {
		return nil, err
	}
	m.CreatedAt, m.NextAttemptAt, m.SentAt = utc(m.CreatedAt), utc(m.NextAttemptAt), utcPtr(m.SentAt)
	params, err := json.Marshal(m.Params)
	if err != nil {
		return nil, fmt.Errorf("encode sms params: %w", err)
	}
	return []any{
		m.EventKey, m.CaseID, m.OutboxID, string(m.Urgent), k.Seal(string(params), ad("sms_messages", "params", m.EventKey)), string(m.Status), m.Attempts,
		s.d.t(m.NextAttemptAt), m.LastError, m.ProviderID, s.d.t(m.CreatedAt), s.d.ntp(m.SentAt),
	}, nil
}

func (s *SQL) querySMS(ctx context.Context, what, q string, args ...any) ([]*cases.SMSMessage, error) {
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(err, "%s", what)
	}
	defer rows.Close()
	var out []*cases.SMSMessage
	for rows.Next() {
		var m cases.SMSMessage
		var urgent, params, status string
		err := rows.Scan(&m.ID, &m.EventKey, &m.CaseID, &m.OutboxID, &urgent, &params, &status, &m.Attempts,
			timeCol{&m.NextAttemptAt}, &m.LastError, &m.ProviderID, timeCol{&m.CreatedAt}, timePtrCol{&m.SentAt})
		if err != nil {
			return nil, s.wrap(err, "%s", what)
		}
		m.Urgent, m.Status = cases.Urgency(urgent), cases.SMSStatus(status)
		if params, err = s.open(ctx, params, ad("sms_messages", "params", m.EventKey)); err != nil {
			if u := cases.AsUnreadable(err); u != nil {
				u.ID = m.ID
			}
			return nil, fmt.Errorf("%s: sms %d: %w", what, m.ID, err)
		}
		if err := json.Unmarshal([]byte(params), &m.Params); err != nil {
			return nil, fmt.Errorf("%s: decode sms %d: %w", what, m.ID, err)
		}
		out = append(out, &m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "%s", what)
	}
	return out, nil
}
