package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"banchengshi/cases"
	"banchengshi/pii"
)

// Filter.Limit bounds.
const (
	defaultListLimit = 50
	maxListLimit     = 500
)

// caseCols are the cases columns in the order caseArgs and scanCase use.
var caseCols = []string{
	"number", "open_kfid", "reporter_id", "reporter_name",
	"affected_name", "affected_id_number", "affected_phone", "affected_phone_index",
	"relation", "consent", "contact_phone", "contact_phone_index",
	"category", "tried_window", "tried_when", "tried_answer", "description",
	"lead_dept", "co_depts", "assignee", "status", "deadline", "limit_days", "light",
	"accountability", "common_tag", "merged_into", "resolution", "satisfaction", "reopened",
	"created_at", "updated_at", "resolved_at", "closed_at", "source", "version",
}

var caseSelect = "SELECT id, " + strings.Join(caseCols, ", ") + " FROM cases"

// NextNumber allocates the next case number for the Asia/Shanghai day of now:
// "BC", yymmdd and a daily sequence of at least four digits. The counter row
// is locked until the surrounding transaction ends, so concurrent callers get
// distinct numbers.
func (s *SQL) NextNumber(ctx context.Context, now time.Time) (string, error) {
	day := now.In(cases.Shanghai).Format("060102")
	var n int
	alloc := func(t *SQL) error {
		q := t.d.upsertSet("case_counters", []string{"day", "n"}, []string{"day"}, "n = n + 1")
		if _, err := t.q.ExecContext(ctx, q, day, 1); err != nil {
			return t.wrap(err, "allocate case number for %s", day)
		}
		if err := t.q.QueryRowContext(ctx, "SELECT n FROM case_counters WHERE day = ?", day).Scan(&n); err != nil {
			return t.wrap(err, "read case counter for %s", day)
		}
		return nil
	}
	var err error
	if s.tx != nil {
		err = alloc(s)
	} else {
		// Our own short transaction may be retried when it loses a deadlock.
		for attempt := 0; attempt < 5; attempt++ {
			if err = s.inTx(ctx, alloc); err == nil || !errors.Is(err, cases.ErrConflict) {
				break
			}
		}
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("BC%s%04d", day, n), nil
}

// CreateCase inserts c and sets its ID. Zero CreatedAt and UpdatedAt become
// now; times are kept in UTC to the microsecond and c is updated to match. An
// empty Source becomes SourceWeCom.
func (s *SQL) CreateCase(ctx context.Context, c *cases.Case) error {
	c.Source = c.Source.OrWeCom()
	now := utc(time.Now())
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	normalizeCaseTimes(c)
	return s.inTx(ctx, func(t *SQL) error {
		args, err := t.caseArgs(ctx, c)
		if err != nil {
			return err
		}
		res, err := t.q.ExecContext(ctx, insertSQL("cases", caseCols), args...)
		if err != nil {
			return t.wrap(err, "create case %s", c.Number)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return t.wrap(err, "create case %s: read id", c.Number)
		}
		if err := t.saveDepts(ctx, id, c, false); err != nil {
			return err
		}
		c.ID = id
		return nil
	})
}

// GetCase returns the case with the given number, or ErrNotFound.
func (s *SQL) GetCase(ctx context.Context, number string) (*cases.Case, error) {
	c, err := s.scanCase(ctx, s.q.QueryRowContext(ctx, caseSelect+" WHERE number = ?", number))
	if err != nil {
		return nil, s.wrap(err, "get case %s", number)
	}
	return c, nil
}

// GetCaseByID returns the case with the given id, or ErrNotFound.
func (s *SQL) GetCaseByID(ctx context.Context, id int64) (*cases.Case, error) {
	c, err := s.scanCase(ctx, s.q.QueryRowContext(ctx, caseSelect+" WHERE id = ?", id))
	if err != nil {
		return nil, s.wrap(err, "get case %d", id)
	}
	return c, nil
}

// UpdateCase saves c when its Version is still the stored one and increments
// c.Version; ErrConflict when somebody saved it since, ErrNotFound when there
// is no such case. A zero UpdatedAt becomes now.
func (s *SQL) UpdateCase(ctx context.Context, c *cases.Case) error {
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = time.Now()
	}
	normalizeCaseTimes(c)
	return s.inTx(ctx, func(t *SQL) error {
		args, err := t.caseArgs(ctx, c)
		if err != nil {
			return err
		}
		sets := make([]string, len(caseCols))
		for i, col := range caseCols {
			sets[i] = col + " = ?"
		}
		args[len(args)-1] = c.Version + 1
		args = append(args, c.ID, c.Version)
		res, err := t.q.ExecContext(ctx, "UPDATE cases SET "+strings.Join(sets, ", ")+" WHERE id = ? AND version = ?", args...)
		if err != nil {
			return t.wrap(err, "update case %s", c.Number)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return t.wrap(err, "update case %s: rows affected", c.Number)
		}
		if n == 0 {
			// Gone, or changed since it was read.
			var one int
			if err := t.q.QueryRowContext(ctx, "SELECT 1 FROM cases WHERE id = ?", c.ID).Scan(&one); err != nil {
				return t.wrap(err, "update case %s", c.Number)
			}
			return fmt.Errorf("update case %s version %d: %w", c.Number, c.Version, cases.ErrConflict)
		}
		if err := t.saveDepts(ctx, c.ID, c, true); err != nil {
			return err
		}
		c.Version++
		return nil
	})
}

// ListCases returns the cases f selects, newest first. From is inclusive and
// To exclusive on CreatedAt; AfterID continues a previous page.
func (s *SQL) ListCases(ctx context.Context, f cases.Filter) ([]*cases.Case, error) {
	where, args, none := s.caseConditions(f)
	if none {
		return nil, nil
	}
	q := caseSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, listLimit(f.Limit))

	return s.queryCases(ctx, "list cases", q, args...)
}

// caseConditions turns f into the conditions on cases that all must hold, with
// their arguments in order. none reports a filter that no case can match, so
// that nothing need be asked.
func (s *SQL) caseConditions(f cases.Filter) (where []string, args []any, none bool) {
	if len(f.Status) > 0 {
		where = append(where, "status IN ("+placeholders(len(f.Status))+")")
		for _, st := range f.Status {
			args = append(args, string(st))
		}
	}
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	eq("light", string(f.Light))
	eq("category", f.Category)
	eq("assignee", f.Assignee)
	eq("reporter_id", f.ReporterID)
	eq("number", f.Number)
	eq("merged_into", f.MergedInto)
	if f.NumberSuffix != "" {
		// Staff name a case by its last digits; combined with a status
		// filter this reads only the cases still being worked on.
		where = append(where, "number LIKE ?")
		args = append(args, "%"+strings.NewReplacer("%", "", "_", "").Replace(f.NumberSuffix))
	}
	if f.Dept != "" {
		where = append(where, "id IN (SELECT case_id FROM case_depts WHERE dept = ?)")
		args = append(args, f.Dept)
	}
	if f.Phone != "" {
		cond, phoneArgs, ok := s.phoneCondition(f.Phone)
		if !ok {
			return nil, nil, true
		}
		where = append(where, cond)
		args = append(args, phoneArgs...)
	}
	if !f.From.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, s.d.t(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, s.d.t(f.To))
	}
	if f.AfterID > 0 {
		where = append(where, "id < ?")
		args = append(args, f.AfterID)
	}
	return where, args, false
}

// phoneCondition matches the cases whose contact or affected person has the
// phone number, by its blind index under every configured key: during a key
// rotation some rows still carry the previous key's index. ok is false when
// the text holds no digits, which no phone can match.
func (s *SQL) phoneCondition(phone string) (cond string, args []any, ok bool) {
	idx := s.sealer.Indexes(phone)
	if len(idx) == 0 {
		return "", nil, false
	}
	in := placeholders(len(idx))
	for range 2 {
		for _, v := range idx {
			args = append(args, v)
		}
	}
	return "(contact_phone_index IN (" + in + ") OR affected_phone_index IN (" + in + "))", args, true
}

// listLimit is the page size a filter asks for: the default when it asks for
// none, and never more than the most one page holds.
func listLimit(limit int) int {
	if limit <= 0 {
		limit = defaultListLimit
	}
	return min(limit, maxListLimit)
}

// saveDepts keeps case_depts, the department filter's index, in step with the
// lead and co-handling departments.
func (s *SQL) saveDepts(ctx context.Context, id int64, c *cases.Case, replace bool) error {
	if replace {
		if _, err := s.q.ExecContext(ctx, "DELETE FROM case_depts WHERE case_id = ?", id); err != nil {
			return s.wrap(err, "update departments of case %s", c.Number)
		}
	}
	seen := map[string]bool{}
	for _, d := range append([]string{c.LeadDept}, c.CoDepts...) {
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		if _, err := s.q.ExecContext(ctx, "INSERT INTO case_depts (dept, case_id) VALUES (?, ?)", d, id); err != nil {
			return s.wrap(err, "save departments of case %s", c.Number)
		}
	}
	return nil
}

// caseArgs returns c's column values in caseCols order, personal data sealed
// (bound to the case number):
// ID and phone numbers, names, and everything the citizen told or was told
// (relation, what they tried, the description, the resolution). What queries
// filter, group or sort on stays in the clear: number, WeCom ids, category,
// departments, assignee, status, light, times, the accountability note (a
// window and why, written by staff) and the common-problem tag; so does
// consent, one of a few fixed answers.
func (s *SQL) caseArgs(ctx context.Context, c *cases.Case) ([]any, error) {
	k, err := s.sealKey(ctx)
	if err != nil {
		return nil, err
	}
	co := c.CoDepts
	if co == nil {
		co = []string{}
	}
	coJSON, err := json.Marshal(co)
	if err != nil {
		return nil, fmt.Errorf("encode co-departments of case %s: %w", c.Number, err)
	}
	seal := func(col, v string) string { return k.Seal(v, ad("cases", col, c.Number)) }
	return []any{
		c.Number, c.OpenKfID, c.ReporterID, seal("reporter_name", c.ReporterName),
		seal("affected_name", c.Affected.Name), seal("affected_id_number", c.Affected.IDNumber),
		seal("affected_phone", c.Affected.Phone), k.Index(c.Affected.Phone),
		seal("relation", c.Relation), c.Consent, seal("contact_phone", c.ContactPhone), k.Index(c.ContactPhone),
		c.Category, seal("tried_window", c.TriedWindow), seal("tried_when", c.TriedWhen),
		seal("tried_answer", c.TriedAnswer), seal("description", c.Description),
		c.LeadDept, string(coJSON), c.Assignee, string(c.Status), s.d.nt(c.Deadline), c.LimitDays, string(c.Light),
		c.Accountability, c.CommonTag, c.MergedInto, seal("resolution", c.Resolution), c.Satisfaction, c.Reopened,
		s.d.t(c.CreatedAt), s.d.t(c.UpdatedAt), s.d.ntp(c.ResolvedAt), s.d.ntp(c.ClosedAt), string(c.Source.OrWeCom()), c.Version,
	}, nil
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanCase reads a row of caseSelect and opens the sealed columns.
func (s *SQL) scanCase(ctx context.Context, r scanner) (*cases.Case, error) {
	var c cases.Case
	var idNumber, affPhone, affIdx, contact, contactIdx, coJSON, status, light, source string
	err := r.Scan(&c.ID,
		&c.Number, &c.OpenKfID, &c.ReporterID, &c.ReporterName,
		&c.Affected.Name, &idNumber, &affPhone, &affIdx,
		&c.Relation, &c.Consent, &contact, &contactIdx,
		&c.Category, &c.TriedWindow, &c.TriedWhen, &c.TriedAnswer, &c.Description,
		&c.LeadDept, &coJSON, &c.Assignee, &status, timeCol{&c.Deadline}, &c.LimitDays, &light,
		&c.Accountability, &c.CommonTag, &c.MergedInto, &c.Resolution, &c.Satisfaction, &c.Reopened,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, timePtrCol{&c.ResolvedAt}, timePtrCol{&c.ClosedAt}, &source, &c.Version)
	if err != nil {
		return nil, err
	}
	c.Status, c.Light, c.Source = cases.Status(status), cases.Light(light), cases.Source(source).OrWeCom()
	if err := json.Unmarshal([]byte(coJSON), &c.CoDepts); err != nil {
		return nil, fmt.Errorf("decode co-departments of case %s: %w", c.Number, err)
	}
	if len(c.CoDepts) == 0 {
		c.CoDepts = nil
	}
	at := func(col string) pii.AD { return ad("cases", col, c.Number) }
	for _, f := range []struct {
		v   *string
		col string
	}{
		{&c.ReporterName, "reporter_name"}, {&c.Affected.Name, "affected_name"}, {&c.Relation, "relation"},
		{&c.TriedWindow, "tried_window"}, {&c.TriedWhen, "tried_when"}, {&c.TriedAnswer, "tried_answer"},
		{&c.Description, "description"}, {&c.Resolution, "resolution"},
	} {
		if *f.v, err = s.openLegacy(ctx, *f.v, at(f.col)); err != nil {
			return nil, caseUnreadable(err, &c)
		}
	}
	if c.Affected.IDNumber, err = s.open(ctx, idNumber, at("affected_id_number")); err != nil {
		return nil, caseUnreadable(err, &c)
	}
	if c.Affected.Phone, err = s.open(ctx, affPhone, at("affected_phone")); err != nil {
		return nil, caseUnreadable(err, &c)
	}
	if c.ContactPhone, err = s.open(ctx, contact, at("contact_phone")); err != nil {
		return nil, caseUnreadable(err, &c)
	}
	return &c, nil
}

// normalizeCaseTimes puts c's times in the form storage returns them.
func normalizeCaseTimes(c *cases.Case) {
	c.Deadline = utc(c.Deadline)
	c.CreatedAt = utc(c.CreatedAt)
	c.UpdatedAt = utc(c.UpdatedAt)
	c.ResolvedAt = utcPtr(c.ResolvedAt)
	c.ClosedAt = utcPtr(c.ClosedAt)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := utc(*t)
	return &v
}

// caseUnreadable adds the case's id and reporter to an unreadable error.
func caseUnreadable(err error, c *cases.Case) error {
	if u := cases.AsUnreadable(err); u != nil {
		u.ID, u.OpenKfID, u.ExternalUserID = c.ID, c.OpenKfID, c.ReporterID
	}
	return err
}
