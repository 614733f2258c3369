package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"banchengshi/cases"
	"banchengshi/staff"
	"banchengshi/storage"
)

// Report list bounds.
const (
	accountableOnReport = 200
	casesPerCommonGroup = 20
)

// period is a report's span of China days, both inclusive as shown.
type period struct {
	From, To string // YYYY-MM-DD
	start    time.Time
	end      time.Time // exclusive: the day after To
}

// reportPeriod reads from and to; the default is this month up to today.
func (s *Server) reportPeriod(c *gin.Context) (period, string) {
	today := shanghaiDay(s.now())
	p := period{From: c.Query("from"), To: c.Query("to")}
	if p.From == "" {
		p.From = time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, cases.Shanghai).Format(time.DateOnly)
	}
	if p.To == "" {
		p.To = today.Format(time.DateOnly)
	}
	from, err1 := time.ParseInLocation(time.DateOnly, p.From, cases.Shanghai)
	to, err2 := time.ParseInLocation(time.DateOnly, p.To, cases.Shanghai)
	if err1 != nil || err2 != nil {
		return p, textBadDate
	}
	if to.Before(from) {
		from, to = to, from
		p.From, p.To = p.To, p.From
	}
	p.start, p.end = from, to.AddDate(0, 0, 1)
	return p, ""
}

// deptReport is one department's rows and their total.
type deptReport struct {
	Dept  string
	Total storage.ReportRow
	Rows  []storage.ReportRow
}

// reportsData is the reports page.
type reportsData struct {
	Period      period
	Problem     string
	Depts       []deptReport
	Total       storage.ReportRow
	Charts      []chart
	Accountable []*cases.Case
	Common      []storage.CommonGroup
	CSV         string
}

// reportsPage shows per department and category how the period's cases went,
// as charts and a table, with the accountability list and the common
// problems. Everything on it is masked.
func (s *Server) reportsPage(c *gin.Context) {
	ctx := c.Request.Context()
	p, problem := s.reportPeriod(c)
	d := reportsData{Period: p, Problem: problem}
	if problem == "" {
		rows, err := s.reports.Report(ctx, p.start, p.end)
		if err != nil {
			s.fail(c, err)
			return
		}
		d.Depts, d.Total = groupReport(rows)
		d.Charts = s.reportCharts(d.Depts)
		if d.Accountable, err = s.reports.Accountable(ctx, p.start, p.end, accountableOnReport); err != nil {
			s.fail(c, err)
			return
		}
		if d.Common, err = s.reports.CommonProblems(ctx, p.start, p.end, casesPerCommonGroup); err != nil {
			s.fail(c, err)
			return
		}
		// The figures are the bureau's; the cases behind them, as everywhere,
		// only those the member may open.
		m := memberOf(c)
		d.Accountable = viewable(m, d.Accountable)
		for i := range d.Common {
			d.Common[i].Cases = viewable(m, d.Common[i].Cases)
		}
		d.CSV = "/web/reports.csv?" + url.Values{"from": {p.From}, "to": {p.To}}.Encode()
	}
	s.render(c, http.StatusOK, "reports", page{Title: textReportsTitle, Nav: "reports", Data: d})
}

// viewable keeps the cases m may open (staff.Can view).
func viewable(m *staff.Member, list []*cases.Case) []*cases.Case {
	return slices.DeleteFunc(slices.Clone(list), func(c *cases.Case) bool { return staff.Can(m, cases.ActionView, c) != nil })
}

// groupReport sums the rows per department, the busiest department first.
func groupReport(rows []storage.ReportRow) ([]deptReport, storage.ReportRow) {
	var out []deptReport
	var total storage.ReportRow
	index := map[string]int{}
	for _, r := range rows {
		i, ok := index[r.Dept]
		if !ok {
			i = len(out)
			index[r.Dept] = i
			out = append(out, deptReport{Dept: r.Dept, Total: storage.ReportRow{Dept: r.Dept}})
		}
		out[i].Rows = append(out[i].Rows, r)
		out[i].Total.Add(r)
		total.Add(r)
	}
	slices.SortStableFunc(out, func(a, b deptReport) int { return b.Total.Cases - a.Total.Cases })
	return out, total
}

// reportCharts draws the four measures per department.
func (s *Server) reportCharts(depts []deptReport) []chart {
	v := view{dir: s.desk.Directory()}
	labels := make([]string, len(depts))
	count, onTime, rating, reopen := make([]float64, len(depts)), make([]float64, len(depts)), make([]float64, len(depts)), make([]float64, len(depts))
	for i, d := range depts {
		labels[i] = v.DeptName(d.Dept)
		count[i] = float64(d.Total.Cases)
		onTime[i] = d.Total.OnTimeRate()
		rating[i] = d.Total.AvgRating()
		reopen[i] = d.Total.ReopenRate()
	}
	percent := func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }
	return []chart{
		newChart(textChartCases, labels, count, 0, func(f float64) string { return strconv.Itoa(int(f)) }),
		newChart(textChartOnTime, labels, onTime, 1, percent),
		newChart(textChartRating, labels, rating, 5, func(f float64) string { return fmt.Sprintf("%.2f", f) }),
		newChart(textChartReopen, labels, reopen, 1, percent),
	}
}

// reportsCSV is the report table as CSV in UTF-8 with a byte-order mark, so
// that Excel opens the Chinese correctly.
func (s *Server) reportsCSV(c *gin.Context) {
	p, problem := s.reportPeriod(c)
	if problem != "" {
		s.refuse(c, http.StatusBadRequest, problem)
		return
	}
	rows, err := s.reports.Report(c.Request.Context(), p.start, p.end)
	if err != nil {
		s.fail(c, err)
		return
	}
	depts, total := groupReport(rows)
	v := view{dir: s.desk.Directory()}
	var b strings.Builder
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	_ = w.Write(csvHeader)
	for _, d := range depts {
		for _, r := range d.Rows {
			_ = w.Write(csvRow(v.DeptName(r.Dept), v.CategoryName(r.Category), r))
		}
	}
	_ = w.Write(csvRow(textCSVTotal, "", total))
	w.Flush()
	name := fmt.Sprintf(textCSVFileName, p.From, p.To)
	c.Header("Content-Disposition", "attachment; filename=\"report.csv\"; filename*=UTF-8''"+url.PathEscape(name))
	c.Data(http.StatusOK, "text/csv; charset=utf-8", []byte(b.String()))
}

func csvRow(dept, category string, r storage.ReportRow) []string {
	rate := func(f float64) string {
		if f < 0 {
			return ""
		}
		return strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
	}
	avg := ""
	if f := r.AvgRating(); f >= 0 {
		avg = strconv.FormatFloat(f, 'f', 2, 64)
	}
	hours := ""
	if r.Resolved > 0 {
		hours = strconv.FormatFloat(r.AvgHandling().Hours(), 'f', 1, 64)
	}
	return []string{csvSafe(dept), csvSafe(category), strconv.Itoa(r.Cases), strconv.Itoa(r.Resolved), strconv.Itoa(r.OnTime),
		rate(r.OnTimeRate()), hours, strconv.Itoa(r.Rated), avg, strconv.Itoa(r.Reopened), rate(r.ReopenRate())}
}

// csvSafe keeps a spreadsheet from reading a name as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
