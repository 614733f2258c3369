package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"banchengshi/app"
	"banchengshi/pii"
	"banchengshi/storage/storagetest"
)

// TestMain lets a test run the real main in a child process (BCS_TEST_MAIN=1)
// to see its exit status and output.
func TestMain(m *testing.M) {
	if os.Getenv("BCS_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// syncBuffer is stderr for a product running in another goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newcomer is the environment of someone who just cloned the repository:
// nothing set but where the embedded database lives (a temporary folder
// here) and a free port. Tests run from the repository root, as `go run
// ./cmd/banchengshi` does, so the default directory file is found.
func newcomer(t *testing.T) []string {
	t.Helper()
	t.Chdir(filepath.Join("..", ".."))
	dir := t.TempDir()
	return []string{
		"HOME=" + dir,
		"BCS_HTTP_ADDR=127.0.0.1:0",
		"BCS_DB_DSN=file:" + filepath.Join(dir, "bcs.db"),
		"BCS_DATA_KEY_FILE=" + filepath.Join(dir, "data.key"),
	}
}

// rehearsal is a complete real-corp configuration that still listens on
// loopback only, so that each test can break one part of it.
func rehearsal(t *testing.T) []string {
	return append(newcomer(t),
		"BCS_WECOM_CORP_ID=ww0123456789abcdef",
		"BCS_WECOM_AGENT_ID=1000002",
		"BCS_WECOM_SECRET=app-secret-value",
		"BCS_WECOM_TOKEN=callback-token",
		"BCS_WECOM_AES_KEY="+strings.Repeat("k", 43),
		"BCS_WECOM_API_BASE=http://127.0.0.1:1",
		"BCS_DATA_KEY="+pii.NewKey(),
	)
}

var servingURL = regexp.MustCompile(`msg=serving url=(\S+)`)

// started is a product that run is serving in the background.
type started struct {
	base   string      // where it serves
	stderr *syncBuffer // its log and banner
	stop   func() error
}

// start runs the product on env until the test stops it, and waits (bounded)
// until it serves.
func start(t *testing.T, env []string) started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env, stderr) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	for i := 0; ; i++ {
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("run returned before serving: %v\n%s", err, stderr.String())
		default:
		}
		if m := servingURL.FindStringSubmatch(stderr.String()); m != nil {
			return started{base: m[1], stderr: stderr, stop: stop}
		}
		if i == 3000 {
			t.Fatalf("never served:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// A newcomer's `go run ./cmd/banchengshi` starts the sandbox; cancelling
// (Ctrl-C) stops it cleanly.
func TestNewcomerGetsTheSandbox(t *testing.T) {
	p := start(t, newcomer(t))
	for _, path := range []string{"/healthz", "/sandbox/"} {
		if code := getStatus(t, p.base+path); code != http.StatusOK {
			t.Errorf("GET %s: %d", path, code)
		}
	}
	if !strings.Contains(p.stderr.String(), "running with the local WeCom sandbox") {
		t.Errorf("no sandbox banner:\n%s", p.stderr.String())
	}
	if err := p.stop(); err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

// A real-corp start does not serve the sandbox.
func TestRehearsalServesNoSandbox(t *testing.T) {
	p := start(t, rehearsal(t))
	if code := getStatus(t, p.base+"/sandbox/"); code != http.StatusNotFound {
		t.Errorf("GET /sandbox/ with a real corp: %d, want 404", code)
	}
	if err := p.stop(); err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

// set returns env with KEY=value entries replaced or added; "KEY=" removes KEY.
func set(env []string, kvs ...string) []string {
	out := append([]string(nil), env...)
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		out = slicesDeleteKey(out, k)
		if v != "" {
			out = append(out, kv)
		}
	}
	return out
}

func slicesDeleteKey(env []string, key string) []string {
	var out []string
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return out
}

// Every refused start returns one line that says what failed and what to
// do, and serves nothing.
func TestRefusedStarts(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	badHolidays := filepath.Join(t.TempDir(), "holidays.yaml")
	if err := os.WriteFile(badHolidays, []byte("years: [this is not a calendar\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		env  func(t *testing.T) []string
		step app.Step // "" when refused before start-up (configuration)
		want []string
	}{
		{
			// The case: production-looking, corp id misspelt.
			name: "production-like with a misspelt corp id",
			env: func(t *testing.T) []string {
				return set(newcomer(t), "BCS_HTTP_ADDR=0.0.0.0:0", "BCS_PUBLIC_URL=https://bcs.example.gov.cn",
					"BCS_DB_DRIVER=mysql", "BCS_DB_DSN=bcs:pw@tcp(127.0.0.1:1)/bcs", "BCS_DATA_KEY="+pii.NewKey(),
					"BCS_WECOM_CORPID=ww0123456789abcdef", "BCS_WECOM_AGENT_ID=1000002", "BCS_WECOM_SECRET=app-secret-value",
					"BCS_WECOM_TOKEN=callback-token", "BCS_WECOM_AES_KEY="+strings.Repeat("k", 43))
			},
			want: []string{"configuration refused", "unknown setting BCS_WECOM_CORPID (did you mean BCS_WECOM_CORP_ID?)",
				"BCS_WECOM_CORP_ID is empty", "BCS_DB_DRIVER is mysql"},
		},
		{
			name: "sandbox asked for beside Redis",
			env: func(t *testing.T) []string {
				return set(newcomer(t), "BCS_MODE=sandbox", "BCS_REDIS_ADDR=127.0.0.1:6379")
			},
			want: []string{"BCS_MODE is sandbox but this configuration looks like production", "BCS_REDIS_ADDR is set"},
		},
		{
			name: "real corp over plain http",
			env: func(t *testing.T) []string {
				return set(rehearsal(t), "BCS_HTTP_ADDR=0.0.0.0:0", "BCS_PUBLIC_URL=http://bcs.example.gov.cn")
			},
			want: []string{"BCS_PUBLIC_URL must be the https address"},
		},
		{
			name: "bad value",
			env:  func(t *testing.T) []string { return set(newcomer(t), "BCS_DRAFT_TTL=forever") },
			want: []string{"BCS_DRAFT_TTL \"forever\" is not a duration"},
		},
		{
			name: "unknown flag",
			args: []string{"-confg", "x.yaml"},
			env:  newcomer,
			want: []string{"command line", "-confg", "run with -h"},
		},
		{
			name: "config file missing",
			args: []string{"-config", "/nonexistent/bcs.yaml"},
			env:  newcomer,
			want: []string{"read config file", "check the -config flag or BCS_CONFIG"},
		},
		{
			name: "database down",
			env: func(t *testing.T) []string {
				return set(rehearsal(t), "BCS_DB_DRIVER=mysql", "BCS_DB_DSN=bcs:pw@tcp(127.0.0.1:1)/bcs")
			},
			step: app.StepDatabase,
			want: []string{"cannot start: database:", "connection refused", "check BCS_DB_DRIVER and BCS_DB_DSN"},
		},
		{
			name: "redis down",
			env: func(t *testing.T) []string {
				return set(rehearsal(t), "BCS_REDIS_ADDR=127.0.0.1:1")
			},
			step: app.StepRedis,
			want: []string{"cannot start: redis:", "connection refused", "check BCS_REDIS_ADDR"},
		},
		{
			name: "directory file missing",
			env: func(t *testing.T) []string {
				return set(newcomer(t), "BCS_DIRECTORY=/nonexistent/directory.yaml")
			},
			step: app.StepDirectory,
			want: []string{"cannot start: staff directory:", "/nonexistent/directory.yaml", "check that BCS_DIRECTORY"},
		},
		{
			name: "bad holidays file",
			env: func(t *testing.T) []string {
				return set(newcomer(t), "BCS_HOLIDAYS="+badHolidays)
			},
			step: app.StepHolidays,
			want: []string{"cannot start: holidays:", "check that BCS_HOLIDAYS"},
		},
		{
			name: "listen address taken",
			env: func(t *testing.T) []string {
				return set(newcomer(t), "BCS_HTTP_ADDR="+busy.Addr().String())
			},
			step: app.StepListen,
			want: []string{"cannot start: listen:", "address already in use", "set BCS_HTTP_ADDR to a free host:port"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var stderr syncBuffer
			err := run(ctx, tt.args, tt.env(t), &stderr)
			if err == nil {
				t.Fatal("started")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("not one line:\n%s", msg)
			}
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
			for _, secret := range []string{"app-secret-value", "callback-token", "pw@"} {
				if strings.Contains(msg, secret) || strings.Contains(stderr.String(), secret) {
					t.Errorf("output leaks %q:\n%s\n%s", secret, msg, stderr.String())
				}
			}
			var serr *app.StartError
			switch {
			case tt.step == "" && errors.As(err, &serr):
				t.Errorf("refused at start-up step %q, want before it", serr.Step)
			case tt.step != "" && (!errors.As(err, &serr) || serr.Step != tt.step):
				t.Errorf("err = %#v, want a StartError at %q", err, tt.step)
			}
			if strings.Contains(stderr.String(), "sandbox") && strings.Contains(stderr.String(), "running with") {
				t.Errorf("a refused start served the sandbox:\n%s", stderr.String())
			}
		})
	}
}

// MySQL without Redis starts, with its locks and rate limits in MySQL.
func TestMySQLWithoutRedisStarts(t *testing.T) {
	p := start(t, set(rehearsal(t), "BCS_DB_DRIVER=mysql", "BCS_DB_DSN="+storagetest.MySQLDSN(t)))
	if !strings.Contains(p.stderr.String(), "locks and rate limits are kept in MySQL") {
		t.Errorf("start-up does not say where locks are kept:\n%s", p.stderr.String())
	}
	if err := p.stop(); err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

// The real binary exits with status 1 and one line on a failed start, never a
// panic and its goroutine dump.
func TestFailedStartExitsNonZero(t *testing.T) {
	tests := []struct {
		name string
		env  func(t *testing.T) []string
		want string
	}{
		{"misspelt corp id", func(t *testing.T) []string {
			return set(newcomer(t), "BCS_HTTP_ADDR=0.0.0.0:0", "BCS_DB_DRIVER=mysql", "BCS_DB_DSN=bcs@tcp(127.0.0.1:1)/bcs",
				"BCS_DATA_KEY="+pii.NewKey(), "BCS_WECOM_CORPID=ww0123456789abcdef")
		}, "did you mean BCS_WECOM_CORP_ID"},
		{"database down", func(t *testing.T) []string {
			return set(rehearsal(t), "BCS_DB_DRIVER=mysql", "BCS_DB_DSN=bcs@tcp(127.0.0.1:1)/bcs")
		}, "cannot start: database:"},
		{"directory missing", func(t *testing.T) []string {
			return set(newcomer(t), "BCS_DIRECTORY=/nonexistent/directory.yaml")
		}, "cannot start: staff directory:"},
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env(t)
			cmd := exec.Command(exe)
			cmd.Env = append(env, "BCS_TEST_MAIN=1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit = %v, want status 1\n%s", err, stderr.String())
			}
			out := stderr.String()
			if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
				t.Fatalf("panicked:\n%s", out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			last := lines[len(lines)-1]
			if !strings.Contains(last, tt.want) {
				t.Errorf("last line %q lacks %q\n%s", last, tt.want, out)
			}
		})
	}
}
