package app

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"banchengshi/configs"
	"banchengshi/pii"
)

// realCorp is a complete real-corp configuration on SQLite, listening on
// loopback; its WeCom is never reached in these tests.
func realCorp(t *testing.T) configs.Config {
	cfg := configs.Default()
	cfg.Mode = configs.ModeWeCom
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DataKey = pii.NewKey()
	cfg.CorpID, cfg.AgentID, cfg.Secret = "ww0123456789abcdef", 1000002, "app-secret-value"
	cfg.Token, cfg.AESKey = "callback-token", strings.Repeat("k", 43)
	cfg.WeComAPIBase = "http://127.0.0.1:1"
	cfg.Directory = filepath.Join("..", "configs", "directory.example.yaml")
	cfg.DBDriver, cfg.DBDSN = "sqlite", "file:"+filepath.Join(t.TempDir(), "bcs.db")
	return cfg
}

// New itself refuses a configuration that would run the sandbox where it
// looks like production, even when the caller skipped configs.Load.
func TestNewRefusesSandboxOnProductionConfig(t *testing.T) {
	cfg := realCorp(t)
	cfg.Mode = configs.ModeSandbox
	a, err := New(context.Background(), cfg, Options{Log: testLogger(t)})
	var serr *StartError
	if !errors.As(err, &serr) || serr.Step != StepConfig {
		t.Fatalf("New = %v, %v; want a StartError at the configuration", a, err)
	}
	if !strings.Contains(err.Error(), "BCS_MODE is sandbox but this configuration looks like production") {
		t.Errorf("error: %v", err)
	}
}

// Outside the sandbox the public URL is https, and the staff pages' cookies
// are Secure.
func TestCookiesSecureOutsideSandbox(t *testing.T) {
	cfg := realCorp(t)
	cfg.PublicURL = "https://bcs.example.gov.cn"
	a, err := New(context.Background(), cfg, Options{Log: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	t.Cleanup(func() { closeApp(t, a, "the product") })
	// Straight to the listener, as the TLS-terminating proxy does.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get("http://" + a.Addr() + "/sandbox/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("a real corp serves the sandbox: /sandbox/ answers %d", res.StatusCode)
	}
	res, err = client.Get("http://" + a.Addr() + "/web/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cookies := res.Cookies()
	if len(cookies) == 0 {
		t.Fatalf("sign-in set no cookie (status %d)", res.StatusCode)
	}
	for _, c := range cookies {
		if !c.Secure {
			t.Errorf("cookie %s is not Secure", c.Name)
		}
	}
}
