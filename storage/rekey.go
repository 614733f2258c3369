package storage

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
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
	adKey string // the column that names the row in the associated data and in set_aside
	// ref, when set, is the column of a reference the row's values are
	// bound to instead of adKey (seal.go). Rows with none stay bound to
	// adKey, as they were written: an id never changes either, so there is
	// nothing to gain by moving them. A row's reference changes only with
	// the values sealed to it (UpdateOutboxMessage), so a rekey's update,
	// conditional on the values it read, never pairs a value with another
	// reference.
	ref string
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
	{name: "events", order: "id", adKey: "id", ref: "seal_ref", legacy: []string{"body", "data"}},
	{name: "attachments", order: "id", adKey: "id", legacy: []string{"file_name"}, bytes: "data"},
	{name: "draft_media", order: "id", adKey: "id", legacy: []string{"file_name"}, bytes: "data"},
	{name: "outbox", order: "id", adKey: "id", ref: "seal_ref", legacy: []string{"message"}},
	{name: "inbound", order: "id", adKey: "dedupe_key", strict: []string{"body"}},
	{name: "kf_messages", order: "id", adKey: "msgid", strict: []string{"raw"}},
	{name: "sessions", order: "skey", adKey: "skey", strict: []string{"data"}},
	{name: "sms_messages", order: "id", adKey: "event_key", strict: []string{"params"}},
}

func (t sealedTable) textCols() []string { return append(append([]string{}, t.strict...), t.legacy...) }

func (t sealedTable) isLegacy(col string) bool { return slices.Contains(t.legacy, col) }

// at is where r's value of col is bound: to the row's reference when it has
// one, else to its adKey.
func (t sealedTable) at(col string, r rekeyRow) pii.AD {
	return ad(t.name, col, refRow(r.ref, r.key))
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
	// KeyID is the id of the key everything was sealed anew with: the key
	// in use.
	KeyID  string
	Tables []RekeyReport
	// Left counts values not under the key in use and not set aside, found
	// after every table was walked: written meanwhile by a process still
	// sealing with an old key. While it is above zero no key is retired; run
	// Rekey again, which walks the tables they are in anew. Stale says where
	// they are.
	Left  int
	Stale []StaleValues
	// Retired lists the ids of the keys retired: nothing is sealed with them.
	Retired []string
}

// StaleValues counts the values of one table, under one key, that are not
// sealed with the key in use and not set aside.
type StaleValues struct {
	Table string
	// KeyID is the id of the key that sealed them; "" for values sealed
	// before key ids or not sealed at all (text and files from before
	// sealing).
	KeyID string
	Count int
}

// Rekey seals every personal value anew with the key in use (the process's
// data key, recorded in data_keys when it started), while the product runs:
// values under a previous key or from before associated data (v1), legacy
// plaintext, files stored in clear, and the blind indexes. It walks each
// table in batches, one transaction per batch with its progress
// (rekey_progress), so an interrupted run continues where it stopped and
// every row is, at every moment, either as it was or sealed anew; a row the
// product changed meanwhile is left as the product wrote it. Values no key
// opens are set aside (set_aside) and left as they are.
//
// Then it counts, in SQL over every sealed column, the values not under the
// key in use and not set aside. Any found were written after their table
// was walked, by a process still sealing with an old key: no key is retired,
// the result says where they are (Left, Stale), and the next run walks those
// tables again. When none are found, the other keys are retired in one
// transaction that holds their data_keys rows for update and counts again
// (see keyRing): a write still sealing with an old key either came first and
// is counted, or waits and then seals with the key in use or is refused.
// Replicas may then drop BCS_DATA_KEY_PREVIOUS. progress, if not nil, is
// called after every batch.
func (s *SQL) Rekey(ctx context.Context, batch int, progress func(RekeyReport)) (*RekeyResult, error) {
	if batch <= 0 {
		batch = 200
	}
	st, err := s.RefreshKeys(ctx)
	if err != nil {
		return nil, err
	}
	if st.Refused() {
		return nil, st.refusal()
	}
	if st.Behind() {
		return nil, fmt.Errorf("the data key in use is id %s, which is not configured for this run: "+
			"run rekey with BCS_DATA_KEY set to that key and the old one as BCS_DATA_KEY_PREVIOUS", st.InUse)
	}
	res := &RekeyResult{KeyID: st.Sealing}
	for _, t := range sealedTables {
		rep, err := s.rekeyTable(ctx, t, res.KeyID, batch, progress)
		if err != nil {
			return res, err
		}
		res.Tables = append(res.Tables, rep)
	}
	if res.Stale, err = s.leftUnderOtherKeys(ctx, res.KeyID); err != nil {
		return res, err
	}
	if len(res.Stale) == 0 {
		if res.Retired, res.Stale, err = s.retireOtherKeys(ctx, res.KeyID); err != nil {
			return res, err
		}
	}
	done := map[string]bool{}
	for _, v := range res.Stale {
		res.Left += v.Count
		if done[v.Table] {
			continue
		}
		done[v.Table] = true
		// Walked already, but written to since by a process on an old
		// key: the next run walks it again.
		if _, err := s.q.ExecContext(ctx, "DELETE FROM rekey_progress WHERE key_id = ? AND tbl = ?", res.KeyID, v.Table); err != nil {
			return res, s.wrap(err, "reset rekey progress of %s", v.Table)
		}
	}
	return res, nil
}

// errKeyMoved stops a rotation whose key is no longer the key in use.
var errKeyMoved = errors.New("the data key in use changed during this rotation: run rekey again with the key in use as BCS_DATA_KEY")

// rekeyTable walks one table from its recorded progress.
func (s *SQL) rekeyTable(ctx context.Context, t sealedTable, keyID string, batch int, progress func(RekeyReport)) (RekeyReport, error) {
	rep := RekeyReport{Table: t.name}
	last, done, err := s.rekeyProgress(ctx, keyID, t.name)
	if err != nil || done {
		return rep, err
	}
	for {
		var n int
		err := s.inTx(ctx, func(tx *SQL) error {
			var err error
			n, last, err = tx.rekeyBatch(ctx, t, keyID, last, batch, &rep)
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

// rekeyBatch seals anew with keyID up to batch rows after last and returns
// how many it read and the order key of the last.
func (s *SQL) rekeyBatch(ctx context.Context, t sealedTable, keyID, last string, batch int, rep *RekeyReport) (int, string, error) {
	read, err := s.readRekeyRows(ctx, t, last, batch)
	if err != nil {
		return 0, last, err
	}
	k, err := s.sealKey(ctx)
	if err != nil {
		return 0, last, err
	}
	if k.KeyID() != keyID {
		return 0, last, errKeyMoved
	}
	for _, r := range read {
		rep.Rows++
		last = r.order
		u, err := s.resealRow(ctx, t, k, r)
		if err != nil {
			return 0, last, err
		}
		if u.unreadable {
			rep.Unreadable++
		}
		if len(u.set) == 0 {
			continue
		}
		written, err := s.writeResealed(ctx, t, r.order, u)
		if err != nil {
			return 0, last, s.wrap(err, "seal %s %s anew", t.name, r.key)
		}
		if written {
			rep.Resealed++
		} else {
			rep.Changed++ // written meanwhile, with the primary key
		}
	}
	return len(read), last, nil
}

// rekeyRow is one row of a sealed table as the rekey reads it: its order
// key, its adKey, its reference (for a table with t.ref), its text columns
// (t.textCols) and, for a table with a file, the file and whether it is
// sealed.
type rekeyRow struct {
	order, key, ref string
	text            []string
	data            []byte
	sealed          bool
}

// orderArg is a row's order key as the query wants it: a number for id.
func (t sealedTable) orderArg(order string) any {
	if t.order == "id" {
		n, _ := strconv.ParseInt(order, 10, 64)
		return n
	}
	return order
}

// readRekeyRows reads up to batch rows of t after the order key last.
func (s *SQL) readRekeyRows(ctx context.Context, t sealedTable, last string, batch int) ([]rekeyRow, error) {
	text := t.textCols()
	cols := []string{t.order, t.adKey}
	if t.ref != "" {
		cols = append(cols, t.ref)
	}
	cols = append(cols, text...)
	if t.bytes != "" {
		cols = append(cols, t.bytes, "data_sealed")
	}
	rows, err := s.q.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+t.name+
		" WHERE "+t.order+" > ? ORDER BY "+t.order+" LIMIT ?", t.orderArg(last), batch)
	if err != nil {
		return nil, s.wrap(err, "read %s", t.name)
	}
	defer rows.Close()
	var read []rekeyRow
	for rows.Next() {
		r := rekeyRow{text: make([]string, len(text))}
		dest := []any{&r.order, &r.key}
		if t.ref != "" {
			dest = append(dest, sealRefCol{&r.ref})
		}
		for i := range r.text {
			dest = append(dest, &r.text[i])
		}
		if t.bytes != "" {
			dest = append(dest, &r.data, &r.sealed)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, s.wrap(err, "read %s", t.name)
		}
		read = append(read, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "read %s", t.name)
	}
	return read, nil
}

// reseal is the update that seals one row anew: the columns to set and the
// values the row must still hold for the update to apply (a value written
// meanwhile is left alone), and whether a value could not be opened.
type reseal struct {
	set, cond         []string
	setArgs, condArgs []any
	unreadable        bool
}

// resealRow opens what r holds under other keys and seals it with k. A value
// that cannot be opened is set aside (recordAside) and left as it is.
func (s *SQL) resealRow(ctx context.Context, t sealedTable, k *pii.Sealer, r rekeyRow) (reseal, error) {
	var u reseal
	prefix := k.TextPrefix()
	opened := map[string]string{}
	for i, col := range t.textCols() {
		v := r.text[i]
		if v == "" || strings.HasPrefix(v, prefix) {
			continue
		}
		at := t.at(col, r)
		plain := v
		if pii.LooksSealed(v) || !t.isLegacy(col) {
			var err error
			if plain, err = s.sealer.Open(v, at); err != nil {
				if !errors.Is(err, pii.ErrOpen) && !errors.Is(err, pii.ErrUnknownKey) {
					return u, err
				}
				if err := s.recordAside(ctx, t.name, col, r.key, "unreadable: "+err.Error()); err != nil {
					return u, err
				}
				u.unreadable = true
				continue
			}
		}
		opened[col] = plain
		u.set = append(u.set, col+" = ?")
		u.setArgs = append(u.setArgs, k.Seal(plain, at))
		u.cond = append(u.cond, col+" = ?")
		u.condArgs = append(u.condArgs, v)
	}
	for idx, col := range t.index {
		if plain, ok := opened[col]; ok {
			u.set = append(u.set, idx+" = ?")
			u.setArgs = append(u.setArgs, k.Index(plain))
		}
	}
	if t.bytes == "" || len(r.data) == 0 || r.sealed && bytes.HasPrefix(r.data, k.BytesPrefix()) {
		return u, nil
	}
	at := t.at(t.bytes, r)
	plain, err := r.data, error(nil)
	if r.sealed {
		plain, err = s.sealer.OpenBytes(r.data, at)
	}
	switch {
	case err == nil:
		u.set = append(u.set, t.bytes+" = ?", "data_sealed = 1")
		u.setArgs = append(u.setArgs, k.SealBytes(plain, at))
		// Files never change once stored; the flag is enough to tell that
		// nobody sealed this one meanwhile.
		u.cond = append(u.cond, "data_sealed = ?")
		u.condArgs = append(u.condArgs, r.sealed)
	case errors.Is(err, pii.ErrOpen) || errors.Is(err, pii.ErrUnknownKey):
		if err := s.recordAside(ctx, t.name, t.bytes, r.key, "unreadable: "+err.Error()); err != nil {
			return u, err
		}
		u.unreadable = true
	default:
		return u, err
	}
	return u, nil
}

// writeResealed applies u to the row with order key order; it reports false
// when the row was written meanwhile and holds other values now.
func (s *SQL) writeResealed(ctx context.Context, t sealedTable, order string, u reseal) (bool, error) {
	args := append(append(u.setArgs, t.orderArg(order)), u.condArgs...)
	q := "UPDATE " + t.name + " SET " + strings.Join(u.set, ", ") + " WHERE " + t.order + " = ?"
	if len(u.cond) > 0 {
		q += " AND " + strings.Join(u.cond, " AND ")
	}
	res, err := s.q.ExecContext(ctx, q, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n > 0, nil
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

// leftUnderOtherKeys counts, by table and key, the values not sealed with
// keyID (in the current format) that are not set aside: in SQL, every row of
// every sealed column.
func (s *SQL) leftUnderOtherKeys(ctx context.Context, keyID string) ([]StaleValues, error) {
	k, err := s.sealer.SealingWith(keyID)
	if err != nil {
		return nil, err
	}
	var out []StaleValues
	count := func(t sealedTable, col, q string, keyOf func([]byte) string, args ...any) error {
		rows, err := s.q.QueryContext(ctx, q, args...)
		if err != nil {
			return s.wrap(err, "count %s.%s not sealed with key %s", t.name, col, keyID)
		}
		defer rows.Close()
		for rows.Next() {
			var prefix []byte
			var n int
			if err := rows.Scan(&prefix, &n); err != nil {
				return s.wrap(err, "count %s.%s not sealed with key %s", t.name, col, keyID)
			}
			out = addStale(out, StaleValues{Table: t.name, KeyID: keyOf(prefix), Count: n})
		}
		if err := rows.Err(); err != nil {
			return s.wrap(err, "count %s.%s not sealed with key %s", t.name, col, keyID)
		}
		return nil
	}
	textKey := func(b []byte) string { return pii.SealedKeyID(string(b)) }
	for _, t := range sealedTables {
		row := "x." + t.adKey
		if t.adKey == "id" {
			row = "CAST(x.id AS CHAR)" // set_aside keeps row keys as text
		}
		notAside := " AND NOT EXISTS (SELECT 1 FROM set_aside a WHERE a.tbl = ? AND a.col = ? AND a.row_key = " + row + ")"
		for _, col := range t.textCols() {
			// SUBSTR and <>, not LIKE: SQLite's LIKE ignores case, base64
			// does not. The first 11 characters of a v2 value name its key.
			q := "SELECT CASE WHEN SUBSTR(" + col + ", 1, 3) = 'v2:' THEN SUBSTR(" + col + ", 1, 11) ELSE '' END, COUNT(*)" +
				" FROM " + t.name + " x WHERE " + col + " <> '' AND SUBSTR(" + col + ", 1, ?) <> ?" + notAside + " GROUP BY 1"
			prefix := k.TextPrefix()
			if err := count(t, col, q, textKey, len(prefix), prefix, t.name, col); err != nil {
				return nil, err
			}
		}
		if t.bytes != "" {
			col := t.bytes
			q := "SELECT CASE WHEN data_sealed = 1 THEN SUBSTR(" + col + ", 1, 9) ELSE ? END, COUNT(*)" +
				" FROM " + t.name + " x WHERE LENGTH(" + col + ") > 0 AND (data_sealed = 0 OR SUBSTR(" + col + ", 1, ?) <> ?)" +
				notAside + " GROUP BY 1"
			prefix := k.BytesPrefix()
			if err := count(t, col, q, pii.SealedBytesKeyID, []byte{}, len(prefix), prefix, t.name, col); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// addStale adds v to the count of its table and key.
func addStale(out []StaleValues, v StaleValues) []StaleValues {
	for i := range out {
		if out[i].Table == v.Table && out[i].KeyID == v.KeyID {
			out[i].Count += v.Count
			return out
		}
	}
	return append(out, v)
}

// retireOtherKeys retires every key but keyID in one transaction: it holds
// their data_keys rows for update, which waits for every write still
// sealing with them (they hold the row shared, see sealKey) and keeps new
// ones waiting, then counts the values not under keyID again, now that
// those writes are in, and retires only when there are none. Otherwise it
// retires nothing and returns where they are.
func (s *SQL) retireOtherKeys(ctx context.Context, keyID string) ([]string, []StaleValues, error) {
	var opts *sql.TxOptions
	if s.d.name == DriverMySQL {
		// The count must see every write committed before the rows were
		// taken, not a snapshot from before.
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	if hook := s.keys.hooks.retire; hook != nil {
		hook()
	}
	var ids []string
	var stale []StaleValues
	err := s.inTxOpts(ctx, opts, func(tx *SQL) error {
		ids, stale = nil, nil
		rows, err := tx.q.QueryContext(ctx, "SELECT key_id FROM data_keys WHERE key_id <> ? AND retired_at IS NULL ORDER BY key_id"+
			tx.d.lockUpdate(), keyID)
		if err != nil {
			return tx.wrap(err, "hold data keys to retire")
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return tx.wrap(err, "hold data keys to retire")
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return tx.wrap(err, "hold data keys to retire")
		}
		if len(ids) == 0 {
			return nil
		}
		if hook := tx.keys.hooks.retireHeld; hook != nil {
			hook()
		}
		if stale, err = tx.leftUnderOtherKeys(ctx, keyID); err != nil || len(stale) > 0 {
			ids = nil
			return err
		}
		now := tx.d.t(time.Now())
		for _, id := range ids {
			if _, err := tx.q.ExecContext(ctx, "UPDATE data_keys SET retired_at = ? WHERE key_id = ?", now, id); err != nil {
				return tx.wrap(err, "retire data key %s", id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.RefreshKeys(ctx); err != nil {
		return ids, stale, err
	}
	return ids, stale, nil
}
