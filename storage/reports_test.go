package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
)

// reportNow is "now" for the report tests: 28 Nov 2026 10:00 in Shanghai.
var reportNow = time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)

// reportDay is the Shanghai day of reportNow.
var reportDay = time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)

// seedReportCases stores a small bureau's month.
func seedReportCases(t *testing.T, db *storage.SQL) {
	t.Helper()
	hours := func(h int) time.Time { return reportNow.Add(time.Duration(h) * time.Hour) }
	mk := func(number string, mod func(c *cases.Case)) {
		mustCreate(t, db, newCase(number, func(c *cases.Case) {
			c.CoDepts = nil
			c.Deadline = hours(48)
			c.CreatedAt, c.UpdatedAt = hours(-240), hours(-240)
			mod(c)
		}))
	}
	// Working cases: two red (one stored red, one whose deadline just passed
	// but whose stored light is still yellow), one yellow, two green.
	mk("BC2611180001", func(c *cases.Case) {
		c.LeadDept, c.Status, c.Light, c.Deadline = "shebao", cases.StatusInProgress, cases.LightRed, hours(-30)
	})
	mk("BC2611180002", func(c *cases.Case) {
		c.LeadDept, c.Status, c.Light, c.Deadline = "shebao", cases.StatusAssigned, cases.LightYellow, hours(-1)
		c.CoDepts = []string{"dangan"}
	})
	mk("BC2611180003", func(c *cases.Case) {
		c.LeadDept, c.Status, c.Light = "dangan", cases.StatusAssigned, cases.LightYellow
	})
	mk("BC2611280001", func(c *cases.Case) {
		c.LeadDept, c.Status, c.Light, c.CreatedAt = "", cases.StatusSubmitted, "", hours(-1)
		c.Category = "archives"
	})
	mk("BC2611180004", func(c *cases.Case) { c.LeadDept, c.Status = "dangan", cases.StatusAccepted })
	// Done cases: resolved on time today (rated 1), resolved late and
	// reopened once (rated 4), closed on time (rated 2), withdrawn.
	mk("BC2611180005", func(c *cases.Case) {
		c.LeadDept, c.Status, c.ResolvedAt = "shebao", cases.StatusResolved, ptr(hours(-2))
		c.Satisfaction = 1
		c.Accountability = "社保中心3号窗口：本可当场办理"
	})
	mk("BC2611180006", func(c *cases.Case) {
		c.LeadDept, c.Status, c.Deadline, c.ResolvedAt = "shebao", cases.StatusResolved, hours(-100), ptr(hours(-40))
		c.Satisfaction, c.Reopened = 4, 1
		c.CommonTag = "档案姓名错写"
	})
	mk("BC2611180007", func(c *cases.Case) {
		c.LeadDept, c.Status, c.ResolvedAt, c.ClosedAt = "shebao", cases.StatusClosed, ptr(hours(-120)), ptr(hours(-100))
		c.Satisfaction = 2
		c.CommonTag = "档案姓名错写"
	})
	mk("BC2611180008", func(c *cases.Case) {
		c.LeadDept, c.Status, c.ClosedAt = "dangan", cases.StatusWithdrawn, ptr(hours(-200))
		c.CommonTag = "异地认证失败"
	})
	// Outside the report period.
	mk("BC2610010001", func(c *cases.Case) {
		c.LeadDept, c.Status, c.CreatedAt = "shebao", cases.StatusClosed, time.Date(2026, 10, 1, 2, 0, 0, 0, time.UTC)
		c.CommonTag, c.Accountability = "档案姓名错写", "某窗口：未受理"
	})
}

func TestOverview(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		seedReportCases(t, db)
		got, err := db.Overview(context.Background(), reportNow, reportDay)
		if err != nil {
			t.Fatal(err)
		}
		want := &storage.Overview{
			Green: 2, Yellow: 1, Red: 2,
			ByDept: []storage.DeptLights{
				{Dept: "shebao", Red: 2},
				{Dept: "dangan", Yellow: 1, Green: 1},
				{Dept: "", Green: 1},
			},
			NewToday:      1,
			ResolvedToday: 1,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Overview (-want +got):\n%s", diff)
		}
	})
}

func TestOverdue(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		seedReportCases(t, db)
		tests := []struct {
			dept string
			want []string
		}{
			{"", []string{"BC2611180001", "BC2611180002"}},
			{"dangan", []string{"BC2611180002"}}, // co-handled
			{"jiuye", nil},
		}
		for _, tt := range tests {
			list, err := db.Overdue(context.Background(), reportNow, tt.dept, 10)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, numbers(list)); diff != "" {
				t.Errorf("Overdue(%q) (-want +got):\n%s", tt.dept, diff)
			}
		}
	})
}

func TestReport(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		seedReportCases(t, db)
		from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		got, err := db.Report(context.Background(), from, reportNow.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		// Handling: 238 h, 200 h and 120 h from report to answer.
		want := []storage.ReportRow{
			{Dept: "", Category: "archives", Cases: 1},
			{Dept: "dangan", Category: "pension", Cases: 3},
			{Dept: "shebao", Category: "pension", Cases: 5, Resolved: 3, OnTime: 2,
				HandlingSeconds: (238 + 200 + 120) * 3600, Rated: 3, RatingSum: 7, Reopened: 1},
		}
		if diff := cmp.Diff(want, got, cmpApprox); diff != "" {
			t.Errorf("Report (-want +got):\n%s", diff)
		}
		shebao := got[len(got)-1]
		if r := shebao.OnTimeRate(); r < 0.66 || r > 0.67 {
			t.Errorf("on-time rate %v, want 2/3", r)
		}
		if d := shebao.AvgHandling(); d != 186*time.Hour {
			t.Errorf("average handling %v, want 186h", d)
		}
		if r := got[0].AvgRating(); r != -1 {
			t.Errorf("average rating with no ratings = %v, want -1", r)
		}
	})
}

// cmpApprox compares the seconds sums to the millisecond: SQLite computes
// them through julianday.
var cmpApprox = cmp.Comparer(func(a, b float64) bool { d := a - b; return d < 0.01 && d > -0.01 })

func TestAccountableAndCommonProblems(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		seedReportCases(t, db)
		ctx := context.Background()
		from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), reportNow.Add(time.Hour)
		acc, err := db.Accountable(ctx, from, to, 50)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"BC2611180005"}, numbers(acc)); diff != "" {
			t.Errorf("Accountable (-want +got):\n%s", diff)
		}
		groups, err := db.CommonProblems(ctx, from, to, 1)
		if err != nil {
			t.Fatal(err)
		}
		type group struct {
			Tag   string
			Count int
			Cases []string
		}
		var got []group
		for _, g := range groups {
			got = append(got, group{g.Tag, g.Count, numbers(g.Cases)})
		}
		want := []group{
			{"档案姓名错写", 2, []string{"BC2611180007"}},
			{"异地认证失败", 1, []string{"BC2611180008"}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CommonProblems (-want +got):\n%s", diff)
		}
	})
}
