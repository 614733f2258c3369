package storage

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
)

// Driver names accepted by Open.
const (
	DriverSQLite = "sqlite"
	DriverMySQL  = "mysql"
)

// sqliteTimeLayout is how SQLite keeps time: UTC, fixed width, so that text
// order is time order and range queries work on plain string comparison.
const sqliteTimeLayout = "2006-01-02 15:04:05.000000"

// dialect holds the little that differs between MySQL and SQLite; every query
// is otherwise shared and uses ? placeholders.
type dialect struct {
	name string
}

// insertIgnore returns an INSERT that does nothing (and affects no row) when
// a row with the same unique key exists. MySQL's INSERT IGNORE would also turn
// other errors into warnings, so a no-op upsert is used there instead; neither
// form aborts a surrounding transaction.
func (d dialect) insertIgnore(table string, cols []string, conflict string) string {
	return d.insertIgnoreRows(table, cols, conflict, 1)
}

// upsert returns an INSERT that, when a row with the same key (the conflict
// columns) exists, overwrites the update columns with the new values.
func (d dialect) upsert(table string, cols, conflict, update []string) string {
	set := make([]string, len(update))
	for i, c := range update {
		if d.name == DriverMySQL {
			set[i] = c + " = VALUES(" + c + ")"
		} else {
			set[i] = c + " = excluded." + c
		}
	}
	return d.upsertSet(table, cols, conflict, strings.Join(set, ", "))
}

// upsertSet is upsert with a literal SET clause that may refer to the existing
// row's columns, such as "n = n + 1".
func (d dialect) upsertSet(table string, cols, conflict []string, set string) string {
	q := insertSQL(table, cols)
	if d.name == DriverMySQL {
		return q + " ON DUPLICATE KEY UPDATE " + set
	}
	return q + " ON CONFLICT(" + strings.Join(conflict, ", ") + ") DO UPDATE SET " + set
}

// byPrimaryKey follows the table's name in an UPDATE of rows named by id
// that also tests an indexed column (done_at IS NULL): MySQL would
// otherwise scan, and lock, every row the other index holds in that range,
// other citizens' included. SQLite locks the whole database anyway.
func (d dialect) byPrimaryKey() string {
	if d.name == DriverMySQL {
		return " FORCE INDEX (PRIMARY)"
	}
	return ""
}

// lockShared ends a SELECT whose rows the transaction holds until it ends,
// others reading them alike but none changing them: MySQL's shared row lock.
// SQLite needs none; its transactions take the write lock when they begin
// (_txlock=immediate), so nobody else changes anything meanwhile.
func (d dialect) lockShared() string {
	if d.name == DriverMySQL {
		return " LOCK IN SHARE MODE"
	}
	return ""
}

// lockUpdate ends a SELECT whose rows the transaction holds against any
// other lock until it ends (see lockShared).
func (d dialect) lockUpdate() string {
	if d.name == DriverMySQL {
		return " FOR UPDATE"
	}
	return ""
}

// insertIgnoreRows is insertIgnore for rows rows in one statement.
func (d dialect) insertIgnoreRows(table string, cols []string, conflict string, rows int) string {
	q := insertRowsSQL(table, cols, rows)
	if d.name == DriverMySQL {
		return q + " ON DUPLICATE KEY UPDATE " + conflict + " = " + conflict
	}
	return q + " ON CONFLICT(" + conflict + ") DO NOTHING"
}

// placeholders is "?, ?, …" for n arguments.
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func insertSQL(table string, cols []string) string { return insertRowsSQL(table, cols, 1) }

func insertRowsSQL(table string, cols []string, rows int) string {
	row := "(" + placeholders(len(cols)) + ")"
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

// isDuplicate reports a unique-key violation.
func (d dialect) isDuplicate(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == 2067 || se.Code() == 1555 // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
	}
	return false
}

// isMissingRef reports a foreign key naming a row that does not exist.
func (d dialect) isMissingRef(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1452
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == 787 // SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// isConflict reports that a concurrent transaction won: a deadlock or lock
// wait timeout on MySQL, a busy or locked database on SQLite.
func (d dialect) isConflict(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == 5 || c == 6 // SQLITE_BUSY, SQLITE_LOCKED
	}
	return false
}

// t turns a time into the value stored for it: UTC to the microsecond.
func (d dialect) t(v time.Time) any {
	v = utc(v)
	if d.name == DriverSQLite {
		return v.Format(sqliteTimeLayout)
	}
	return v
}

// nt is t for a column where the zero time (or nil) is stored as NULL.
func (d dialect) nt(v time.Time) any {
	if v.IsZero() {
		return nil
	}
	return d.t(v)
}

// ntp is nt for an optional time.
func (d dialect) ntp(v *time.Time) any {
	if v == nil {
		return nil
	}
	return d.nt(*v)
}

// utc is the form in which every time leaves and enters storage, so that what
// was written compares equal to what is read back.
func utc(v time.Time) time.Time {
	if v.IsZero() {
		return time.Time{}
	}
	return v.UTC().Truncate(time.Microsecond)
}

// timeCol scans a time column of either dialect; NULL becomes the zero time.
type timeCol struct{ dst *time.Time }

// Scan implements sql.Scanner.
func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.dst = time.Time{}
	case time.Time:
		*c.dst = utc(v)
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	default:
		return fmt.Errorf("scan time: unexpected %T", src)
	}
	return nil
}

func (c timeCol) parse(s string) error {
	t, err := time.Parse(sqliteTimeLayout, s)
	if err != nil {
		return fmt.Errorf("scan time %q: %w", s, err)
	}
	*c.dst = t.UTC()
	return nil
}

// timePtrCol scans a nullable time column into a *time.Time.
type timePtrCol struct{ dst **time.Time }

// Scan implements sql.Scanner.
func (c timePtrCol) Scan(src any) error {
	if src == nil {
		*c.dst = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.dst = &t
	return nil
}

// DefaultSQLiteDSN returns a DSN for the SQLite database file at path with the
// settings Open relies on: a busy timeout, foreign keys, WAL and immediate
// write transactions.
func DefaultSQLiteDSN(path string) string {
	dsn, _ := sqliteDSN("file:" + path)
	return dsn
}

// sqliteDSN adds the settings Open relies on unless dsn sets them itself, and
// returns the file it names ("" for an in-memory database).
func sqliteDSN(dsn string) (string, string) {
	name, query, _ := strings.Cut(dsn, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		q = url.Values{}
	}
	has := func(pragma string, keys ...string) bool {
		for _, k := range keys {
			if _, ok := q[k]; ok {
				return true
			}
		}
		for _, p := range q["_pragma"] {
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(p)), pragma) {
				return true
			}
		}
		return false
	}
	var add []string
	if !has("busy_timeout", "_busy_timeout", "_timeout") {
		add = append(add, "_pragma=busy_timeout(10000)")
	}
	if !has("foreign_keys", "_foreign_keys", "_fk") {
		add = append(add, "_pragma=foreign_keys(1)")
	}
	if !has("journal_mode", "_journal_mode", "_journal") {
		add = append(add, "_pragma=journal_mode(WAL)")
	}
	if !has("synchronous", "_synchronous", "_sync") {
		add = append(add, "_pragma=synchronous(NORMAL)")
	}
	if _, ok := q["_txlock"]; !ok {
		add = append(add, "_txlock=immediate")
	}
	if len(add) > 0 {
		if query != "" {
			query += "&"
		}
		query += strings.Join(add, "&")
	}
	out := name
	if query != "" {
		out += "?" + query
	}
	file := strings.TrimPrefix(name, "file:")
	if file == "" || strings.HasPrefix(file, ":memory:") || q.Get("mode") == "memory" {
		file = ""
	}
	return out, file
}

// prepareSQLite adds the default settings to dsn and creates the directory
// of its file.
func prepareSQLite(dsn string) (string, bool, error) {
	dsn, file := sqliteDSN(dsn)
	if file == "" {
		return dsn, true, nil
	}
	if dir := filepath.Dir(file); dir != "." && dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", false, fmt.Errorf("create database directory %q: %w", dir, err)
		}
	}
	return dsn, false, nil
}

// mysqlDSN adds parseTime, utf8mb4 and UTC unless dsn sets them itself.
func mysqlDSN(dsn string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("parse mysql dsn: %w", err)
	}
	_, query, _ := strings.Cut(dsn, "?")
	param := func(key string) (string, bool) {
		for _, kv := range strings.Split(query, "&") {
			if k, v, _ := strings.Cut(kv, "="); k == key {
				return v, true
			}
		}
		return "", false
	}
	has := func(key string) bool {
		_, ok := param(key)
		return ok
	}
	cfg.ParseTime = true
	if !has("charset") {
		if err := cfg.Apply(mysql.Charset("utf8mb4", "utf8mb4_unicode_ci")); err != nil {
			return "", fmt.Errorf("set mysql charset: %w", err)
		}
	}
	if !has("loc") {
		cfg.Loc = time.UTC
	}
	if charset, _ := param("charset"); !has("interpolateParams") && (charset == "" || strings.HasPrefix(charset, "utf8")) {
		// One round trip per statement instead of three packets and two
		// waits (prepare, execute, close) for each, which was most of what
		// a citizen's message cost MariaDB (docs/benchmarks.md). Values are
		// written inline with backslash escapes, which is safe for UTF-8
		// (the driver refuses the collations where it is not, and writes
		// what it cannot inline, or what would not fit in a packet, through
		// a prepared statement as before).
		inline := *cfg
		inline.InterpolateParams = true
		if _, err := mysql.ParseDSN(inline.FormatDSN()); err == nil {
			cfg = &inline
		}
	}
	return cfg.FormatDSN(), nil
}

// setList returns "a = ?, b = ?" for an UPDATE of cols.
func setList(cols []string) string {
	return strings.Join(cols, " = ?, ") + " = ?"
}
