package notify_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/notify"
	"banchengshi/pii"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// Environment of the child process TestTakeoverAfterKill starts and kills.
const (
	envChild  = "BCS_TAKEOVER_CHILD"
	envDB     = "BCS_TAKEOVER_DB"
	envKey    = "BCS_TAKEOVER_KEY"
	envRedis  = "BCS_TAKEOVER_REDIS"
	envPrefix = "BCS_TAKEOVER_PREFIX"
)

// workerInterval is the product's default (app.Options.WorkerInterval): how
// often an idle outbox looks for work without being woken.
const workerInterval = 2 * time.Second

// A sender killed with SIGKILL in the middle of a send holds the outbox lease
// in Redis; nobody unlocks it. Another process's outbox must take over and
// send within seconds: the lease (storage.LeaseTTL) plus one worker interval.
// The figure is logged (go test -v) and recorded in docs/reliability.md; the
// test asserts only that the message goes out, once more, after each kill.
func TestTakeoverAfterKill(t *testing.T) {
	if os.Getenv(envChild) != "" {
		t.Skip("inside the child process")
	}
	if testing.Short() {
		t.Skip("kills child processes; not in -short")
	}
	rdb := storagetest.Redis(t)
	key := pii.NewKey()
	dbPath := filepath.Join(t.TempDir(), "takeover.db")
	db := openDB(t, dbPath, key)
	ctx := context.Background()
	c := &cases.Contact{OpenKfID: "wk1", ExternalUserID: "wmTakeover", LastInboundAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	if err := db.SaveContact(ctx, c); err != nil {
		t.Fatal(err)
	}

	const rounds = 3
	for round := 1; round <= rounds; round++ {
		m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: "wmTakeover",
			Message: cases.Message{Text: fmt.Sprintf("答复 %d", round)}, Priority: cases.PriorityNormal}
		if err := db.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
		killed := killMidSend(t, dbPath, key, rdb.Prefix())

		api := &recorder{}
		out := notify.New(notify.Config{Repo: db, API: api, Locker: rdb.Locker(), Limiter: rdb.RateLimiter(), Every: workerInterval})
		runCtx, cancel := context.WithTimeout(ctx, time.Minute)
		go out.Run(runCtx)
		var took time.Duration
		for {
			if got := sentTexts(api); len(got) > 0 {
				took = time.Since(killed)
				break
			}
			if runCtx.Err() != nil {
				cancel()
				t.Fatalf("round %d: nothing sent within a minute of the kill", round)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		// Wait for the fate to be saved before the next round.
		for {
			list, err := db.DueOutbox(ctx, time.Now().Add(time.Hour), 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) == 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("round %d: sent %.1f s after kill -9 of the sender holding the lease (lease %s, worker interval %s)",
			round, took.Seconds(), storage.LeaseTTL, workerInterval)
		// Give the parent's lease back, as a clean shutdown does.
		time.Sleep(10 * time.Millisecond)
	}
}

func sentTexts(r *recorder) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.kf...)
}

func openDB(t *testing.T, path, key string) *storage.SQL {
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

// killMidSend starts a child process whose outbox takes the lease and blocks
// inside send_msg, then kills it with SIGKILL and returns when.
func killMidSend(t *testing.T, dbPath, key, prefix string) time.Time {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestTakeoverChild$", "-test.v")
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
		if strings.Contains(sc.Text(), "SENDING") {
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

// blockingSender announces a send and never returns: the process is killed
// while WeCom has the request.
type blockingSender struct{ recorder }

func (b *blockingSender) SendKf(ctx context.Context, _, _, _ string, _ cases.Message) (string, error) {
	fmt.Println("SENDING")
	<-ctx.Done()
	select {} // the kill comes first
}

// TestTakeoverChild is the process TestTakeoverAfterKill kills; it does
// nothing on its own.
func TestTakeoverChild(t *testing.T) {
	if os.Getenv(envChild) == "" {
		t.Skip("only as TestTakeoverAfterKill's child")
	}
	db := openDB(t, os.Getenv(envDB), os.Getenv(envKey))
	rdb, err := storage.NewRedis(context.Background(), os.Getenv(envRedis), "", 0, os.Getenv(envPrefix))
	if err != nil {
		t.Fatal(err)
	}
	out := notify.New(notify.Config{Repo: db, API: &blockingSender{}, Locker: rdb.Locker(), Limiter: rdb.RateLimiter(), Every: workerInterval})
	out.Run(context.Background())
}
