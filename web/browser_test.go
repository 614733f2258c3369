package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"banchengshi/app"
	"banchengshi/cases"
	"banchengshi/configs"
	"banchengshi/pii"
	"banchengshi/sandbox"
)

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

// TestBrowserResolveRedCase is a staff member's morning in a real browser: sign
// in through the (sandbox) WeCom sign-in page, see the overdue case on the
// overview, open it, resolve it with the form, and see the overview change.
func TestBrowserResolveRedCase(t *testing.T) {
	exe := chromium(t)
	product := startProduct(t)
	ctx := context.Background()

	// A case of 社保中心 that is two days overdue.
	now := time.Now()
	red := &cases.Case{Number: "BC2611200042", OpenKfID: "wkSANDBOX001", ReporterID: "wmBrowser", ReporterName: "李阿姨",
		Affected: cases.Person{Name: "王大爷", IDNumber: "11010519610715123X", Phone: "13812345678"},
		Category: "transfer", LeadDept: "shebao", Status: cases.StatusAssigned, Description: "外省转入的养老保险关系查不到",
		Deadline: now.Add(-48 * time.Hour), LimitDays: 10, Light: cases.LightRed, CreatedAt: now.Add(-16 * 24 * time.Hour)}
	if err := product.Repo().CreateCase(ctx, red); err != nil {
		t.Fatal(err)
	}

	bctx := startBrowser(t, exe)
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browserStep(t, bctx, what, steps...)
	}
	text := func(id string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("browser: read #%s: %v", id, err)
		}
		return strings.TrimSpace(s)
	}

	// Not signed in: the overview sends the browser to WeCom's sign-in.
	step("sign in", signInSteps(product.URL(), "wangwu")...)
	redBefore, overdue := text("count-red"), text("overdue")
	if shot, err := chromedp.Run(bctx, chromedp.CaptureScreenshot()); err != nil {
		t.Errorf("screenshot: %v", err)
	} else {
		saveArtifact(t, "overview.png", shot)
	}
	step("open the case",
		chromedp.Click(chromedp.CSS(`#overdue a[href="/web/cases/`+red.Number+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-verb="办结"] textarea`)),
	)
	if shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)); err == nil {
		saveArtifact(t, "case.png", shot)
	}
	step("resolve the case",
		chromedp.SendKeys(chromedp.CSS(`form[data-verb="办结"] textarea`), "您的养老保险关系已转入，可到社保中心查询。"),
		chromedp.Click(chromedp.CSS(`form[data-verb="办结"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	status := text("case-status")
	step("back to the overview",
		chromedp.Navigate(product.URL()+"/web/"),
		chromedp.WaitVisible(chromedp.ID("no-overdue")),
	)
	redAfter := text("count-red")
	if redBefore != "1" || !strings.Contains(overdue, red.Number) {
		t.Errorf("overview before: red %q, overdue list %q; want 1 and the case", redBefore, overdue)
	}
	if status != "已办结" {
		t.Errorf("case status after the form: %q, want 已办结", status)
	}
	if redAfter != "0" {
		t.Errorf("red count after resolving: %q, want 0", redAfter)
	}
	c, err := product.Repo().GetCase(ctx, red.Number)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != cases.StatusResolved || c.Resolution == "" {
		t.Errorf("stored case: status %s, resolution %q", c.Status, c.Resolution)
	}
}

// startBrowser starts a headless Chromium for the test and returns its
// context, which ends with the test or after 45 seconds.
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

// browserStep runs one step of the story in the browser, or stops the test.
func browserStep(t *testing.T, bctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(bctx, steps...); err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
}

// signInSteps sign in as userID through the sandbox's WeCom sign-in page,
// which the overview sends a browser without a session to.
func signInSteps(base, userID string) []chromedp.Action[chromedp.Void] {
	member := chromedp.CSS(`a[data-userid="` + userID + `"]`)
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/web/"),
		chromedp.WaitVisible(member),
		chromedp.Click(member),
		chromedp.WaitVisible(chromedp.ID("count-red")),
	}
}

// startProduct runs the whole product on :0 with SQLite against a sandbox
// WeCom served by its own server, sign-in included (as app/harness_test.go).
func startProduct(t *testing.T) *app.App {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("BCS_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	sb, err := sandbox.New(sandbox.Config{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { sb.Close(); srv.Close() })

	sc := sb.Config()
	cfg := configs.Default()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DataKey = pii.NewKey()
	cfg.CorpID, cfg.AgentID, cfg.Secret = sc.CorpID, sc.AgentID, sc.Secret
	cfg.Token, cfg.AESKey = sc.Token, sc.EncodingAESKey
	cfg.WeComAPIBase, cfg.SignInBase = srv.URL, srv.URL
	cfg.Directory = filepath.Join("..", "configs", "directory.example.yaml")
	cfg.DBDriver, cfg.DBDSN = "sqlite", "file:"+filepath.Join(t.TempDir(), "bcs.db")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, app.Options{Log: log, WorkerInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		a.Close(ctx)
	})
	sb.SetCallbackURL(a.URL() + "/wecom/callback")
	return a
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
