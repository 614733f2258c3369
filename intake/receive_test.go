package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// gatedInbox holds the first batch of callbacks at the door until opened,
// records the size of every batch, and fails batches while fail is set.
type gatedInbox struct {
	cases.Repo
	entered chan struct{} // closed when the first batch arrives
	open    chan struct{} // the first batch goes on when closed

	mu      sync.Mutex
	batches []int
	fail    error
	poison  string // a batch holding a key with this in it fails
}

func (g *gatedInbox) SaveInbounds(ctx context.Context, ins []*cases.Inbound) ([]bool, error) {
	g.mu.Lock()
	first := len(g.batches) == 0
	g.batches = append(g.batches, len(ins))
	fail := g.fail
	for _, in := range ins {
		if g.poison != "" && strings.Contains(in.Key, g.poison) {
			fail = fmt.Errorf("key %q too long for its column", in.Key)
		}
	}
	g.mu.Unlock()
	if first {
		close(g.entered)
		<-g.open
	}
	if fail != nil {
		return nil, fail
	}
	return g.Repo.SaveInbounds(ctx, ins)
}

func gatedIntake(t *testing.T) (*Intake, *gatedInbox) {
	g := &gatedInbox{Repo: storagetest.SQLite(t), entered: make(chan struct{}), open: make(chan struct{})}
	in := New(Config{Repo: g, Locker: storage.NewMemory().Locker(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return in, g
}

// receiveAll receives the callbacks of tokens side by side, once the first
// is inside its commit, and returns what each was answered.
func receiveAll(t *testing.T, in *Intake, g *gatedInbox, tokens []string) ([]bool, []error) {
	t.Helper()
	isNew, errs := make([]bool, len(tokens)), make([]error, len(tokens))
	var wg sync.WaitGroup
	for i, tok := range tokens {
		cb, plain := callback(t, tok)
		wg.Add(1)
		go func() {
			defer wg.Done()
			isNew[i], errs[i] = in.Receive(context.Background(), cb, plain)
		}()
		if i == 0 {
			<-g.entered
		}
	}
	// The others queue behind the first batch's commit.
	deadline := time.Now().Add(10 * time.Second) // a hang guard, not a measurement
	for {
		in.receive.mu.Lock()
		queued := len(in.receive.queue)
		in.receive.mu.Unlock()
		if queued == len(tokens)-1 {
			break
		}
		if time.Now().After(deadline) {
			close(g.open)
			t.Fatalf("%d of %d callbacks queued behind the first batch", queued, len(tokens)-1)
		}
		time.Sleep(time.Millisecond)
	}
	close(g.open)
	wg.Wait()
	return isNew, errs
}

// Callbacks that arrive while a batch commits are stored together in the
// next one, each answered as alone: new, or a repeat.
func TestCallbacksArrivingDuringACommitShareTheNext(t *testing.T) {
	in, g := gatedIntake(t)
	tokens := []string{"tok0"}
	for i := 1; i <= 9; i++ {
		tokens = append(tokens, fmt.Sprintf("tok%d", i))
	}
	tokens = append(tokens, "tok0", "tok3") // WeCom's retries
	isNew, errs := receiveAll(t, in, g, tokens)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	want := []bool{true, true, true, true, true, true, true, true, true, true, false, false}
	// tok3 and its repeat commit together: either may be the one stored.
	if isNew[3] != isNew[11] {
		want[3], want[11] = isNew[3], isNew[11]
	}
	if diff := cmp.Diff(want, isNew); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 11}, g.batches); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
	// A lone callback is committed alone, at once.
	if _, err := receiveOne(t, in, "tok10"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{1, 11, 1}, g.batches); diff != "" {
		t.Errorf("batches after a lone callback (-want +got):\n%s", diff)
	}
	pending, err := in.repo.PendingInbound(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 11 {
		t.Errorf("%d callbacks stored, want 11", len(pending))
	}
}

// A batch that cannot be stored fails every callback in it: each is
// answered with an error (WeCom is told to try again), none is stored.
func TestAFailedBatchFailsEveryCallbackInIt(t *testing.T) {
	in, g := gatedIntake(t)
	g.fail = errors.New("disk full")
	isNew, errs := receiveAll(t, in, g, []string{"tok0", "tok1", "tok2", "tok3"})
	for i, err := range errs {
		if err == nil || isNew[i] {
			t.Errorf("callback %d: new %v, err %v; want an error", i, isNew[i], err)
		}
	}
	pending, err := in.repo.PendingInbound(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 0 {
		t.Errorf("%d callbacks stored, want none", len(pending))
	}
	// WeCom's retry is stored.
	g.mu.Lock()
	g.fail = nil
	g.mu.Unlock()
	isNew1, err := receiveOne(t, in, "tok1")
	if err != nil || !isNew1 {
		t.Errorf("retry: new %v, err %v; want new", isNew1, err)
	}
}

// One callback a batch cannot store (its key too long for the column, say)
// fails alone: the others that shared its batch are stored one by one.
func TestABadCallbackFailsAloneNotItsBatch(t *testing.T) {
	in, g := gatedIntake(t)
	g.poison = "bad"
	isNew, errs := receiveAll(t, in, g, []string{"tok0", "tok1", "tokbad", "tok2"})
	for i, want := range []bool{true, true, false, true} {
		if isNew[i] != want || (errs[i] == nil) != want {
			t.Errorf("callback %d: new %v, err %v; want new %v", i, isNew[i], errs[i], want)
		}
	}
	pending, err := in.repo.PendingInbound(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 3 {
		t.Errorf("%d callbacks stored, want 3", len(pending))
	}
	// The batch of three was stored again in halves, down to the bad one:
	// one and two, and the two in ones when the bad callback is among them
	// (the three queued in any order).
	if got := g.batches; !cmp.Equal(got, []int{1, 3, 1, 2}) && !cmp.Equal(got, []int{1, 3, 1, 2, 1, 1}) {
		t.Errorf("batches %v; want [1 3 1 2], then [1 1] when the bad callback was in the half of two", got)
	}
}

// A batch that timed out says nothing about its callbacks: it is not stored
// again in parts (each would wait for the same slow database in turn); all
// its callers are answered with the error, and WeCom tries again.
func TestATimedOutBatchIsNotStoredAgainInParts(t *testing.T) {
	in, g := gatedIntake(t)
	g.fail = fmt.Errorf("commit: %w", context.DeadlineExceeded)
	_, errs := receiveAll(t, in, g, []string{"tok0", "tok1", "tok2", "tok3"})
	for i, err := range errs {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("callback %d answered %v; want the timeout", i, err)
		}
	}
	if diff := cmp.Diff([]int{1, 3}, g.batches); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
}

func receiveOne(t *testing.T, in *Intake, token string) (bool, error) {
	t.Helper()
	cb, plain := callback(t, token)
	return in.Receive(context.Background(), cb, plain)
}

// panickyInbox panics on the first batch of callbacks it is asked to store.
type panickyInbox struct {
	cases.Repo
	panicked *bool
}

func (p panickyInbox) SaveInbounds(ctx context.Context, ins []*cases.Inbound) ([]bool, error) {
	if !*p.panicked {
		*p.panicked = true
		panic("bad driver")
	}
	return p.Repo.SaveInbounds(ctx, ins)
}

// A batch that panics is answered with an error, and the next callback is
// stored as usual: the group commit is not left waiting for it.
func TestABatchThatPanicsIsAnsweredAndTheNextStored(t *testing.T) {
	panicked := false
	in := New(Config{Repo: panickyInbox{storagetest.SQLite(t), &panicked}, Locker: storage.NewMemory().Locker(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if isNew, err := receiveOne(t, in, "tok0"); err == nil || isNew {
		t.Errorf("callback in the panicking batch: new %v, err %v; want an error", isNew, err)
	}
	if isNew, err := receiveOne(t, in, "tok0"); err != nil || !isNew {
		t.Errorf("WeCom's retry: new %v, err %v; want stored", isNew, err)
	}
}
