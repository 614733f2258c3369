// Package browsertest drives the product's pages in a real headless Chromium
// for tests: it finds the browser (or skips the test where there is none),
// starts it for one test, runs a test's steps and reads, keeping what the page
// wrote to the console for the failure message, and saves screenshots under
// artifacts/ at the repository root for a person to look at.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// timeout bounds one test's whole session in the browser, so that a page that
// never shows what a step waits for fails the test instead of hanging it.
const timeout = 45 * time.Second

// Chromium finds the distribution's Chromium (installed by .ci/run), or skips
// t; under CI=true a missing browser is a failure. Call it first, before the
// test builds anything the browser would look at.
func Chromium(t testing.TB) string {
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

// Browser is one headless Chromium driven by one test.
type Browser struct {
	t       testing.TB
	ctx     context.Context
	console func() string
}

// Start starts the Chromium at exe for t. The browser ends with the test, or
// after 45 seconds.
func Start(t testing.TB, exe string) *Browser {
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
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, timeout)
	t.Cleanup(cancel)
	return &Browser{t: t, ctx: ctx, console: collectConsole(ctx)}
}

// Do runs one step of the test's story, or stops the test saying which step
// failed and what the page wrote to the console.
func (b *Browser) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %s: %v%s", what, err, b.consoleNote())
	}
}

// Read runs a on the page and returns what it read, or stops the test saying
// what could not be read. (A function, not a method: methods take no type
// parameters.)
func Read[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("browser: read %s: %v%s", what, err, b.consoleNote())
	}
	return v
}

// Screenshot saves what the window shows as artifacts/<name>.
func (b *Browser) Screenshot(name string) {
	b.t.Helper()
	b.save(name, chromedp.CaptureScreenshot())
}

// FullScreenshot saves the whole page, beyond the window, as artifacts/<name>.
func (b *Browser) FullScreenshot(name string) {
	b.t.Helper()
	b.save(name, chromedp.FullScreenshot(100))
}

// save takes a screenshot and writes it as an artifact. A screenshot is for a
// person to look at, not something the test checks: failing to take or keep
// one marks the test failed but lets it go on to what it does check.
func (b *Browser) save(name string, shot chromedp.Action[[]byte]) {
	b.t.Helper()
	data, err := chromedp.Run(b.ctx, shot)
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	dir, err := artifactsDir()
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	if err != nil {
		b.t.Errorf("save %s: %v", name, err)
		return
	}
	b.t.Logf("saved artifacts/%s", name)
}

// artifactsDir is artifacts/ at the root of the module the test runs in (go
// test runs a test in its package's folder, at whatever depth that is).
func artifactsDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the artifacts folder: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "artifacts"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find the artifacts folder: no go.mod above the test's folder")
		}
		dir = parent
	}
}

// consoleNote is what the page has written to the console so far, as the
// tail of a failure message.
func (b *Browser) consoleNote() string {
	lines := b.console()
	if lines == "" {
		return ""
	}
	return "\nconsole:\n" + lines
}

// collectConsole keeps what the page writes to the console (errors such as a
// refused Content-Security-Policy included) for the test's failure messages.
func collectConsole(ctx context.Context) func() string {
	var mu sync.Mutex
	var lines []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			line := m.String()
			if m.URL != "" {
				line += " (" + m.URL + ")"
			}
			mu.Lock()
			lines = append(lines, line)
			mu.Unlock()
		}
	}()
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(lines, "\n")
	}
}
