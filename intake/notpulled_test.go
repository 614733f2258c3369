package intake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"banchengshi/cases"
	clock "banchengshi/internal/clocktest"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// reachableLocker is a Locker that cannot be reached while down is set, as
// Redis during an outage; tries counts the locks asked for.
type reachableLocker struct {
	storage.Locker
	down  *bool
	tries *int
}

func (l reachableLocker) TryLock(ctx context.Context, key string, ttl time.Duration) (storage.Lock, bool, error) {
	*l.tries++
	if *l.down {
		return nil, false, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	}
	return l.Locker.TryLock(ctx, key, ttl)
}

// outage is a puller on a hand-moved clock whose sync_msg fails with fail
// (nil: WeCom answers), and whose lock is out of reach while lockDown is
// set; start begins a replica (or a restart) on the same database.
type outage struct {
	repo     *storage.SQL
	clk      *clock.Fake
	api      *pagedKf
	shared   *storage.Memory
	fail     error
	lockDown bool
	locks    int // locks asked for
}

// err502 is WeCom unreachable, as the client reports an HTTP status.
var err502 = errors.New("wecom /cgi-bin/kf/sync_msg: HTTP status 502")

func newOutage(t *testing.T, pages ...wecom.SyncResponse) *outage {
	o := &outage{repo: storagetest.SQLite(t), clk: clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)),
		api: &pagedKf{pages: pages}, shared: storage.NewMemory(), fail: err502}
	o.api.during = func(int) error { return o.fail }
	return o
}

func (o *outage) start(t *testing.T) *Intake {
	in := pullIntake(t, o.repo, o.api, o.shared, o.clk)
	in.locker = reachableLocker{o.shared.Locker(), &o.lockDown, &o.locks}
	return in
}

// untilTried drains in until tries counts one more pull, a second at a
// time, and returns how long that took: WeCom comes back right after a pull
// failed, the worst moment.
func (o *outage) untilTried(t *testing.T, in *Intake, tries func() int) time.Duration {
	t.Helper()
	n := tries()
	for waited := time.Second; waited <= time.Hour; waited += time.Second {
		o.clk.Advance(time.Second)
		in.Drain(context.Background())
		if tries() > n {
			return waited
		}
	}
	t.Fatal("no pull tried for an hour")
	return 0
}

// backlog stores n callbacks, tok0 to tok<n-1>, and a pull for them fails:
// the inboundPage listed wait for their next try, the others untried.
func (o *outage) backlog(t *testing.T, in *Intake, n int) {
	t.Helper()
	for i := range n {
		receive(t, in, fmt.Sprintf("tok%d", i))
	}
	in.Drain(context.Background())
}

// pending is the stored callbacks not done yet.
func (o *outage) pending(t *testing.T) []*cases.Inbound {
	t.Helper()
	left, err := o.repo.PendingInbound(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return left
}

// A kf callback whose pulls cannot be made, because WeCom does not answer
// them or the pullers' lock is out of reach, is not given up however long
// that lasts (counted as failures, the callbacks were given up after about
// four minutes, and the message waited for the catch-up), its pulls are
// tried a few times a minute, not more, on a replica started during the
// outage too, and once a pull can be made again the message is pulled
// within restMost.
func TestAPullThatCannotBeMadeWaitsForWeComAndResumesSoon(t *testing.T) {
	for name, fault := range map[string]struct {
		err    error // what sync_msg answers while down; nil: it answers
		locker bool  // the lock is out of reach while down
	}{
		"WeCom unreachable": {err: err502},
		"WeCom busy":        {err: &wecom.APIError{Path: "/cgi-bin/kf/sync_msg", Code: wecom.CodeSystemBusy, Msg: "system busy"}},
		"lock out of reach": {locker: true},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			o := newOutage(t, wecom.SyncResponse{NextCursor: "c1", Messages: []wecom.KfMessage{text("m1", "u1", "你好", time.Now().Unix())}})
			o.fail, o.lockDown = fault.err, fault.locker
			tries := func() int {
				if fault.locker {
					return o.locks
				}
				return len(o.api.calls())
			}
			in := o.start(t)
			receive(t, in, "tok1")
			var lastMinute int
			for elapsed := time.Duration(0); elapsed < 30*time.Minute; elapsed += time.Second {
				switch elapsed {
				case 15 * time.Minute:
					in = o.start(t) // a restart: what the rows say carries on
				case 29 * time.Minute:
					lastMinute = tries()
				}
				in.Drain(ctx)
				o.clk.Advance(time.Second)
			}
			if left := o.pending(t); len(left) != 1 || left[0].DoneAt != nil || left[0].Attempts < maxAttempts {
				t.Fatalf("after 30 minutes of pulls that could not be made: %d callbacks pending; want the one, tried and not given up", len(left))
			}
			if n := tries() - lastMinute; n > int(time.Minute/restMost)+1 {
				t.Errorf("%d pulls tried in the outage's last minute; want at most one every %v", n, restMost)
			}
			o.untilTried(t, in, tries)
			o.fail, o.lockDown = nil, false
			handled := func() bool {
				var n int
				if err := o.repo.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM kf_messages WHERE msgid = 'm1' AND done_at IS NOT NULL").Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n == 1
			}
			for wait := time.Duration(0); !handled(); wait += time.Second {
				if wait > restMost {
					t.Fatalf("the message not pulled and handled %v after a pull could be made again", wait)
				}
				o.clk.Advance(time.Second)
				in.Drain(ctx)
			}
			if left := o.pending(t); len(left) != 0 {
				t.Errorf("%d callbacks left after the pull", len(left))
			}
		})
	}
}

// Only a callback's own failures give it up, and space its tries: an
// outage's tries neither bring that forward (the first refusal after a long
// outage does not end it, and the next try comes 2 s after it) nor put it
// off (refusals mixed with tries WeCom did not answer still end it after
// maxAttempts refusals).
func TestOnlyACallbacksOwnFailuresGiveItUp(t *testing.T) {
	ctx := context.Background()
	o := newOutage(t)
	in := o.start(t)
	receive(t, in, "tok1")
	for range 5 * 60 {
		in.Drain(ctx)
		o.clk.Advance(time.Second)
	}
	refused := &wecom.APIError{Path: "/cgi-bin/kf/sync_msg", Code: 95000, Msg: "invalid open_kfid"}
	wait := restMost // before the first refusal: after an unanswered try
	for n := 1; n <= maxAttempts; n++ {
		for _, fail := range []error{refused, err502} {
			o.fail = fail
			if took := o.untilTried(t, in, func() int { return len(o.api.calls()) }); took > wait {
				t.Fatalf("with %d refusals counted, the next try came %v after the last; want at most %v", n-1, took, wait)
			}
			wait = restMost
			if fail == refused {
				wait = retryWait(n)
			}
			left := o.pending(t)
			if n == maxAttempts && fail == refused {
				if len(left) != 0 {
					t.Fatalf("after %d refusals (and tries WeCom did not answer between them): the callback still pending; want it given up", n)
				}
				return
			}
			if len(left) != 1 || left[0].Failures != n {
				t.Fatalf("after the outage and %d refusals: %d callbacks pending; want one with %d failures", n, len(left), n)
			}
		}
	}
}

// losingLock is a lock whose lease is lost at its first renewal.
type losingLock struct{ storage.Lock }

func (losingLock) Refresh(context.Context, time.Duration) error { return storage.ErrLockLost }

type losingLocker struct{ storage.Locker }

func (l losingLocker) TryLock(ctx context.Context, key string, ttl time.Duration) (storage.Lock, bool, error) {
	lock, ok, err := l.Locker.TryLock(ctx, key, ttl)
	if lock != nil {
		lock = losingLock{lock}
	}
	return lock, ok, err
}

// A pull cut short because its lease was lost (Redis away while it ran)
// could not be made: it spends nothing of the callbacks'.
func TestAPullWhoseLeaseIsLostIsNotCounted(t *testing.T) {
	o := newOutage(t)
	in := pullIntake(t, o.repo, &blockingKf{}, o.shared, o.clk)
	in.locker = losingLocker{in.locker}
	receive(t, in, "tok1")
	in.Drain(context.Background()) // the sync_msg call waits until the lease is lost (lockTTL/3)
	if pending := o.pending(t); len(pending) != 1 || !notPulled(pending[0]) {
		var got []string
		for _, rec := range pending {
			got = append(got, fmt.Sprintf("%d attempts, last error %q", rec.Attempts, rec.LastError))
		}
		t.Fatalf("after the lease was lost: %v; want the callback waiting, its pull not made", got)
	}
}

// blockingKf is a kf API whose sync_msg waits until its context ends.
type blockingKf struct{ fakeKf }

func (*blockingKf) SyncMsg(ctx context.Context, _ wecom.SyncRequest) (*wecom.SyncResponse, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// A callback stored while the account's others wait after pulls that could
// not be made is pulled for at once: it may bring a Token WeCom takes, and
// WeCom may be back.
func TestANewCallbackIsPulledForWhileOthersWait(t *testing.T) {
	ctx := context.Background()
	o := newOutage(t)
	in := o.start(t)
	receive(t, in, "tok1")
	for range 5 { // five pulls that could not be made: the wait is restMost
		in.Drain(ctx)
		o.clk.Advance(restMost)
	}
	in.Drain(ctx)
	before := len(o.api.calls())
	o.clk.Advance(time.Second)
	o.fail = nil
	receive(t, in, "tok2")
	in.Drain(ctx)
	if got := o.api.calls(); len(got) != before+1 || got[len(got)-1] != "tok2" {
		t.Fatalf("sync_msg calls by Token: %v; want one more, with tok2, at once", got)
	}
	if left := o.pending(t); len(left) != 0 {
		t.Errorf("%d callbacks left", len(left))
	}
}

// A pull WeCom refuses for a reason of its own (an errcode that is not
// "busy"), or whose answer cannot be read (a page with an item that does not
// decode: the same at every try), counts against the callbacks as before:
// after maxAttempts they are given up, to the next callback or the catch-up.
func TestAPullWeComRefusesIsGivenUp(t *testing.T) {
	for name, fail := range map[string]error{
		"refused":    &wecom.APIError{Path: "/cgi-bin/kf/sync_msg", Code: 95000, Msg: "invalid open_kfid"},
		"unreadable": fmt.Errorf("kf sync_msg: decode item 0: %w", wecom.ErrUnreadableAnswer),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			o := newOutage(t)
			o.fail = fail
			in := o.start(t)
			receive(t, in, "tok1")
			for range maxAttempts {
				in.Drain(ctx)
				o.clk.Advance(20 * time.Minute)
			}
			if n := len(o.api.calls()); n != maxAttempts {
				t.Errorf("%d sync_msg calls, want %d", n, maxAttempts)
			}
			var attempts int
			err := o.repo.DB().QueryRowContext(ctx, "SELECT attempts FROM inbound WHERE done_at IS NOT NULL").Scan(&attempts)
			if err != nil || attempts != maxAttempts {
				t.Errorf("the callback given up after %d attempts (%v); want %d", attempts, err, maxAttempts)
			}
		})
	}
}

// retryWait stays at its longest however many attempts were counted: a
// callback whose pulls could not be made counts one every restMost.
func TestRetryWaitStaysAtItsLongest(t *testing.T) {
	for _, n := range []int{10, 11, 64, 65, 1000} {
		if got := retryWait(n); got != 17*time.Minute {
			t.Errorf("retryWait(%d) = %v, want 17m", n, got)
		}
	}
	if got := fmt.Sprint(retryWait(1), retryWait(4)); got != "2s 16s" {
		t.Errorf("retryWait(1), (4) = %s, want 2s 16s", got)
	}
}

// After an outage with more callbacks waiting than one listing holds, those
// left once a pull succeeds (its messages already pulled) are cleared within
// restMost, not after the 17 minutes their count of tries would say.
func TestCallbacksLeftAfterAnOutageClearSoon(t *testing.T) {
	ctx := context.Background()
	o := newOutage(t)
	in := o.start(t)
	const callbacks = 250 // pendingInbound lists 100
	for i := range callbacks {
		receive(t, in, fmt.Sprintf("tok%d", i))
	}
	for range 10 * 60 {
		in.Drain(ctx)
		o.clk.Advance(time.Second)
	}
	o.untilTried(t, in, func() int { return len(o.api.calls()) })
	o.fail = nil
	before := len(o.api.calls())
	for wait := time.Duration(0); ; wait += time.Second {
		o.clk.Advance(time.Second)
		in.Drain(ctx)
		left := o.pending(t)
		if len(left) == 0 {
			break
		}
		if wait > restMost {
			t.Fatalf("%d callbacks left %v after WeCom answered again", len(left), wait)
		}
	}
	// The first pull took everything: the others were stored before it, and
	// a pull for each page would carry a Token long expired.
	if n := len(o.api.calls()) - before; n != 1 {
		t.Errorf("%d sync_msg calls to clear the callbacks after WeCom answered again, want 1", n)
	}
}

// A pull that stopped at maxPages did not take everything: the callbacks
// left over from its listing are pulled for, not marked done unpulled.
func TestCallbacksLeftAfterAPartialPullArePulledFor(t *testing.T) {
	ctx := context.Background()
	o := newOutage(t)
	in := o.start(t)
	o.backlog(t, in, 150)
	o.fail = nil
	receive(t, in, "tokNew") // listed first, before the older ones
	for range maxPages {
		o.api.pages = append(o.api.pages, wecom.SyncResponse{NextCursor: "c", HasMore: true})
	}
	in.Drain(ctx)
	if got := o.api.calls(); len(got) < 1+maxPages || got[1] != "tokNew" {
		t.Fatalf("%d sync_msg calls; want the failed one, then maxPages with tokNew", len(got))
	}
	o.clk.Advance(restMost)
	in.Drain(ctx)
	if n := len(o.api.calls()); n <= 1+maxPages {
		t.Errorf("no pull for the callbacks left after a pull that stopped at maxPages")
	}
	if left := o.pending(t); len(left) != 0 {
		t.Errorf("%d callbacks left", len(left))
	}
}

// A callback stored while the pull that covers a backlog runs is pulled for
// in turn: what covers the backlog is read before the pull begins.
func TestACallbackStoredDuringACoveringPullIsPulledFor(t *testing.T) {
	ctx := context.Background()
	o := newOutage(t)
	in := o.start(t)
	o.backlog(t, in, 150)
	receive(t, in, "tokNew")
	o.fail = nil
	o.api.during = func(call int) error {
		if call == 2 { // the pull with tokNew
			receive(t, in, "tokMid")
		}
		return nil
	}
	in.Drain(ctx)
	o.clk.Advance(restMost)
	in.Drain(ctx)
	if got := o.api.calls(); !slices.Contains(got, "tokMid") {
		t.Errorf("sync_msg calls by Token: %v; want one for tokMid, stored while the first pull ran", got)
	}
	if left := o.pending(t); len(left) != 0 {
		t.Errorf("%d callbacks left", len(left))
	}
}

// What a pull covered is its account's: another account's callbacks of the
// same backlog are pulled for.
func TestACoveringPullCoversItsAccountOnly(t *testing.T) {
	ctx := context.Background()
	o := newOutage(t)
	in := o.start(t)
	cb, plain := callbackFor(t, "wkOTHER", "tokOther")
	if _, err := in.Receive(ctx, cb, plain); err != nil {
		t.Fatal(err)
	}
	o.backlog(t, in, 150) // and a failed pull for the other account
	receive(t, in, "tokNew")
	o.fail = nil
	for range 3 {
		o.clk.Advance(restMost)
		in.Drain(ctx)
	}
	if got := o.api.calls(); !slices.Contains(got[2:], "tokOther") {
		t.Errorf("sync_msg calls by Token: %v; want the other account pulled for after WeCom answered again", got)
	}
	if left := o.pending(t); len(left) != 0 {
		t.Errorf("%d callbacks left", len(left))
	}
}
