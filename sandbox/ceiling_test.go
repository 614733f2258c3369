package sandbox

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/internal/clocktest"
)

// limitEnv is a sandbox with scaled-down ceilings on a fake clock; its calls
// need no product behind it.
type limitEnv struct {
	sb    *Sandbox
	api   string
	clock *clocktest.Fake
}

func newLimitEnv(t *testing.T, cfg Config) *limitEnv {
	t.Helper()
	clk := clocktest.NewFake(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC))
	cfg.Now = clk.Now
	sb, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(func() {
		sb.Close()
		srv.Close()
	})
	return &limitEnv{sb: sb, api: srv.URL, clock: clk}
}

func (e *limitEnv) token(t *testing.T) string {
	t.Helper()
	c := e.sb.Config()
	resp, err := getJSON(context.Background(), e.api+"/cgi-bin/gettoken?corpid="+url.QueryEscape(c.CorpID)+"&corpsecret="+url.QueryEscape(c.Secret))
	if err != nil || code(resp) != 0 {
		t.Fatalf("gettoken: %v %v", resp, err)
	}
	return resp["access_token"].(string)
}

// stateGet calls kf/service_state/get, a cheap API with no side effects.
func (e *limitEnv) stateGet(t *testing.T, tok string) int {
	t.Helper()
	resp, err := postJSON(context.Background(), e.api, "/cgi-bin/kf/service_state/get", tok,
		map[string]any{"open_kfid": "wkSANDBOX001", "external_userid": "wmA"})
	if err != nil {
		t.Fatal(err)
	}
	return code(resp)
}

func (e *limitEnv) sendMsg(t *testing.T, tok string) int {
	t.Helper()
	resp, err := postJSON(context.Background(), e.api, "/cgi-bin/kf/send_msg", tok, text("wmNobody", "wkSANDBOX001", "您好"))
	if err != nil {
		t.Fatal(err)
	}
	return code(resp)
}

// Each step moves the clock, then makes calls and expects their errcodes.
type ceilingStep struct {
	advance time.Duration
	calls   int
	want    []int
}

func runSteps(t *testing.T, e *limitEnv, tok string, steps []ceilingStep) {
	t.Helper()
	for i, st := range steps {
		e.clock.Advance(st.advance)
		var got []int
		for range st.calls {
			got = append(got, e.stateGet(t, tok))
		}
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("step %d (+%s): errcodes (-want +got):\n%s", i, st.advance, diff)
		}
	}
}

func TestMinuteCeilingBlocksTheAPIFor60Seconds(t *testing.T) {
	e := newLimitEnv(t, Config{Ceilings: Ceilings{PerMinute: 3, PerHour: 100}})
	tok := e.token(t)
	runSteps(t, e, tok, []ceilingStep{
		{0, 4, []int{0, 0, 0, errFreqLimit}},
		// Blocked for 60 s from the refused call, whatever the window says.
		{59 * time.Second, 1, []int{errFreqLimit}},
		{time.Second, 3, []int{0, 0, 0}},
		// The window slides: 30 s later the three are still within a minute.
		{30 * time.Second, 1, []int{errFreqLimit}},
	})
	// Another API of the same corp has its own count.
	if got := e.sendMsg(t, tok); got == errFreqLimit {
		t.Errorf("send_msg refused with 45009 while only service_state/get is blocked")
	}
	st := e.sb.CeilingStats("/cgi-bin/kf/service_state/get")
	want := CeilingStats{Calls: 6, PeakMinute: 3, PeakHour: 6, PeakConcurrent: 1, Refused45009: 3, BlockedUntil: e.clock.Now().Add(time.Minute)}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestHourCeilingBlocksTheAPIFor60Minutes(t *testing.T) {
	e := newLimitEnv(t, Config{Ceilings: Ceilings{PerMinute: 100, PerHour: 4}})
	tok := e.token(t)
	runSteps(t, e, tok, []ceilingStep{
		{0, 2, []int{0, 0}},
		{30 * time.Minute, 2, []int{0, 0}},
		{time.Minute, 1, []int{errFreqLimit}},
		{59 * time.Minute, 1, []int{errFreqLimit}},
		{59 * time.Second, 1, []int{errFreqLimit}},
		{time.Second, 4, []int{0, 0, 0, 0}},
	})
}

func TestDefaultCeilingsAreWeComs(t *testing.T) {
	e := newLimitEnv(t, Config{})
	want := Ceilings{PerMinute: 10000, PerHour: 150000, Concurrent: DefaultConcurrentCalls}
	if diff := cmp.Diff(want, e.sb.Limits()); diff != "" {
		t.Errorf("limits (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, e.sb.Config().Ceilings); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestAppMessagesAreOutsideTheCallCeiling(t *testing.T) {
	e := newLimitEnv(t, Config{Ceilings: Ceilings{PerMinute: 2}})
	tok := e.token(t)
	for i := range 5 {
		resp, err := postJSON(context.Background(), e.api, "/cgi-bin/message/send", tok, map[string]any{
			"touser": "zhangsan", "agentid": e.sb.Config().AgentID, "msgtype": "text", "text": map[string]any{"content": "新案件"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if code(resp) != 0 {
			t.Fatalf("app message %d: %v", i+1, resp)
		}
	}
}

func TestConcurrentCallsPastTheLimitAnswer45033(t *testing.T) {
	c := newCeilings(Ceilings{Concurrent: 2})
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	const path = "/cgi-bin/kf/send_msg"
	var got []int
	var releases []func()
	for range 3 {
		release, code, _ := c.admit(path, now)
		got = append(got, code)
		if release != nil {
			releases = append(releases, release)
		}
	}
	releases[0]()
	releases[0]() // a second release of the same call changes nothing
	_, code, _ := c.admit(path, now)
	got = append(got, code)
	_, code, _ = c.admit(path, now)
	got = append(got, code)
	if diff := cmp.Diff([]int{0, 0, errConcurrencyLimit, 0, errConcurrencyLimit}, got); diff != "" {
		t.Errorf("errcodes (-want +got):\n%s", diff)
	}
	st := c.stats(path)
	if st.PeakConcurrent != 2 || st.Refused45033 != 2 || st.Calls != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestLatencyDelaysEveryCall(t *testing.T) {
	const latency = 40 * time.Millisecond
	e := newLimitEnv(t, Config{Latency: latency})
	start := time.Now()
	tok := e.token(t)
	if got := e.stateGet(t, tok); got != 0 {
		t.Fatalf("errcode %d", got)
	}
	// Two calls, each held at least the latency: a lower bound, never flaky.
	if took := time.Since(start); took < 2*latency {
		t.Errorf("two calls took %s, want at least %s", took, 2*latency)
	}
}
