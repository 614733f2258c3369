package sandbox

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/cache"

	"banchengshi/internal/clocktest"
	"banchengshi/wecom"
)

// authFixture is a sandbox serving its API and its sign-in from one server, a
// product client pointed at it, and a browser that does not follow redirects.
type authFixture struct {
	sb      *Sandbox
	clock   *clocktest.Fake
	srv     *httptest.Server
	client  *wecom.Client
	browser *http.Client
}

func newAuthFixture(t *testing.T) *authFixture {
	t.Helper()
	clock := clocktest.NewFake(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC))
	sb, err := New(Config{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	cfg := sb.Config()
	client, err := wecom.New(wecom.Config{APIBase: srv.URL, SignInBase: srv.URL, CorpID: cfg.CorpID, AgentID: cfg.AgentID, Secret: cfg.Secret, TokenCache: cache.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &authFixture{sb: sb, clock: clock, srv: srv, client: client, browser: browser}
}

// signIn opens the authorize page as the product builds it, checks that it
// lists the member, follows the member's link and returns the code and state
// the browser is sent back with.
func (f *authFixture) signIn(t *testing.T, userID string) (code, state string) {
	t.Helper()
	authorize := f.client.AuthorizeURL("http://product.test/web/auth/callback?x=1", "st4te", false)
	res, err := f.browser.Get(authorize)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "data-userid=\""+userID+"\"") {
		t.Fatalf("authorize page (%d) does not list %s:\n%s", res.StatusCode, userID, page)
	}
	u, _ := url.Parse(authorize)
	q := u.Query()
	if userID == "" {
		q.Set("outsider", "1")
	} else {
		q.Set("userid", userID)
	}
	u.RawQuery = q.Encode()
	res, err = f.browser.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("choosing %q: status %d, want 302", userID, res.StatusCode)
	}
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Host != "product.test" || back.Path != "/web/auth/callback" || back.Query().Get("x") != "1" {
		t.Fatalf("redirected to %s, want the redirect_uri with its own query kept", back)
	}
	return back.Query().Get("code"), back.Query().Get("state")
}

func TestAuthSignInMember(t *testing.T) {
	f := newAuthFixture(t)
	ctx := context.Background()
	code, state := f.signIn(t, "lisi")
	if state != "st4te" || code == "" {
		t.Fatalf("code %q state %q, want a code and the state sent", code, state)
	}
	got, err := f.client.UserIDFromCode(ctx, code)
	if err != nil || got != "lisi" {
		t.Fatalf("UserIDFromCode = %q, %v; want lisi", got, err)
	}
	// A code is good once.
	if _, err := f.client.UserIDFromCode(ctx, code); wecom.ErrCode(err) != errInvalidCode {
		t.Fatalf("second use: %v, want errcode %d", err, errInvalidCode)
	}
}

func TestAuthCodeExpires(t *testing.T) {
	f := newAuthFixture(t)
	code, _ := f.signIn(t, "zhangsan")
	f.clock.Advance(loginCodeTTL)
	if _, err := f.client.UserIDFromCode(context.Background(), code); wecom.ErrCode(err) != errInvalidCode {
		t.Fatalf("expired code: %v, want errcode %d", err, errInvalidCode)
	}
}

func TestAuthOutsider(t *testing.T) {
	f := newAuthFixture(t)
	code, _ := f.signIn(t, "")
	if _, err := f.client.UserIDFromCode(context.Background(), code); !errors.Is(err, wecom.ErrNotMember) {
		t.Fatalf("outsider: %v, want ErrNotMember", err)
	}
}

func TestAuthorizeRejectsBadRequests(t *testing.T) {
	f := newAuthFixture(t)
	good, _ := url.Parse(f.client.AuthorizeURL("http://product.test/cb", "s", false))
	tests := []struct {
		name string
		set  map[string]string
	}{
		{"wrong appid", map[string]string{"appid": "wwOTHER"}},
		{"relative redirect", map[string]string{"redirect_uri": "/cb"}},
		{"wrong response type", map[string]string{"response_type": "token"}},
		{"wrong agent", map[string]string{"agentid": "1"}},
		{"unknown member", map[string]string{"userid": "nobody"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := *good
			q := u.Query()
			for k, v := range tt.set {
				q.Set(k, v)
			}
			u.RawQuery = q.Encode()
			res, err := f.browser.Get(u.String())
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", res.StatusCode)
			}
		})
	}
}

func TestGetUserInfoNeedsToken(t *testing.T) {
	f := newAuthFixture(t)
	res, err := http.Get(f.srv.URL + "/cgi-bin/auth/getuserinfo?code=x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"errcode":41001`) {
		t.Fatalf("without access_token: %s, want errcode 41001", body)
	}
}
