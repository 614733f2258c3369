package intake

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"banchengshi/bot"
	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/pii"
	"banchengshi/staff"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// Environment of the child process TestCitizenTakenOverAfterKill starts and
// kills.
const (
	envChild  = "BCS_TEST_INTAKE_CHILD"
	envDB     = "BCS_TEST_INTAKE_DB"
	envKey    = "BCS_TEST_INTAKE_KEY"
	envRedis  = "BCS_TEST_INTAKE_REDIS"
	envPrefix = "BCS_TEST_INTAKE_PREFIX"
)

// workerInterval is the product's default (app.Options.WorkerInterval).
const workerInterval = 2 * time.Second

// A worker killed with SIGKILL inside a citizen's message holds the
// citizen's lease in Redis, and nobody unlocks it. Another process's worker
// takes the citizen over once the lease (storage.LeaseTTL) has run out, at
// its next look (one worker interval), and handles the message once. The
// figure is logged (go test -v); the test asserts only that the message is
// handled, once, after the kill.
func TestCitizenTakenOverAfterKill(t *testing.T) {
	if os.Getenv(envChild) != "" {
		t.Skip("inside the child process")
	}
	if testing.Short() {
		t.Skip("kills a child process; not in -short")
	}
	rdb := storagetest.Redis(t)
	key := pii.NewKey()
	dbPath := filepath.Join(t.TempDir(), "takeover.db")
	db := openTakeoverDB(t, dbPath, key)
	ctx := context.Background()
	photo := image("m1", "u1", 1, time.Now().Unix())
	rec := photo.Record()
	rec.ReceivedAt = time.Now()
	if _, err := db.InsertKfMessages(ctx, []*cases.KfMessage{&rec}); err != nil {
		t.Fatal(err)
	}

	killed := killMidHandling(t, dbPath, key, rdb.Prefix())

	in := takeoverIntake(t, db, rdb, &pagedKf{})
	runCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); in.Run(runCtx) }()
	for len(pendingIDs(t, db)) > 0 {
		if runCtx.Err() != nil {
			t.Fatal("the citizen was not taken over within a minute of the kill")
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(killed)
	cancel()
	<-done
	t.Logf("handled %.1f s after kill -9 of the worker holding the citizen (lease %s, worker interval %s)",
		took.Seconds(), storage.LeaseTTL, workerInterval)

	var attempts int
	if err := db.DB().QueryRowContext(ctx, "SELECT attempts FROM kf_messages WHERE msgid = 'm1'").Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if attempts != 1 {
		t.Errorf("m1 handled with %d attempts, want 1: the killed worker committed nothing", attempts)
	}
	due, err := db.DueOutbox(ctx, time.Now().Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	replies := 0
	for _, m := range due {
		if m.Recipient == "u1" {
			replies++
		}
	}
	if replies != 1 {
		t.Errorf("%d replies to u1's one message, want 1", replies)
	}
}

func openTakeoverDB(t *testing.T, path, key string) *storage.SQL {
	t.Helper()
	k, err := pii.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := pii.NewSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(context.Background(), storage.DriverSQLite, storage.DefaultSQLiteDSN(path), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func takeoverIntake(t *testing.T, db *storage.SQL, rdb *storage.Redis, api KfAPI) *Intake {
	t.Helper()
	dir, err := staff.LoadDirectory("../configs/directory.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := desk.New(desk.Config{Directory: staff.StaticSource(dir), Calendar: cases.WeekdayCalendar()})
	return New(Config{
		Repo: db, API: api, Locker: rdb.Locker(), Signal: rdb.Signal(), Engine: bot.New(bot.Config{}),
		Desk: d.With, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Every: workerInterval,
	})
}

// killMidHandling starts a child process whose worker takes the citizen's
// lease and blocks inside the message (downloading its photo), then kills
// it with SIGKILL and returns when.
func killMidHandling(t *testing.T, dbPath, key, prefix string) time.Time {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCitizenTakeoverChild$", "-test.v")
	addr := os.Getenv("BCS_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	cmd.Env = append(os.Environ(), envChild+"=1", envDB+"="+dbPath, envKey+"="+key, envRedis+"="+addr, envPrefix+"="+prefix)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "HANDLING") {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	killed := time.Now()
	_ = cmd.Wait()
	return killed
}

// TestCitizenTakeoverChild is the process TestCitizenTakenOverAfterKill
// kills; it does nothing on its own.
func TestCitizenTakeoverChild(t *testing.T) {
	if os.Getenv(envChild) == "" {
		t.Skip("only as TestCitizenTakenOverAfterKill's child")
	}
	db := openTakeoverDB(t, os.Getenv(envDB), os.Getenv(envKey))
	rdb, err := storage.NewRedis(context.Background(), os.Getenv(envRedis), "", 0, os.Getenv(envPrefix))
	if err != nil {
		t.Fatal(err)
	}
	stuck := &pagedKf{media: func(context.Context, string) error {
		fmt.Println("HANDLING")
		select {} // the kill comes first
	}}
	takeoverIntake(t, db, rdb, stuck).Run(context.Background())
}
