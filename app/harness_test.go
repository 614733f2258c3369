package app

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"banchengshi/configs"
	"banchengshi/pii"
	"banchengshi/sandbox"
	"banchengshi/staff"
	"banchengshi/storage/storagetest"
)

// product is the whole product running on :0 against a sandbox WeCom served
// by its own HTTP server, as a real deployment runs against WeCom.
type product struct {
	t   *testing.T
	app *App
	sb  *sandbox.Sandbox
	cfg configs.Config
	opt Options
}

type backend string

const (
	onSQLite     backend = "sqlite"
	onMySQL      backend = "mysql"
	onMySQLRedis backend = "mysql+redis" // production's shape
)

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("BCS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startProduct runs the product on the given backend with a fresh database.
func startProduct(t *testing.T, b backend) *product {
	return startProductWith(t, b, Options{WorkerInterval: 50 * time.Millisecond})
}

// startProductWith runs the product with opt against a sandbox WeCom on the
// same clock (opt.Now, or the real one).
func startProductWith(t *testing.T, b backend, opt Options) *product {
	t.Helper()
	dir, err := staff.LoadDirectory(filepath.Join("..", "configs", "directory.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var members []sandbox.Member
	for _, m := range dir.Members() {
		members = append(members, sandbox.Member{UserID: m.ID, Name: m.Name})
	}
	opt.Log = testLogger(t)
	sb, err := sandbox.New(sandbox.Config{Log: opt.Log, Now: opt.Now, Staff: members})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { sb.Close(); srv.Close() })

	sc := sb.Config()
	cfg := configs.Default()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DataKey = pii.NewKey()
	cfg.AdminToken = "test-admin-" + pii.NewKey()[:16]
	cfg.MetricsToken = "test-metrics-" + pii.NewKey()[:16]
	cfg.CorpID, cfg.AgentID, cfg.Secret = sc.CorpID, sc.AgentID, sc.Secret
	cfg.Token, cfg.AESKey = sc.Token, sc.EncodingAESKey
	cfg.WeComAPIBase, cfg.SignInBase = srv.URL, srv.URL
	cfg.Directory = filepath.Join("..", "configs", "directory.example.yaml")
	switch b {
	case onSQLite:
		cfg.DBDriver, cfg.DBDSN = "sqlite", "file:"+filepath.Join(t.TempDir(), "bcs.db")
	case onMySQL:
		cfg.DBDriver, cfg.DBDSN = "mysql", storagetest.MySQLDSN(t)
	case onMySQLRedis:
		cfg.DBDriver, cfg.DBDSN = "mysql", storagetest.MySQLDSN(t)
		r := storagetest.Redis(t) // a fresh key prefix, removed after the test
		cfg.RedisAddr, cfg.RedisPrefix = r.Client().Options().Addr, r.Prefix()
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p := &product{t: t, sb: sb, cfg: cfg, opt: opt}
	p.start()
	t.Cleanup(p.stop)
	return p
}

// start runs the product on p.cfg and points the sandbox's callbacks at it.
func (p *product) start() {
	p.t.Helper()
	a, err := New(context.Background(), p.cfg, p.opt)
	if err != nil {
		p.t.Fatal(err)
	}
	a.Start()
	p.app = a
	p.sb.SetCallbackURL(a.URL() + "/wecom/callback")
}

// stop shuts the product down as a deploy would; the database stays.
func (p *product) stop() {
	if p.app == nil {
		return
	}
	closeApp(p.t, p.app, "the product")
	p.app = nil
}

// shutdownDeadline is how long a product under test is given to shut down:
// generous, because on a loaded machine a request in flight may take seconds
// to finish, and only a shutdown that never ends is a fault.
const shutdownDeadline = 30 * time.Second

// closeApp shuts a down within shutdownDeadline; what names it in a failure.
func closeApp(t *testing.T, a *App, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), shutdownDeadline)
	defer cancel()
	if err := a.Close(ctx); err != nil {
		t.Errorf("close %s: %v", what, err)
	}
}

// botLines is what the product has said to the citizen so far.
func (p *product) botLines(user string) []sandbox.ChatLine {
	var out []sandbox.ChatLine
	for _, l := range p.sb.Chat(user) {
		if l.From == "bot" && l.ErrCode == 0 {
			out = append(out, l)
		}
	}
	return out
}

// say sends a citizen line and waits for the product's next answer.
func (p *product) say(user, text string) sandbox.ChatLine {
	p.t.Helper()
	before := len(p.botLines(user))
	if _, err := p.sb.CitizenSays(context.Background(), user, text); err != nil {
		p.t.Fatalf("citizen says %q: %v", text, err)
	}
	return p.waitReply(user, before)
}

func (p *product) waitReply(user string, before int) sandbox.ChatLine {
	p.t.Helper()
	if !waitUntil(func() bool { return len(p.botLines(user)) > before }) {
		p.t.Fatalf("no answer from the product; chat so far:\n%s\ncounted:\n%s", chatText(p.sb.Chat(user)), p.counted())
	}
	lines := p.botLines(user)
	return lines[len(lines)-1]
}

func chatText(lines []sandbox.ChatLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.From + ": " + l.Text)
		for _, m := range l.Menu {
			b.WriteString(" [" + m.Content + "]")
		}
		if l.ErrCode != 0 {
			b.WriteString(" (errcode " + strconv.Itoa(l.ErrCode) + ")")
		}
		b.WriteString("\n")
	}
	return b.String()
}
