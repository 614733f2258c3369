package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"banchengshi/app"
	"banchengshi/cases"
	"banchengshi/configs"
	"banchengshi/internal/browsertest"
	"banchengshi/pii"
	"banchengshi/sandbox"
)

// TestBrowserResolveRedCase is a staff member's morning in a real browser: sign
// in through the (sandbox) WeCom sign-in page, see the overdue case on the
// overview, open it, resolve it with the form, and see the overview change.
func TestBrowserResolveRedCase(t *testing.T) {
	exe := browsertest.Chromium(t)
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

	b := browsertest.Start(t, exe)
	text := func(id string) string {
		t.Helper()
		return strings.TrimSpace(browsertest.Read(b, "#"+id, chromedp.Text(chromedp.ID(id))))
	}

	// Not signed in: the overview sends the browser to WeCom's sign-in.
	b.Do("sign in", signInSteps(product.URL(), "wangwu")...)
	redBefore, overdue := text("count-red"), text("overdue")
	b.Screenshot("overview.png")
	b.Do("open the case",
		chromedp.Click(chromedp.CSS(`#overdue a[href="/web/cases/`+red.Number+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-verb="办结"] textarea`)),
	)
	b.FullScreenshot("case.png")
	b.Do("resolve the case",
		chromedp.SendKeys(chromedp.CSS(`form[data-verb="办结"] textarea`), "您的养老保险关系已转入，可到社保中心查询。"),
		chromedp.Click(chromedp.CSS(`form[data-verb="办结"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	status := text("case-status")
	b.Do("back to the overview",
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
