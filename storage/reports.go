package storage

import (
	"context"
	"database/sql"
	"time"

	"banchengshi/cases"
)

// DeptLights counts the working cases led by one department by light. Dept is
// "" for cases not yet assigned (still with the window).
type DeptLights struct {
	Dept   string
	Green  int
	Yellow int
	Red    int
}

// Total is the department's working cases.
func (d DeptLights) Total() int { return d.Green + d.Yellow + d.Red }

// Overview is the panoramic monitor's head: working cases by light and by
// department, and what came in and was answered today.
type Overview struct {
	Green, Yellow, Red int
	ByDept             []DeptLights // by lead department, most red first
	NewToday           int
	ResolvedToday      int
}

// Open is the number of working cases.
func (o *Overview) Open() int { return o.Green + o.Yellow + o.Red }

// lightExpr is a case's light as the monitor shows it: red as soon as the
// deadline has passed, whether or not the scheduler has stored that yet;
// otherwise the stored light (yellow needs the working-day calendar, which
// the scheduler applies), green when none was stored.
const lightExpr = "CASE WHEN deadline IS NOT NULL AND deadline < ? THEN 'red' WHEN light = '' THEN 'green' ELSE light END"

// Overview counts the working cases by lead department and light at now (a
// resolved case is not working: it waits for the citizen, its light frozen), and
// the cases created and resolved in [dayStart, dayStart+24h).
func (s *SQL) Overview(ctx context.Context, now, dayStart time.Time) (*Overview, error) {
	in, args := statusIn(cases.WorkingStatuses())
	q := "SELECT lead_dept, " + lightExpr + " AS l, COUNT(*) FROM cases WHERE status IN " + in +
		" GROUP BY lead_dept, l ORDER BY lead_dept"
	rows, err := s.q.QueryContext(ctx, q, append([]any{s.d.t(now)}, args...)...)
	if err != nil {
		return nil, s.wrap(err, "count working cases")
	}
	defer rows.Close()
	o := &Overview{}
	byDept := map[string]*DeptLights{}
	var order []string
	for rows.Next() {
		var dept, light string
		var n int
		if err := rows.Scan(&dept, &light, &n); err != nil {
			return nil, s.wrap(err, "count working cases")
		}
		d := byDept[dept]
		if d == nil {
			d = &DeptLights{Dept: dept}
			byDept[dept] = d
			order = append(order, dept)
		}
		switch cases.Light(light) {
		case cases.LightRed:
			d.Red += n
			o.Red += n
		case cases.LightYellow:
			d.Yellow += n
			o.Yellow += n
		default:
			d.Green += n
			o.Green += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "count working cases")
	}
	for _, dept := range order {
		o.ByDept = append(o.ByDept, *byDept[dept])
	}
	sortDeptLights(o.ByDept)

	dayEnd := dayStart.Add(24 * time.Hour)
	if err := s.q.QueryRowContext(ctx, "SELECT COUNT(*) FROM cases WHERE created_at >= ? AND created_at < ?",
		s.d.t(dayStart), s.d.t(dayEnd)).Scan(&o.NewToday); err != nil {
		return nil, s.wrap(err, "count today's new cases")
	}
	if err := s.q.QueryRowContext(ctx, "SELECT COUNT(*) FROM cases WHERE resolved_at >= ? AND resolved_at < ?",
		s.d.t(dayStart), s.d.t(dayEnd)).Scan(&o.ResolvedToday); err != nil {
		return nil, s.wrap(err, "count today's resolved cases")
	}
	return o, nil
}

// sortDeptLights orders departments by red, then yellow, then total, then id,
// so the ones in trouble come first.
func sortDeptLights(ds []DeptLights) {
	less := func(a, b DeptLights) bool {
		switch {
		case a.Red != b.Red:
			return a.Red > b.Red
		case a.Yellow != b.Yellow:
			return a.Yellow > b.Yellow
		case a.Total() != b.Total():
			return a.Total() > b.Total()
		}
		return a.Dept < b.Dept
	}
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && less(ds[j], ds[j-1]); j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

// Overdue lists working cases whose deadline passed before now, longest
// overdue first; dept, when set, keeps the cases it leads or co-handles.
func (s *SQL) Overdue(ctx context.Context, now time.Time, dept string, limit int) ([]*cases.Case, error) {
	in, args := statusIn(cases.WorkingStatuses())
	q := caseSelect + " WHERE status IN " + in + " AND deadline IS NOT NULL AND deadline < ?"
	args = append(args, s.d.t(now))
	if dept != "" {
		q += " AND id IN (SELECT case_id FROM case_depts WHERE dept = ?)"
		args = append(args, dept)
	}
	q += " ORDER BY deadline, id LIMIT ?"
	args = append(args, clampLimit(limit))
	return s.queryCases(ctx, "list overdue cases", q, args...)
}

// ReportRow is one department × category over a period: the cases reported
// in it and how they went.
type ReportRow struct {
	Dept     string
	Category string
	Cases    int
	// Resolved have an answer; OnTime of them were answered by the deadline.
	Resolved int
	OnTime   int
	// HandlingSeconds is the sum over Resolved of creation to answer.
	HandlingSeconds float64
	// Rated have a satisfaction rating (1 非常满意 … 5 非常不满意); RatingSum is
	// the sum of those ratings.
	Rated     int
	RatingSum int
	Reopened  int
}

// OnTimeRate is OnTime / Resolved, or -1 when nothing was resolved.
func (r ReportRow) OnTimeRate() float64 { return ratio(float64(r.OnTime), r.Resolved) }

// AvgHandling is the average time from report to answer, to the second, or 0.
func (r ReportRow) AvgHandling() time.Duration {
	if r.Resolved == 0 {
		return 0
	}
	return time.Duration(r.HandlingSeconds / float64(r.Resolved) * float64(time.Second)).Round(time.Second)
}

// AvgRating is the average satisfaction (1 best … 5 worst), or -1 when
// nobody rated.
func (r ReportRow) AvgRating() float64 { return ratio(float64(r.RatingSum), r.Rated) }

// ReopenRate is the share of cases reopened at least once, or -1 for none.
func (r ReportRow) ReopenRate() float64 { return ratio(float64(r.Reopened), r.Cases) }

// Add sums o into r (for totals per department or for the whole bureau).
func (r *ReportRow) Add(o ReportRow) {
	r.Cases += o.Cases
	r.Resolved += o.Resolved
	r.OnTime += o.OnTime
	r.HandlingSeconds += o.HandlingSeconds
	r.Rated += o.Rated
	r.RatingSum += o.RatingSum
	r.Reopened += o.Reopened
}

func ratio(a float64, b int) float64 {
	if b == 0 {
		return -1
	}
	return a / float64(b)
}

// Report returns one row per lead department and category for the cases
// created in [from, to), ordered by department and category.
func (s *SQL) Report(ctx context.Context, from, to time.Time) ([]ReportRow, error) {
	q := "SELECT lead_dept, category, COUNT(*)," +
		" SUM(CASE WHEN resolved_at IS NOT NULL THEN 1 ELSE 0 END)," +
		" SUM(CASE WHEN resolved_at IS NOT NULL AND (deadline IS NULL OR resolved_at <= deadline) THEN 1 ELSE 0 END)," +
		" COALESCE(SUM(CASE WHEN resolved_at IS NOT NULL THEN " + s.d.secondsBetween("created_at", "resolved_at") + " END), 0)," +
		" SUM(CASE WHEN satisfaction BETWEEN 1 AND 5 THEN 1 ELSE 0 END)," +
		" SUM(CASE WHEN satisfaction BETWEEN 1 AND 5 THEN satisfaction ELSE 0 END)," +
		" SUM(CASE WHEN reopened > 0 THEN 1 ELSE 0 END)" +
		" FROM cases WHERE created_at >= ? AND created_at < ?" +
		" GROUP BY lead_dept, category ORDER BY lead_dept, category"
	rows, err := s.q.QueryContext(ctx, q, s.d.t(from), s.d.t(to))
	if err != nil {
		return nil, s.wrap(err, "report cases")
	}
	defer rows.Close()
	var out []ReportRow
	for rows.Next() {
		var r ReportRow
		var secs sql.NullFloat64
		if err := rows.Scan(&r.Dept, &r.Category, &r.Cases, &r.Resolved, &r.OnTime, &secs, &r.Rated, &r.RatingSum, &r.Reopened); err != nil {
			return nil, s.wrap(err, "report cases")
		}
		r.HandlingSeconds = secs.Float64
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "report cases")
	}
	return out, nil
}

// secondsBetween is SQL for the seconds from column a to column b.
func (d dialect) secondsBetween(a, b string) string {
	if d.name == DriverSQLite {
		return "(julianday(" + b + ") - julianday(" + a + ")) * 86400.0"
	}
	return "TIMESTAMPDIFF(MICROSECOND, " + a + ", " + b + ") / 1000000.0"
}

// Accountable lists the cases created in [from, to) that a normal window
// should have handled (Accountability set), newest first.
func (s *SQL) Accountable(ctx context.Context, from, to time.Time, limit int) ([]*cases.Case, error) {
	return s.queryCases(ctx, "list accountability cases",
		caseSelect+" WHERE accountability <> '' AND created_at >= ? AND created_at < ? ORDER BY id DESC LIMIT ?",
		s.d.t(from), s.d.t(to), clampLimit(limit))
}

// CommonGroup is one common problem (共性问题) and the cases tagged with it.
type CommonGroup struct {
	Tag   string
	Count int
	// Cases are the newest of them, at most the per-group limit.
	Cases []*cases.Case
}

// CommonProblems groups the cases created in [from, to) by their
// common-problem tag, the largest group first, with up to perGroup cases each.
func (s *SQL) CommonProblems(ctx context.Context, from, to time.Time, perGroup int) ([]CommonGroup, error) {
	rows, err := s.q.QueryContext(ctx, "SELECT common_tag, COUNT(*) AS n FROM cases WHERE common_tag <> '' AND created_at >= ? AND created_at < ?"+
		" GROUP BY common_tag ORDER BY n DESC, common_tag", s.d.t(from), s.d.t(to))
	if err != nil {
		return nil, s.wrap(err, "group common problems")
	}
	var groups []CommonGroup
	for rows.Next() {
		var g CommonGroup
		if err := rows.Scan(&g.Tag, &g.Count); err != nil {
			rows.Close()
			return nil, s.wrap(err, "group common problems")
		}
		groups = append(groups, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "group common problems")
	}
	perGroup = max(1, min(perGroup, maxListLimit))
	for i := range groups {
		list, err := s.queryCases(ctx, "list cases of a common problem",
			caseSelect+" WHERE common_tag = ? AND created_at >= ? AND created_at < ? ORDER BY id DESC LIMIT ?",
			groups[i].Tag, s.d.t(from), s.d.t(to), perGroup)
		if err != nil {
			return nil, err
		}
		groups[i].Cases = list
	}
	return groups, nil
}

// statusIn is "(?, ?, …)" for the statuses, with their arguments.
func statusIn(sts []cases.Status) (string, []any) {
	args := make([]any, len(sts))
	for i, st := range sts {
		args[i] = string(st)
	}
	return "(" + placeholders(len(sts)) + ")", args
}

func clampLimit(n int) int {
	if n <= 0 {
		return defaultListLimit
	}
	return min(n, maxListLimit)
}

// queryCases runs a caseSelect query.
//
// A case whose personal data cannot be opened for good (a damaged or misplaced
// sealed value) is left out of the list and recorded in set_aside, so that
// one such case does not stop every list, report and scheduler walk; the case
// itself stays where it is for whoever restores the key or the row.
func (s *SQL) queryCases(ctx context.Context, what, q string, args ...any) ([]*cases.Case, error) {
	out, unreadable, err := s.scanCases(ctx, what, q, args...)
	if err != nil {
		return nil, err
	}
	for _, u := range unreadable {
		if _, err := s.SetAside(ctx, u, "unreadable case"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scanCases runs q and reads its cases, returning apart those that cannot be
// opened; rows are closed before it returns, so the caller may write.
func (s *SQL) scanCases(ctx context.Context, what, q string, args ...any) ([]*cases.Case, []*cases.UnreadableError, error) {
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, s.wrap(err, "%s", what)
	}
	defer rows.Close()
	var out []*cases.Case
	var unreadable []*cases.UnreadableError
	for rows.Next() {
		c, err := s.scanCase(ctx, rows)
		if u := cases.AsUnreadable(err); u != nil {
			unreadable = append(unreadable, u)
			continue
		}
		if err != nil {
			return nil, nil, s.wrap(err, "%s", what)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, s.wrap(err, "%s", what)
	}
	return out, unreadable, nil
}
