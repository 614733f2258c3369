package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"banchengshi/cases"
)

// UpdateOutboxes saves the state of several messages (found by ID), as
// UpdateOutbox saves one, in one statement: every stored row must still be
// at its message's Version, or none is written (ErrConflict). It moves each
// message to its next version. The claims given back after a run of
// replies stopped cost one statement, not one each (notify/group.go); more
// than one message is written in a transaction (the caller's, if it has
// one), so that a row found changed undoes the others.
func (s *SQL) UpdateOutboxes(ctx context.Context, ms []*cases.OutboxMessage) error {
	switch len(ms) {
	case 0:
		return nil
	case 1:
		return s.UpdateOutbox(ctx, ms[0])
	}
	if err := s.inTx(ctx, func(t *SQL) error { return t.updateOutboxes(ctx, ms, "") }); err != nil {
		return err
	}
	for _, m := range ms {
		m.Version++
	}
	return nil
}

// UpdateOutboxSent saves, in one statement, the state of kf messages to
// one citizen that WeCom took, each at the version read; it fails with
// ErrConflict when any had changed since. It needs no transaction: a
// message is counted in the citizen's window by its own row (see
// contactSelect). Outside a transaction the messages that had not changed
// are written even so, and none of their versions moves in memory: the
// caller reads back which were (see notify's settleSent).
func (s *SQL) UpdateOutboxSent(ctx context.Context, ms []*cases.OutboxMessage) error {
	if len(ms) == 0 {
		return nil
	}
	for _, m := range ms[1:] {
		if m.OpenKfID != ms[0].OpenKfID || m.Recipient != ms[0].Recipient {
			return fmt.Errorf("save sent messages: messages to %s and %s", ms[0].Recipient, m.Recipient)
		}
	}
	// The window each message counts in (contactSelect): the one open when
	// it is written down. The read waits for a citizen's message being
	// handled (OpenWindow's lock), whatever the isolation level: under READ
	// COMMITTED a plain read would take the window before it and count the
	// message in neither.
	also := "window_seq = (SELECT inbound_seq FROM contacts WHERE open_kfid = ? AND external_userid = ?" + s.d.lockShared() + "), "
	if err := s.updateOutboxes(ctx, ms, also, ms[0].OpenKfID, ms[0].Recipient); err != nil {
		return err
	}
	for _, m := range ms {
		m.Version++
	}
	return nil
}

// updateOutboxes writes the state of ms, each at its version, in one
// statement, and fails with ErrConflict unless every row changed; it moves
// no version in memory (the caller does once its transaction is written).
// A column with the same value in every message is set once; the others
// are chosen by id. also is more to set (ending in ", "), with its
// arguments.
func (s *SQL) updateOutboxes(ctx context.Context, ms []*cases.OutboxMessage, also string, alsoArgs ...any) error {
	rows := make([][]any, len(ms))
	for i, m := range ms {
		normalizeOutboxTimes(m)
		rows[i] = outboxStateArgs(s.d, m)
	}
	var q strings.Builder
	var args []any
	q.WriteString("UPDATE outbox SET ")
	for j, col := range outboxStateCols {
		q.WriteString(col)
		same := true
		for _, row := range rows[1:] {
			// The values are strings, numbers, times and nil: comparable.
			if row[j] != rows[0][j] {
				same = false
				break
			}
		}
		if same {
			q.WriteString(" = ?, ")
			args = append(args, rows[0][j])
			continue
		}
		q.WriteString(" = CASE id")
		for i, m := range ms {
			q.WriteString(" WHEN ? THEN ?")
			args = append(args, m.ID, rows[i][j])
		}
		q.WriteString(" END, ")
	}
	q.WriteString(also)
	args = append(args, alsoArgs...)
	q.WriteString("version = version + 1")
	n, ids, err := s.execAtVersions(ctx, "update", &q, args, ms)
	if err != nil {
		return err
	}
	if n != int64(len(ms)) {
		return fmt.Errorf("update outbox messages %v: %d of them changed since they were read: %w", ids, int64(len(ms))-n, cases.ErrConflict)
	}
	return nil
}

// ClaimOutboxes claims several messages for their sender, as read (each
// at its Version): one attempt more each, due again at until, in one
// statement outside any transaction, all or none (ErrConflict when any row
// changed since it was read). A claim of several rows needs no transaction
// of its own: when some had changed, the rows this statement claimed are
// given back in a second one (found by the version and the due time it gave
// them), so that none stays claimed; should that fail too, they are due
// again at until, their attempt spent, as after a sender that died. On
// success the messages' Attempts, NextAttemptAt and Version are moved in
// memory.
func (s *SQL) ClaimOutboxes(ctx context.Context, ms []*cases.OutboxMessage, until time.Time) error {
	if len(ms) == 0 {
		return nil
	}
	until = utc(until).Truncate(time.Microsecond) // what DATETIME(6) keeps, compared below
	var q strings.Builder
	q.WriteString("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, version = version + 1")
	n, ids, err := s.execAtVersions(ctx, "claim", &q, []any{s.d.t(until)}, ms)
	if err != nil {
		return err
	}
	if n != int64(len(ms)) {
		conflict := fmt.Errorf("claim outbox messages %v: %d of them changed since they were read: %w", ids, int64(len(ms))-n, cases.ErrConflict)
		if n == 0 {
			return conflict
		}
		// Given back even when ctx ends meanwhile (the lease lost): what
		// this statement claimed was never sent.
		return errors.Join(conflict, s.unclaim(context.WithoutCancel(ctx), ms, until))
	}
	for _, m := range ms {
		m.Attempts++
		m.NextAttemptAt = until
		m.Version++
	}
	return nil
}

// unclaim gives back the claims ClaimOutboxes wrote on ms (read before the
// claim) until until: a row still at the version and due time the claim
// gave it gets its attempt and due time back. Another sender's claim of
// the same version with the same end would look the same: the sender makes
// each claim's end its own (notify: claimRun).
func (s *SQL) unclaim(ctx context.Context, ms []*cases.OutboxMessage, until time.Time) error {
	var q strings.Builder
	var args []any
	q.WriteString("UPDATE outbox SET attempts = attempts - 1, next_attempt_at = CASE id")
	for _, m := range ms {
		q.WriteString(" WHEN ? THEN ?")
		args = append(args, m.ID, s.d.t(m.NextAttemptAt))
	}
	q.WriteString(" END, version = version + 1 WHERE id IN (" + placeholders(len(ms)) + ")")
	for _, m := range ms {
		args = append(args, m.ID)
	}
	q.WriteString(" AND status = ? AND next_attempt_at = ? AND version = CASE id")
	args = append(args, string(cases.OutboxPending), s.d.t(until))
	for _, m := range ms {
		q.WriteString(" WHEN ? THEN ?")
		args = append(args, m.ID, m.Version+1)
	}
	q.WriteString(" END")
	if _, err := s.q.ExecContext(ctx, q.String(), args...); err != nil {
		return s.wrap(err, "give back the claims of outbox messages")
	}
	return nil
}

// execAtVersions ends q (an UPDATE of outbox rows, its arguments so far in
// args) with the rows of ms, each at the version it must still have, runs
// it and reports how many rows it changed; what names the change in errors.
// The rows are named by id, a list the database reads by its primary key,
// locking only them.
func (s *SQL) execAtVersions(ctx context.Context, what string, q *strings.Builder, args []any, ms []*cases.OutboxMessage) (n int64, ids []int64, err error) {
	ids = make([]int64, len(ms))
	q.WriteString(" WHERE id IN (" + placeholders(len(ms)) + ") AND version = CASE id")
	for i, m := range ms {
		ids[i] = m.ID
		args = append(args, m.ID)
	}
	for _, m := range ms {
		q.WriteString(" WHEN ? THEN ?")
		args = append(args, m.ID, m.Version)
	}
	q.WriteString(" END")
	res, err := s.q.ExecContext(ctx, q.String(), args...)
	if err != nil {
		return 0, ids, s.wrap(err, "%s outbox messages %v", what, ids)
	}
	if n, err = res.RowsAffected(); err != nil {
		return 0, ids, s.wrap(err, "%s outbox messages %v: rows affected", what, ids)
	}
	return n, ids, nil
}

// kfRetries selects the kf messages waiting out a backoff after a failed
// send whose next try is after after: pending, tried, an error recorded. It
// reads the outbox_due index's pending range. It returns the clause and
// its arguments.
func (s *SQL) kfRetries(after time.Time) (string, []any) {
	return " WHERE status = ? AND next_attempt_at > ? AND channel = ? AND attempts > 0 AND last_error <> ''",
		[]any{string(cases.OutboxPending), s.d.t(utc(after)), string(cases.ChannelKf)}
}

// ResumeKfRetries makes due at now the kf messages waiting out a backoff
// after a failed send whose next try is after after (see
// cases.PlanStore), in one UPDATE.
func (s *SQL) ResumeKfRetries(ctx context.Context, now, after time.Time) (int64, error) {
	where, args := s.kfRetries(after)
	res, err := s.q.ExecContext(ctx, "UPDATE outbox SET next_attempt_at = ?"+where, append([]any{s.d.t(utc(now))}, args...)...)
	if err != nil {
		return 0, s.wrap(err, "resume kf retries")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.wrap(err, "resume kf retries")
	}
	return n, nil
}

// NextKfRetry returns, of the kf messages ResumeKfRetries would make due,
// the one whose next try comes soonest, or ErrNotFound.
func (s *SQL) NextKfRetry(ctx context.Context, after time.Time) (*cases.OutboxMessage, error) {
	where, args := s.kfRetries(after)
	ms, err := s.queryOutbox(ctx, "read the next kf retry", outboxSelect+where+" ORDER BY next_attempt_at, id LIMIT 1", args...)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, cases.ErrNotFound
	}
	return ms[0], nil
}
