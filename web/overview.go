package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"banchengshi/cases"
	"banchengshi/staff"
	"banchengshi/storage"
)

// overdueOnOverview bounds the overdue list on the overview.
const overdueOnOverview = 50

// overviewData is the overview page.
type overviewData struct {
	Overview *storage.Overview
	Overdue  []*cases.Case
	Now      time.Time
	// Max is the largest department total, the full width of its bar.
	Max int
	// Scoped is set when the overdue list shows only the member's departments.
	Scoped bool
}

// overview is the panoramic monitor's front page: working cases by light and
// by department, today's new and resolved, the overdue cases first.
func (s *Server) overview(c *gin.Context) {
	ctx := c.Request.Context()
	m := memberOf(c)
	now := s.now()
	o, err := s.reports.Overview(ctx, now, shanghaiDay(now))
	if err != nil {
		s.fail(c, err)
		return
	}
	d := overviewData{Overview: o, Now: now, Scoped: !seesAll(m)}
	for _, dl := range o.ByDept {
		d.Max = max(d.Max, dl.Total())
	}
	if d.Overdue, err = s.overdueFor(c, m, now); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "overview", page{Title: textOverviewTitle, Nav: "overview", Refresh: true, Data: d})
}

// overdueFor lists the overdue cases m works on: all for window staff and
// supervisors, their departments' for handlers.
func (s *Server) overdueFor(c *gin.Context, m *staff.Member, now time.Time) ([]*cases.Case, error) {
	ctx := c.Request.Context()
	if seesAll(m) {
		return s.reports.Overdue(ctx, now, "", overdueOnOverview)
	}
	var out []*cases.Case
	seen := map[int64]bool{}
	for _, dept := range m.Depts {
		list, err := s.reports.Overdue(ctx, now, dept, overdueOnOverview)
		if err != nil {
			return nil, err
		}
		for _, cs := range list {
			if !seen[cs.ID] {
				seen[cs.ID] = true
				out = append(out, cs)
			}
		}
	}
	slices.SortFunc(out, func(a, b *cases.Case) int { return a.Deadline.Compare(b.Deadline) })
	if len(out) > overdueOnOverview {
		out = out[:overdueOnOverview]
	}
	return out, nil
}
