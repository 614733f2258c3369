package intake

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"banchengshi/bot"
	"banchengshi/cases"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
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
	tk := storagetest.NewTakeover(t)
	db, rdb := tk.DB, tk.Redis
	ctx := context.Background()
	photo := image("m1", "u1", 1, time.Now().Unix())
	rec := photo.Record()
	rec.ReceivedAt = time.Now()
	if _, err := db.InsertKfMessages(ctx, []*cases.KfMessage{&rec}); err != nil {
		t.Fatal(err)
	}

	killed := tk.KillChild(t, "TestCitizenTakeoverChild")

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

func takeoverIntake(t *testing.T, db *storage.SQL, rdb *storage.Redis, api KfAPI) *Intake {
	t.Helper()
	d := exampleDesk(t, nil)
	return New(Config{
		Repo: db, API: api, Locker: rdb.Locker(), Signal: rdb.Signal(), Engine: bot.New(bot.Config{}),
		Desk: d.With, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Every: workerInterval,
	})
}

// TestCitizenTakeoverChild is the process TestCitizenTakenOverAfterKill
// kills; it does nothing on its own.
func TestCitizenTakeoverChild(t *testing.T) {
	db, rdb := storagetest.TakeoverChild(t)
	stuck := &pagedKf{media: func(context.Context, string) error {
		storagetest.ChildReached()
		select {} // the kill comes first
	}}
	takeoverIntake(t, db, rdb, stuck).Run(context.Background())
}
