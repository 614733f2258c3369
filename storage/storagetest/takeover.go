package storagetest

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

	"banchengshi/pii"
	"banchengshi/storage"
)

// The environment a takeover test passes to the child process it kills: the
// database file, its key, and the Redis address and prefix the two
// processes share.
const (
	envChild  = "BCS_TEST_TAKEOVER_CHILD"
	envDB     = "BCS_TEST_TAKEOVER_DB"
	envKey    = "BCS_TEST_TAKEOVER_KEY"
	envRedis  = "BCS_TEST_TAKEOVER_REDIS"
	envPrefix = "BCS_TEST_TAKEOVER_PREFIX"
)

// reachedLine is what a child prints when it holds what the parent wants it
// killed holding.
const reachedLine = "BCS-TAKEOVER-CHILD-REACHED"

// Takeover is the state two processes share in a takeover test: a SQLite
// file and a Redis prefix. The parent starts a child process (a test of
// the same binary), waits until the child holds a lease and is inside the
// work it guards, kills it with SIGKILL, and checks that its own process
// takes the work over.
type Takeover struct {
	// DB and Redis are the parent's connections to the shared state.
	DB    *storage.SQL
	Redis *storage.Redis

	path, key string
}

// NewTakeover opens the shared state of a takeover test. It skips the test
// inside the child process and under -short (it kills a process).
func NewTakeover(t *testing.T) *Takeover {
	t.Helper()
	if os.Getenv(envChild) != "" {
		t.Skip("inside the child process")
	}
	if testing.Short() {
		t.Skip("kills a child process; not in -short")
	}
	rdb := Redis(t)
	key := pii.NewKey()
	path := filepath.Join(t.TempDir(), "takeover.db")
	return &Takeover{DB: openSealedSQLite(t, path, key), Redis: rdb, path: path, key: key}
}

// KillChild runs the test named child in a child process, waits until it
// calls ChildReached, kills it with SIGKILL and returns when it did.
func (tk *Takeover) KillChild(t *testing.T, child string) time.Time {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$", "-test.v")
	cmd.Env = append(os.Environ(), envChild+"=1", envDB+"="+tk.path, envKey+"="+tk.key,
		envRedis+"="+redisAddr(), envPrefix+"="+tk.Redis.Prefix())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reached := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.Contains(sc.Text(), reachedLine) {
			reached = true
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	killed := time.Now()
	_ = cmd.Wait() // killed: its exit status says only that
	if !reached {
		t.Fatalf("the child process %s ended before it reached the point where it is killed", child)
	}
	return killed
}

// TakeoverChild opens, inside the child process, the state the parent
// shares; outside it, it skips the test: a child test does nothing on its
// own.
func TakeoverChild(t *testing.T) (*storage.SQL, *storage.Redis) {
	t.Helper()
	if os.Getenv(envChild) == "" {
		t.Skip("only as the child of a takeover test")
	}
	db := openSealedSQLite(t, os.Getenv(envDB), os.Getenv(envKey))
	rdb, err := storage.NewRedis(context.Background(), os.Getenv(envRedis), "", 0, os.Getenv(envPrefix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return db, rdb
}

// ChildReached tells the parent that the child holds what it is to be
// killed holding; the child should then block until the kill comes.
func ChildReached() {
	fmt.Println(reachedLine)
}

func openSealedSQLite(t *testing.T, path, key string) *storage.SQL {
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

func redisAddr() string {
	if addr := os.Getenv("BCS_TEST_REDIS_ADDR"); addr != "" {
		return addr
	}
	return "127.0.0.1:6379"
}
