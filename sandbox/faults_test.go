package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// outcome is how one call ended, as the caller sees it.
type outcome struct {
	Status  int // HTTP status; 0 when the connection ended without an answer
	ErrCode int
}

func (e *limitEnv) try(t *testing.T, path, tok string) outcome {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"open_kfid": "wkSANDBOX001", "external_userid": "wmA"})
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, e.api+path+"?access_token="+url.QueryEscape(tok), bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return outcome{}
	}
	defer resp.Body.Close()
	var body apiError
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return outcome{Status: resp.StatusCode, ErrCode: body.ErrCode}
}

func TestFaultBursts(t *testing.T) {
	const path = "/cgi-bin/kf/service_state/get"
	ok := outcome{200, 0}
	tests := []struct {
		name string
		kind FaultKind
		want []outcome
	}{
		{"5xx", Fault5xx, []outcome{{502, 0}, {502, 0}, ok}},
		{"timeout", FaultTimeout, []outcome{{}, {}, ok}},
		{"45009", FaultFreqLimit, []outcome{{200, errFreqLimit}, {200, errFreqLimit}, ok}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newLimitEnv(t, Config{})
			tok := e.token(t)
			if err := e.sb.InjectFault(Fault{Kind: tt.kind, Count: 2, Hold: 10 * time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			var got []outcome
			for range 3 {
				got = append(got, e.try(t, path, tok))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(FaultStats{tt.kind: 2}, e.sb.FaultsInjected()); diff != "" {
				t.Errorf("injected (-want +got):\n%s", diff)
			}
		})
	}
}

// A 42001 burst expires the token the call carried: the caller's retry with
// it fails too until it fetches a new one, as with a token WeCom revoked.
func TestTokenExpiredFaultExpiresTheToken(t *testing.T) {
	e := newLimitEnv(t, Config{})
	const path = "/cgi-bin/kf/service_state/get"
	old := e.token(t)
	if err := e.sb.InjectFault(Fault{Kind: FaultTokenExpired, Count: 1}); err != nil {
		t.Fatal(err)
	}
	got := []outcome{e.try(t, path, old), e.try(t, path, old)}
	fresh := e.token(t)
	got = append(got, e.try(t, path, fresh))
	want := []outcome{{200, errTokenExpired}, {200, errTokenExpired}, {200, 0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if fresh == old {
		t.Error("gettoken returned the expired token")
	}
}

// A burst by duration ends on the sandbox's clock; a burst on one path
// leaves the others alone; gettoken is spared unless named.
func TestFaultBurstByTimeAndPath(t *testing.T) {
	e := newLimitEnv(t, Config{})
	tok := e.token(t)
	const send, state = "/cgi-bin/kf/send_msg", "/cgi-bin/kf/service_state/get"
	if err := e.sb.InjectFault(Fault{Kind: Fault5xx, Paths: []string{state}, For: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.InjectFault(Fault{Kind: FaultFreqLimit, For: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	type row struct {
		State, Send outcome
		Token       bool
	}
	observe := func() row {
		return row{State: e.try(t, state, tok), Send: e.try(t, send, tok), Token: e.token(t) != ""}
	}
	got := []row{observe()}
	e.clock.Advance(5 * time.Second)
	got = append(got, observe())
	e.clock.Advance(5 * time.Second)
	got = append(got, observe())
	// try posts no message to send_msg: 40058 once the faults are over.
	want := []row{
		{State: outcome{502, 0}, Send: outcome{200, errFreqLimit}, Token: true},
		{State: outcome{502, 0}, Send: outcome{200, errInvalidParameter}, Token: true},
		{State: outcome{200, 0}, Send: outcome{200, errInvalidParameter}, Token: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	e.sb.ClearFaults()
}

func TestInjectFaultRefusesNonsense(t *testing.T) {
	e := newLimitEnv(t, Config{})
	for _, f := range []Fault{
		{Kind: "teapot", Count: 1},
		{Kind: Fault5xx},
	} {
		if err := e.sb.InjectFault(f); err == nil {
			t.Errorf("%+v accepted", f)
		}
	}
	if _, err := ParseFaultKind("503"); err == nil {
		t.Error("ParseFaultKind accepted 503")
	}
	if k, err := ParseFaultKind(" 42001 "); err != nil || k != FaultTokenExpired {
		t.Errorf("ParseFaultKind(42001) = %q, %v", k, err)
	}
}
