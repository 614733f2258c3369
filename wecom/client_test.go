package wecom

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// stateRoute answers service_state/get for the tests that only care about
// tokens and retries.
func stateRoute(f *fakeWeCom) {
	f.route("/cgi-bin/kf/service_state/get", func(call) any {
		return map[string]any{"errcode": 0, "errmsg": "ok", "service_state": 3, "servicer_userid": "zhangsan"}
	})
}

func TestTokenCachedAndShared(t *testing.T) {
	f := newFake(t, "")
	stateRoute(f)
	shared := newCache()
	a := newTestClient(t, f, shared)
	ctx := context.Background()
	for range 3 {
		if _, _, err := a.ServiceState(ctx, "wkA", "wmB"); err != nil {
			t.Fatal(err)
		}
	}
	// A second replica on the same cache uses the same token.
	b := newTestClient(t, f, shared)
	if _, _, err := b.ServiceState(ctx, "wkA", "wmB"); err != nil {
		t.Fatal(err)
	}
	if got := f.tokensIssued(); got != 1 {
		t.Errorf("gettoken called %d times, want 1", got)
	}
	for _, c := range f.callsTo("/cgi-bin/kf/service_state/get") {
		if c.Token != "tok-1" {
			t.Errorf("call used token %q, want tok-1", c.Token)
		}
	}

	// Another app of the same corp has its own token.
	other, err := New(Config{APIBase: f.srv.URL, CorpID: testCorpID, AgentID: testAgentID + 1, Secret: testSecret, TokenCache: shared})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.ServiceState(ctx, "wkA", "wmB"); err != nil {
		t.Fatal(err)
	}
	if got := f.tokensIssued(); got != 2 {
		t.Errorf("after a second app, gettoken called %d times, want 2", got)
	}
}

func TestTokenConcurrentCallersShareOneFetch(t *testing.T) {
	f := newFake(t, "")
	stateRoute(f)
	f.tokenWait = 100 * time.Millisecond
	c := newTestClient(t, f, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			if _, _, err := c.ServiceState(context.Background(), "wkA", "wmB"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := f.tokensIssued(); got != 1 {
		t.Errorf("gettoken called %d times by 20 concurrent callers, want 1", got)
	}
}

func TestTokenWaitHonoursContext(t *testing.T) {
	f := newFake(t, "")
	stateRoute(f)
	f.tokenWait = 500 * time.Millisecond
	c := newTestClient(t, f, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, err := c.ServiceState(ctx, "wkA", "wmB")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want context.DeadlineExceeded, got %v", err)
	}
	// The abandoned fetch still completes and is cached for the next caller.
	if _, _, err := c.ServiceState(context.Background(), "wkA", "wmB"); err != nil {
		t.Fatal(err)
	}
	if got := f.tokensIssued(); got != 1 {
		t.Errorf("gettoken called %d times, want 1", got)
	}
}

func TestTokenErrorRetriesOnce(t *testing.T) {
	for _, code := range []int{CodeInvalidToken, CodeTokenExpired, CodeInvalidCredential} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			f := newFake(t, "")
			stateRoute(f)
			c := newTestClient(t, f, nil)
			ctx := context.Background()
			if _, _, err := c.ServiceState(ctx, "wkA", "wmB"); err != nil {
				t.Fatal(err)
			}
			f.revoke(code)
			state, servicer, err := c.ServiceState(ctx, "wkA", "wmB")
			if err != nil {
				t.Fatalf("after revoking with %d: %v", code, err)
			}
			if state != 3 || servicer != "zhangsan" {
				t.Errorf("got state %d servicer %q", state, servicer)
			}
			var tokens []string
			for _, c := range f.callsTo("/cgi-bin/kf/service_state/get") {
				tokens = append(tokens, c.Token)
			}
			if diff := cmp.Diff([]string{"tok-1", "tok-1", "tok-2"}, tokens); diff != "" {
				t.Errorf("tokens used (-want +got):\n%s", diff)
			}
			// The new token is cached.
			if _, _, err := c.ServiceState(ctx, "wkA", "wmB"); err != nil {
				t.Fatal(err)
			}
			if got := f.tokensIssued(); got != 2 {
				t.Errorf("gettoken called %d times, want 2", got)
			}
		})
	}
}

func TestTokenErrorRetriedOnlyOnce(t *testing.T) {
	f := newFake(t, "")
	stateRoute(f)
	f.rejectAll = CodeInvalidCredential
	c := newTestClient(t, f, nil)
	_, _, err := c.ServiceState(context.Background(), "wkA", "wmB")
	if got := ErrCode(err); got != CodeInvalidCredential {
		t.Fatalf("ErrCode = %d (%v), want %d", got, err, CodeInvalidCredential)
	}
	if got := len(f.callsTo("/cgi-bin/kf/service_state/get")); got != 2 {
		t.Errorf("API called %d times, want 2 (one retry)", got)
	}
	if got := f.tokensIssued(); got != 2 {
		t.Errorf("gettoken called %d times, want 2", got)
	}
}

func TestOtherErrcodesNotRetried(t *testing.T) {
	f := newFake(t, "")
	f.route("/cgi-bin/kf/send_msg", func(call) any {
		return map[string]any{"errcode": 95001, "errmsg": "send msg count limit"}
	})
	c := newTestClient(t, f, nil)
	_, err := c.SendKf(context.Background(), "wkA", "wmB", "", textMsg("您好"))
	if got := ErrCode(err); got != CodeKfSendLimit {
		t.Fatalf("ErrCode = %d (%v), want 95001", got, err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("%v is not an *APIError", err)
	}
	want := &APIError{Code: 95001, Msg: "send msg count limit", Path: "/cgi-bin/kf/send_msg"}
	if diff := cmp.Diff(want, apiErr); diff != "" {
		t.Errorf("APIError (-want +got):\n%s", diff)
	}
	if got := len(f.callsTo("/cgi-bin/kf/send_msg")); got != 1 {
		t.Errorf("send_msg called %d times, want 1", got)
	}
	if got := f.tokensIssued(); got != 1 {
		t.Errorf("gettoken called %d times, want 1", got)
	}
}

func TestGettokenErrorKeepsCodeAndHidesSecret(t *testing.T) {
	f := newFake(t, "")
	stateRoute(f)
	c, err := New(Config{APIBase: f.srv.URL, CorpID: testCorpID, AgentID: testAgentID, Secret: "wrong-secret-value", TokenCache: newCache()})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.ServiceState(context.Background(), "wkA", "wmB")
	if got := ErrCode(err); got != CodeInvalidCredential {
		t.Fatalf("ErrCode = %d (%v), want 40001", got, err)
	}
	if strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("error shows the secret: %v", err)
	}
	if got := len(f.callsTo("/cgi-bin/kf/service_state/get")); got != 0 {
		t.Errorf("API called %d times without a token", got)
	}
}

func TestAPIBaseWithPathPrefix(t *testing.T) {
	f := newFake(t, "/sandbox")
	stateRoute(f)
	for _, base := range []string{f.srv.URL + "/sandbox", f.srv.URL + "/sandbox/"} {
		c, err := New(Config{APIBase: base, CorpID: testCorpID, AgentID: testAgentID, Secret: testSecret, TokenCache: newCache()})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ServiceState(context.Background(), "wkA", "wmB"); err != nil {
			t.Fatalf("base %q: %v", base, err)
		}
	}
	if got := len(f.callsTo("/cgi-bin/kf/service_state/get")); got != 2 {
		t.Errorf("calls under /sandbox: %d, want 2", got)
	}
}

func TestTransportErrorsRedactToken(t *testing.T) {
	f := newFake(t, "")
	// A route that drops the connection makes net/http return a *url.Error
	// carrying the full URL, access_token included.
	f.route("/cgi-bin/kf/service_state/get", func(call) any {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		})
	})
	c := newTestClient(t, f, nil)
	_, _, err := c.ServiceState(context.Background(), "wkA", "wmB")
	if err == nil {
		t.Fatal("want an error from a dropped connection")
	}
	msg := err.Error()
	if strings.Contains(msg, "tok-1") {
		t.Errorf("error shows the access token: %s", msg)
	}
	if !strings.Contains(msg, "access_token=REDACTED") {
		t.Errorf("error does not show the redacted URL: %s", msg)
	}
}

func TestTimeout(t *testing.T) {
	f := newFake(t, "")
	f.route("/cgi-bin/kf/service_state/get", func(call) any {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		})
	})
	c, err := New(Config{APIBase: f.srv.URL, CorpID: testCorpID, AgentID: testAgentID, Secret: testSecret, Timeout: 100 * time.Millisecond, TokenCache: newCache()})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, _, err = c.ServiceState(context.Background(), "wkA", "wmB")
	if took := time.Since(start); took > time.Second {
		t.Errorf("call took %v with a 100ms timeout", took)
	}
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("want a timeout error, got %v", err)
	}
	if strings.Contains(err.Error(), "tok-1") {
		t.Errorf("timeout error shows the access token: %v", err)
	}
}

func TestHTTPStatusAndGarbage(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"status 502", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }, "HTTP status 502"},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }, "decode answer"},
		{"redirect not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://example.invalid/steal", http.StatusFound)
		}, "HTTP status 302"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, "")
			f.route("/cgi-bin/kf/service_state/get", func(call) any { return tt.handler })
			c := newTestClient(t, f, nil)
			_, _, err := c.ServiceState(context.Background(), "wkA", "wmB")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want error containing %q, got %v", tt.want, err)
			}
			if ErrCode(err) != 0 {
				t.Errorf("ErrCode = %d for a non-API error", ErrCode(err))
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	good := Config{CorpID: testCorpID, AgentID: 1, Secret: testSecret, TokenCache: newCache()}
	tests := []struct {
		name string
		edit func(*Config)
		want []string
	}{
		{"no corp, no secret, no agent", func(c *Config) { *c = Config{} }, []string{"corp id is empty", "secret is empty", "agent id"}},
		{"ftp base", func(c *Config) { c.APIBase = "ftp://qyapi.weixin.qq.com" }, []string{"http://"}},
		{"base without host", func(c *Config) { c.APIBase = "http:///cgi" }, []string{"no host"}},
		{"base with query", func(c *Config) { c.APIBase = "http://x/?a=1" }, []string{"query"}},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, []string{"timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			_, err := New(cfg)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
	noCache := good
	noCache.TokenCache = nil
	if _, err := New(noCache); err == nil {
		t.Error("nil cache accepted")
	}
	c, err := New(good)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.base.String(); got != DefaultAPIBase {
		t.Errorf("default base %q", got)
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://qyapi.weixin.qq.com/cgi-bin/kf/send_msg?access_token=abc", "https://qyapi.weixin.qq.com/cgi-bin/kf/send_msg?access_token=REDACTED"},
		{"http://h/cgi-bin/gettoken?corpid=ww1&corpsecret=xyz", "http://h/cgi-bin/gettoken?corpid=ww1&corpsecret=REDACTED"},
		{"http://h/cgi-bin/media/get?access_token=abc&media_id=m1", "http://h/cgi-bin/media/get?access_token=REDACTED&media_id=m1"},
		{"http://h/p", "http://h/p"},
		{"://bad?access_token=abc", "://bad?REDACTED"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokenTTL(t *testing.T) {
	tests := []struct{ in, want time.Duration }{
		{7200 * time.Second, 7200*time.Second - tokenMargin},
		{0, 7200*time.Second - tokenMargin},
		{8 * time.Minute, 4 * time.Minute},
	}
	for _, tt := range tests {
		if got := tokenTTL(tt.in); got != tt.want {
			t.Errorf("tokenTTL(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// A replica's senders call WeCom side by side; the connections of one round
// of calls serve the next instead of being closed and opened again (a TCP and
// TLS handshake with WeCom per call).
func TestConcurrentCallsKeepTheirConnections(t *testing.T) {
	const inFlight = 16
	f := newFake(t, "")
	var arrived sync.WaitGroup
	var gate atomic.Pointer[sync.WaitGroup]
	f.route("/cgi-bin/kf/send_msg", func(call) any {
		if g := gate.Load(); g != nil {
			g.Done()
			g.Wait() // every call of the round is in flight at once
		}
		return map[string]any{"errcode": 0, "errmsg": "ok", "msgid": "MSG1"}
	})
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(f.srv.Config.Handler)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	f.srv = srv
	c := newTestClient(t, f, nil)
	send := func() {
		if _, err := c.SendKf(context.Background(), "wkA", "wmB", "", textMsg("您好")); err != nil {
			t.Error(err)
		}
	}
	send() // the access token
	round := func() int64 {
		before := opened.Load()
		arrived.Add(inFlight)
		gate.Store(&arrived)
		var wg sync.WaitGroup
		for range inFlight {
			wg.Add(1)
			go func() { defer wg.Done(); send() }()
		}
		wg.Wait()
		gate.Store(nil)
		return opened.Load() - before
	}
	if n := round(); n < inFlight-1 {
		t.Fatalf("first round opened %d connections for %d calls in flight; want about one each", n, inFlight)
	}
	if n := round(); n != 0 {
		t.Errorf("second round of %d calls in flight opened %d new connections; want the first round's reused", inFlight, n)
	}
}
