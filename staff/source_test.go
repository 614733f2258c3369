package staff

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink the watcher goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// eventually waits up to two seconds for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWatchDirectoryReloads(t *testing.T) {
	example, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "directory.yaml")
	if err := os.WriteFile(path, example, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := NewWatcher(WatchConfig{Path: path, Every: 10 * time.Millisecond, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	go w.Run(ctx)
	src := w.Source()
	first := src.Current()
	if _, ok := first.Member("zhangsan"); !ok {
		t.Fatal("initial directory lacks zhangsan")
	}

	// A new window duty member appears without a restart.
	added := strings.Replace(string(example), "\nstaff:\n", "\nstaff:\n  - id: xiaoming\n    name: 小明\n    departments: [window]\n    roles: [window]\n", 1)
	writeFile(t, path, added)
	eventually(t, "the reload", func() bool { _, ok := src.Current().Member("xiaoming"); return ok })
	reloaded := src.Current()
	if got := ids(reloaded.DutyStaff("wkSANDBOX001")); len(got) != 4 || got[0] != "xiaoming" {
		t.Errorf("duty staff after reload = %v", got)
	}
	if _, ok := first.Member("xiaoming"); ok {
		t.Error("the old directory changed in place")
	}

	// An invalid file is logged and ignored.
	invalid := strings.Replace(added, "departments: [window]\n    roles: [window]", "departments: [nowhere]\n    roles: [window]", 1)
	writeFile(t, path, invalid)
	// Wait for this file's own complaint: the watcher may also have caught the
	// file empty, half-written, and said so first.
	eventually(t, "the invalid file to be logged", func() bool { return strings.Contains(logs.String(), `unknown department \"nowhere\"`) })
	if src.Current() != reloaded {
		t.Error("an invalid file replaced the directory in force")
	}
	log := logs.String()
	if !strings.Contains(log, `unknown department \"nowhere\"`) {
		t.Errorf("log does not say what is wrong:\n%s", log)
	}
	for _, personal := range []string{"xiaoming", "小明", "zhangsan", "张三"} {
		if strings.Contains(log, personal) {
			t.Errorf("log contains personal data %q:\n%s", personal, log)
		}
	}

	// Fixing the file takes effect again.
	writeFile(t, path, string(example))
	eventually(t, "the fixed file", func() bool { _, ok := src.Current().Member("xiaoming"); return !ok })
}

func TestWatchDirectoryStopsWithContext(t *testing.T) {
	example, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "directory.yaml")
	writeFile(t, path, string(example))
	ctx, cancel := context.WithCancel(context.Background())
	w, err := NewWatcher(WatchConfig{Path: path, Every: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan struct{})
	go func() { w.Run(ctx); close(stopped) }()
	cancel()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second): // a hang guard, not a measurement
		t.Fatal("Run did not return after its context ended")
	}
}

func TestWatchDirectoryNeedsAValidFirstFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewWatcher(WatchConfig{Path: filepath.Join(dir, "missing.yaml")}); err == nil {
		t.Error("missing file accepted")
	}
	path := filepath.Join(dir, "bad.yaml")
	writeFile(t, path, "departments: []\n")
	if _, err := NewWatcher(WatchConfig{Path: path}); err == nil {
		t.Error("invalid file accepted")
	}
}

func TestStaticSource(t *testing.T) {
	d := loadExample(t)
	if StaticSource(d).Current() != d {
		t.Error("StaticSource does not hold its directory")
	}
}

// writeFile replaces the file and moves its modification time forward, so a
// change is seen even on file systems with coarse timestamps.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	var next time.Time
	if fi, err := os.Stat(path); err == nil {
		next = fi.ModTime().Add(time.Second)
	} else {
		next = time.Now()
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, next, next); err != nil {
		t.Fatal(err)
	}
}
