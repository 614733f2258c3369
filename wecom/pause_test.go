package wecom

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A frequency-limit answer pauses that API, and only that API, for the time
// WeCom blocks it: calls in the pause fail at once without reaching WeCom,
// and the first call after it goes through.
func TestFrequencyLimitPausesTheAPI(t *testing.T) {
	tests := []struct {
		name  string
		code  int
		pause time.Duration
	}{
		{"45009 minute or hour limit", CodeFreqLimit, FreqLimitPause},
		{"45033 concurrency limit", CodeConcurrencyLimit, ConcurrencyLimitPause},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, "")
			limited := true
			f.route("/cgi-bin/kf/send_msg", func(call) any {
				if limited {
					limited = false
					return map[string]any{"errcode": tt.code, "errmsg": "api freq out of limit"}
				}
				return map[string]any{"errcode": 0, "msgid": "m1"}
			})
			f.route("/cgi-bin/kf/service_state/get", func(call) any { return map[string]any{"errcode": 0, "service_state": 1} })
			now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			p := newLocalPauses()
			p.now = func() time.Time { return now }
			c := newTestClientWith(t, f, Config{Pauses: p})
			ctx := context.Background()

			_, err := c.SendKf(ctx, "wkA", "wmB", "k1", textMsg("您好"))
			if d, ok := RetryAfter(err); !ok || d != tt.pause {
				t.Fatalf("first call: RetryAfter = %v, %v (err %v), want %v", d, ok, err, tt.pause)
			}
			now = now.Add(tt.pause / 2)
			_, err = c.SendKf(ctx, "wkA", "wmB", "k1", textMsg("您好"))
			var paused *PausedError
			if !errors.As(err, &paused) || !errors.Is(err, ErrPaused) {
				t.Fatalf("in the pause: %v, want a *PausedError", err)
			}
			if diff := cmp.Diff(&PausedError{Path: "/cgi-bin/kf/send_msg", For: tt.pause - tt.pause/2}, paused); diff != "" {
				t.Errorf("pause (-want +got):\n%s", diff)
			}
			// Another API is not paused.
			if _, _, err := c.ServiceState(ctx, "wkA", "wmB"); err != nil {
				t.Errorf("service_state/get in send_msg's pause: %v", err)
			}
			now = now.Add(tt.pause)
			if _, err := c.SendKf(ctx, "wkA", "wmB", "k1", textMsg("您好")); err != nil {
				t.Fatalf("after the pause: %v", err)
			}
			if got := len(f.callsTo("/cgi-bin/kf/send_msg")); got != 2 {
				t.Errorf("send_msg reached WeCom %d times, want 2 (none in the pause)", got)
			}
		})
	}
}

// budgetOf allows n calls per API, then refuses.
type budgetOf struct{ left map[string]int }

func (b *budgetOf) Allow(_ context.Context, api string) (bool, error) {
	if b.left[api] <= 0 {
		return false, nil
	}
	b.left[api]--
	return true, nil
}

// A call whose API has no budget left fails at once without reaching WeCom;
// app messages, limited per member instead, are not counted.
func TestCallBudgetRefusesLocally(t *testing.T) {
	f := newFake(t, "")
	f.route("/cgi-bin/kf/send_msg", func(call) any { return map[string]any{"errcode": 0, "msgid": "m1"} })
	f.route("/cgi-bin/message/send", func(call) any { return map[string]any{"errcode": 0, "msgid": "a1"} })
	c := newTestClientWith(t, f, Config{Budget: &budgetOf{left: map[string]int{"/cgi-bin/kf/send_msg": 1}}})
	ctx := context.Background()
	if _, err := c.SendKf(ctx, "wkA", "wmB", "k1", textMsg("一")); err != nil {
		t.Fatalf("first call: %v", err)
	}
	_, err := c.SendKf(ctx, "wkA", "wmB", "k2", textMsg("二"))
	if !IsBudget(err) {
		t.Fatalf("second call: %v, want the budget's refusal", err)
	}
	if d, ok := RetryAfter(err); !ok || d != BudgetWait {
		t.Errorf("RetryAfter = %v, %v; want %v", d, ok, BudgetWait)
	}
	if got := len(f.callsTo("/cgi-bin/kf/send_msg")); got != 1 {
		t.Errorf("send_msg reached WeCom %d times, want 1", got)
	}
	for range 3 {
		if _, _, err := c.SendApp(ctx, []string{"zhangsan"}, textMsg("提醒")); err != nil {
			t.Errorf("app message: %v", err)
		}
	}
}

// gateOf is a Gate over in-process pauses and a budgetOf that counts how the
// client asks it.
type gateOf struct {
	*localPauses
	budget       *budgetOf
	admits       map[string]int // Admit calls per API
	spends       map[string]int // of them, those that asked to take budget
	separateAsks int            // PausedFor or Allow asked on their own
}

func newGate(left map[string]int) *gateOf {
	return &gateOf{localPauses: newLocalPauses(), budget: &budgetOf{left: left}, admits: map[string]int{}, spends: map[string]int{}}
}

func (g *gateOf) PausedFor(ctx context.Context, api string) (time.Duration, error) {
	g.separateAsks++
	return g.localPauses.PausedFor(ctx, api)
}

func (g *gateOf) Allow(ctx context.Context, api string) (bool, error) {
	g.separateAsks++
	return g.budget.Allow(ctx, api)
}

func (g *gateOf) Admit(ctx context.Context, api string, spend bool) (time.Duration, bool, error) {
	g.admits[api]++
	if d, _ := g.localPauses.PausedFor(ctx, api); d > 0 {
		return d, true, nil
	}
	if !spend {
		return 0, true, nil
	}
	g.spends[api]++
	ok, err := g.budget.Allow(ctx, api)
	return 0, ok, err
}

// A budget that keeps the pauses too is asked once per call, pause and
// budget together; a frequency-limit answer pauses the API in it, and app
// messages (limited per member) take no budget from it.
func TestGateAskedOncePerCall(t *testing.T) {
	f := newFake(t, "")
	sends := 0
	f.route("/cgi-bin/kf/send_msg", func(call) any {
		sends++
		if sends == 2 {
			return map[string]any{"errcode": CodeFreqLimit, "errmsg": "api freq out of limit"}
		}
		return map[string]any{"errcode": 0, "msgid": "m1"}
	})
	f.route("/cgi-bin/message/send", func(call) any { return map[string]any{"errcode": 0, "msgid": "a1"} })
	gate := newGate(map[string]int{"/cgi-bin/kf/send_msg": 5})
	c := newTestClientWith(t, f, Config{Budget: gate})
	ctx := context.Background()

	if _, err := c.SendKf(ctx, "wkA", "wmB", "k1", textMsg("一")); err != nil {
		t.Fatalf("first call: %v", err)
	}
	if _, err := c.SendKf(ctx, "wkA", "wmB", "k2", textMsg("二")); ErrCode(err) != CodeFreqLimit {
		t.Fatalf("second call: %v, want 45009", err)
	}
	_, err := c.SendKf(ctx, "wkA", "wmB", "k3", textMsg("三"))
	var paused *PausedError
	if !errors.As(err, &paused) || paused.Budget {
		t.Fatalf("third call: %v, want the pause the 45009 left in the gate", err)
	}
	if _, _, err := c.SendApp(ctx, []string{"zhangsan"}, textMsg("提醒")); err != nil {
		t.Fatalf("app message: %v", err)
	}
	want := map[string]int{"/cgi-bin/kf/send_msg": 3, "/cgi-bin/message/send": 1}
	if diff := cmp.Diff(want, gate.admits); diff != "" {
		t.Errorf("Admit calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"/cgi-bin/kf/send_msg": 2}, gate.spends); diff != "" {
		t.Errorf("budget taken (-want +got):\n%s", diff)
	}
	if gate.separateAsks != 0 {
		t.Errorf("the pause or budget was asked on its own %d times", gate.separateAsks)
	}
	if got := len(f.callsTo("/cgi-bin/kf/send_msg")); got != 2 {
		t.Errorf("send_msg reached WeCom %d times, want 2 (none in the pause)", got)
	}

	if _, err := New(Config{APIBase: f.srv.URL, CorpID: testCorpID, AgentID: testAgentID, Secret: testSecret,
		TokenCache: newCache(), Budget: gate, Pauses: newLocalPauses()}); err == nil {
		t.Error("New accepted pauses beside a budget that keeps them")
	}
}
