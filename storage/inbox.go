package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"banchengshi/cases"
	"banchengshi/pii"
)

// SaveInbound stores in unless a callback with the same Key is stored already
// and reports whether it was new; a repeat sets no ID and is not an error,
// also inside a transaction. The body is sealed, bound to the key. A zero ReceivedAt becomes now.
func (s *SQL) SaveInbound(ctx context.Context, in *cases.Inbound) (bool, error) {
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = time.Now()
	}
	in.ReceivedAt, in.DoneAt = utc(in.ReceivedAt), utcPtr(in.DoneAt)
	q := s.d.insertIgnore("inbound",
		[]string{"dedupe_key", "kind", "body", "received_at", "done_at", "attempts", "last_error"}, "dedupe_key")
	var id int64
	var isNew bool
	err := s.inTx(ctx, func(t *SQL) error {
		k, err := t.sealKey(ctx)
		if err != nil {
			return err
		}
		res, err := t.q.ExecContext(ctx, q, in.Key, in.Kind, k.Seal(in.Body, ad("inbound", "body", in.Key)), t.d.t(in.ReceivedAt),
			t.d.ntp(in.DoneAt), in.Attempts, in.LastError)
		if err != nil {
			return t.wrap(err, "save inbound %s", in.Kind)
		}
		isNew, err = t.inserted(res, &id, "save inbound")
		return err
	})
	if err != nil || !isNew {
		return false, err
	}
	in.ID = id
	return true, nil
}

// inboundInsertRows and inboundInsertBytes bound one INSERT of callbacks:
// 7 placeholders a row, and sealed bodies well within MySQL's
// max_allowed_packet (16 MB by default on MariaDB and MySQL 8).
const (
	inboundInsertRows  = 500
	inboundInsertBytes = 4 << 20
)

// SaveInbounds stores callbacks in one transaction, a multi-row INSERT per
// inboundInsertRows, skipping those whose Key is stored already (or comes
// earlier in ins), and reports which were new, in the order of ins. A
// callback counts as new only when the stored row is the one written here
// (its sealed body, whose nonce is fresh, is the one this call wrote), so a
// repeat stored meanwhile by another replica is known as a repeat. IDs are
// not set. Each body is sealed, bound to its key; a zero ReceivedAt becomes
// now. On an error nothing is stored.
//
// Rows go in in the order of their keys, whatever the order of ins: two
// replicas storing batches that share keys (WeCom's retries of one burst,
// landing on both) then lock them in the same order and cannot deadlock.
// A transaction that loses to another one anyway (a lock wait timeout, a
// deadlock on MySQL) is tried again, a few times, unless it is the
// caller's own transaction. The callbacks of one batch (those that arrived
// while the previous one committed, milliseconds apart under a burst) are
// therefore numbered, and handled, in the order of their keys rather than of
// their arrival; a staff member's commands and clicks come seconds apart,
// each in a batch of its own.
func (s *SQL) SaveInbounds(ctx context.Context, ins []*cases.Inbound) ([]bool, error) {
	var isNew []bool
	var err error
	for attempt := 0; attempt < saveInboundsAttempts; attempt++ {
		isNew, err = s.saveInbounds(ctx, ins)
		if !errors.Is(err, cases.ErrConflict) || ctx.Err() != nil || s.tx != nil {
			break
		}
	}
	return isNew, err
}

// saveInboundsAttempts bounds the tries of SaveInbounds that lose to a
// concurrent transaction.
const saveInboundsAttempts = 3

func (s *SQL) saveInbounds(ctx context.Context, ins []*cases.Inbound) ([]bool, error) {
	isNew := make([]bool, len(ins))
	order := make([]int, len(ins)) // indexes into ins, by key; repeats in their order
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(ins[a].Key, ins[b].Key) })
	err := s.inTx(ctx, func(t *SQL) error {
		clear(isNew)
		k, err := t.sealKey(ctx)
		if err != nil {
			return err
		}
		first := map[string]bool{}
		var chunk []int // indexes into ins
		sealed := make([]string, len(ins))
		size := 0
		for _, i := range order {
			in := ins[i]
			if first[in.Key] {
				continue // a repeat within the batch
			}
			first[in.Key] = true
			if in.ReceivedAt.IsZero() {
				in.ReceivedAt = time.Now()
			}
			in.ReceivedAt, in.DoneAt = utc(in.ReceivedAt), utcPtr(in.DoneAt)
			sealed[i] = k.Seal(in.Body, ad("inbound", "body", in.Key))
			if len(chunk) == inboundInsertRows || (len(chunk) > 0 && size+len(sealed[i]) > inboundInsertBytes) {
				if err := t.insertInbounds(ctx, ins, sealed, chunk, isNew); err != nil {
					return err
				}
				chunk, size = chunk[:0], 0
			}
			chunk = append(chunk, i)
			size += len(sealed[i])
		}
		if len(chunk) > 0 {
			return t.insertInbounds(ctx, ins, sealed, chunk, isNew)
		}
		return nil
	})
	if err != nil {
		return make([]bool, len(ins)), err
	}
	return isNew, nil
}

// insertInbounds inserts ins[i] for each i in chunk, with its sealed body,
// and sets isNew[i] for those it stored. When every row was inserted they
// are all new; otherwise the stored bodies tell which rows are this call's.
func (s *SQL) insertInbounds(ctx context.Context, ins []*cases.Inbound, sealed []string, chunk []int, isNew []bool) error {
	cols := []string{"dedupe_key", "kind", "body", "received_at", "done_at", "attempts", "last_error"}
	args := make([]any, 0, len(chunk)*len(cols))
	for _, i := range chunk {
		in := ins[i]
		args = append(args, in.Key, in.Kind, sealed[i], s.d.t(in.ReceivedAt), s.d.ntp(in.DoneAt), in.Attempts, in.LastError)
	}
	res, err := s.q.ExecContext(ctx, s.d.insertIgnoreRows("inbound", cols, "dedupe_key", len(chunk)), args...)
	if err != nil {
		return s.wrap(err, "save %d callbacks", len(chunk))
	}
	// A skipped repeat affects no row in either dialect (see insertKfMessages).
	n, err := res.RowsAffected()
	if err != nil {
		return s.wrap(err, "save callbacks: rows affected")
	}
	if int(n) == len(chunk) {
		for _, i := range chunk {
			isNew[i] = true
		}
		return nil
	}
	if n == 0 {
		return nil
	}
	keys := make([]any, len(chunk))
	byKey := make(map[string]int, len(chunk))
	for j, i := range chunk {
		keys[j] = ins[i].Key
		byKey[ins[i].Key] = i
	}
	rows, err := s.q.QueryContext(ctx, "SELECT dedupe_key, body FROM inbound WHERE dedupe_key IN ("+
		placeholders(len(keys))+")", keys...)
	if err != nil {
		return s.wrap(err, "read back saved callbacks")
	}
	defer rows.Close()
	for rows.Next() {
		var key, body string
		if err := rows.Scan(&key, &body); err != nil {
			return s.wrap(err, "read back saved callbacks")
		}
		if i, ok := byKey[key]; ok && body == sealed[i] {
			isNew[i] = true
		}
	}
	if err := rows.Err(); err != nil {
		return s.wrap(err, "read back saved callbacks")
	}
	return nil
}

// PendingInbound returns unhandled callbacks (DoneAt unset), the least
// tried first, each number of attempts in id order: a page is never filled
// with callbacks waiting out their retries while new ones, due at once, are
// left out (after an outage of WeCom, hundreds of kf callbacks wait, each
// for its own next try; the one that arrives as WeCom answers again is the
// one to pull for).
func (s *SQL) PendingInbound(ctx context.Context, limit int) ([]*cases.Inbound, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	rows, err := s.q.QueryContext(ctx,
		"SELECT id, dedupe_key, kind, body, received_at, done_at, attempts, failures, last_error, tried_at FROM inbound WHERE done_at IS NULL ORDER BY attempts, id LIMIT ?", limit)
	if err != nil {
		return nil, s.wrap(err, "read pending inbound")
	}
	defer rows.Close()
	var out []*cases.Inbound
	for rows.Next() {
		var in cases.Inbound
		var body string
		if err := rows.Scan(&in.ID, &in.Key, &in.Kind, &body, timeCol{&in.ReceivedAt}, timePtrCol{&in.DoneAt}, &in.Attempts, &in.Failures, &in.LastError, timePtrCol{&in.TriedAt}); err != nil {
			return nil, s.wrap(err, "read pending inbound")
		}
		if in.Body, err = s.open(ctx, body, ad("inbound", "body", in.Key)); err != nil {
			if u := cases.AsUnreadable(err); u != nil {
				u.ID = in.ID
			}
			return nil, err
		}
		out = append(out, &in)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "read pending inbound")
	}
	return out, nil
}

// UpdateInbound records the handling of a callback: DoneAt, Attempts,
// Failures, LastError and TriedAt, which the caller sets to the time of the
// attempt whenever it counts one. Key, Kind and Body never change.
func (s *SQL) UpdateInbound(ctx context.Context, in *cases.Inbound) error {
	in.DoneAt, in.TriedAt = utcPtr(in.DoneAt), utcPtr(in.TriedAt)
	// Only a callback not yet handled changes: a second replica that handled
	// a staff callback too gets ErrDone, and its transaction (with the
	// command's effects) rolls back.
	res, err := s.q.ExecContext(ctx, "UPDATE inbound SET done_at = ?, attempts = ?, failures = ?, last_error = ?, tried_at = ? WHERE id = ? AND done_at IS NULL",
		s.d.ntp(in.DoneAt), in.Attempts, in.Failures, in.LastError, s.d.ntp(in.TriedAt), in.ID)
	if err != nil {
		return s.wrap(err, "update inbound %d", in.ID)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		if err := s.updatedRow(ctx, res, "inbound", in.ID, fmt.Sprintf("update inbound %d", in.ID)); err != nil {
			return err
		}
		return fmt.Errorf("update inbound %d: %w", in.ID, cases.ErrDone)
	}
	return nil
}

// NewestInbound returns the id of the newest callback stored (0: none): ids
// are given out in increasing order, so every callback with an id no
// greater was stored (its id given out, if not yet committed) before. (Not
// so on a multi-primary cluster whose nodes give out ids of their own,
// auto_increment_increment > 1: the product runs on one primary.)
func (s *SQL) NewestInbound(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := s.q.QueryRowContext(ctx, "SELECT MAX(id) FROM inbound").Scan(&id); err != nil {
		return 0, s.wrap(err, "read the newest callback")
	}
	return id.Int64, nil
}

// MarkInboundDone marks the callbacks ids handled at at, one more attempt
// each, tried at at, in one statement; those handled already are left as they are. It
// reports how many it marked.
func (s *SQL) MarkInboundDone(ctx context.Context, ids []int64, at time.Time) (int, error) {
	return s.markDone(ctx, "inbound", "callbacks", ids, at)
}

// markDone marks the rows ids of table (inbound or kf_messages, what names
// them in errors) handled at at, one more attempt each, tried at at, in one
// statement, by their primary key (locking no other row); those handled
// already are left as they are. It reports how many it marked.
func (s *SQL) markDone(ctx context.Context, table, what string, ids []int64, at time.Time) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := []any{s.d.t(utc(at)), s.d.t(utc(at))}
	for _, id := range ids {
		args = append(args, id)
	}
	res, err := s.q.ExecContext(ctx, "UPDATE "+table+s.d.byPrimaryKey()+" SET done_at = ?, tried_at = ?, attempts = attempts + 1 WHERE done_at IS NULL AND id IN ("+
		placeholders(len(ids))+")", args...)
	if err != nil {
		return 0, s.wrap(err, "mark %d %s done", len(ids), what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.wrap(err, "mark %s done: rows affected", what)
	}
	return int(n), nil
}

// InsertKfMessage stores m unless its MsgID is stored already and reports
// whether it was new; a repeat sets no ID and is not an error, also inside a
// transaction. Raw is sealed, bound to the msgid. A zero ReceivedAt becomes now.
func (s *SQL) InsertKfMessage(ctx context.Context, m *cases.KfMessage) (bool, error) {
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = time.Now()
	}
	m.ReceivedAt, m.SendTime, m.DoneAt, m.TriedAt = utc(m.ReceivedAt), utc(m.SendTime), utcPtr(m.DoneAt), utcPtr(m.TriedAt)
	q := s.d.insertIgnore("kf_messages", kfColumns, "msgid")
	var id int64
	var isNew bool
	err := s.inTx(ctx, func(t *SQL) error {
		k, err := t.sealKey(ctx)
		if err != nil {
			return err
		}
		res, err := t.q.ExecContext(ctx, q, m.MsgID, m.OpenKfID, m.ExternalUserID, m.Origin, m.MsgType,
			t.d.nt(m.SendTime), k.Seal(m.Raw, ad("kf_messages", "raw", m.MsgID)), t.d.t(m.ReceivedAt), t.d.ntp(m.DoneAt), m.Attempts, m.LastError, t.d.ntp(m.TriedAt))
		if err != nil {
			return t.wrap(err, "save kf message")
		}
		isNew, err = t.inserted(res, &id, "save kf message")
		return err
	})
	if err != nil || !isNew {
		return false, err
	}
	m.ID = id
	return true, nil
}

// kfInsertRows bounds the rows of one INSERT of kf messages: a whole
// sync_msg page (at most 1000 messages) is one statement, whose 12,000
// placeholders are within SQLite's 32,766 and MySQL's 65,535.
const kfInsertRows = 1000

// kfColumns are the columns a kf message is inserted with.
var kfColumns = []string{"msgid", "open_kfid", "external_userid", "origin", "msgtype", "send_time", "raw",
	"received_at", "done_at", "attempts", "last_error", "tried_at"}

// InsertKfMessages stores a page of kf messages in one statement (per
// kfInsertRows), skipping those whose MsgID is stored already, also a repeat
// within the page, and reports how many were new. The new rows' ids follow
// the order of ms, which is the order they are handled in; IDs are not set.
// Raw is sealed, bound to the msgid; a zero ReceivedAt becomes now.
func (s *SQL) InsertKfMessages(ctx context.Context, ms []*cases.KfMessage) (int, error) {
	added := 0
	err := s.inTx(ctx, func(t *SQL) error {
		k, err := t.sealKey(ctx)
		if err != nil {
			return err
		}
		added, err = t.insertKfMessages(ctx, k, ms)
		return err
	})
	return added, err
}

// insertKfMessages is InsertKfMessages inside its transaction, sealing with k.
func (s *SQL) insertKfMessages(ctx context.Context, k *pii.Sealer, ms []*cases.KfMessage) (int, error) {
	added := 0
	for len(ms) > 0 {
		chunk := ms[:min(len(ms), kfInsertRows)]
		ms = ms[len(chunk):]
		args := make([]any, 0, len(chunk)*len(kfColumns))
		for _, m := range chunk {
			if m.ReceivedAt.IsZero() {
				m.ReceivedAt = time.Now()
			}
			m.ReceivedAt, m.SendTime, m.DoneAt, m.TriedAt = utc(m.ReceivedAt), utc(m.SendTime), utcPtr(m.DoneAt), utcPtr(m.TriedAt)
			args = append(args, m.MsgID, m.OpenKfID, m.ExternalUserID, m.Origin, m.MsgType, s.d.nt(m.SendTime),
				k.Seal(m.Raw, ad("kf_messages", "raw", m.MsgID)), s.d.t(m.ReceivedAt), s.d.ntp(m.DoneAt), m.Attempts, m.LastError, s.d.ntp(m.TriedAt))
		}
		res, err := s.q.ExecContext(ctx, s.d.insertIgnoreRows("kf_messages", kfColumns, "msgid", len(chunk)), args...)
		if err != nil {
			return added, s.wrap(err, "save %d kf messages", len(chunk))
		}
		// A skipped repeat affects no row in either dialect (MySQL's no-op
		// update counts 0 without CLIENT_FOUND_ROWS, which we never set).
		n, err := res.RowsAffected()
		if err != nil {
			return added, s.wrap(err, "save kf messages: rows affected")
		}
		added += int(n)
	}
	return added, nil
}

// kfSelect reads kf messages with their sealed Raw.
const kfSelect = "SELECT id, msgid, open_kfid, external_userid, origin, msgtype, send_time, raw, received_at, done_at, attempts, last_error, tried_at FROM kf_messages "

// PendingKfMessages returns unhandled kf messages in the order they were stored.
func (s *SQL) PendingKfMessages(ctx context.Context, limit int) ([]*cases.KfMessage, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	return s.kfMessages(ctx, "read pending kf messages", kfSelect+"WHERE done_at IS NULL ORDER BY id LIMIT ?", limit)
}

// PendingKfMessagesOf returns one citizen's unhandled kf messages in the
// order they were stored (kf_messages_citizen serves it).
func (s *SQL) PendingKfMessagesOf(ctx context.Context, openKfID, externalUserID string, limit int) ([]*cases.KfMessage, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	return s.kfMessages(ctx, "read a citizen's pending kf messages",
		kfSelect+"WHERE done_at IS NULL AND open_kfid = ? AND external_userid = ? ORDER BY id LIMIT ?",
		openKfID, externalUserID, limit)
}

// kfMessages reads the kf messages q selects (kfSelect), Raw opened; one that
// cannot be opened stops the read and names its row (cases.Unreadable).
func (s *SQL) kfMessages(ctx context.Context, what, q string, args ...any) ([]*cases.KfMessage, error) {
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(err, "%s", what)
	}
	defer rows.Close()
	var out []*cases.KfMessage
	for rows.Next() {
		var m cases.KfMessage
		var raw string
		err := rows.Scan(&m.ID, &m.MsgID, &m.OpenKfID, &m.ExternalUserID, &m.Origin, &m.MsgType, timeCol{&m.SendTime},
			&raw, timeCol{&m.ReceivedAt}, timePtrCol{&m.DoneAt}, &m.Attempts, &m.LastError, timePtrCol{&m.TriedAt})
		if err != nil {
			return nil, s.wrap(err, "%s", what)
		}
		if m.Raw, err = s.open(ctx, raw, ad("kf_messages", "raw", m.MsgID)); err != nil {
			if u := cases.AsUnreadable(err); u != nil {
				u.ID, u.OpenKfID, u.ExternalUserID = m.ID, m.OpenKfID, m.ExternalUserID
			}
			return nil, err
		}
		out = append(out, &m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "%s", what)
	}
	return out, nil
}

// PendingKfCitizens returns, for each citizen with unhandled kf messages,
// the oldest of them without Raw (nothing is opened, so an unreadable
// message does not hide the others), the citizen who has waited longest
// first. Only citizens whose oldest unhandled message has an id above after
// are listed, so that a caller can page on. The work is proportional to the
// unhandled messages, whatever the size of the table: kf_messages_citizen
// holds them together, by citizen.
func (s *SQL) PendingKfCitizens(ctx context.Context, after int64, limit int) ([]*cases.KfMessage, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	rows, err := s.q.QueryContext(ctx,
		"SELECT k.id, k.msgid, k.open_kfid, k.external_userid, k.origin, k.msgtype, k.send_time, k.received_at, k.attempts, k.last_error, k.tried_at "+
			"FROM (SELECT MIN(id) AS first_id FROM kf_messages WHERE done_at IS NULL GROUP BY open_kfid, external_userid "+
			"HAVING MIN(id) > ? ORDER BY first_id LIMIT ?) f JOIN kf_messages k ON k.id = f.first_id ORDER BY k.id", after, limit)
	if err != nil {
		return nil, s.wrap(err, "read citizens with pending kf messages")
	}
	defer rows.Close()
	var out []*cases.KfMessage
	for rows.Next() {
		var m cases.KfMessage
		err := rows.Scan(&m.ID, &m.MsgID, &m.OpenKfID, &m.ExternalUserID, &m.Origin, &m.MsgType, timeCol{&m.SendTime},
			timeCol{&m.ReceivedAt}, &m.Attempts, &m.LastError, timePtrCol{&m.TriedAt})
		if err != nil {
			return nil, s.wrap(err, "read citizens with pending kf messages")
		}
		out = append(out, &m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "read citizens with pending kf messages")
	}
	return out, nil
}

// UpdateKfMessage records the handling of a kf message: DoneAt, Attempts,
// LastError and TriedAt, which the caller sets to the time of the attempt
// whenever it counts one (the waits between retries run from it).
func (s *SQL) UpdateKfMessage(ctx context.Context, m *cases.KfMessage) error {
	m.DoneAt, m.TriedAt = utcPtr(m.DoneAt), utcPtr(m.TriedAt)
	// Only a message not yet handled changes: a second worker that handled it
	// too (its lock expired under it) gets ErrDone and rolls back.
	res, err := s.q.ExecContext(ctx, "UPDATE kf_messages SET done_at = ?, attempts = ?, last_error = ?, tried_at = ? WHERE id = ? AND done_at IS NULL",
		s.d.ntp(m.DoneAt), m.Attempts, m.LastError, s.d.ntp(m.TriedAt), m.ID)
	if err != nil {
		return s.wrap(err, "update kf message %d", m.ID)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		var one int
		if err := s.q.QueryRowContext(ctx, "SELECT 1 FROM kf_messages WHERE id = ?", m.ID).Scan(&one); err != nil {
			return s.wrap(err, "update kf message %d", m.ID)
		}
		return fmt.Errorf("update kf message %d: %w", m.ID, cases.ErrDone)
	}
	return nil
}

// MarkKfMessagesDone marks the kf messages ids handled at at, one more
// attempt each, tried at at, in one statement; those handled already are
// left as they are (the caller compares the count). It reports how many it
// marked.
func (s *SQL) MarkKfMessagesDone(ctx context.Context, ids []int64, at time.Time) (int, error) {
	return s.markDone(ctx, "kf_messages", "kf messages", ids, at)
}

// Cursor returns the saved sync_msg cursor of a kf account, "" when never synced.
func (s *SQL) Cursor(ctx context.Context, openKfID string) (string, error) {
	var c string
	err := s.q.QueryRowContext(ctx, "SELECT next_cursor FROM kf_cursors WHERE open_kfid = ?", openKfID).Scan(&c)
	if err != nil {
		if err = s.wrap(err, "read kf cursor"); isNotFound(err) {
			return "", nil
		}
		return "", err
	}
	return c, nil
}

// SaveCursor saves the sync_msg cursor of a kf account.
func (s *SQL) SaveCursor(ctx context.Context, openKfID, cursor string) error {
	q := s.d.upsert("kf_cursors", []string{"open_kfid", "next_cursor", "updated_at"},
		[]string{"open_kfid"}, []string{"next_cursor", "updated_at"})
	if _, err := s.q.ExecContext(ctx, q, openKfID, cursor, s.d.t(time.Now())); err != nil {
		return s.wrap(err, "save kf cursor")
	}
	return nil
}

// inserted reads the outcome of an insertIgnore: one row means new, and its
// id is stored in id.
func (s *SQL) inserted(res interface {
	RowsAffected() (int64, error)
	LastInsertId() (int64, error)
}, id *int64, what string) (bool, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.wrap(err, "%s: rows affected", what)
	}
	if n != 1 {
		return false, nil
	}
	if *id, err = res.LastInsertId(); err != nil {
		return false, s.wrap(err, "%s: read id", what)
	}
	return true, nil
}
