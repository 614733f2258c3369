package intake

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"banchengshi/cases"
	clock "banchengshi/internal/clocktest"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// troubledSessions fails every session save while broken is set, as a
// database in trouble for a while would.
type troubledSessions struct {
	cases.Repo
	broken *atomic.Bool
}

func (b troubledSessions) SaveSession(ctx context.Context, key string, data []byte) error {
	if b.broken.Load() {
		return errors.New("disk full")
	}
	return b.Repo.SaveSession(ctx, key, data)
}

func (b troubledSessions) InTx(ctx context.Context, fn func(cases.Repo) error) error {
	return b.Repo.InTx(ctx, func(r cases.Repo) error { return fn(troubledSessions{r, b.broken}) })
}

// A message that waited behind an earlier one of the same citizen still
// gets its retries spaced out, each wait counted from its last attempt: a
// voice message whose download fails is not asked for again after seconds
// only because it arrived long ago.
func TestMessageThatWaitedStillGetsSpacedRetries(t *testing.T) {
	repo := storagetest.SQLite(t)
	clk := clock.NewFake(time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC))
	api := &fakeKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{
		text("m1", "u1", "你好", clk.Now().Unix()), voice("m2", "u1", "MEDIA2", clk.Now().Unix()),
	}}}}
	broken := &atomic.Bool{}
	broken.Store(true)
	in := clockedIntake(t, troubledSessions{repo, broken}, api, clk)
	ctx := context.Background()
	pullAndHandle(t, in, "tok")
	state := func() map[string]*cases.KfMessage {
		t.Helper()
		pending, err := repo.PendingKfMessages(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*cases.KfMessage{}
		for _, m := range pending {
			out[m.MsgID] = m
		}
		return out
	}

	// The first message fails for twenty minutes; the voice message waits
	// behind it, untried.
	for range 20 {
		clk.Advance(time.Minute)
		in.Drain(ctx)
	}
	s := state()
	if s["m1"] == nil || s["m1"].Attempts < 2 || s["m2"] == nil || s["m2"].Attempts != 0 {
		t.Fatalf("while the first fails: %+v; want m1 retried, m2 waiting untried", s)
	}
	broken.Store(false)
	clk.Advance(17 * time.Minute) // m1's longest wait
	in.Drain(ctx)
	s = state()
	if s["m1"] != nil || s["m2"] == nil || s["m2"].Attempts != 1 {
		t.Fatalf("after the first was handled: %+v; want m1 done and m2 tried once", s)
	}

	// The download keeps failing: each retry comes one growing wait after
	// the previous attempt, not at once.
	for attempt := 1; attempt < mediaAttempts; attempt++ {
		wait := retryWait(attempt)
		in.Drain(ctx)
		clk.Advance(wait - time.Second)
		in.Drain(ctx)
		if got := state()["m2"]; got == nil || got.Attempts != attempt {
			t.Fatalf("%v after attempt %d: %+v; want no retry before the wait of %v", wait-time.Second, attempt, got, wait)
		}
		clk.Advance(time.Second)
		in.Drain(ctx)
		got := state()["m2"]
		if attempt+1 < mediaAttempts && (got == nil || got.Attempts != attempt+1) {
			t.Fatalf("after the wait of %v: %+v; want attempt %d made", wait, got, attempt+1)
		}
		if attempt+1 == mediaAttempts && got != nil {
			t.Fatalf("after the last download attempt the message is still pending: %+v", got)
		}
	}
}

// failingSync is a kf API whose sync_msg WeCom refuses (a pull it cannot
// make is not a failure of the callbacks: see rest).
type failingSync struct{ fakeKf }

func (failingSync) SyncMsg(context.Context, wecom.SyncRequest) (*wecom.SyncResponse, error) {
	return nil, &wecom.APIError{Path: "/cgi-bin/kf/sync_msg", Code: 95000, Msg: "invalid open_kfid"}
}

// A stored callback that waited long before its first attempt (WeCom
// paused, its account's pull busy) still gets its retries spaced out, each
// wait counted from its last attempt, not from its arrival.
func TestCallbackThatWaitedStillGetsSpacedRetries(t *testing.T) {
	repo := storagetest.SQLite(t)
	clk := clock.NewFake(time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC))
	in := New(Config{Repo: repo, API: &failingSync{}, Locker: storage.NewMemory().Locker(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clk.Now})
	ctx := context.Background()
	cb, plain := callback(t, "tok")
	if _, err := in.Receive(ctx, cb, plain); err != nil {
		t.Fatal(err)
	}
	attempts := func() int {
		t.Helper()
		pending, err := repo.PendingInbound(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 1 {
			t.Fatalf("%d callbacks pending, want 1", len(pending))
		}
		return pending[0].Attempts
	}
	clk.Advance(time.Hour) // it waited, untried
	in.Drain(ctx)
	if got := attempts(); got != 1 {
		t.Fatalf("after the first pull: %d attempts, want 1", got)
	}
	for attempt := 1; attempt < 5; attempt++ {
		wait := retryWait(attempt)
		clk.Advance(wait - time.Second)
		in.Drain(ctx)
		if got := attempts(); got != attempt {
			t.Fatalf("%v after attempt %d: %d attempts; want no retry before the wait of %v", wait-time.Second, attempt, got, wait)
		}
		clk.Advance(time.Second)
		in.Drain(ctx)
		if got := attempts(); got != attempt+1 {
			t.Fatalf("after the wait of %v: %d attempts, want %d", wait, got, attempt+1)
		}
	}
}
