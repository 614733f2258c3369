package staff

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// Source holds the directory in force. Readers call Current for every piece of
// work, so a reload takes effect with the next message; a Directory is never
// modified, only replaced.
type Source struct {
	cur atomic.Pointer[Directory]
}

// StaticSource returns a Source that always holds d (tests, fixed setups).
func StaticSource(d *Directory) *Source {
	s := &Source{}
	s.cur.Store(d)
	return s
}

// Current returns the directory in force.
func (s *Source) Current() *Directory { return s.cur.Load() }

// DefaultWatchInterval is how often a Watcher looks at the file unless its
// Config says otherwise.
const DefaultWatchInterval = 5 * time.Second

// WatchConfig says which directory file a Watcher keeps in force.
type WatchConfig struct {
	Path  string
	Every time.Duration // how often the file is looked at; DefaultWatchInterval when 0
	Log   *slog.Logger  // nil discards
}

// Watcher keeps the directory file at Path in force: New loads it, Run looks
// at the file every interval until ctx ends, reloading it when its
// modification time or size changes. A file that no longer parses or
// validates is logged and ignored: the previous directory stays in force
// until the file is fixed. Log lines carry the path and the validation
// problems, which never contain staff ids or names.
type Watcher struct {
	src    Source
	path   string
	every  time.Duration
	log    *slog.Logger
	seen   fileStamp // the file as last looked at, loaded or not
	loaded []byte    // the content in force
	statOK bool      // false after a failed stat, so it is logged once
}

// NewWatcher loads the directory file; the first load must succeed.
func NewWatcher(cfg WatchConfig) (*Watcher, error) {
	if cfg.Every <= 0 {
		cfg.Every = DefaultWatchInterval
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{path: cfg.Path, every: cfg.Every, log: cfg.Log.With("path", cfg.Path), statOK: true}
	st, err := os.Stat(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	data, err := os.ReadFile(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	d, err := ParseDirectory(data)
	if err != nil {
		return nil, fmt.Errorf("directory %s: %w", cfg.Path, err)
	}
	w.src.cur.Store(d)
	w.seen, w.loaded = stamp(st), data
	return w, nil
}

// Source is the directory in force, which Run keeps current.
func (w *Watcher) Source() *Source { return &w.src }

// fileStamp is what tells a changed file: modification time and size.
type fileStamp struct {
	mod  time.Time
	size int64
}

func stamp(fi os.FileInfo) fileStamp { return fileStamp{fi.ModTime(), fi.Size()} }

// Run looks at the file every interval until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.poll()
		}
	}
}

// poll reloads the file if it changed since it was last looked at. The stamp
// is taken before reading, so a file caught half-written is read again once
// the writer finishes and the stamp moves on.
func (w *Watcher) poll() {
	st, err := os.Stat(w.path)
	if err != nil {
		if w.statOK {
			w.log.Warn("directory file unreadable; keeping the directory in force", "err", err)
		}
		w.statOK = false
		return
	}
	w.statOK = true
	s := stamp(st)
	if s == w.seen {
		return
	}
	w.seen = s
	data, err := os.ReadFile(w.path)
	if err != nil {
		w.log.Warn("directory file unreadable; keeping the directory in force", "err", err)
		return
	}
	if bytes.Equal(data, w.loaded) {
		return
	}
	d, err := ParseDirectory(data)
	if err != nil {
		w.log.Error("directory file invalid; keeping the directory in force", "err", err)
		return
	}
	w.src.cur.Store(d)
	w.loaded = data
	w.log.Info("directory reloaded",
		"departments", len(d.depts), "staff", len(d.members), "categories", len(d.categories))
}
