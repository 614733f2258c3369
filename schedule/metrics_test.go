package schedule_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"banchengshi/metrics"
	"banchengshi/schedule"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// Operators (and the end-to-end tests that move a clock) see the rounds the
// leader has done in /metrics; a replica that does not lead counts none.
func TestRoundsCountedWhileLeading(t *testing.T) {
	db, m := storagetest.SQLite(t), storage.NewMemory()
	t.Cleanup(func() { m.Close() })
	f := newFixture(t, db)
	leaderCounts, followerCounts := metrics.New(), metrics.New()
	leader := schedule.New(schedule.Config{Repo: f.db, Locker: m.Locker(), Desk: f.desk, Now: f.clock.Now, Metrics: leaderCounts})
	follower := schedule.New(schedule.Config{Repo: f.db, Locker: m.Locker(), Desk: f.desk, Now: f.clock.Now, Metrics: followerCounts})
	ctx := context.Background()
	t.Cleanup(func() { leader.Resign(ctx) })
	for range 3 {
		if led, err := leader.Tick(ctx); err != nil || !led {
			t.Fatalf("leader Tick = %v, %v", led, err)
		}
		if led, err := follower.Tick(ctx); err != nil || led {
			t.Fatalf("follower Tick = %v, %v; want refused while the other leads", led, err)
		}
	}
	if got := scrape(t, leaderCounts); !strings.Contains(got, `bcs_schedule_rounds_total{result="done"} 3`) {
		t.Errorf("leader's metrics lack three rounds done:\n%s", got)
	}
	if got := scrape(t, followerCounts); strings.Contains(got, "bcs_schedule_rounds_total{") {
		t.Errorf("a follower counted rounds:\n%s", got)
	}
}

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}
