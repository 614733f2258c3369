package storage

import (
	"context"
	"fmt"
	"time"

	"banchengshi/cases"
)

// SetAside takes an unreadable row out of everybody's way and records it in
// set_aside (see cases.AsideStore). A kf message or callback is marked done
// with the reason as its last error, so the messages after it go on; an
// outbox message is marked failed, so the others are sent; a dialog session
// leaves its table, its stored value kept in set_aside, so the citizen's
// next message starts a new dialog; any other row stays where it is and is
// only recorded. Nothing is deleted that cannot be recovered with the right
// key.
func (s *SQL) SetAside(ctx context.Context, u *cases.UnreadableError, reason string) (bool, error) {
	now := s.d.t(time.Now())
	var moved bool
	err := s.inTx(ctx, func(t *SQL) error {
		var res interface{ RowsAffected() (int64, error) }
		var err error
		sealed := ""
		switch u.Table {
		case "kf_messages":
			res, err = t.q.ExecContext(ctx, "UPDATE kf_messages SET done_at = ?, last_error = ? WHERE msgid = ? AND done_at IS NULL",
				now, "set aside: "+reason, u.Key)
		case "inbound":
			res, err = t.q.ExecContext(ctx, "UPDATE inbound SET done_at = ?, last_error = ? WHERE dedupe_key = ? AND done_at IS NULL",
				now, "set aside: "+reason, u.Key)
		case "outbox":
			// Given up on, as the outbox does with what it cannot send.
			res, err = t.q.ExecContext(ctx, "UPDATE outbox SET status = ?, last_error = ?, version = version + 1 WHERE id = ? AND status IN (?, ?)",
				string(cases.OutboxFailed), "set aside: "+reason, u.ID, string(cases.OutboxPending), string(cases.OutboxHeld))
		case "sessions":
			// Only the value that failed: a session saved anew since is left.
			res, err = t.q.ExecContext(ctx, "DELETE FROM sessions WHERE skey = ? AND data = ?", u.Key, u.Sealed)
			sealed = u.Sealed
		default:
			var n int
			err = t.q.QueryRowContext(ctx, "SELECT COUNT(*) FROM set_aside WHERE tbl = ? AND row_key = ? AND col = ?",
				u.Table, u.Key, u.Column).Scan(&n)
			res = rowsAffected(1 - min(n, 1))
		}
		if err != nil {
			return t.wrap(err, "set aside %s %s", u.Table, u.Key)
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		_, err = t.q.ExecContext(ctx, insertSQL("set_aside",
			[]string{"tbl", "col", "row_key", "open_kfid", "external_userid", "reason", "sealed", "created_at"}),
			u.Table, u.Column, u.Key, u.OpenKfID, u.ExternalUserID, asideReason(reason), sealed, now)
		if err != nil {
			return t.wrap(err, "record %s %s set aside", u.Table, u.Key)
		}
		moved = true
		return nil
	})
	return moved, err
}

type rowsAffected int64

func (n rowsAffected) RowsAffected() (int64, error) { return int64(n), nil }

// AsideRow is one row set aside.
type AsideRow struct {
	Table, Column, Key       string
	OpenKfID, ExternalUserID string
	Reason                   string
	Sealed                   string
	At                       time.Time
}

// SetAsideRows lists the rows set aside, oldest first, at most limit.
func (s *SQL) SetAsideRows(ctx context.Context, limit int) ([]AsideRow, error) {
	rows, err := s.q.QueryContext(ctx, "SELECT tbl, col, row_key, open_kfid, external_userid, reason, sealed, created_at"+
		" FROM set_aside ORDER BY id LIMIT ?", limit)
	if err != nil {
		return nil, s.wrap(err, "list rows set aside")
	}
	defer rows.Close()
	var out []AsideRow
	for rows.Next() {
		var r AsideRow
		if err := rows.Scan(&r.Table, &r.Column, &r.Key, &r.OpenKfID, &r.ExternalUserID, &r.Reason, &r.Sealed, timeCol{&r.At}); err != nil {
			return nil, s.wrap(err, "list rows set aside")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rows set aside: %w", err)
	}
	return out, nil
}

// maxAsideReason is set_aside.reason's width (VARCHAR(64) on MySQL, which
// refuses a longer value in strict mode).
const maxAsideReason = 64

// asideReason fits reason into set_aside.reason, cutting at a rune.
func asideReason(reason string) string {
	if r := []rune(reason); len(r) > maxAsideReason {
		return string(r[:maxAsideReason])
	}
	return reason
}
