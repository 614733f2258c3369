package storage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/pii"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// BenchmarkMonitorQueries measures the panoramic monitor's queries on MySQL at
// 10k and 100k cases, and at 1M with BCS_BENCH_LARGE=1, on one database grown
// from one size to the next with multi-row INSERTs. The mix resembles a busy
// bureau: about one case in eight is still being worked on, 36 departments,
// 10 categories, three years of history. Run:
//
//	go test ./storage/ -run '^$' -bench MonitorQueries -benchtime 200x
//	BCS_BENCH_LARGE=1 go test ./storage/ -run '^$' -bench MonitorQueries -benchtime 100x -timeout 60m
func BenchmarkMonitorQueries(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if os.Getenv("BCS_BENCH_LARGE") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	sealer := storagetest.Sealer(b)
	db := storagetest.MySQLWith(b, sealer)
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	seed := benchSeeder{db: db, sealer: sealer, now: now, rng: rand.New(rand.NewPCG(1, 2))}
	for _, n := range sizes {
		start := time.Now()
		seed.grow(b, n)
		b.Logf("seeded %d cases in %s", n, time.Since(start).Round(time.Millisecond))
		middle := int64(n / 2)
		queries := []struct {
			name string
			run  func() (int, error)
		}{
			{"Overview", func() (int, error) {
				o, err := db.Overview(ctx, now, now.Add(-2*time.Hour))
				if err != nil {
					return 0, err
				}
				return o.Open(), nil
			}},
			{"Overdue", listLen(func() ([]*cases.Case, error) { return db.Overdue(ctx, now, "", 50) })},
			{"ListFirstPage", listLen(func() ([]*cases.Case, error) { return db.ListCases(ctx, cases.Filter{Limit: 51}) })},
			{"ListDeepPage", listLen(func() ([]*cases.Case, error) { return db.ListCases(ctx, cases.Filter{AfterID: middle, Limit: 51}) })},
			{"ListWorkingRed", listLen(func() ([]*cases.Case, error) {
				return db.ListCases(ctx, cases.Filter{Status: benchWorking, Light: cases.LightRed, Limit: 51})
			})},
			{"ListDept", listLen(func() ([]*cases.Case, error) { return db.ListCases(ctx, cases.Filter{Dept: "dept07", Limit: 51}) })},
			{"ListDeptWorking", listLen(func() ([]*cases.Case, error) {
				return db.ListCases(ctx, cases.Filter{Dept: "dept07", Status: benchWorking, Limit: 51})
			})},
			{"ListCategoryMonth", listLen(func() ([]*cases.Case, error) {
				return db.ListCases(ctx, cases.Filter{Category: "cat3", From: now.AddDate(0, -1, 0), To: now, Limit: 51})
			})},
			{"ListPhone", listLen(func() ([]*cases.Case, error) { return db.ListCases(ctx, cases.Filter{Phone: benchPhone(7), Limit: 51}) })},
			{"ReportMonth", func() (int, error) {
				rows, err := db.Report(ctx, now.AddDate(0, -1, 0), now)
				return len(rows), err
			}},
		}
		b.Run(fmt.Sprintf("cases=%d", n), func(b *testing.B) {
			for _, q := range queries {
				b.Run(q.name, func(b *testing.B) {
					for b.Loop() {
						if _, err := q.run(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

var benchWorking = cases.WorkingStatuses()

func listLen(f func() ([]*cases.Case, error)) func() (int, error) {
	return func() (int, error) {
		l, err := f()
		return len(l), err
	}
}

func benchPhone(i int) string { return fmt.Sprintf("139%08d", i) }

// benchSeeder bulk-inserts generated cases, oldest first.
type benchSeeder struct {
	db     *storage.SQL
	sealer *pii.Sealer
	now    time.Time
	rng    *rand.Rand
	have   int
}

// benchCols are the cases columns the seeder fills.
var benchCols = []string{"number", "open_kfid", "reporter_id", "reporter_name", "affected_name", "affected_id_number",
	"affected_phone", "affected_phone_index", "relation", "consent", "contact_phone", "contact_phone_index", "category",
	"tried_window", "tried_when", "tried_answer", "description", "lead_dept", "co_depts", "assignee", "status", "deadline",
	"limit_days", "light", "accountability", "common_tag", "merged_into", "resolution", "satisfaction", "reopened",
	"created_at", "updated_at", "resolved_at", "closed_at", "version"}

// grow adds cases until there are n, spread over the three years before now.
func (s *benchSeeder) grow(b *testing.B, n int) {
	b.Helper()
	ctx := context.Background()
	raw := storage.RawDB(s.db)
	const batch = 1000
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(benchCols)), ", ") + ")"
	span := 3 * 365 * 24 * time.Hour
	for s.have < n {
		k := min(batch, n-s.have)
		args := make([]any, 0, k*len(benchCols))
		var depts []any
		for i := 0; i < k; i++ {
			seq := s.have + i
			// Cases arrive in id order, so created_at grows with the id.
			created := s.now.Add(-span).Add(time.Duration(float64(span) * float64(seq) / float64(max(n, 1_000_000))))
			if n < 1_000_000 {
				created = s.now.Add(-time.Duration(float64(span) * float64(n-seq) / float64(n)))
			}
			status, light := cases.StatusClosed, cases.LightGreen
			deadline := created.Add(14 * 24 * time.Hour)
			var resolved, closed any
			switch r := s.rng.IntN(100); {
			case created.After(s.now.Add(-30*24*time.Hour)) && r < 70, r < 1:
				status = benchWorking[s.rng.IntN(len(benchWorking))]
				switch {
				case deadline.Before(s.now):
					light = cases.LightRed
				case deadline.Before(s.now.Add(3 * 24 * time.Hour)):
					light = cases.LightYellow
				}
			case r < 4:
				status = cases.StatusResolved
				resolved = created.Add(time.Duration(s.rng.IntN(20*24)) * time.Hour)
			default:
				resolved = created.Add(time.Duration(s.rng.IntN(20*24)) * time.Hour)
				closed = resolved.(time.Time).Add(72 * time.Hour)
			}
			dept := fmt.Sprintf("dept%02d", s.rng.IntN(36))
			phone := benchPhone(s.rng.IntN(n))
			common, account := "", ""
			if s.rng.IntN(50) == 0 {
				common = fmt.Sprintf("共性问题%d", s.rng.IntN(20))
			}
			if s.rng.IntN(80) == 0 {
				account = "某窗口：本可当场办理"
			}
			number := fmt.Sprintf("BC%s%06d", created.Format("060102"), seq)
			seal := func(col, v string) string { // as CreateCase stores them
				return s.sealer.Seal(v, pii.AD{Table: "cases", Column: col, Row: number})
			}
			args = append(args,
				number, "wkSANDBOX001", fmt.Sprintf("wm%07d", seq), seal("reporter_name", "群众"),
				seal("affected_name", "当事人"), seal("affected_id_number", "11010519610715123X"), seal("affected_phone", phone),
				s.sealer.Index(phone), seal("relation", "本人"), "同意",
				seal("contact_phone", phone), s.sealer.Index(phone), fmt.Sprintf("cat%d", s.rng.IntN(10)),
				seal("tried_window", "某窗口"), seal("tried_when", "去年"), seal("tried_answer", "查不到"),
				seal("description", "养老保险关系转移接续遇到困难，多次往返仍未办成。"), dept, "[]",
				fmt.Sprintf("user%03d", s.rng.IntN(200)), string(status), deadline, 10, string(light),
				account, common, "", "", s.rng.IntN(6), boolInt(s.rng.IntN(30) == 0),
				created, created, resolved, closed, 1)
			depts = append(depts, dept)
		}
		q := "INSERT INTO cases (" + strings.Join(benchCols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", k), ", ")
		res, err := raw.ExecContext(ctx, q, args...)
		if err != nil {
			b.Fatalf("seed cases: %v", err)
		}
		first, err := res.LastInsertId()
		if err != nil {
			b.Fatal(err)
		}
		// MySQL gives consecutive ids to one multi-row INSERT
		// (innodb_autoinc_lock_mode 1 or 2 with a single writer).
		dargs := make([]any, 0, 2*k)
		for i, d := range depts {
			dargs = append(dargs, d, first+int64(i))
		}
		dq := "INSERT INTO case_depts (dept, case_id) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?), ", k), ", ")
		if _, err := raw.ExecContext(ctx, dq, dargs...); err != nil {
			b.Fatalf("seed case departments: %v", err)
		}
		s.have += k
	}
	if _, err := raw.ExecContext(ctx, "ANALYZE TABLE cases, case_depts"); err != nil {
		b.Fatalf("analyze: %v", err)
	}
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}
