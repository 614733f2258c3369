package metrics

import (
	"database/sql"
	"net/http/httptest"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

func TestWatchDBExposesThePool(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	m := New()
	m.WatchDB(db)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{`go_sql_wait_count_total{db_name="bcs"}`, `go_sql_wait_duration_seconds_total{db_name="bcs"}`, `go_sql_open_connections{db_name="bcs"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
	var nilMetrics *Metrics
	nilMetrics.WatchDB(db) // counts nothing, does not panic
}
