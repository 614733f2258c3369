package notify_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/notify"
	"banchengshi/storage"
	"banchengshi/wecom"
)

// down is WeCom failing every send with err while on is set, and taking
// them otherwise.
func down(on *atomic.Bool, err error) *weCom {
	return &weCom{fail: func(int, cases.Message) (bool, error) {
		if on.Load() {
			return false, err
		}
		return true, nil
	}}
}

// resumeFixture is a started sender whose WeCom fails with err while
// failing is set, with citizens wmA, wmB and wmC.
func resumeFixture(t *testing.T, open func(testing.TB) *storage.SQL, err error) (*fixture, *weCom, *atomic.Bool) {
	t.Helper()
	failing := &atomic.Bool{}
	api := down(failing, err)
	f := effectsFixture(t, open(t), api)
	for _, u := range []string{"wmA", "wmB", "wmC"} {
		f.contact(t, u, f.now.Add(-time.Minute), 0)
	}
	f.started(t, api)
	// WeCom took the last message a while ago: a failure now counts as
	// WeCom unreachable.
	f.now = f.now.Add(5 * time.Second)
	return f, api, failing
}

func (f *fixture) flush(t *testing.T) {
	t.Helper()
	if err := f.out.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// restart gives f a new sender, as a replica that starts.
func (f *fixture) restart(api *weCom) {
	f.out = notify.New(notify.Config{Repo: f.db, API: api, Locker: storage.NewMemory().Locker(),
		Limiter: storage.NewMemory().RateLimiter(), Tasks: f.tasks, Now: func() time.Time { return f.now }})
}

// sentAt returns the attempt at which WeCom took m.
func sentAt(t *testing.T, f *fixture, m *cases.OutboxMessage) int {
	t.Helper()
	sent, err := f.db.OutboxByWeComMsgID(context.Background(), m.SendKey)
	if err != nil {
		t.Fatal(err)
	}
	return sent.Attempts
}

// takeCalls returns the calls WeCom had and forgets them.
func (w *weCom) takeCalls() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	calls := w.calls
	w.calls = nil
	return calls
}

var (
	unreachable = errors.New("wecom /cgi-bin/kf/send_msg: HTTP status 502")
	busy        = &wecom.APIError{Code: wecom.CodeSystemBusy, Msg: "system busy", Path: "/cgi-bin/kf/send_msg"}
	tokenBad    = &wecom.APIError{Code: wecom.CodeTokenExpired, Msg: "access_token expired", Path: "/cgi-bin/kf/send_msg"}
	refused     = &wecom.APIError{Code: 40003, Msg: "invalid external_userid", Path: "/cgi-bin/kf/send_msg"}
)

// When every citizen's reply failed because WeCom could not be reached (or
// was busy, or refused the token), the sender tries the one due soonest
// early; once WeCom takes it, the others are due at once (each citizen's
// next reply still after the one that failed), not when their own backoff
// (10 s after a failure, minutes after several) runs out. A reply WeCom
// refused for itself keeps its backoff.
func TestRetriesResumeWhenWeComAnswersAgain(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct {
				name    string
				err     error
				resumed bool
			}{
				{"unreachable", unreachable, true},
				{"busy", busy, true},
				{"token refused", tokenBad, true},
				{"refused", refused, false},
			} {
				t.Run(tc.name, func(t *testing.T) {
					f, api, failing := resumeFixture(t, open, tc.err)
					failing.Store(true)
					a := f.enqueue(t, 0, "wmA", "第一条", cases.PriorityNormal)
					a2 := f.enqueue(t, 0, "wmA", "第二条", cases.PriorityNormal)
					c := f.enqueue(t, 0, "wmC", "您好", cases.PriorityNormal)
					f.flush(t) // both fail: tried again in 10 s
					if got := len(api.takeCalls()); got != 2 {
						t.Fatalf("%d calls, want 2", got)
					}

					failing.Store(false)
					f.now = f.now.Add(time.Second)
					f.flush(t)
					var want []string
					if tc.resumed {
						// wmA's reply is due soonest (queued first): tried
						// early, with the one behind it; then the rest.
						want = []string{"第一条/" + a.SendKey, "第二条/" + a2.SendKey, "您好/" + c.SendKey}
					}
					if diff := cmp.Diff(want, api.takeCalls()); diff != "" {
						t.Errorf("calls once WeCom answers again (-want +got):\n%s", diff)
					}
				})
			}
		})
	}
}

// A reply to another citizen that WeCom takes brings forward the replies
// waiting after WeCom failed them, without waiting for the next early try.
func TestRetriesResumeWhenAnotherReplyGoes(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			f, api, failing := resumeFixture(t, open, unreachable)
			failing.Store(true)
			a := f.enqueue(t, 0, "wmA", "第一条", cases.PriorityNormal)
			f.flush(t) // fails: tried again in 10 s
			f.now = f.now.Add(time.Second)
			f.flush(t) // tried early, fails again: its attempt given back
			if diff := cmp.Diff([]string{"第一条/" + a.SendKey, "第一条/" + a.SendKey}, api.takeCalls()); diff != "" {
				t.Fatalf("calls while WeCom is down (-want +got):\n%s", diff)
			}

			failing.Store(false)
			f.now = f.now.Add(time.Second) // before the next early try
			b := f.enqueue(t, 0, "wmB", "您好", cases.PriorityNormal)
			f.flush(t)
			if diff := cmp.Diff([]string{"您好/" + b.SendKey, "第一条/" + a.SendKey}, api.takeCalls()); diff != "" {
				t.Errorf("calls once WeCom answers again (-want +got):\n%s", diff)
			}
			if n := sentAt(t, f, a); n != 2 {
				t.Errorf("sent at attempt %d, want 2: the early try that failed is not counted", n)
			}
		})
	}
}

// Through a long outage the early tries (every 3 s at first, at most every
// 10 s) spend none of a reply's attempts (it keeps its own backoff: tried
// at 0, 10 and 30 s), and the reply goes within 10 s of WeCom answering
// again.
func TestEarlyTriesSpendNoAttempts(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			f, api, failing := resumeFixture(t, open, unreachable)
			failing.Store(true)
			start := f.now
			a := f.enqueue(t, 0, "wmA", "第一条", cases.PriorityNormal)
			for f.now.Sub(start) < time.Minute {
				f.flush(t)
				f.now = f.now.Add(time.Second)
			}
			if n := len(api.takeCalls()); n <= 3 {
				t.Errorf("%d calls in a minute of outage: no early try", n)
			}
			failing.Store(false)
			for range 10 {
				f.flush(t)
				f.now = f.now.Add(time.Second)
			}
			if diff := cmp.Diff([]string{"第一条/" + a.SendKey}, api.takeCalls()); diff != "" {
				t.Errorf("calls within 10 s of WeCom answering again (-want +got):\n%s", diff)
			}
			if n := sentAt(t, f, a); n != 4 {
				t.Errorf("sent at attempt %d, want 4 (failed at 0, 10 and 30 s)", n)
			}
		})
	}
}

// A sender that starts (a replica restarted after an outage) tries early a
// reply it finds waiting after WeCom failed it.
func TestRetriesResumeAfterARestart(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			f, api, failing := resumeFixture(t, open, unreachable)
			failing.Store(true)
			a := f.enqueue(t, 0, "wmA", "第一条", cases.PriorityNormal)
			f.flush(t)
			api.takeCalls()

			failing.Store(false)
			f.now = f.now.Add(time.Second)
			f.restart(api)
			f.flush(t)
			if diff := cmp.Diff([]string{"第一条/" + a.SendKey}, api.takeCalls()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// A reply WeCom keeps failing (502) while it takes the others' is not
// brought forward by their success: it keeps its own backoff (tried at 0,
// 10 and 30 s) and its attempts, instead of spending one on every other
// reply that goes.
func TestAFailingReplyKeepsItsBackoffWhileOthersGo(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			api := &weCom{fail: func(_ int, m cases.Message) (bool, error) {
				if m.Text == "坏" {
					return false, unreachable
				}
				return true, nil
			}}
			f := effectsFixture(t, open(t), api)
			f.contact(t, "wmX", f.now.Add(-time.Minute), 0)
			f.started(t, api)
			start := f.now
			x := f.enqueue(t, 0, "wmX", "坏", cases.PriorityNormal)
			for i := 0; f.now.Sub(start) <= 35*time.Second; i++ {
				user := fmt.Sprintf("wm%d", i)
				f.contact(t, user, f.now.Add(-time.Minute), 0)
				f.enqueue(t, 0, user, "好", cases.PriorityNormal)
				f.flush(t)
				f.now = f.now.Add(time.Second)
			}
			var tries int
			for _, c := range api.takeCalls() {
				if c == "坏/"+x.SendKey {
					tries++
				}
			}
			if tries != 3 {
				t.Errorf("the failing reply was tried %d times in 35 s, want 3 (at 0, 10 and 30 s)", tries)
			}
		})
	}
}

// A burst of replies cut off by an outage right after WeCom took a reply
// (within 2 s: not counted at once), with nothing sent after them, is tried
// early once WeCom has answered nothing for 2 s after the failure.
func TestFailuresRightAfterAnAnswerAreTriedEarly(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			failing := &atomic.Bool{}
			api := down(failing, unreachable)
			f := effectsFixture(t, open(t), api)
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			f.started(t, api) // WeCom took a reply now
			f.now = f.now.Add(time.Second)
			failing.Store(true)
			a := f.enqueue(t, 0, "wmA", "第一条", cases.PriorityNormal)
			f.flush(t) // fails a second after the answer: tried again in 10 s

			failing.Store(false)
			f.now = f.now.Add(2500 * time.Millisecond)
			f.flush(t)
			want := []string{"第一条/" + a.SendKey, "第一条/" + a.SendKey}
			if diff := cmp.Diff(want, api.takeCalls()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// A send cut short by the sender itself (its lease lost, a shutdown) is no
// answer from WeCom: it does not bring forward the replies waiting after
// WeCom's failures, which a reply WeCom takes then does.
func TestACancelledSendResumesNothing(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			failing := &atomic.Bool{}
			api := &weCom{fail: func(_ int, m cases.Message) (bool, error) {
				switch {
				case m.Text == "断":
					return false, fmt.Errorf("send: %w", context.Canceled)
				case failing.Load():
					return false, unreachable
				}
				return true, nil
			}}
			f := effectsFixture(t, open(t), api)
			for _, u := range []string{"wmA", "wmB", "wmC"} {
				f.contact(t, u, f.now.Add(-time.Minute), 0)
			}
			f.started(t, api)
			f.now = f.now.Add(5 * time.Second)
			failing.Store(true)
			a := f.enqueue(t, 0, "wmA", "第一条", cases.PriorityNormal)
			f.flush(t) // fails: WeCom unreachable

			f.now = f.now.Add(time.Second)
			f.flush(t) // tried early, fails again: next early try in 3 s
			if diff := cmp.Diff([]string{"第一条/" + a.SendKey, "第一条/" + a.SendKey}, api.takeCalls()); diff != "" {
				t.Fatalf("calls while WeCom is down (-want +got):\n%s", diff)
			}

			failing.Store(false)
			f.now = f.now.Add(time.Second)
			cut := f.enqueue(t, 0, "wmB", "断", cases.PriorityNormal)
			f.flush(t)
			if diff := cmp.Diff([]string{"断/" + cut.SendKey}, api.takeCalls()); diff != "" {
				t.Errorf("calls after a cancelled send (-want +got):\n%s", diff)
			}
			f.now = f.now.Add(500 * time.Millisecond)
			c := f.enqueue(t, 0, "wmC", "您好", cases.PriorityNormal)
			f.flush(t)
			// The reply that was cut short waits too (side by side with
			// wmA's: in either order).
			got := api.takeCalls()
			slices.Sort(got[1:])
			want := []string{"您好/" + c.SendKey, "断/" + cut.SendKey, "第一条/" + a.SendKey}
			slices.Sort(want[1:])
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("calls once WeCom takes a reply (-want +got):\n%s", diff)
			}
		})
	}
}

// An early try WeCom refuses for the message itself (or a handover it
// refuses) gives back its attempt, and WeCom having answered, no more early
// tries follow.
func TestARefusedEarlyTrySpendsNothing(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			api := &weCom{fail: func(int, cases.Message) (bool, error) { return false, refused }}
			f := effectsFixture(t, open(t), api)
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			a := f.enqueue(t, 0, "wmA", "第一条", cases.PriorityNormal)
			f.flush(t) // refused: tried again in 10 s
			// A replica that starts tries it early once.
			f.now = f.now.Add(time.Second)
			f.restart(api)
			for range 8 {
				f.flush(t)
				f.now = f.now.Add(time.Second)
			}
			if diff := cmp.Diff([]string{"第一条/" + a.SendKey, "第一条/" + a.SendKey}, api.takeCalls()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			due, err := f.db.DueOutbox(context.Background(), f.now.Add(time.Minute), 10)
			if err != nil || len(due) != 1 || due[0].Attempts != 1 {
				t.Errorf("due: %+v, %v; want the reply with 1 attempt", due, err)
			}
		})
	}
}
