package handlers

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/storage/storagetest"
)

const metricsToken = "test-metrics-token-0123456789"

// /metrics has a token of its own: the admin token, which reads every case,
// does not open it, and the metrics token does not open the API.
func TestMetricsToken(t *testing.T) {
	counters := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "bcs_up 1\n") })
	serve := func(token string) *httptest.Server {
		repo := storagetest.SQLite(t)
		srv := httptest.NewServer(NewRouter(Routes{
			API:          &API{Repo: repo, Token: adminToken},
			Metrics:      counters,
			MetricsToken: token,
			Log:          slog.New(slog.DiscardHandler),
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	open, closed := serve(metricsToken), serve("")
	tests := []struct {
		name   string
		srv    *httptest.Server
		path   string
		bearer string
		want   int
	}{
		{"metrics with its token", open, "/metrics", metricsToken, http.StatusOK},
		{"metrics without a token", open, "/metrics", "", http.StatusUnauthorized},
		{"metrics with the admin token", open, "/metrics", adminToken, http.StatusUnauthorized},
		{"metrics with a wrong token", open, "/metrics", metricsToken + "x", http.StatusUnauthorized},
		{"metrics closed when no token is set", closed, "/metrics", adminToken, http.StatusForbidden},
		{"metrics closed, empty bearer", closed, "/metrics", "", http.StatusForbidden},
		{"API with the metrics token", open, "/api/cases", metricsToken, http.StatusUnauthorized},
		{"API with the admin token", open, "/api/cases", adminToken, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, tt.srv.URL+tt.path, nil)
			if tt.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tt.bearer)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if diff := cmp.Diff(tt.want, res.StatusCode); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}
