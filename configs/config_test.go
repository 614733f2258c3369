package configs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultsNeedNoSetup(t *testing.T) {
	cfg, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Sandbox() || cfg.DBDriver != "sqlite" || cfg.RedisAddr != "" {
		t.Errorf("defaults are not the embedded product: %+v", cfg)
	}
}

func TestEveryProblemReportedAtOnce(t *testing.T) {
	_, err := Load("", env(map[string]string{
		"BCS_DB_DRIVER":      "postgres",
		"BCS_WECOM_CORP_ID":  "ww123",
		"BCS_WECOM_AES_KEY":  "short",
		"BCS_WECOM_SECRET":   "s3cr3t-value",
		"BCS_ADMIN_TOKEN":    "tiny",
		"BCS_DRAFT_TTL":      "forever",
		"BCS_REDIS_DB":       "x",
		"BCS_WECOM_KF_TOKEN": "only-token",
	}))
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	msg := err.Error()
	for _, want := range []string{"BCS_DB_DRIVER", "BCS_WECOM_AGENT_ID", "BCS_WECOM_TOKEN", "BCS_WECOM_AES_KEY",
		"BCS_ADMIN_TOKEN", "BCS_DRAFT_TTL", "BCS_REDIS_DB", "BCS_WECOM_KF_TOKEN"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %s:\n%s", want, msg)
		}
	}
	for _, secret := range []string{"s3cr3t-value", "tiny", "only-token"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error leaks a secret %q", secret)
		}
	}
}

func TestMySQLNeedsDataKey(t *testing.T) {
	_, err := Load("", env(map[string]string{"BCS_DB_DRIVER": "mysql", "BCS_DB_DSN": "root@tcp(127.0.0.1:3306)/bcs"}))
	if err == nil || !strings.Contains(err.Error(), "BCS_DATA_KEY") {
		t.Fatalf("want a BCS_DATA_KEY problem, got %v", err)
	}
}

func TestFileThenEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bcs.yaml")
	if err := os.WriteFile(path, []byte("http_addr: 0.0.0.0:9000\nredis_addr: 10.0.0.1:6379\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := with(wecomEnv(), "BCS_HTTP_ADDR", "", "BCS_REDIS_ADDR", "127.0.0.1:6379")
	cfg, err := Load(path, env(e))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != "0.0.0.0:9000" || cfg.RedisAddr != "127.0.0.1:6379" {
		t.Errorf("got addr %q redis %q", cfg.HTTPAddr, cfg.RedisAddr)
	}
	if err := os.WriteFile(path, []byte("http_adr: typo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, env(nil)); err == nil || !strings.Contains(err.Error(), "http_adr") {
		t.Errorf("unknown key not reported: %v", err)
	}
}

func TestLogValueRedactsSecrets(t *testing.T) {
	cfg := Default()
	cfg.Secret = "very-secret"
	cfg.AdminToken = "admin-token-0123456789"
	got := cfg.LogValue().String()
	if strings.Contains(got, "very-secret") || strings.Contains(got, "admin-token") {
		t.Errorf("secrets in log value: %s", got)
	}
}

func TestExampleFileLoads(t *testing.T) {
	secrets := map[string]string{
		"BCS_DATA_KEY":      strings.Repeat("ab", 32),
		"BCS_WECOM_SECRET":  "secret",
		"BCS_WECOM_TOKEN":   "token",
		"BCS_WECOM_AES_KEY": strings.Repeat("a", 43),
	}
	cfg, err := Load("banchengshi.example.yaml", env(secrets))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sandbox() || cfg.DBDriver != "mysql" || cfg.AgentID != 1000002 {
		t.Errorf("example not read: %+v", cfg)
	}
}

func TestOpen311Keys(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    []string
		problem string
	}{
		{name: "empty closes POST", raw: "", want: nil},
		{name: "comma separated, spaces trimmed", raw: " key-of-12345-web-form , key-of-the-mini-program,", want: []string{"key-of-12345-web-form", "key-of-the-mini-program"}},
		{name: "too short", raw: "short", want: []string{"short"}, problem: "at least 16 characters"},
		{name: "twice", raw: "key-of-12345-web-form,key-of-12345-web-form", want: []string{"key-of-12345-web-form", "key-of-12345-web-form"}, problem: "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load("", func(k string) string {
				if k == "BCS_OPEN311_API_KEYS" {
					return tt.raw
				}
				return ""
			})
			if diff := cmp.Diff(tt.want, cfg.Open311Keys()); diff != "" {
				t.Errorf("Open311Keys (-want +got):\n%s", diff)
			}
			switch {
			case tt.problem == "" && err != nil:
				t.Errorf("Load: %v", err)
			case tt.problem != "" && (err == nil || !strings.Contains(err.Error(), tt.problem)):
				t.Errorf("Load = %v, want a problem with %q", err, tt.problem)
			}
			if strings.Contains(fmt.Sprint(cfg.LogValue()), "key-of") {
				t.Error("the keys appear in the start-up log")
			}
		})
	}
}
