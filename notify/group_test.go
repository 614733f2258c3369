package notify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/metrics"
	"banchengshi/notify"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// A citizen with several replies due gets them for two commits: one
// statement claims them all before the first is sent, one transaction
// settles them all after the last. Every message still counts in the
// window and its fate is on the timeline.
func TestRepliesToOneCitizenShareCommits(t *testing.T) {
	for name, open := range map[string]func(testing.TB) (*storage.SQL, *storagetest.Counter){
		"sqlite": storagetest.CountedSQLite, "mysql": storagetest.CountedMySQL,
	} {
		t.Run(name, func(t *testing.T) {
			db, counter := open(t)
			api := &weCom{}
			f := effectsFixture(t, db, api)
			f.started(t, api)
			ctx := context.Background()
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			c := f.newCase(t, "wmA", cases.StatusResolved)
			f.enqueue(t, 0, "wmA", "一", cases.PriorityNormal)
			f.enqueue(t, 0, "wmA", "二", cases.PriorityNormal)
			f.enqueue(t, 0, "wmA", "三", cases.PriorityNormal)
			f.enqueue(t, c.ID, "wmA", "答复", cases.PriorityCritical)
			counter.Reset()
			if err := f.out.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			// Reading the due page (twice: the second finds nothing) and
			// the contact, the claim (one statement: all or none), the
			// settlement (the states, the answer's fate: the sealing key
			// checked and the event; the window counts the messages by
			// their state).
			counts := counter.Counts()
			if got := counts.DatabaseCommits(); got != 2 {
				t.Errorf("the database committed %d times for 4 replies, want 2 (%+v)", got, counts)
			}
			if got := counts.Statements; got != 7 {
				t.Errorf("%d statements for 4 replies, want 7 (%+v)", got, counts)
			}
			want := []string{"答复", "一", "二", "三"}
			if diff := cmp.Diff(want, calledTexts(api)); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			assertSettled(t, f, c.ID, []string{"答复 sent"}, 4)
			due, err := db.DueOutbox(ctx, f.now.Add(time.Hour), 10)
			if err != nil || len(due) != 0 {
				t.Errorf("still due: %v, %v", due, err)
			}
		})
	}
}

// When one of a citizen's messages changed after the due page was read and
// before the run was claimed, none of the run is claimed (no attempt
// counted, nothing waits for a claim to run out) and nothing is sent; the
// flush's next round reads them again and sends them in order.
func TestRunClaimedAllOrNone(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			ctx := context.Background()
			api := &weCom{}
			repo := &flakyRepo{Repo: db}
			f := effectsFixture(t, db, api)
			f.out = notify.New(notify.Config{Repo: repo, API: api, Locker: storage.NewMemory().Locker(),
				Limiter: storage.NewMemory().RateLimiter(), Now: func() time.Time { return f.now }})
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			c := f.newCase(t, "wmA", cases.StatusResolved)
			f.enqueue(t, c.ID, "wmA", "答复", cases.PriorityCritical)
			next := f.enqueue(t, c.ID, "wmA", "进展", cases.PriorityNormal)
			var claimedBeforeRetry []string
			repo.afterDue = func() {
				// Another writer changes the second message meanwhile.
				touchOutbox(t, db, c.ID, next.ID)
				repo.afterDue = func() {
					list, err := db.CaseOutbox(ctx, c.ID)
					if err != nil {
						t.Fatal(err)
					}
					for _, m := range list {
						claimedBeforeRetry = append(claimedBeforeRetry, fmt.Sprintf("%s %d", m.Message.Text, m.Attempts))
					}
					repo.afterDue = nil
				}
			}
			if err := f.out.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"答复 0", "进展 0"}, claimedBeforeRetry); diff != "" {
				t.Errorf("attempts after the refused claim (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"答复", "进展"}, calledTexts(api)); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			assertSettled(t, f, c.ID, []string{"答复 sent", "进展 sent"}, 2)
		})
	}
}

// When a claimed message changed while the run was being sent, the others
// WeCom took are still settled: sent, counted in the window, their fates on
// the timeline. The changed one, which WeCom took too, is sent again under
// its key once its claim runs out: WeCom takes it as the message it has,
// and it is settled and counted once.
func TestSettledWhenOneMessageChangedMeanwhile(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			api := &weCom{}
			f := effectsFixture(t, db, api)
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			c := f.newCase(t, "wmA", cases.StatusResolved)
			f.enqueue(t, c.ID, "wmA", "答复", cases.PriorityCritical)
			next := f.enqueue(t, c.ID, "wmA", "进展", cases.PriorityNormal)
			api.fail = func(call int, _ cases.Message) (bool, error) {
				if call == 1 {
					touchOutbox(t, db, c.ID, next.ID)
				}
				return true, nil
			}
			if err := f.out.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			assertSettled(t, f, c.ID, []string{"答复 sent", "进展 pending"}, 1)
			f.drain(t, 2)
			if diff := cmp.Diff([]string{"答复", "进展", "进展"}, calledTexts(api)); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			if got := len(api.deliveredTexts()); got != 2 {
				t.Errorf("%d messages delivered, want 2", got)
			}
			assertSettled(t, f, c.ID, []string{"答复 sent", "进展 sent"}, 2)
		})
	}
}

// A sender that dies between its sends and the settlement (here: the
// database is gone and the sender panics in the middle of the run) leaves
// the run claimed. Once the claim runs out the next flush sends it again,
// in order, under the same keys: WeCom takes the messages it has as
// repeats, the citizen gets each message once, and each is settled,
// counted in the window and given its fate once.
func TestCrashBetweenSendsAndSettlement(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			ctx := context.Background()
			repo := &flakyRepo{Repo: db}
			var delivered []string
			seen := map[string]bool{}
			api := &weCom{fail: func(call int, m cases.Message) (bool, error) {
				if call == 3 {
					// The process dies while WeCom has the third message:
					// nothing it writes from here on reaches the database.
					repo.down.Store(true)
					panic("killed")
				}
				if !seen[m.Text] {
					seen[m.Text] = true
					delivered = append(delivered, m.Text)
				}
				return true, nil
			}}
			f := effectsFixture(t, db, api)
			f.out = notify.New(notify.Config{Repo: repo, API: api, Locker: storage.NewMemory().Locker(),
				Limiter: storage.NewMemory().RateLimiter(), Now: func() time.Time { return f.now }})
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			c := f.newCase(t, "wmA", cases.StatusResolved)
			f.enqueue(t, 0, "wmA", "一", cases.PriorityNormal)
			f.enqueue(t, 0, "wmA", "二", cases.PriorityNormal)
			f.enqueue(t, 0, "wmA", "三", cases.PriorityNormal)
			f.enqueue(t, c.ID, "wmA", "答复", cases.PriorityCritical)
			if err := f.out.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			assertSettled(t, f, c.ID, []string{"答复 pending"}, 0)
			if due, err := db.DueOutbox(ctx, f.now, 10); err != nil || len(due) != 0 {
				t.Fatalf("due while claimed: %v, %v", due, err)
			}

			repo.down.Store(false)
			f.drain(t, 2)
			if diff := cmp.Diff([]string{"答复", "一", "二", "三"}, delivered); diff != "" {
				t.Errorf("delivered (-want +got):\n%s", diff)
			}
			if got := len(api.deliveredTexts()); got != 4 {
				t.Errorf("%d messages delivered, want 4", got)
			}
			var keys []string
			for _, call := range api.calls {
				_, key, _ := strings.Cut(call, "/")
				keys = append(keys, key)
			}
			if keys[0] != keys[3] || keys[1] != keys[4] || keys[2] != keys[5] {
				t.Errorf("sent again under other keys: %q", api.calls)
			}
			assertSettled(t, f, c.ID, []string{"答复 sent"}, 4)
			plain, err := db.CaseOutbox(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range plain {
				if m.Status != cases.OutboxSent {
					t.Errorf("%s %s, want sent", m.Message.Text, m.Status)
				}
			}
		})
	}
}

// A message that kills its sender every time (a death, not a panic: nothing
// is written after the claim) is given up after its attempts; the message
// claimed with it in its first run spends one attempt there, is then sent
// on its own, and goes out.
func TestMessageThatKillsItsSenderSparesTheNextOne(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			ctx := context.Background()
			repo := &flakyRepo{Repo: db}
			api := &weCom{fail: func(_ int, m cases.Message) (bool, error) {
				if m.Text == "炸" {
					repo.down.Store(true)
					panic("killed")
				}
				return true, nil
			}}
			f := effectsFixture(t, db, api)
			f.out = notify.New(notify.Config{Repo: repo, API: api, Locker: storage.NewMemory().Locker(),
				Limiter: storage.NewMemory().RateLimiter(), Now: func() time.Time { return f.now }})
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			f.enqueue(t, 0, "wmA", "炸", cases.PriorityNormal)
			f.enqueue(t, 0, "wmA", "好", cases.PriorityNormal)
			for range 12 {
				repo.down.Store(false)
				if err := f.out.Flush(ctx); err != nil {
					t.Fatal(err)
				}
				f.now = f.now.Add(15 * time.Minute)
			}
			list, err := db.CaseOutbox(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range list {
				got = append(got, fmt.Sprintf("%s %s %d", m.Message.Text, m.Status, m.Attempts))
			}
			if diff := cmp.Diff([]string{"炸 failed 10", "好 sent 2"}, got); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}

// When the recipient's lease is lost in the middle of a run, what went is
// settled, nothing more is sent, and the messages after it get their
// claim back: due as before, no attempt spent.
func TestLeaseLostInTheMiddleOfARun(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			api := &weCom{fail: func(call int, _ cases.Message) (bool, error) {
				if call == 2 {
					cancel()
				}
				return true, nil
			}}
			f := effectsFixture(t, db, api)
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			c := f.newCase(t, "wmA", cases.StatusResolved)
			f.enqueue(t, c.ID, "wmA", "一", cases.PriorityNormal)
			f.enqueue(t, c.ID, "wmA", "二", cases.PriorityNormal)
			f.enqueue(t, c.ID, "wmA", "三", cases.PriorityNormal)
			if err := f.out.Flush(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("flush: %v, want context.Canceled", err)
			}
			assertSettled(t, f, c.ID, []string{"一 sent", "二 sent", "三 pending"}, 2)
			due, err := db.DueOutbox(context.Background(), f.now, 10)
			if err != nil || len(due) != 1 {
				t.Fatalf("due: %v, %v", due, err)
			}
			if got := fmt.Sprintf("%s %d %s", due[0].Message.Text, due[0].Attempts, due[0].NextAttemptAt.Sub(f.now)); got != "三 0 0s" {
				t.Errorf("the message after the lease was lost: %s, want 三 0 0s", got)
			}
		})
	}
}

// losingLocker hands out leases that are lost at their first renewal.
type losingLocker struct {
	storage.Locker
	lost chan struct{}
	once sync.Once
}

func (l *losingLocker) TryLock(ctx context.Context, key string, ttl time.Duration) (storage.Lock, bool, error) {
	lock, ok, err := l.Locker.TryLock(ctx, key, ttl)
	if !ok || err != nil {
		return lock, ok, err
	}
	return losingLock{lock, l}, true, nil
}

type losingLock struct {
	storage.Lock
	l *losingLocker
}

func (k losingLock) Refresh(context.Context, time.Duration) error {
	k.l.once.Do(func() { close(k.l.lost) })
	return storage.ErrLockLost
}

// A recipient's lease lost in the middle of a run stops that run alone:
// the round is not failed for the other citizens, and the rest of the run,
// its claim given back, is read again.
func TestLeaseLostIsNotARoundsFailure(t *testing.T) {
	db := storagetest.SQLite(t)
	locker := &losingLocker{Locker: storage.NewMemory().Locker(), lost: make(chan struct{})}
	api := &weCom{fail: func(_ int, m cases.Message) (bool, error) {
		if m.Text == "一" {
			<-locker.lost // the lease is renewed, and lost, while 一 goes out
			time.Sleep(10 * time.Millisecond)
		}
		return true, nil
	}}
	f := &fixture{db: db, api: &api.recorder, tasks: &tasks{}, now: t0}
	f.out = notify.New(notify.Config{Repo: db, API: api, Locker: locker, Limiter: storage.NewMemory().RateLimiter(), Tasks: f.tasks,
		Now: func() time.Time { return f.now }})
	f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
	f.contact(t, "wmB", f.now.Add(-time.Minute), 0)
	f.enqueue(t, 0, "wmA", "一", cases.PriorityNormal)
	f.enqueue(t, 0, "wmA", "二", cases.PriorityNormal)
	f.enqueue(t, 0, "wmB", "乙", cases.PriorityNormal)
	if err := f.out.Flush(context.Background()); err != nil {
		t.Errorf("flush with one recipient's lease lost: %v", err)
	}
	sent := calledTexts(api)
	sort.Strings(sent)
	if diff := cmp.Diff([]string{"一", "乙", "二"}, sent); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
	due, err := db.DueOutbox(context.Background(), f.now.Add(time.Hour), 10)
	if err != nil || len(due) != 0 {
		t.Errorf("due after the round: %v, %v", due, err)
	}
}

// WeCom's frequency limit in the middle of a run: what went before is
// settled, and the limited message and the ones after it keep their place
// in the queue as if never claimed (no attempt spent, due as before).
func TestFrequencyLimitInTheMiddleOfARun(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			api := &weCom{fail: func(call int, _ cases.Message) (bool, error) {
				if call == 2 {
					return false, &wecom.APIError{Code: wecom.CodeFreqLimit, Msg: "api freq out of limit", Path: "/cgi-bin/kf/send_msg"}
				}
				return true, nil
			}}
			f := effectsFixture(t, db, api)
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			c := f.newCase(t, "wmA", cases.StatusResolved)
			f.enqueue(t, c.ID, "wmA", "一", cases.PriorityNormal)
			f.enqueue(t, c.ID, "wmA", "二", cases.PriorityNormal)
			f.enqueue(t, c.ID, "wmA", "三", cases.PriorityNormal)
			if err := f.out.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			assertSettled(t, f, c.ID, []string{"一 sent", "二 pending", "三 pending"}, 1)
			due, err := db.DueOutbox(context.Background(), f.now, 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range due {
				got = append(got, fmt.Sprintf("%s %d %s", m.Message.Text, m.Attempts, m.NextAttemptAt.Sub(f.now)))
			}
			if diff := cmp.Diff([]string{"二 0 0s", "三 0 0s"}, got); diff != "" {
				t.Errorf("due after the limit (-want +got):\n%s", diff)
			}
			f.drain(t, 2)
			if diff := cmp.Diff([]string{"一", "二", "二", "三"}, calledTexts(api)); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			assertSettled(t, f, c.ID, []string{"一 sent", "二 sent", "三 sent"}, 3)
		})
	}
}

// WeCom saying the window is used up in the middle of a run: the messages
// before are counted, the window is marked used up in the same
// transaction, and the refused message and the ones after it are held
// until the citizen writes.
func TestWindowUsedUpInTheMiddleOfARun(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			api := &weCom{fail: func(call int, _ cases.Message) (bool, error) {
				if call == 2 {
					return false, &wecom.APIError{Code: wecom.CodeKfSendLimit, Msg: "send msg count out of limit", Path: "/cgi-bin/kf/send_msg"}
				}
				return true, nil
			}}
			f := effectsFixture(t, db, api)
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			c := f.newCase(t, "wmA", cases.StatusResolved)
			f.enqueue(t, c.ID, "wmA", "一", cases.PriorityNormal)
			f.enqueue(t, c.ID, "wmA", "二", cases.PriorityNormal)
			f.enqueue(t, c.ID, "wmA", "三", cases.PriorityNormal)
			f.drain(t, 2)
			if diff := cmp.Diff([]string{"一", "二"}, calledTexts(api)); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"一 sent", "二 held", "三 held"}, f.fates(t, c.ID)); diff != "" {
				t.Errorf("messages of the case (-want +got):\n%s", diff)
			}
			contact, err := db.GetContact(context.Background(), "wk1", "wmA")
			if err != nil {
				t.Fatal(err)
			}
			if contact.SentInWindow != cases.KfWindowMessages {
				t.Errorf("%d messages counted in the window, want %d", contact.SentInWindow, cases.KfWindowMessages)
			}
		})
	}
}

// flakyRepo is the database as the outbox sees it, with hooks: afterDue
// runs once a page of due messages is read, and while down every write
// fails, as if the process had died.
type flakyRepo struct {
	cases.Repo
	down     atomic.Bool
	afterDue func()
}

var errDown = errors.New("the database is gone")

func (r *flakyRepo) DueOutbox(ctx context.Context, now time.Time, limit int) ([]*cases.OutboxMessage, error) {
	list, err := r.Repo.DueOutbox(ctx, now, limit)
	if r.afterDue != nil {
		r.afterDue()
	}
	return list, err
}

func (r *flakyRepo) InTx(ctx context.Context, fn func(cases.Repo) error) error {
	if r.down.Load() {
		return errDown
	}
	return r.Repo.InTx(ctx, fn)
}

func (r *flakyRepo) UpdateOutbox(ctx context.Context, m *cases.OutboxMessage) error {
	if r.down.Load() {
		return errDown
	}
	return r.Repo.UpdateOutbox(ctx, m)
}

func (r *flakyRepo) UpdateOutboxes(ctx context.Context, ms []*cases.OutboxMessage) error {
	if r.down.Load() {
		return errDown
	}
	return r.Repo.UpdateOutboxes(ctx, ms)
}

// calledTexts are the texts of api's calls, in order.
func calledTexts(api *weCom) []string {
	api.mu.Lock()
	defer api.mu.Unlock()
	var out []string
	for _, c := range api.calls {
		text, _, _ := strings.Cut(c, "/")
		out = append(out, text)
	}
	return out
}

// touchOutbox changes message id of case caseID as another writer would:
// its version moves on.
func touchOutbox(t *testing.T, db *storage.SQL, caseID, id int64) {
	t.Helper()
	ctx := context.Background()
	list, err := db.CaseOutbox(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.ID == id {
			m.LastError = "touched"
			if err := db.UpdateOutbox(ctx, m); err != nil {
				t.Fatal(err)
			}

			return
		}
	}
	t.Fatalf("message %d not found", id)
}

// assertSettled checks the messages of case caseID (text and status), that
// each one sent has its fate on the case's timeline, and the citizen wmA's
// count of messages in the window.
func assertSettled(t *testing.T, f *fixture, caseID int64, want []string, inWindow int) {
	t.Helper()
	ctx := context.Background()
	if diff := cmp.Diff(want, f.fates(t, caseID)); diff != "" {
		t.Errorf("messages of the case (-want +got):\n%s", diff)
	}
	out, err := f.db.CaseOutbox(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	var wantFates []string
	for _, m := range out {
		if m.Status == cases.OutboxSent {
			wantFates = append(wantFates, fmt.Sprint(m.ID))
		}
	}
	tl, err := f.db.Timeline(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	var fates []string
	for _, e := range tl {
		if e.Kind != cases.EventNotification {
			continue
		}
		var fate cases.OutboxFate
		if err := cases.ParseData(e.Data, &fate); err != nil {
			t.Fatal(err)
		}
		fates = append(fates, fmt.Sprint(fate.OutboxID))
	}
	if diff := cmp.Diff(wantFates, fates); diff != "" {
		t.Errorf("fates on the timeline (-want +got):\n%s", diff)
	}
	contact, err := f.db.GetContact(ctx, "wk1", "wmA")
	if err != nil {
		t.Fatal(err)
	}
	if contact.SentInWindow != inWindow {
		t.Errorf("%d messages counted in the window, want %d", contact.SentInWindow, inWindow)
	}
}

// A lone reply about no case costs MySQL two commits and no transaction: its
// claim and its settlement (the message's state, by which it counts in the
// window), each one statement committed on its own.
func TestLoneReplyCostsTwoCommitsOnMySQL(t *testing.T) {
	db, counter := storagetest.CountedMySQL(t)
	api := &weCom{}
	f := effectsFixture(t, db, api)
	f.started(t, api)
	ctx := context.Background()
	f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
	f.enqueue(t, 0, "wmA", "您好", cases.PriorityNormal)
	counter.Reset()
	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	counts := counter.Counts()
	if counts.Begins != 0 || counts.DatabaseCommits() != 2 {
		t.Errorf("%d transactions and %d commits for a lone reply, want 0 and 2 (%+v)", counts.Begins, counts.DatabaseCommits(), counts)
	}
	if diff := cmp.Diff([]string{"您好"}, calledTexts(api)); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
	contact, err := db.GetContact(ctx, "wk1", "wmA")
	if err != nil {
		t.Fatal(err)
	}
	if contact.SentInWindow != 1 {
		t.Errorf("%d messages counted in the window, want 1", contact.SentInWindow)
	}
}

// WeCom's msg_send_fail for a reply can arrive while later replies of its
// run are still being sent, before the run is settled: the outbox finds the
// message by its send key (WeCom's msgid for it) and holds it at once; the
// run's settlement (one statement, outside a transaction) then leaves it
// held and settles the rest, each counted once.
func TestSendFailedBeforeItsRunIsSettledIsNotLost(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			api := &weCom{}
			f := effectsFixture(t, db, api)
			m := metrics.New()
			mem := storage.NewMemory()
			f.out = notify.New(notify.Config{Repo: db, API: api, Locker: mem.Locker(), Limiter: mem.RateLimiter(), Tasks: f.tasks,
				Metrics: m, Now: func() time.Time { return f.now }})
			ctx := context.Background()
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			first := f.enqueue(t, 0, "wmA", "一", cases.PriorityNormal)
			second := f.enqueue(t, 0, "wmA", "二", cases.PriorityNormal)
			third := f.enqueue(t, 0, "wmA", "三", cases.PriorityNormal)
			var early error
			api.fail = func(call int, _ cases.Message) (bool, error) {
				if call == 2 { // intake handles the report while "二" goes out
					early = db.InTx(ctx, func(r cases.Repo) error { return f.out.SendFailed(ctx, r, "wk1", "wmA", first.SendKey, 6) })
				}
				return true, nil
			}
			if err := f.out.Flush(ctx); err != nil {
				t.Fatalf("the run after its first message was reported undelivered: %v", err)
			}
			if early != nil {
				t.Fatalf("a report before the run is settled: %v", early)
			}
			for _, c := range []struct {
				m    *cases.OutboxMessage
				want cases.OutboxStatus
			}{{first, cases.OutboxHeld}, {second, cases.OutboxSent}, {third, cases.OutboxSent}} {
				got, err := db.OutboxByWeComMsgID(ctx, c.m.SendKey)
				if err != nil {
					t.Fatal(err)
				}
				if got.ID != c.m.ID || got.Status != c.want {
					t.Errorf("message %d under %s: message %d is %s, want %s", c.m.ID, c.m.SendKey, got.ID, got.Status, c.want)
				}
			}
			rec := httptest.NewRecorder()
			m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			for _, want := range []string{`bcs_notifications_total{channel="kf",fate="sent"} 2`, `bcs_notifications_total{channel="kf",fate="held"} 1`} {
				if !strings.Contains(rec.Body.String(), want) {
					t.Errorf("metrics without %s:\n%s", want, rec.Body.String())
				}
			}
		})
	}
}

// WeCom saying the window is used up in the middle of a run while the
// citizen's next message is being handled: the run's settlement (the sent
// messages' window, then the window used up) and intake's new window wait
// for each other in turn, and neither is chosen as a deadlock's victim.
func TestWindowUsedUpWhileTheCitizenWritesIsNoDeadlock(t *testing.T) {
	db := storagetest.MySQL(t)
	ctx := context.Background()
	api := &weCom{fail: func(call int, _ cases.Message) (bool, error) {
		if call == 2 {
			return false, &wecom.APIError{Code: wecom.CodeKfSendLimit, Msg: "send msg count out of limit", Path: "/cgi-bin/kf/send_msg"}
		}
		return true, nil
	}}
	f := effectsFixture(t, db, api)
	intake := make(chan error, 1)
	hook := &afterSentInTx{Repo: db, after: func() {
		// The citizen writes while the run is being settled.
		go func() {
			intake <- db.InTx(ctx, func(r cases.Repo) error {
				_, _, err := r.OpenWindow(ctx, "wk1", "wmA", 1, f.now, f.now, f.now)
				return err
			})
		}()
		storagetest.UntilBlocked(t, db, intake)
	}}
	mem := storage.NewMemory()
	f.out = notify.New(notify.Config{Repo: hook, API: api, Locker: mem.Locker(), Limiter: mem.RateLimiter(), Tasks: f.tasks,
		Now: func() time.Time { return f.now }})
	f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
	c := f.newCase(t, "wmA", cases.StatusResolved)
	f.enqueue(t, c.ID, "wmA", "一", cases.PriorityNormal)
	f.enqueue(t, c.ID, "wmA", "二", cases.PriorityNormal)
	if err := f.out.Flush(ctx); err != nil {
		t.Errorf("the run's settlement: %v", err)
	}
	select {
	case err := <-intake:
		if err != nil {
			t.Errorf("the citizen's message: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the citizen's message was never handled: the settlement wrote no sent messages in a transaction")
	}
	if diff := cmp.Diff([]string{"一 sent", "二 held"}, f.fates(t, c.ID)); diff != "" {
		t.Errorf("messages of the case (-want +got):\n%s", diff)
	}
}

// afterSentInTx is the database with a hook: after the first sent messages
// written down inside a transaction, after runs (once).
type afterSentInTx struct {
	cases.Repo
	after func()
	once  sync.Once
}

func (h *afterSentInTx) InTx(ctx context.Context, fn func(cases.Repo) error) error {
	return h.Repo.InTx(ctx, func(r cases.Repo) error { return fn(&sentHooked{Repo: r, h: h}) })
}

type sentHooked struct {
	cases.Repo
	h *afterSentInTx
}

func (r *sentHooked) UpdateOutboxSent(ctx context.Context, ms []*cases.OutboxMessage) error {
	err := r.Repo.UpdateOutboxSent(ctx, ms)
	if err == nil {
		r.h.once.Do(r.h.after)
	}
	return err
}
