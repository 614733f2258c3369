package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"banchengshi/app"
	"banchengshi/configs"
	"banchengshi/pii"
)

// TestEmbeddedSandboxSignIn runs the product as a newcomer does (no WeCom
// corp configured: the sandbox is served under /sandbox by the product itself)
// and signs in as the bureau's supervisor, whom only the directory knows: the
// sandbox corp's members are the directory's.
func TestEmbeddedSandboxSignIn(t *testing.T) {
	cfg := configs.Default()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DataKey = pii.NewKey()
	cfg.Directory = filepath.Join("..", "configs", "directory.example.yaml")
	cfg.DBDriver, cfg.DBDSN = "sqlite", "file:"+filepath.Join(t.TempDir(), "bcs.db")
	if !cfg.Sandbox() {
		t.Fatal("the default config should run the sandbox")
	}
	a, err := app.New(context.Background(), cfg, app.Options{Log: slog.New(slog.DiscardHandler), WorkerInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		a.Close(ctx)
	})

	// A newcomer may open the printed 127.0.0.1 address or type localhost:
	// either way the sign-in comes back to the host whose cookie it set.
	for _, base := range []string{a.URL(), strings.Replace(a.URL(), "127.0.0.1", "localhost", 1)} {
		t.Run(base, func(t *testing.T) {
			jar, _ := cookiejar.New(nil)
			client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
			get := func(u string) (*http.Response, string) {
				t.Helper()
				res, err := client.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				body, _ := io.ReadAll(res.Body)
				return res, string(body)
			}
			// Redirects followed: overview → /web/login → the sandbox's sign-in page.
			res, page := get(base + "/web/")
			if !strings.HasPrefix(res.Request.URL.String(), a.URL()+"/sandbox/connect/oauth2/authorize?") {
				t.Fatalf("ended at %s, want the sandbox's sign-in page", res.Request.URL)
			}
			if !strings.Contains(page, `data-userid="sunqi"`) {
				t.Fatalf("sign-in page does not list the supervisor sunqi:\n%s", page)
			}
			u := *res.Request.URL
			q := u.Query()
			q.Set("userid", "sunqi")
			u.RawQuery = q.Encode()
			res, page = get(u.String())
			if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/web/" || !strings.Contains(page, "孙七") {
				t.Fatalf("after choosing sunqi: %d at %s:\n%s", res.StatusCode, res.Request.URL, page)
			}
		})
	}
}
