package sandbox_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"banchengshi/app"
	"banchengshi/configs"
	"banchengshi/internal/browsertest"
)

// TestBrowserFreshSandboxPage is a newcomer's first screen: the product
// started as `go run ./cmd/banchengshi` starts it (embedded default, no WeCom
// corp, so the sandbox serves at /sandbox/), with no citizen yet. In a real
// browser the page draws without a warning, and the first "进入会话" brings the
// bot's welcome into the chat.
func TestBrowserFreshSandboxPage(t *testing.T) {
	exe := browsertest.Chromium(t)
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

	b := browsertest.Start(t, exe)
	warning := func() string {
		t.Helper()
		return strings.TrimSpace(browsertest.Read(b, "the warning", chromedp.Evaluate[string](
			`(() => { const w = document.getElementById("warn"); return w.hidden ? "" : w.textContent; })()`)))
	}

	// The page has polled the sandbox once in full (it marks the body), or it
	// has shown a warning: whichever comes first.
	b.Do("open the fresh sandbox",
		chromedp.Navigate(product.URL()+"/sandbox/"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-polled], #warn:not([hidden])`)),
	)
	if w := warning(); w != "" {
		t.Fatalf("the fresh sandbox page shows %q", w)
	}
	staffOptions := browsertest.Read(b, "the staff list", chromedp.Evaluate[int](`document.querySelectorAll("#staff option").length`))
	if staffOptions == 0 {
		t.Error("the staff list of the fresh page is empty")
	}

	// The newcomer's first move: enter the chat and get the bot's welcome.
	b.Do("enter the chat",
		chromedp.Click(chromedp.ID("enter")),
		chromedp.WaitVisible(chromedp.CSS(`#chat .line.bot`)),
	)
	if w := warning(); w != "" {
		t.Errorf("after entering the chat the page shows %q", w)
	}
	b.Screenshot("sandbox-fresh.png")
}
