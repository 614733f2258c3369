package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
)

func TestCaseCreateGetUpdate(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		resolved := at.Add(48 * time.Hour)
		c := mustCreate(t, db, newCase("BC2611280001", func(c *cases.Case) { c.ResolvedAt = &resolved }))
		if c.ID == 0 {
			t.Fatal("CreateCase set no ID")
		}
		want := *c
		want.CreatedAt, want.UpdatedAt = micro(at), micro(at)
		want.Deadline = micro(at.Add(10 * 24 * time.Hour))
		want.ResolvedAt = ptr(micro(resolved))
		if diff := cmp.Diff(&want, c); diff != "" {
			t.Errorf("CreateCase did not normalise times (-want +got):\n%s", diff)
		}

		got, err := db.GetCase(ctx, "BC2611280001")
		if err != nil {
			t.Fatalf("GetCase: %v", err)
		}
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("GetCase (-want +got):\n%s", diff)
		}
		byID, err := db.GetCaseByID(ctx, c.ID)
		if err != nil {
			t.Fatalf("GetCaseByID: %v", err)
		}
		if diff := cmp.Diff(&want, byID); diff != "" {
			t.Errorf("GetCaseByID (-want +got):\n%s", diff)
		}

		// Two staff read the case; the first to save wins.
		first, second := *got, *got
		first.Status, first.Assignee, first.CoDepts = cases.StatusAccepted, "lisi", []string{"退役军人事务局"}
		if err := db.UpdateCase(ctx, &first); err != nil {
			t.Fatalf("UpdateCase: %v", err)
		}
		if first.Version != got.Version+1 {
			t.Errorf("Version after update = %d, want %d", first.Version, got.Version+1)
		}
		second.Status = cases.StatusWithdrawn
		if err := db.UpdateCase(ctx, &second); !errors.Is(err, cases.ErrConflict) {
			t.Errorf("stale UpdateCase error = %v, want ErrConflict", err)
		}
		again, err := db.GetCaseByID(ctx, c.ID)
		if err != nil {
			t.Fatalf("GetCaseByID after update: %v", err)
		}
		if diff := cmp.Diff(&first, again); diff != "" {
			t.Errorf("case after update (-want +got):\n%s", diff)
		}

		missing := *again
		missing.ID = again.ID + 1000
		errTests := []struct {
			name string
			err  error
			want error
		}{
			{"get unknown number", errOf(db.GetCase(ctx, "BC0000000000")), cases.ErrNotFound},
			{"get unknown id", errOf(db.GetCaseByID(ctx, 999999)), cases.ErrNotFound},
			{"update unknown id", db.UpdateCase(ctx, &missing), cases.ErrNotFound},
			{"duplicate number", db.CreateCase(ctx, newCase("BC2611280001", nil)), cases.ErrDuplicate},
		}
		for _, tt := range errTests {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("%s: error = %v, want %v", tt.name, tt.err, tt.want)
			}
		}
	})
}

func errOf[T any](_ T, err error) error { return err }

func TestNextNumber(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		steps := []struct {
			name string
			now  time.Time
			want string
		}{
			{"first of the day", time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC), "BC2611280001"},
			{"second of the day", time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC), "BC2611280002"},
			{"Shanghai midnight is 16:00 UTC", time.Date(2026, 11, 28, 16, 0, 0, 0, time.UTC), "BC2611290001"},
			{"15:59 UTC is still the 28th in Shanghai", time.Date(2026, 11, 28, 15, 59, 59, 0, time.UTC), "BC2611280003"},
			{"local time zone does not matter", time.Date(2026, 11, 29, 8, 0, 0, 0, time.FixedZone("PST", -8*3600)), "BC2611300001"},
		}
		for _, s := range steps {
			got, err := db.NextNumber(ctx, s.now)
			if err != nil {
				t.Fatalf("%s: NextNumber: %v", s.name, err)
			}
			if got != s.want {
				t.Errorf("%s: NextNumber = %s, want %s", s.name, got, s.want)
			}
		}

		// Beyond 9999 cases a day the sequence grows a digit.
		if _, err := storage.RawDB(db).ExecContext(ctx, "UPDATE case_counters SET n = 9998 WHERE day = ?", "261128"); err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
		for _, want := range []string{"BC2611289999", "BC26112810000"} {
			got, err := db.NextNumber(ctx, day)
			if err != nil || got != want {
				t.Errorf("NextNumber = %s, %v, want %s", got, err, want)
			}
		}
	})
}

func TestNextNumberConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		const workers, each = 8, 10
		now := time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					// Half allocate alone, half inside a transaction that also
					// creates the case, as the dialog does.
					var n string
					var err error
					if i%2 == 0 {
						n, err = db.NextNumber(ctx, now)
					} else {
						err = db.InTx(ctx, func(r cases.Repo) error {
							var err error
							if n, err = r.NextNumber(ctx, now); err != nil {
								return err
							}
							return r.CreateCase(ctx, newCase(n, nil))
						})
					}
					if err != nil {
						errs <- fmt.Errorf("worker %d: %w", w, err)
						return
					}
					mu.Lock()
					seen[n]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		want := map[string]int{}
		for i := 1; i <= workers*each; i++ {
			want[fmt.Sprintf("BC261201%04d", i)] = 1
		}
		if diff := cmp.Diff(want, seen); diff != "" {
			t.Errorf("allocated numbers (-want +got):\n%s", diff)
		}
	})
}
