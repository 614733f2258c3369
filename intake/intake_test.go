package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
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

// fakeKf plays WeCom's sync_msg with scripted pages and records the cursors
// it was asked for.
type fakeKf struct {
	pages   []wecom.SyncResponse
	cursors []string
	tokens  []string
}

func (f *fakeKf) SyncMsg(_ context.Context, req wecom.SyncRequest) (*wecom.SyncResponse, error) {
	f.cursors = append(f.cursors, req.Cursor)
	f.tokens = append(f.tokens, req.Token)
	if len(f.pages) == 0 {
		return &wecom.SyncResponse{NextCursor: req.Cursor}, nil
	}
	p := f.pages[0]
	f.pages = f.pages[1:]
	return &p, nil
}

func (f *fakeKf) GetMedia(context.Context, string) ([]byte, string, string, error) {
	return nil, "", "", fmt.Errorf("no media here")
}

func (f *fakeKf) SendKfOnEvent(context.Context, string, cases.Message) (string, error) {
	return "", nil
}

func newIntake(t *testing.T, repo cases.Repo, api KfAPI) *Intake {
	t.Helper()
	d := exampleDesk(t, nil)
	return New(Config{
		Repo: repo, API: api, Locker: storage.NewMemory().Locker(), Engine: bot.New(bot.Config{}),
		Desk: d.With, Timeline: d, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

// pullAndHandle pulls the kf account as its callback asks, then handles
// what was pulled as the workers do, and returns when they are done.
func pullAndHandle(t *testing.T, in *Intake, token string) {
	t.Helper()
	ctx := context.Background()
	if err := in.sync(ctx, "wkSANDBOX001", token); err != nil {
		t.Fatal(err)
	}
	if err := in.handlePending(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSyncStoresEachMessageOnceAndResumesFromCursor(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			repo := open(t)
			ctx := context.Background()
			now := time.Now().Unix()
			api := &fakeKf{pages: []wecom.SyncResponse{
				{NextCursor: "c1", HasMore: true, Messages: []wecom.KfMessage{text("m1", "u1", "你好", now), text("m2", "u1", "1", now)}},
				{NextCursor: "c2", HasMore: true}, // has_more with an empty list happens
				{NextCursor: "c3", Messages: []wecom.KfMessage{text("m2", "u1", "1", now), text("m3", "u2", "你好", now)}},
			}}
			in := newIntake(t, repo, api)
			pullAndHandle(t, in, "tok1")
			if diff := cmp.Diff([]string{"", "c1", "c2"}, api.cursors); diff != "" {
				t.Errorf("cursors asked (-want +got):\n%s", diff)
			}
			if cur, err := repo.Cursor(ctx, "wkSANDBOX001"); err != nil || cur != "c3" {
				t.Errorf("saved cursor %q, %v; want c3", cur, err)
			}
			pending, err := repo.PendingKfMessages(ctx, 10)
			if err != nil || len(pending) != 0 {
				t.Fatalf("unhandled messages left: %d, %v", len(pending), err)
			}
			for user, want := range map[string]int{"u1": 2, "u2": 1} {
				held, err := repo.HeldOutbox(ctx, "wkSANDBOX001", user)
				if err != nil {
					t.Fatal(err)
				}
				due, err := repo.DueOutbox(ctx, time.Now().Add(time.Minute), 100)
				if err != nil {
					t.Fatal(err)
				}
				got := len(held)
				for _, m := range due {
					if m.Recipient == user {
						got++
					}
				}
				if got != want {
					t.Errorf("%s: %d replies queued, want %d (one per message, the repeat handled once)", user, got, want)
				}
			}

			// A fresh worker (a restart) asks from the saved cursor, with the
			// callback's new Token.
			again := newIntake(t, repo, api)
			pullAndHandle(t, again, "tok2")
			if got := api.cursors[len(api.cursors)-1]; got != "c3" {
				t.Errorf("after restart asked from %q, want c3", got)
			}
			if got := api.tokens[len(api.tokens)-1]; got != "tok2" {
				t.Errorf("sync used token %q, want the callback's tok2", got)
			}
		})
	}
}

func TestOnePullerPerAccount(t *testing.T) {
	repo := storagetest.SQLite(t)
	api := &fakeKf{}
	in := newIntake(t, repo, api)
	lock, ok, err := in.locker.TryLock(context.Background(), kfLockKey("wkSANDBOX001"), time.Minute)
	if err != nil || !ok {
		t.Fatalf("lock: %v %v", ok, err)
	}
	defer lock.Unlock(context.Background())
	if err := in.sync(context.Background(), "wkSANDBOX001", "tok"); err != errBusy {
		t.Fatalf("sync while another worker pulls: %v, want errBusy", err)
	}
	if len(api.cursors) != 0 {
		t.Fatal("pulled although another worker holds the account")
	}
}

// brokenSessions fails every session save, as a database in trouble would.
type brokenSessions struct{ cases.Repo }

func (b brokenSessions) SaveSession(context.Context, string, []byte) error {
	return errors.New("disk full")
}

func (b brokenSessions) InTx(ctx context.Context, fn func(cases.Repo) error) error {
	return b.Repo.InTx(ctx, func(r cases.Repo) error { return fn(brokenSessions{r}) })
}

// A message that keeps failing is retried with growing waits for about an
// hour, then given up visibly: the citizen is told a person will look at it
// and the window's duty staff get a task. Later messages wait their turn.
func TestFailingMessageIsRetriedThenHandedToStaff(t *testing.T) {
	repo := storagetest.SQLite(t)
	clk := clock.NewFake(time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC))
	api := &fakeKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{
		text("m1", "u1", "你好", clk.Now().Unix()), text("m2", "u1", "1", clk.Now().Unix()),
	}}}}
	duty := len(exampleDirectory(t).DutyStaff("wkSANDBOX001"))
	in := clockedIntake(t, brokenSessions{repo}, api, clk)
	ctx := context.Background()
	pullAndHandle(t, in, "tok")
	attempts := func() (int, int) {
		pending, err := repo.PendingKfMessages(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			return -1, 0
		}
		return pending[0].Attempts, len(pending)
	}
	if n, left := attempts(); n != 1 || left != 2 {
		t.Fatalf("after the first try: attempts %d, pending %d; want 1 and both messages waiting", n, left)
	}
	in.Drain(ctx) // too early for a retry
	if n, _ := attempts(); n != 1 {
		t.Fatalf("retried before its wait: attempts %d", n)
	}
	for i := 0; i < 40; i++ {
		clk.Advance(5 * time.Minute)
		in.Drain(ctx)
	}
	if _, left := attempts(); left != 0 {
		t.Fatalf("%d messages still pending after the retries", left)
	}
	due, err := repo.DueOutbox(ctx, clk.Now(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var toCitizen, toStaff int
	for _, m := range due {
		switch {
		case m.Channel == cases.ChannelKf && m.Recipient == "u1" && strings.Contains(m.Message.Text, "工作人员会尽快查看"):
			toCitizen++
		case m.Channel == cases.ChannelApp && strings.Contains(m.Message.Text, "多次处理失败"):
			toStaff++
		}
	}
	if toCitizen != 2 || toStaff != 2*duty {
		t.Errorf("given up visibly: %d citizen replies (want 2), %d staff tasks (want %d)", toCitizen, toStaff, 2*duty)
	}
}

// A citizen who recalls a message in WeChat has it noted on their open case.
func TestRecallNotedOnTheCase(t *testing.T) {
	repo := storagetest.SQLite(t)
	ctx := context.Background()
	now := time.Now()
	num, err := repo.NextNumber(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	c := &cases.Case{Number: num, OpenKfID: "wkSANDBOX001", ReporterID: "u1", Status: cases.StatusAccepted, Category: "pension", CreatedAt: now, UpdatedAt: now}
	if err := repo.CreateCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	ev := recallEvent("e1", "u1", "m0", now.Unix())
	in := newIntake(t, repo, &fakeKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{ev}}}})
	pullAndHandle(t, in, "tok")
	timeline, err := repo.Timeline(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(timeline) != 1 || !strings.Contains(timeline[0].Body, "撤回") {
		t.Fatalf("timeline after a recall: %+v", timeline)
	}
}

// A worker whose lock expired under it may hold a stale copy of a message
// another worker has handled since: handling it again keeps nothing.
func TestStaleWorkerKeepsNothing(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			repo := open(t)
			ctx := context.Background()
			now := time.Now().Unix()
			api := &fakeKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{text("m1", "u1", "你好", now)}}}}
			in := newIntake(t, repo, api)
			if err := in.repo.InTx(ctx, func(r cases.Repo) error {
				_, err := r.InsertKfMessage(ctx, in.record(&api.pages[0].Messages[0]))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			stale, err := repo.PendingKfMessages(ctx, 10)
			if err != nil || len(stale) != 1 {
				t.Fatalf("pending: %d, %v", len(stale), err)
			}
			copyOf := *stale[0]
			if err := in.handleKf(ctx, stale[0]); err != nil {
				t.Fatal(err)
			}
			replies := func() int {
				due, err := repo.DueOutbox(ctx, time.Now().Add(time.Minute), 100)
				if err != nil {
					t.Fatal(err)
				}
				return len(due)
			}
			before := replies()
			if err := in.handleKf(ctx, &copyOf); !errors.Is(err, cases.ErrDone) {
				t.Fatalf("second handling: %v, want ErrDone", err)
			}
			if got := replies(); got != before {
				t.Errorf("the second handling queued %d more replies", got-before)
			}
		})
	}
}
