package sandbox_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"banchengshi/app"
	"banchengshi/configs"
)

// TestBrowserFreshSandboxPage is a newcomer's first screen: the product
// started as `go run ./cmd/banchengshi` starts it (embedded default, no WeCom
// corp, so the sandbox serves at /sandbox/), with no citizen yet. In a real
// browser the page draws without a warning, and the first "进入会话" brings the
// bot's welcome into the chat.
func TestBrowserFreshSandboxPage(t *testing.T) {
	exe := chromium(t)
	dir := t.TempDir()
	cfg := configs.Default()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DBDSN = "file:" + filepath.Join(dir, "bcs.db")
	cfg.DataKeyFile = filepath.Join(dir, "data.key")
	cfg.Directory = filepath.Join("..", "configs", "directory.example.yaml")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if !cfg.Sandbox() {
		t.Fatal("the default configuration does not run the sandbox")
	}
	product, err := app.New(context.Background(), cfg, app.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		WorkerInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	product.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		product.Close(ctx)
	})
	if n := len(product.Sandbox().Citizens()); n != 0 {
		t.Fatalf("a fresh sandbox has %d citizens", n)
	}

	bctx := startBrowser(t, exe)
	warning := func() string {
		t.Helper()
		text, err := chromedp.Run(bctx, chromedp.Evaluate[string](`(() => { const w = document.getElementById("warn"); return w.hidden ? "" : w.textContent; })()`))
		if err != nil {
			t.Fatalf("browser: read the warning: %v", err)
		}
		return strings.TrimSpace(text)
	}

	// The page has polled the sandbox once in full (it marks the body), or it
	// has shown a warning: whichever comes first.
	if err := chromedp.Do(bctx,
		chromedp.Navigate(product.URL()+"/sandbox/"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-polled], #warn:not([hidden])`)),
	); err != nil {
		t.Fatalf("browser: open the fresh sandbox: %v", err)
	}
	if w := warning(); w != "" {
		t.Fatalf("the fresh sandbox page shows %q", w)
	}
	staffOptions, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#staff option").length`))
	if err != nil {
		t.Fatal(err)
	}
	if staffOptions == 0 {
		t.Error("the staff list of the fresh page is empty")
	}

	// The newcomer's first move: enter the chat and get the bot's welcome.
	if err := chromedp.Do(bctx,
		chromedp.Click(chromedp.ID("enter")),
		chromedp.WaitVisible(chromedp.CSS(`#chat .line.bot`)),
	); err != nil {
		t.Fatalf("browser: enter the chat: %v", err)
	}
	if w := warning(); w != "" {
		t.Errorf("after entering the chat the page shows %q", w)
	}
	if shot, err := chromedp.Run(bctx, chromedp.CaptureScreenshot()); err == nil {
		saveArtifact(t, "sandbox-fresh.png", shot)
	}
}

// chromium finds the distribution's Chromium (installed by .ci/run), or skips
// the test; under CI=true a missing browser is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (CI=true): .ci/run installs the distribution's package")
	}
	t.Skip("chromium is not installed; skipping the browser test (apt-get install chromium, or set CI=true to make this a failure)")
	return ""
}

func startBrowser(t *testing.T, exe string) context.Context {
	t.Helper()
	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	)
	t.Cleanup(cancel)
	bctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	bctx, cancel = context.WithTimeout(bctx, 45*time.Second)
	t.Cleanup(cancel)
	return bctx
}

// saveArtifact writes a test artifact under artifacts/ at the repository root.
func saveArtifact(t *testing.T, name string, data []byte) {
	t.Helper()
	dir := filepath.Join("..", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("create artifacts folder: %v", err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Errorf("save %s: %v", name, err)
		return
	}
	t.Logf("saved artifacts/%s", name)
}
