package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
)

func TestListCasesFilters(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		day := func(d int) time.Time { return time.Date(2026, 11, d, 2, 0, 0, 500, time.UTC) }
		mustCreate(t, db, newCase("BC2611200001", func(c *cases.Case) {
			c.CreatedAt = day(20)
		}))
		mustCreate(t, db, newCase("BC2611210001", func(c *cases.Case) {
			c.CreatedAt = day(21)
			c.Status, c.Light = cases.StatusInProgress, cases.LightYellow
			c.LeadDept, c.CoDepts = "档案馆", nil
			c.Category, c.Assignee = "archives", "lisi"
			c.Affected.Phone, c.ContactPhone = "0371-6612 3456", ""
		}))
		mustCreate(t, db, newCase("BC2611220001", func(c *cases.Case) {
			c.CreatedAt = day(22)
			c.Status, c.Light = cases.StatusResolved, cases.LightRed
			c.LeadDept, c.CoDepts = "就业中心", []string{"社保中心"}
			c.ReporterID = "wmOther"
			c.Affected.Phone, c.ContactPhone = "", "13800000000"
		}))
		mustCreate(t, db, newCase("BC2611230001", func(c *cases.Case) {
			c.CreatedAt = day(23)
			c.Status = cases.StatusClosed
			c.LeadDept, c.CoDepts = "退役军人事务局", nil
			c.Affected.Phone, c.ContactPhone = "13800000000", "13900000000"
		}))

		tests := []struct {
			name string
			f    cases.Filter
			want []string
		}{
			{"no filter, newest first", cases.Filter{}, []string{"BC2611230001", "BC2611220001", "BC2611210001", "BC2611200001"}},
			{"one status", cases.Filter{Status: []cases.Status{cases.StatusSubmitted}}, []string{"BC2611200001"}},
			{"several statuses", cases.Filter{Status: []cases.Status{cases.StatusInProgress, cases.StatusClosed}}, []string{"BC2611230001", "BC2611210001"}},
			{"light", cases.Filter{Light: cases.LightRed}, []string{"BC2611220001"}},
			{"dept as lead", cases.Filter{Dept: "档案馆"}, []string{"BC2611210001", "BC2611200001"}},
			{"dept as lead or co", cases.Filter{Dept: "社保中心"}, []string{"BC2611220001", "BC2611200001"}},
			{"dept nobody has", cases.Filter{Dept: "公安局"}, nil},
			{"category", cases.Filter{Category: "archives"}, []string{"BC2611210001"}},
			{"assignee", cases.Filter{Assignee: "lisi"}, []string{"BC2611210001"}},
			{"reporter", cases.Filter{ReporterID: "wmOther"}, []string{"BC2611220001"}},
			{"number", cases.Filter{Number: "BC2611220001"}, []string{"BC2611220001"}},
			{"contact or affected phone", cases.Filter{Phone: "13800000000"}, []string{"BC2611230001", "BC2611220001"}},
			{"phone typed with dashes", cases.Filter{Phone: "138-0000-0000"}, []string{"BC2611230001", "BC2611220001"}},
			{"landline", cases.Filter{Phone: "037166123456"}, []string{"BC2611210001"}},
			{"phone prefix does not match", cases.Filter{Phone: "1380000"}, nil},
			{"phone without digits", cases.Filter{Phone: "不知道"}, nil},
			{"from inclusive to the microsecond", cases.Filter{From: day(22)}, []string{"BC2611230001", "BC2611220001"}},
			{"from one microsecond later", cases.Filter{From: day(22).Add(time.Microsecond)}, []string{"BC2611230001"}},
			{"to exclusive", cases.Filter{To: day(22)}, []string{"BC2611210001", "BC2611200001"}},
			{"from and to in another zone", cases.Filter{From: day(21).In(time.FixedZone("CST", 8*3600)), To: day(23)}, []string{"BC2611220001", "BC2611210001"}},
			{"combined", cases.Filter{Dept: "社保中心", Status: []cases.Status{cases.StatusResolved}, Phone: "13800000000"}, []string{"BC2611220001"}},
			{"limit", cases.Filter{Limit: 2}, []string{"BC2611230001", "BC2611220001"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := db.ListCases(ctx, tt.f)
				if err != nil {
					t.Fatalf("ListCases: %v", err)
				}
				if diff := cmp.Diff(tt.want, numbers(got)); diff != "" {
					t.Errorf("ListCases(%+v) (-want +got):\n%s", tt.f, diff)
				}
			})
		}
	})
}

func TestListCasesPaging(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		var all []string
		for i := 1; i <= 60; i++ {
			c := mustCreate(t, db, newCase(numberFor(i), func(c *cases.Case) {
				if i%3 == 0 {
					c.Status = cases.StatusClosed
				}
			}))
			all = append([]string{c.Number}, all...)
		}
		first, err := db.ListCases(ctx, cases.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != 50 {
			t.Errorf("default page has %d cases, want 50", len(first))
		}
		pages := []struct {
			name string
			f    cases.Filter
			want []string
		}{
			{"all, pages of 25", cases.Filter{Limit: 25}, all},
			{"open cases, pages of 7", cases.Filter{Limit: 7, Status: []cases.Status{cases.StatusSubmitted}}, nil},
		}
		for _, p := range pages {
			var got []string
			f := p.f
			for range 100 {
				page, err := db.ListCases(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) > f.Limit {
					t.Fatalf("%s: page of %d, limit %d", p.name, len(page), f.Limit)
				}
				if len(page) == 0 {
					break
				}
				got = append(got, numbers(page)...)
				f.AfterID = page[len(page)-1].ID
			}
			want := p.want
			if want == nil {
				want = openNumbers(all)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: walked pages (-want +got):\n%s", p.name, diff)
			}
		}
	})
}

// numberFor is the number of the i-th case of a day.
func numberFor(i int) string { return fmt.Sprintf("BC261128%04d", i) }

// openNumbers drops every third case (closed by TestListCasesPaging).
func openNumbers(all []string) []string {
	var out []string
	for _, n := range all {
		var i int
		fmt.Sscanf(n[len(n)-4:], "%d", &i)
		if i%3 != 0 {
			out = append(out, n)
		}
	}
	return out
}

func numbers(cs []*cases.Case) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Number)
	}
	return out
}
