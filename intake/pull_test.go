package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/bot"
	"banchengshi/cases"
	clock "banchengshi/internal/clocktest"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// pullIntake is an intake on a hand-moved clock, sharing shared with other
// replicas.
func pullIntake(t *testing.T, repo cases.Repo, api KfAPI, shared *storage.Memory, clk *clock.Fake) *Intake {
	t.Helper()
	d := exampleDesk(t, clk.Now)
	return New(Config{
		Repo: repo, API: api, Locker: shared.Locker(), Signal: shared.Signal(), Engine: bot.New(bot.Config{Now: clk.Now}),
		Desk: d.With, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clk.Now,
	})
}

func receive(t *testing.T, in *Intake, token string) {
	t.Helper()
	cb, plain := callback(t, token)
	if _, err := in.Receive(context.Background(), cb, plain); err != nil {
		t.Fatal(err)
	}
}

// Each kf callback says only "there is something new": one pull, with the
// newest callback's Token, takes everything they announced, and they are
// all marked done.
func TestOnePullCoversTheStoredCallbacks(t *testing.T) {
	repo := storagetest.SQLite(t)
	clk := clock.NewFake(time.Now())
	var page []wecom.KfMessage
	for i := range 5 {
		page = append(page, text(fmt.Sprintf("m%d", i), fmt.Sprintf("u%d", i), "你好", clk.Now().Unix()))
	}
	api := &pagedKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: page}}}
	in := pullIntake(t, repo, api, storage.NewMemory(), clk)
	for i := range 5 {
		receive(t, in, fmt.Sprintf("tok%d", i))
	}
	in.Drain(context.Background())
	if diff := cmp.Diff([]string{"tok4"}, api.calls()); diff != "" {
		t.Errorf("sync_msg calls by Token (-want +got):\n%s", diff)
	}
	if left, err := repo.PendingInbound(context.Background(), 10); err != nil || len(left) != 0 {
		t.Errorf("callbacks left: %d, %v", len(left), err)
	}
	if left := pendingIDs(t, repo); len(left) != 0 {
		t.Errorf("messages left: %v", left)
	}
}

// A callback stored on another replica while this one pulls the account
// finds the account busy there; this replica pulls for it before it rests.
func TestCallbackFoundBusyIsPulledForByThePuller(t *testing.T) {
	repo := storagetest.SQLite(t)
	clk := clock.NewFake(time.Now())
	shared := storage.NewMemory()
	api := &pagedKf{pages: []wecom.SyncResponse{
		{NextCursor: "c1", Messages: []wecom.KfMessage{text("m1", "u1", "你好", clk.Now().Unix())}},
		{NextCursor: "c2", Messages: []wecom.KfMessage{text("m2", "u2", "你好", clk.Now().Unix())}},
	}}
	a := pullIntake(t, repo, api, shared, clk)
	b := pullIntake(t, repo, api, shared, clk)
	api.during = func(call int) error {
		if call == 1 { // inside A's first pull: B stores the next callback
			receive(t, b, "tok2")
			b.pull(context.Background())
		}
		return nil
	}
	receive(t, a, "tok1")
	a.Drain(context.Background())
	if diff := cmp.Diff([]string{"tok1", "tok2"}, api.calls()); diff != "" {
		t.Errorf("sync_msg calls by Token (-want +got):\n%s", diff)
	}
	if left, err := repo.PendingInbound(context.Background(), 10); err != nil || len(left) != 0 {
		t.Errorf("callbacks left: %d, %v", len(left), err)
	}
	if left := pendingIDs(t, repo); len(left) != 0 {
		t.Errorf("messages left: %v", left)
	}
}

// A failed pull is an attempt for each callback that was due; they are
// retried after their wait and marked done by the pull that succeeds.
func TestFailedPullIsRetried(t *testing.T) {
	repo := storagetest.SQLite(t)
	clk := clock.NewFake(time.Now())
	api := &pagedKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{text("m1", "u1", "你好", clk.Now().Unix())}}}}
	api.during = func(call int) error {
		if call == 1 {
			return errors.New("connection reset by peer")
		}
		return nil
	}
	in := pullIntake(t, repo, api, storage.NewMemory(), clk)
	receive(t, in, "tok1")
	receive(t, in, "tok2")
	ctx := context.Background()
	in.Drain(ctx)
	attempts := func() map[string]int {
		got := map[string]int{}
		rows, err := repo.DB().QueryContext(ctx, "SELECT dedupe_key, attempts FROM inbound WHERE done_at IS NULL")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var key string
			var n int
			if err := rows.Scan(&key, &n); err != nil {
				t.Fatal(err)
			}
			got[key] = n
		}
		return got
	}
	want := map[string]int{"kf:wkSANDBOX001:tok1": 1, "kf:wkSANDBOX001:tok2": 1}
	if diff := cmp.Diff(want, attempts()); diff != "" {
		t.Errorf("pending callbacks' attempts after the failed pull (-want +got):\n%s", diff)
	}
	in.Drain(ctx) // too early for a retry
	if n := len(api.calls()); n != 1 {
		t.Errorf("%d sync_msg calls before the retry's wait, want 1", n)
	}
	clk.Advance(3 * time.Second)
	in.Drain(ctx)
	if diff := cmp.Diff(map[string]int{}, attempts()); diff != "" {
		t.Errorf("pending callbacks after the retry (-want +got):\n%s", diff)
	}
	if left := pendingIDs(t, repo); len(left) != 0 {
		t.Errorf("messages left: %v", left)
	}
}

// After a pull failed for a full page of callbacks (an outage of WeCom:
// every callback stored meanwhile waits for its next try), a callback that
// arrives as WeCom answers again is pulled for at once, not left out of the
// page until the others' waits run out.
func TestANewCallbackIsPulledForBehindAPageOfRetries(t *testing.T) {
	repo := storagetest.SQLite(t)
	clk := clock.NewFake(time.Now())
	api := &pagedKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{text("m1", "u1", "你好", clk.Now().Unix())}}}}
	down := true
	api.during = func(int) error {
		if down {
			return errors.New("wecom /cgi-bin/kf/sync_msg: HTTP status 502")
		}
		return nil
	}
	in := pullIntake(t, repo, api, storage.NewMemory(), clk)
	ctx := context.Background()
	const page = 100 // pendingInbound's
	for i := range page {
		receive(t, in, fmt.Sprintf("tok%d", i))
	}
	in.Drain(ctx)

	down = false
	clk.Advance(time.Second) // each waits 2 s after its failed pull
	receive(t, in, "tokNew")
	in.Drain(ctx)
	if diff := cmp.Diff([]string{fmt.Sprintf("tok%d", page-1), "tokNew"}, api.calls()); diff != "" {
		t.Errorf("sync_msg calls by Token (-want +got):\n%s", diff)
	}
	if left := pendingIDs(t, repo); len(left) != 0 {
		t.Errorf("messages left: %v", left)
	}
}

// tokenRefusingKf refuses every callback Token, as WeCom does once one is
// older than ten minutes, and serves pulls without one.
type tokenRefusingKf struct{ fakeKf }

func (f *tokenRefusingKf) SyncMsg(ctx context.Context, req wecom.SyncRequest) (*wecom.SyncResponse, error) {
	if req.Token != "" {
		f.tokens = append(f.tokens, req.Token)
		return nil, &wecom.APIError{Path: "/cgi-bin/kf/sync_msg", Code: wecom.CodeInvalidMsgToken, Msg: "invalid msg token"}
	}
	return f.fakeKf.SyncMsg(ctx, req)
}

// A callback whose Token WeCom no longer accepts (a pull held back past its
// ten minutes) is pulled for at once without the Token, not retried with a
// Token that will never be valid again.
func TestAnExpiredCallbackTokenIsPulledForWithoutIt(t *testing.T) {
	ctx := context.Background()
	repo := storagetest.SQLite(t)
	api := &tokenRefusingKf{fakeKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{text("m1", "u1", "你好", time.Now().Unix())}}}}}
	in := newIntake(t, repo, api)
	cb, plain := callback(t, "tokOld")
	if _, err := in.Receive(ctx, cb, plain); err != nil {
		t.Fatal(err)
	}
	in.pullNow(ctx)
	if diff := cmp.Diff([]string{"tokOld", ""}, api.tokens); diff != "" {
		t.Errorf("Tokens pulled with (-want +got):\n%s", diff)
	}
	pending, err := repo.PendingInbound(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 0 {
		t.Errorf("%d callbacks still waiting; want the one covered by the pull", len(pending))
	}
	msgs, err := repo.PendingKfCitizens(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Errorf("citizens with pulled messages: %d; want 1", len(msgs))
	}
}
