package notify_test

import (
	"context"
	"errors"
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

// After WeCom could not be reached (or was busy), the first message it
// takes again brings forward the citizens' messages waiting out their
// backoff: the citizen is answered then, not when the message's own backoff
// (10 s after a failure, minutes after several) runs out, and their next
// message still goes after it. A message WeCom refused for itself keeps its
// backoff.
func TestRetriesResumeWhenWeComAnswersAgain(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct {
				name    string
				err     error
				resumed bool
			}{
				{"unreachable", errors.New("wecom /cgi-bin/kf/send_msg: HTTP status 502"), true},
				{"busy", &wecom.APIError{Code: wecom.CodeSystemBusy, Msg: "system busy", Path: "/cgi-bin/kf/send_msg"}, true},
				{"token refused", &wecom.APIError{Code: wecom.CodeTokenExpired, Msg: "access_token expired", Path: "/cgi-bin/kf/send_msg"}, true},
				{"refused", &wecom.APIError{Code: 40003, Msg: "invalid external_userid", Path: "/cgi-bin/kf/send_msg"}, false},
			} {
				t.Run(tc.name, func(t *testing.T) {
					var failing atomic.Bool
					api := down(&failing, tc.err)
					f := effectsFixture(t, open(t), api)
					ctx := context.Background()
					for _, u := range []string{"wmA", "wmB"} {
						f.contact(t, u, f.now.Add(-time.Minute), 0)
					}
					flush := func() {
						t.Helper()
						if err := f.out.Flush(ctx); err != nil {
							t.Fatal(err)
						}
					}
					// Only a failure after the sender started resumes
					// anything (see the test below for what was before).
					f.started(t, api)

					failing.Store(true)
					first := f.enqueue(t, 0, "wmA", "第一条", cases.PriorityNormal)
					second := f.enqueue(t, 0, "wmA", "第二条", cases.PriorityNormal)
					flush() // first fails: tried again in 10 s

					failing.Store(false)
					f.now = f.now.Add(time.Second)
					hello := f.enqueue(t, 0, "wmB", "您好", cases.PriorityNormal)
					flush()
					flush()
					want := []string{"第一条/" + first.SendKey, "您好/" + hello.SendKey}
					if tc.resumed {
						want = append(want, "第一条/"+first.SendKey, "第二条/"+second.SendKey)
					}
					if diff := cmp.Diff(want, api.calls); diff != "" {
						t.Errorf("calls (-want +got):\n%s", diff)
					}
				})
			}
		})
	}
}

// A sender that starts (a replica restarted after an outage) resumes the
// retries it finds waiting, on the first message WeCom takes from it.
func TestRetriesResumeAfterARestart(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			var failing atomic.Bool
			api := down(&failing, errors.New("wecom /cgi-bin/kf/send_msg: context deadline exceeded"))
			f := effectsFixture(t, open(t), api)
			ctx := context.Background()
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			f.contact(t, "wmB", f.now.Add(-time.Minute), 0)
			failing.Store(true)
			first := f.enqueue(t, 0, "wmA", "第一条", cases.PriorityNormal)
			if err := f.out.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			f.now = f.now.Add(time.Second)

			failing.Store(false)
			f.out = notify.New(notify.Config{Repo: f.db, API: api, Locker: storage.NewMemory().Locker(),
				Limiter: storage.NewMemory().RateLimiter(), Tasks: f.tasks, Now: func() time.Time { return f.now }})
			hello := f.enqueue(t, 0, "wmB", "您好", cases.PriorityNormal)
			for range 2 {
				if err := f.out.Flush(ctx); err != nil {
					t.Fatal(err)
				}
			}
			want := []string{"第一条/" + first.SendKey, "您好/" + hello.SendKey, "第一条/" + first.SendKey}
			if diff := cmp.Diff(want, api.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}
