package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"banchengshi/pii"
)

// sealedTable says where a table keeps sealed values and how its rows are
// walked and named.
type sealedTable struct {
	name  string
	order string // walked in this column's order; "id" compares as a number
	adKey string // the column that names the row in the associated data
	// strict columns were sealed from the start; legacy ones may hold
	// plaintext from before migration 0006, which is sealed now.
	strict, legacy []string
	// index maps a blind-index column to the sealed column it indexes.
	index map[string]string
	// bytes is a column of sealed bytes with a data_sealed flag beside it.
	bytes string
}

// sealedTables is every place personal data is sealed.
var sealedTables = []sealedTable{
	{name: "cases", order: "id", adKey: "number",
		strict: []string{"affected_id_number", "affected_phone", "contact_phone"},
		legacy: []string{"reporter_name", "affected_name", "relation", "tried_window", "tried_when", "tried_answer", "description", "resolution"},
		index:  map[string]string{"affected_phone_index": "affected_phone", "contact_phone_index": "contact_phone"}},
	{name: "events", order: "id", adKey: "id", legacy: []string{"body", "data"}},
	{name: "attachments", order: "id", adKey: "id", legacy: []string{"file_name"}, bytes: "data"},
	{name: "draft_media", order: "id", adKey: "id", legacy: []string{"file_name"}, bytes: "data"},
	{name: "outbox", order: "id", adKey: "id", legacy: []string{"message"}},
	{name: "inbound", order: "id", adKey: "dedupe_key", strict: []string{"body"}},
	{name: "kf_messages", order: "id", adKey: "msgid", strict: []string{"raw"}},
	{name: "sessions", order: "skey", adKey: "skey", strict: []string{"data"}},
	{name: "sms_messages", order: "id", adKey: "event_key", strict: []string{"params"}},
}

func (t sealedTable) textCols() []string { return append(append([]string{}, t.strict...), t.legacy...) }

func (t sealedTable) isLegacy(col string) bool {
	for _, c := range t.legacy {
		if c == col {
			return true
		}
	}
	return false
}

// RekeyReport says what one table's pass did.
type RekeyReport struct {
	Table      string
	Rows       int // rows looked at
	Resealed   int // rows sealed anew with the primary key
	Changed    int // rows the product wrote meanwhile (already under the primary key)
	Unreadable int // rows with a value no configured key opens, set aside
}

// RekeyResult is the outcome of a whole Rekey.
type RekeyResult struct {
	Tables []RekeyReport
	// Left counts values not yet under the primary key and not set aside:
	// written meanwhile by a process still sealing with an old key. While
	// it is above zero no key is retired; run Rekey again, which walks the
	// tables they are in anew.
	Left int
	// Retired lists the ids of the keys retired: nothing is sealed with them.
	Retired []string
}

// Rekey seals every personal value anew with the sealer's primary key,
// while the product runs: values under a previous key or from before
// associated data (v1), legacy plaintext, files stored in clear, and the
// blind indexes. It walks each table in batches, one transaction per batch
// with its progress (rekey_progress), so an interrupted run continues where
// it stopped and every row is, at every moment, either as it was or sealed
// anew; a row the product changed meanwhile is left as the product wrote
// it. Values no key opens are set aside (set_aside) and left as they are.
// When nothing is left under another key, the other keys are retired in
// data_keys: replicas may then drop BCS_DATA_KEY_PREVIOUS. progress, if not
// nil, is called after every batch.
func (s *SQL) Rekey(ctx context.Context, batch int, progress func(RekeyReport)) (*RekeyResult, error) {
	if batch <= 0 {
		batch = 200
	}
	res := &RekeyResult{}
	for _, t := range sealedTables {
		rep, err := s.rekeyTable(ctx, t, batch, progress)
		if err != nil {
			return res, err
		}
		res.Tables = append(res.Tables, rep)
	}
	left, err := s.leftUnderOtherKeys(ctx)
	if err != nil {
		return res, err
	}
	for table, n := range left {
		res.Left += n
		// Walked already, but written to since by a process on an old
		// key: the next run walks it again.
		if _, err := s.q.ExecContext(ctx, "DELETE FROM rekey_progress WHERE key_id = ? AND tbl = ?", s.sealer.KeyID(), table); err != nil {
			return res, s.wrap(err, "reset rekey progress of %s", table)
		}
	}
	if res.Left > 0 {
		return res, nil
	}
	if res.Retired, err = s.retireOtherKeys(ctx); err != nil {
		return res, err
	}
	return res, nil
}

// rekeyTable walks one table from its recorded progress.
func (s *SQL) rekeyTable(ctx context.Context, t sealedTable, batch int, progress func(RekeyReport)) (RekeyReport, error) {
	rep := RekeyReport{Table: t.name}
	keyID := s.sealer.KeyID()
	last, done, err := s.rekeyProgress(ctx, keyID, t.name)
	if err != nil || done {
		return rep, err
	}
	for {
		var n int
		err := s.inTx(ctx, func(tx *SQL) error {
			var err error
			n, last, err = tx.rekeyBatch(ctx, t, last, batch, &rep)
			if err != nil {
				return err
			}
			return tx.saveRekeyProgress(ctx, keyID, t.name, last, n < batch)
		})
		if err != nil {
			return rep, fmt.Errorf("rekey %s after %q: %w", t.name, last, err)
		}
		if progress != nil {
			progress(rep)
		}
		if n < batch {
			return rep, nil
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
	}
}

// rekeyBatch seals anew up to batch rows after last and returns how many it
// read and the order key of the last.
func (s *SQL) rekeyBatch(ctx context.Context, t sealedTable, last string, batch int, rep *RekeyReport) (int, string, error) {
	text := t.textCols()
	cols := append([]string{t.order, t.adKey}, text...)
	if t.bytes != "" {
		cols = append(cols, t.bytes, "data_sealed")
	}
	where, arg := t.order+" > ?", any(last)
	if t.order == "id" {
		n, _ := strconv.ParseInt(last, 10, 64)
		arg = n
	}
	rows, err := s.q.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+t.name+
		" WHERE "+where+" ORDER BY "+t.order+" LIMIT ?", arg, batch)
	if err != nil {
		return 0, last, s.wrap(err, "read %s", t.name)
	}
	type row struct {
		order, key string
		text       []string
		data       []byte
		sealed     bool
	}
	var read []row
	for rows.Next() {
		r := row{text: make([]string, len(text))}
		dest := []any{&r.order, &r.key}
		for i := range r.text {
			dest = append(dest, &r.text[i])
		}
		if t.bytes != "" {
			dest = append(dest, &r.data, &r.sealed)
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return 0, last, s.wrap(err, "read %s", t.name)
		}
		read = append(read, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, last, s.wrap(err, "read %s", t.name)
	}
	k, err := s.sealKey(ctx)
	if err != nil {
		return 0, last, err
	}
	prefix, bytesPrefix := k.TextPrefix(), k.BytesPrefix()
	for _, r := range read {
		rep.Rows++
		last = r.order
		var set, cond []string
		var setArgs, condArgs []any
		opened := map[string]string{}
		unreadable := false
		for i, col := range text {
			v := r.text[i]
			if v == "" || strings.HasPrefix(v, prefix) {
				continue
			}
			at := ad(t.name, col, r.key)
			plain := v
			if pii.LooksSealed(v) || !t.isLegacy(col) {
				var err error
				if plain, err = s.sealer.Open(v, at); err != nil {
					if !errors.Is(err, pii.ErrOpen) && !errors.Is(err, pii.ErrUnknownKey) {
						return 0, last, err
					}
					if err := s.recordAside(ctx, t.name, col, r.key, "unreadable: "+err.Error()); err != nil {
						return 0, last, err
					}
					unreadable = true
					continue
				}
			}
			opened[col] = plain
			set = append(set, col+" = ?")
			setArgs = append(setArgs, k.Seal(plain, at))
			cond = append(cond, col+" = ?")
			condArgs = append(condArgs, v)
		}
		for idx, col := range t.index {
			if plain, ok := opened[col]; ok {
				set = append(set, idx+" = ?")
				setArgs = append(setArgs, k.Index(plain))
			}
		}
		if t.bytes != "" && len(r.data) > 0 && (!r.sealed || !bytes.HasPrefix(r.data, bytesPrefix)) {
			at := ad(t.name, t.bytes, r.key)
			plain, err := r.data, error(nil)
			if r.sealed {
				plain, err = s.sealer.OpenBytes(r.data, at)
			}
			switch {
			case err == nil:
				set = append(set, t.bytes+" = ?", "data_sealed = 1")
				setArgs = append(setArgs, k.SealBytes(plain, at))
				// Files never change once stored; the flag is enough to
				// tell that nobody sealed this one meanwhile.
				cond = append(cond, "data_sealed = ?")
				condArgs = append(condArgs, r.sealed)
			case errors.Is(err, pii.ErrOpen) || errors.Is(err, pii.ErrUnknownKey):
				if err := s.recordAside(ctx, t.name, t.bytes, r.key, "unreadable: "+err.Error()); err != nil {
					return 0, last, err
				}
				unreadable, err = true, nil
			default:
				return 0, last, err
			}
		}
		if unreadable {
			rep.Unreadable++
		}
		if len(set) == 0 {
			continue
		}
		orderArg := any(r.order)
		if t.order == "id" {
			n, _ := strconv.ParseInt(r.order, 10, 64)
			orderArg = n
		}
		args := append(append(setArgs, orderArg), condArgs...)
		q := "UPDATE " + t.name + " SET " + strings.Join(set, ", ") + " WHERE " + t.order + " = ?"
		if len(cond) > 0 {
			q += " AND " + strings.Join(cond, " AND ")
		}
		res, err := s.q.ExecContext(ctx, q, args...)
		if err != nil {
			return 0, last, s.wrap(err, "seal %s %s anew", t.name, r.key)
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, last, s.wrap(err, "seal %s %s anew", t.name, r.key)
		} else if n == 0 {
			rep.Changed++ // written meanwhile, with the primary key
		} else {
			rep.Resealed++
		}
	}
	return len(read), last, nil
}

// recordAside records a value the rekey could not open, once.
func (s *SQL) recordAside(ctx context.Context, table, col, key, reason string) error {
	var n int
	if err := s.q.QueryRowContext(ctx, "SELECT COUNT(*) FROM set_aside WHERE tbl = ? AND row_key = ? AND col = ?",
		table, key, col).Scan(&n); err != nil {
		return s.wrap(err, "look up %s %s set aside", table, key)
	}
	if n > 0 {
		return nil
	}
	_, err := s.q.ExecContext(ctx, insertSQL("set_aside",
		[]string{"tbl", "col", "row_key", "open_kfid", "external_userid", "reason", "sealed", "created_at"}),
		table, col, key, "", "", asideReason(reason), "", s.d.t(time.Now()))
	if err != nil {
		return s.wrap(err, "record %s %s set aside", table, key)
	}
	return nil
}

func (s *SQL) rekeyProgress(ctx context.Context, keyID, table string) (string, bool, error) {
	var last string
	var done bool
	err := s.q.QueryRowContext(ctx, "SELECT last_key, done FROM rekey_progress WHERE key_id = ? AND tbl = ?", keyID, table).Scan(&last, &done)
	if err != nil {
		if err = s.wrap(err, "read rekey progress of %s", table); isNotFound(err) {
			return "", false, nil
		}
		return "", false, err
	}
	return last, done, nil
}

func (s *SQL) saveRekeyProgress(ctx context.Context, keyID, table, last string, done bool) error {
	q := s.d.upsert("rekey_progress", []string{"key_id", "tbl", "last_key", "done", "updated_at"},
		[]string{"key_id", "tbl"}, []string{"last_key", "done", "updated_at"})
	if _, err := s.q.ExecContext(ctx, q, keyID, table, last, done, s.d.t(time.Now())); err != nil {
		return s.wrap(err, "save rekey progress of %s", table)
	}
	return nil
}

// leftUnderOtherKeys counts, by table, values not sealed with the primary
// key (in the current format) that are not set aside.
func (s *SQL) leftUnderOtherKeys(ctx context.Context) (map[string]int, error) {
	left := map[string]int{}
	check := func(table, col, q string, args ...any) error {
		rows, err := s.q.QueryContext(ctx, q, args...)
		if err != nil {
			return s.wrap(err, "check %s.%s", table, col)
		}
		var keys []string
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return s.wrap(err, "check %s.%s", table, col)
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.wrap(err, "check %s.%s", table, col)
		}
		for _, k := range keys {
			var n int
			if err := s.q.QueryRowContext(ctx, "SELECT COUNT(*) FROM set_aside WHERE tbl = ? AND row_key = ? AND col = ?",
				table, k, col).Scan(&n); err != nil {
				return s.wrap(err, "check %s.%s", table, col)
			}
			if n == 0 {
				left[table]++
			}
		}
		return nil
	}
	for _, t := range sealedTables {
		for _, col := range t.textCols() {
			// SUBSTR and <>, not LIKE: SQLite's LIKE ignores case, base64 does not.
			prefix := s.sealer.TextPrefix()
			q := "SELECT " + t.adKey + " FROM " + t.name + " WHERE " + col + " <> '' AND SUBSTR(" + col + ", 1, ?) <> ? LIMIT 1000"
			if err := check(t.name, col, q, len(prefix), prefix); err != nil {
				return nil, err
			}
		}
		if t.bytes != "" {
			q := "SELECT " + t.adKey + " FROM " + t.name + " WHERE LENGTH(" + t.bytes + ") > 0 AND (data_sealed = 0 OR SUBSTR(" +
				t.bytes + ", 1, ?) <> ?)"
			prefix := s.sealer.BytesPrefix()
			if err := check(t.name, t.bytes, q, len(prefix), prefix); err != nil {
				return nil, err
			}
		}
	}
	return left, nil
}

// retireOtherKeys marks every key but the primary retired.
func (s *SQL) retireOtherKeys(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.inTx(ctx, func(tx *SQL) error {
		recorded, err := tx.dataKeys(ctx)
		if err != nil {
			return err
		}
		for _, k := range recorded {
			if k.retired || k.id == tx.sealer.KeyID() {
				continue
			}
			if _, err := tx.q.ExecContext(ctx, "UPDATE data_keys SET retired_at = ? WHERE key_id = ?", tx.d.t(time.Now()), k.id); err != nil {
				return tx.wrap(err, "retire data key %s", k.id)
			}
			ids = append(ids, k.id)
		}
		return nil
	})
	return ids, err
}
