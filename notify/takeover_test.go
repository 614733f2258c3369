package notify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/notify"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
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
	tk := storagetest.NewTakeover(t)
	db, rdb := tk.DB, tk.Redis
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
		killed := tk.KillChild(t, "TestTakeoverChild")

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

// blockingSender announces a send and never returns: the process is killed
// while WeCom has the request.
type blockingSender struct{ recorder }

func (b *blockingSender) SendKf(ctx context.Context, _, _, _ string, _ cases.Message) (string, error) {
	storagetest.ChildReached()
	<-ctx.Done()
	select {} // the kill comes first
}

// TestTakeoverChild is the process TestTakeoverAfterKill kills; it does
// nothing on its own.
func TestTakeoverChild(t *testing.T) {
	db, rdb := storagetest.TakeoverChild(t)
	out := notify.New(notify.Config{Repo: db, API: &blockingSender{}, Locker: rdb.Locker(), Limiter: rdb.RateLimiter(), Every: workerInterval})
	out.Run(context.Background())
}
