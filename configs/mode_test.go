package configs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wecomEnv is a complete real-corp configuration on MySQL and Redis, as a
// bureau deploys it.
func wecomEnv() map[string]string {
	return map[string]string{
		"BCS_HTTP_ADDR":      "0.0.0.0:8080",
		"BCS_PUBLIC_URL":     "https://bcs.example.gov.cn",
		"BCS_DB_DRIVER":      "mysql",
		"BCS_DB_DSN":         "bcs:pw@tcp(10.0.0.5:3306)/banchengshi",
		"BCS_DATA_KEY":       strings.Repeat("ab", 32),
		"BCS_REDIS_ADDR":     "10.0.0.6:6379",
		"BCS_WECOM_CORP_ID":  "ww0123456789abcdef",
		"BCS_WECOM_AGENT_ID": "1000002",
		"BCS_WECOM_SECRET":   "app-secret-value",
		"BCS_WECOM_TOKEN":    "callback-token",
		"BCS_WECOM_AES_KEY":  strings.Repeat("k", 43),
	}
}

// with returns a copy of m with changes applied; an empty value removes a key.
func with(m map[string]string, changes ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(changes); i += 2 {
		if changes[i+1] == "" {
			delete(out, changes[i])
		} else {
			out[changes[i]] = changes[i+1]
		}
	}
	return out
}

func TestModes(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		sandbox bool
		// refused lists what the one refusal must name; nil means accepted.
		refused []string
	}{
		{name: "nothing set: the newcomer's sandbox", env: nil, sandbox: true},
		{name: "sandbox asked for on loopback", env: map[string]string{"BCS_MODE": "sandbox", "BCS_HTTP_ADDR": "localhost:9000"}, sandbox: true},
		{name: "sandbox on IPv6 loopback", env: map[string]string{"BCS_HTTP_ADDR": "[::1]:8080"}, sandbox: true},
		{name: "complete production", env: wecomEnv()},
		{name: "complete production on SQLite without Redis", env: with(wecomEnv(),
			"BCS_DB_DRIVER", "sqlite", "BCS_DB_DSN", "file:/var/lib/bcs/bcs.db", "BCS_REDIS_ADDR", "")},
		{
			// The case: corp id misspelt, so it is missing.
			name:    "production without a corp id",
			env:     with(wecomEnv(), "BCS_WECOM_CORP_ID", ""),
			refused: []string{"BCS_WECOM_CORP_ID is empty", "BCS_DB_DRIVER is mysql", "BCS_HTTP_ADDR 0.0.0.0:8080 is reachable"},
		},
		{
			name:    "only a secret on loopback SQLite",
			env:     map[string]string{"BCS_WECOM_SECRET": "app-secret-value"},
			refused: []string{"BCS_WECOM_SECRET is set", "BCS_WECOM_CORP_ID is empty", "BCS_WECOM_AGENT_ID", "BCS_WECOM_TOKEN is empty", "BCS_WECOM_AES_KEY"},
		},
		{
			name:    "listening on every interface",
			env:     map[string]string{"BCS_HTTP_ADDR": ":8080"},
			refused: []string{"BCS_HTTP_ADDR :8080 is reachable from other machines", "BCS_WECOM_CORP_ID is empty", "BCS_PUBLIC_URL must be the https address"},
		},
		{
			name:    "redis alone",
			env:     map[string]string{"BCS_REDIS_ADDR": "127.0.0.1:6379"},
			refused: []string{"BCS_REDIS_ADDR is set", "BCS_WECOM_CORP_ID is empty"},
		},
		{
			name:    "a public address",
			env:     map[string]string{"BCS_PUBLIC_URL": "https://bcs.example.gov.cn"},
			refused: []string{"BCS_PUBLIC_URL is not on this machine", "BCS_WECOM_CORP_ID is empty"},
		},
		{
			name:    "sandbox asked for with MySQL",
			env:     with(wecomEnv(), "BCS_MODE", "sandbox"),
			sandbox: true,
			refused: []string{"BCS_MODE is sandbox but this configuration looks like production", "BCS_DB_DRIVER is mysql", "BCS_REDIS_ADDR is set", "BCS_WECOM_SECRET"},
		},
		{
			name:    "sandbox asked for on 0.0.0.0",
			env:     map[string]string{"BCS_MODE": "sandbox", "BCS_HTTP_ADDR": "0.0.0.0:8080"},
			sandbox: true,
			refused: []string{"BCS_MODE is sandbox but", "BCS_HTTP_ADDR 0.0.0.0:8080"},
		},
		{
			name:    "wecom asked for with nothing else",
			env:     map[string]string{"BCS_MODE": "wecom"},
			refused: []string{"because BCS_MODE is wecom", "BCS_WECOM_CORP_ID is empty", "BCS_WECOM_SECRET is empty"},
		},
		{
			name:    "an unknown mode",
			env:     map[string]string{"BCS_MODE": "demo"},
			refused: []string{`BCS_MODE must be sandbox or wecom (or unset), not "demo"`},
		},
		{
			name:    "production over plain http",
			env:     with(wecomEnv(), "BCS_PUBLIC_URL", "http://bcs.example.gov.cn"),
			refused: []string{"BCS_PUBLIC_URL must be the https address"},
		},
		{
			name:    "production with no public URL",
			env:     with(wecomEnv(), "BCS_PUBLIC_URL", ""),
			refused: []string{"BCS_PUBLIC_URL must be the https address"},
		},
		{
			name:    "http on loopback while listening everywhere",
			env:     with(wecomEnv(), "BCS_PUBLIC_URL", "http://127.0.0.1:8080"),
			refused: []string{"BCS_PUBLIC_URL must be the https address"},
		},
		{
			// A rehearsal against a sandbox WeCom, as the product's own tests run.
			name: "real-corp mode on loopback only",
			env: with(wecomEnv(), "BCS_HTTP_ADDR", "127.0.0.1:0", "BCS_PUBLIC_URL", "",
				"BCS_DB_DRIVER", "sqlite", "BCS_DB_DSN", "file:bcs.db", "BCS_REDIS_ADDR", "",
				"BCS_WECOM_API_BASE", "http://127.0.0.1:9999"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load("", env(tt.env))
			if got := cfg.Sandbox(); got != tt.sandbox {
				t.Errorf("Sandbox() = %v, want %v", got, tt.sandbox)
			}
			if tt.refused == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("refusal is not one line:\n%s", msg)
			}
			for _, want := range tt.refused {
				if !strings.Contains(msg, want) {
					t.Errorf("refusal does not say %q:\n%s", want, msg)
				}
			}
			if strings.Contains(msg, "app-secret-value") {
				t.Errorf("refusal leaks the secret:\n%s", msg)
			}
		})
	}
}

// Whatever the mode, all that WeCom lacks is named in one problem.
func TestMissingWeComIsOneProblem(t *testing.T) {
	_, err := Load("", env(with(wecomEnv(), "BCS_WECOM_CORP_ID", "", "BCS_WECOM_TOKEN", "")))
	var cerr *Error
	if !asError(err, &cerr) {
		t.Fatalf("err = %v, want *Error", err)
	}
	if diff := cmp.Diff(1, len(cerr.Problems)); diff != "" {
		t.Fatalf("problems (-want +got):\n%s\n%q", diff, cerr.Problems)
	}
	for _, want := range []string{"BCS_WECOM_CORP_ID is empty", "BCS_WECOM_TOKEN is empty"} {
		if !strings.Contains(cerr.Problems[0], want) {
			t.Errorf("problem lacks %q: %s", want, cerr.Problems[0])
		}
	}
}

func TestMetricsToken(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		wants string // "" means accepted
	}{
		{"unset closes /metrics", wecomEnv(), ""},
		{"its own token", with(wecomEnv(), "BCS_ADMIN_TOKEN", "admin-0123456789abcdef", "BCS_METRICS_TOKEN", "scrape-0123456789abcdef"), ""},
		{"too short", with(wecomEnv(), "BCS_METRICS_TOKEN", "short"), "BCS_METRICS_TOKEN must be at least 16 characters"},
		{"the admin token again", with(wecomEnv(), "BCS_ADMIN_TOKEN", "same-0123456789abcdef", "BCS_METRICS_TOKEN", "same-0123456789abcdef"),
			"BCS_METRICS_TOKEN must differ from BCS_ADMIN_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("", env(tt.env))
			switch {
			case tt.wants == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wants != "" && (err == nil || !strings.Contains(err.Error(), tt.wants)):
				t.Fatalf("err = %v, want %q", err, tt.wants)
			}
			if err != nil && strings.Contains(err.Error(), "0123456789abcdef") {
				t.Errorf("refusal leaks a token: %v", err)
			}
		})
	}
}
