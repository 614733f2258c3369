package notify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/notify"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// weCom plays send_msg as WeCom does with msgid: a key it took before is a
// repeat, not a second message. fail decides, per call, to refuse (or panic)
// before or after WeCom took the message.
type weCom struct {
	recorder
	mu        sync.Mutex
	calls     []string // text/key of every call
	delivered map[string]string
	fail      func(call int, m cases.Message) (took bool, err error)
}

func (w *weCom) SendKf(_ context.Context, _, user, key string, m cases.Message) (string, error) {
	w.mu.Lock()
	w.calls = append(w.calls, m.Text+"/"+key)
	n := len(w.calls)
	w.mu.Unlock()
	took, err := true, error(nil)
	if w.fail != nil {
		took, err = w.fail(n, m)
	}
	if took {
		w.mu.Lock()
		if w.delivered == nil {
			w.delivered = map[string]string{}
		}
		if _, seen := w.delivered[key]; !seen {
			w.delivered[key] = user + ": " + m.Text
		}
		w.mu.Unlock()
	}
	if err != nil {
		return "", err
	}
	return key, nil
}

func (w *weCom) deliveredTexts() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, v := range w.delivered {
		out = append(out, v)
	}
	return out
}

// effectsFixture is the planner's fixture on a chosen database, with a
// scripted WeCom.
func effectsFixture(t *testing.T, db *storage.SQL, api *weCom) *fixture {
	f := &fixture{db: db, api: &api.recorder, tasks: &tasks{}, now: t0}
	mem := storage.NewMemory()
	f.out = notify.New(notify.Config{Repo: db, API: api, Locker: mem.Locker(), Limiter: mem.RateLimiter(), Tasks: f.tasks,
		Now: func() time.Time { return f.now }})
	return f
}

// started has f's sender take one message (to wmEarlier) and forgets the
// call, so that its look for retries left from before it started (probe)
// is behind it when a test counts what a send costs.
func (f *fixture) started(t *testing.T, api *weCom) {
	t.Helper()
	f.contact(t, "wmEarlier", f.now.Add(-time.Minute), 0)
	f.enqueue(t, 0, "wmEarlier", "早", cases.PriorityNormal)
	if err := f.out.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.calls) != 1 {
		t.Fatalf("calls before the test: %v", api.calls)
	}
	api.calls, api.delivered = nil, nil
}

var dialects = map[string]func(testing.TB) *storage.SQL{"sqlite": storagetest.SQLite, "mysql": storagetest.MySQL}

// drain flushes, moving the clock past every wait, until nothing is due.
func (f *fixture) drain(t *testing.T, rounds int) {
	t.Helper()
	for range rounds {
		if err := f.out.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(15 * time.Minute)
	}
}

// failsFirst is WeCom failing the first send with err, having taken the
// message if took; every later send goes through.
func failsFirst(took bool, err error) *weCom {
	return &weCom{fail: func(call int, _ cases.Message) (bool, error) {
		if call == 1 {
			return took, err
		}
		return true, nil
	}}
}

// firstSendFails is a fixture whose WeCom fails the first send with err,
// having taken the message if took (its answer was lost), and whose citizen
// wmA wrote a minute ago.
func firstSendFails(t *testing.T, db *storage.SQL, took bool, err error) (*fixture, *weCom) {
	t.Helper()
	api := failsFirst(took, err)
	f := effectsFixture(t, db, api)
	f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
	return f, api
}

// A send whose answer is lost after WeCom took the message (a timeout, a
// crash before the fate was saved) is retried with the same key, and WeCom
// delivers it once.
func TestRetrySendsTheSameKey(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			f, api := firstSendFails(t, open(t), true, errors.New("wecom /cgi-bin/kf/send_msg: context deadline exceeded"))
			m := f.enqueue(t, 0, "wmA", "您好", cases.PriorityNormal)
			f.drain(t, 2)
			want := []string{"您好/" + m.SendKey, "您好/" + m.SendKey}
			if diff := cmp.Diff(want, api.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"wmA: 您好"}, api.deliveredTexts()); diff != "" {
				t.Errorf("delivered (-want +got):\n%s", diff)
			}
		})
	}
}

// A message that panics the sender is recovered per message: the others go
// out, each panic counts as an attempt, and after the last attempt the bad
// message is given up on (a critical one about a case becomes a phone task).
// A critical message that fails for good the ordinary way does too; a normal
// one just fails.
func TestPanicsAndFailuresForGood(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			api := &weCom{fail: func(_ int, m cases.Message) (bool, error) {
				switch m.Text {
				case "炸":
					panic("index out of range [3] with length 3")
				case "坏":
					return false, errors.New("wecom /cgi-bin/kf/send_msg: HTTP status 502")
				}
				return true, nil
			}}
			f := effectsFixture(t, open(t), api)
			c := f.newCase(t, "wmBad", cases.StatusResolved)
			f.contact(t, "wmBad", f.now.Add(-time.Minute), 0)
			f.contact(t, "wmOK", f.now.Add(-time.Minute), 0)
			f.contact(t, "wmMore", f.now.Add(-time.Minute), 0)
			f.enqueue(t, c.ID, "wmBad", "炸", cases.PriorityCritical)
			f.enqueue(t, 0, "wmOK", "好", cases.PriorityNormal)
			f.enqueue(t, c.ID, "wmMore", "坏", cases.PriorityCritical)
			f.enqueue(t, 0, "wmMore", "坏", cases.PriorityNormal)
			// wmMore's second message is tried only once the first is
			// settled: each citizen's messages go out in order.
			f.drain(t, 28)

			if diff := cmp.Diff([]string{"wmOK: 好"}, api.deliveredTexts()); diff != "" {
				t.Errorf("delivered (-want +got):\n%s", diff)
			}
			tries := map[string]int{}
			for _, call := range api.calls {
				tries[call]++
			}
			for call, n := range tries {
				if !strings.HasPrefix(call, "好/") && n != 10 {
					t.Errorf("%s tried %d times, want 10", call, n)
				}
			}
			plain, err := f.db.CaseOutbox(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range plain {
				if m.Recipient == "wmMore" && m.Status != cases.OutboxFailed {
					t.Errorf("normal message failing for good: %s, want failed", m.Status)
				}
			}
			var got []string
			for _, user := range []string{"wmBad", "wmMore"} {
				list, err := f.db.CaseOutbox(context.Background(), c.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range list {
					if m.Recipient == user {
						got = append(got, fmt.Sprintf("%s %s %d %s", m.Message.Text, m.Status, m.Attempts, m.LastError))
					}
				}
			}
			want := []string{"炸 phone_task 10 企业微信多次发送失败", "坏 phone_task 10 企业微信多次发送失败"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("fates (-want +got):\n%s", diff)
			}
			if len(f.tasks.got) != 2 {
				t.Errorf("phone tasks %q, want 2", f.tasks.got)
			}
			due, err := f.db.DueOutbox(context.Background(), f.now.Add(time.Hour), 10)
			if err != nil || len(due) != 0 {
				t.Errorf("still due: %v, %v", due, err)
			}
		})
	}
}

// WeCom's frequency limit is not the message's fault: the attempt is given
// back and the message waits the time WeCom blocks the API.
func TestFrequencyLimitWaits(t *testing.T) {
	limited := true
	api := &weCom{fail: func(int, cases.Message) (bool, error) {
		if limited {
			return false, &wecom.APIError{Code: wecom.CodeFreqLimit, Msg: "api freq out of limit", Path: "/cgi-bin/kf/send_msg"}
		}
		return true, nil
	}}
	f := effectsFixture(t, storagetest.SQLite(t), api)
	f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
	f.enqueue(t, 0, "wmA", "您好", cases.PriorityNormal)
	ctx := context.Background()
	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := f.db.DueOutbox(ctx, f.now.Add(time.Hour), 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("DueOutbox = %v, %v", list, err)
	}
	m := list[0]
	// It keeps its place in the queue (due as before); kf sends wait.
	got := fmt.Sprintf("%s attempts %d next in %s", m.Status, m.Attempts, m.NextAttemptAt.Sub(f.now))
	if want := "pending attempts 0 next in 0s"; got != want {
		t.Errorf("after 45009: %s, want %s", got, want)
	}
	f.now = f.now.Add(30 * time.Second)
	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(api.calls) != 1 {
		t.Errorf("%d calls within the minute, want 1", len(api.calls))
	}
	limited = false
	f.now = f.now.Add(31 * time.Second)
	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"wmA: 您好"}, api.deliveredTexts()); diff != "" {
		t.Errorf("delivered after the pause (-want +got):\n%s", diff)
	}
}

// A stale copy of a message (read before it was released and sent) is
// refused by the claim: the outbox does not send it again.
func TestStaleCopyIsNotSent(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			api := &weCom{}
			db := open(t)
			f := effectsFixture(t, db, api)
			ctx := context.Background()
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			f.enqueue(t, 0, "wmA", "您好", cases.PriorityNormal)
			due, err := db.DueOutbox(ctx, f.now, 10)
			if err != nil || len(due) != 1 {
				t.Fatalf("DueOutbox = %v, %v", due, err)
			}
			stale := *due[0]
			if err := f.out.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			// The stale copy cannot be written back as pending.
			stale.NextAttemptAt = f.now
			if err := db.UpdateOutbox(ctx, &stale); !errors.Is(err, cases.ErrConflict) {
				t.Fatalf("writing the stale copy back: %v, want ErrConflict", err)
			}
			f.now = f.now.Add(time.Hour)
			if err := f.out.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if len(api.calls) != 1 {
				t.Errorf("send_msg called %d times, want once", len(api.calls))
			}
		})
	}
}

// When the shared call budget is short, a citizen's waiting replies go out as
// one message, and a message the budget refused keeps its place in the queue
// (the citizens who waited longest are served first).
func TestShortBudgetMergesAndKeepsOrder(t *testing.T) {
	api := failsFirst(false, &wecom.PausedError{Path: "/cgi-bin/kf/send_msg", For: wecom.BudgetWait, Budget: true})
	f := effectsFixture(t, storagetest.SQLite(t), api)
	ctx := context.Background()
	f.contact(t, "wmOld", f.now.Add(-time.Minute), 0)
	first := f.enqueue(t, 0, "wmOld", "一", cases.PriorityNormal)
	f.now = f.now.Add(time.Second)
	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	due, err := f.db.DueOutbox(ctx, f.now, 10)
	if err != nil || len(due) != 1 || !due[0].NextAttemptAt.Equal(first.NextAttemptAt) || due[0].Attempts != 0 {
		t.Fatalf("after the budget refused: %+v, %v; want the message due as before, no attempt spent", due, err)
	}
	f.enqueue(t, 0, "wmOld", "二", cases.PriorityNormal)
	f.enqueue(t, 0, "wmOld", "三", cases.PriorityNormal)
	f.now = f.now.Add(2 * wecom.BudgetWait)
	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, c := range api.calls {
		texts = append(texts, c[:strings.LastIndex(c, "/")])
	}
	want := []string{"一", "一\n\n二\n\n三"}
	if diff := cmp.Diff(want, texts); diff != "" {
		t.Errorf("sends (-want +got):\n%s", diff)
	}
}

// A message that failed and will be tried again is not overtaken by the
// citizen's next one: their messages arrive in the order they were written.
func TestRetryKeepsOrder(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			f, api := firstSendFails(t, open(t), false, errors.New("wecom /cgi-bin/kf/send_msg: HTTP status 502"))
			first := f.enqueue(t, 0, "wmA", "第一条", cases.PriorityNormal)
			second := f.enqueue(t, 0, "wmA", "第二条", cases.PriorityNormal)
			f.drain(t, 3)
			want := []string{"第一条/" + first.SendKey, "第一条/" + first.SendKey, "第二条/" + second.SendKey}
			if diff := cmp.Diff(want, api.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// While the budget is short a citizen's waiting texts travel as one message;
// when one of them replies to the citizen's latest message, so does the
// bundle, and it may use the window's last message instead of being held.
func TestShortBudgetBundleKeepsTheReply(t *testing.T) {
	api := failsFirst(false, &wecom.PausedError{Path: "/cgi-bin/kf/send_msg", For: wecom.BudgetWait, Budget: true})
	f := effectsFixture(t, storagetest.SQLite(t), api)
	ctx := context.Background()
	c := &cases.Contact{OpenKfID: "wk1", ExternalUserID: "wmA", LastInboundAt: f.now.Add(-time.Minute), InboundSeq: 7,
		SentInWindow: cases.KfWindowMessages - 2, UpdatedAt: f.now}
	if err := f.db.SaveContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	// The first flush meets a short budget: nothing goes, and for a while
	// the citizen's waiting texts are merged.
	f.enqueue(t, 0, "wmA", "进展", cases.PriorityLow)
	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	c.SentInWindow = cases.KfWindowMessages - 1 // one left: the reserve
	if err := f.db.SaveContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	reply := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: "wmA", Message: cases.Message{Text: "回复"},
		Priority: cases.PriorityNormal, ReplyTo: 7, CreatedAt: f.now}
	if err := f.db.Enqueue(ctx, reply); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(2 * wecom.BudgetWait)
	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"wmA: 进展\n\n回复"}, api.deliveredTexts()); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
}
