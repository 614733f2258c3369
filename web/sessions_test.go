package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
)

// sessionCookie is the browser's session cookie value.
func (b *browser) sessionCookie() string {
	b.f.t.Helper()
	u, _ := url.Parse(b.f.srv.URL + "/web/")
	for _, c := range b.http.Jar.Cookies(u) {
		if c.Name == "bcs_session" {
			return c.Value
		}
	}
	b.f.t.Fatal("no session cookie")
	return ""
}

// withCookie is a fresh browser that holds a copy of a session cookie.
func (f *fixture) withCookie(value string) *browser {
	b := f.browser()
	u, _ := url.Parse(f.srv.URL + "/web/")
	b.http.Jar.SetCookies(u, []*http.Cookie{{Name: "bcs_session", Value: value, Path: "/web"}})
	return b
}

func TestSignedOutCookieIsRefused(t *testing.T) {
	f := newFixture(t)
	b := f.signIn("sunqi")
	stolen := f.withCookie(b.sessionCookie())
	if res, _ := stolen.get("/web/"); res.StatusCode != http.StatusOK {
		t.Fatalf("a copy of a live cookie: %d, want 200", res.StatusCode)
	}
	if res, body := b.post("/web/logout", url.Values{"csrf": {b.csrf()}}); res.StatusCode != http.StatusOK {
		t.Fatalf("logout: %d %s", res.StatusCode, body)
	}
	for _, path := range []string{"/web/", "/web/cases/" + redCase} {
		if res, _ := stolen.get(path); res.StatusCode != http.StatusFound || !strings.HasPrefix(res.Header.Get("Location"), "/web/login") {
			t.Errorf("%s with the cookie of a signed-out session: %d, want a redirect to sign in", path, res.StatusCode)
		}
	}
	if res, _ := stolen.post("/web/cases/"+redCase+"/act", url.Values{"verb": {"备注"}, "text": {"x"}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a form with the cookie of a signed-out session: %d, want 401", res.StatusCode)
	}
}

func TestSignOutEverywhere(t *testing.T) {
	f := newFixture(t)
	desk, phone, other := f.signIn("sunqi"), f.signIn("sunqi"), f.signIn("zhangsan")
	_, page := desk.get("/web/")
	if !strings.Contains(page, `id="logout-all"`) {
		t.Fatalf("no sign-out-everywhere button on the page:\n%s", page)
	}
	res, body := desk.post("/web/logout-all", url.Values{"csrf": {desk.csrf()}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "您已在所有设备上退出登录（共 2 处）") {
		t.Fatalf("sign out everywhere: %d %s", res.StatusCode, body)
	}
	for name, b := range map[string]*browser{"the browser that asked": desk, "the member's phone": phone} {
		if res, _ := b.get("/web/"); res.StatusCode != http.StatusFound {
			t.Errorf("%s after signing out everywhere: %d, want a redirect to sign in", name, res.StatusCode)
		}
	}
	if res, _ := other.get("/web/"); res.StatusCode != http.StatusOK {
		t.Errorf("another member's session: %d, want 200", res.StatusCode)
	}
	if res, _ := f.browser().post("/web/logout-all", url.Values{}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("sign out everywhere without a session: %d, want 401", res.StatusCode)
	}
	if res, _ := other.post("/web/logout-all", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("sign out everywhere without the form token: %d, want 403", res.StatusCode)
	}
}

// The store holds a keyed hash of the session id, never the cookie's value.
func TestSessionIDHashedAtRest(t *testing.T) {
	f := newFixture(t)
	b := f.signIn("sunqi")
	value := b.sessionCookie()
	ctx := context.Background()
	rows, err := f.db.WebSessionsOf(ctx, "sunqi")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d sessions stored, want 1", len(rows))
	}
	if rows[0].IDHash == value || strings.Contains(rows[0].IDHash, value) || len(rows[0].IDHash) != 64 {
		t.Errorf("stored id %q for the cookie %q", rows[0].IDHash, value)
	}
	if _, err := f.db.WebSession(ctx, value); !errors.Is(err, cases.ErrNotFound) {
		t.Errorf("the cookie's value finds a session in the store: %v", err)
	}
}

// Idle and absolute expiry hold on the server whatever the browser keeps,
// and expired sessions leave the store.
func TestExpiredSessionsLeaveTheStore(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	idle := f.signIn("sunqi")
	copied := f.withCookie(idle.sessionCookie())
	f.clock.Advance(8 * time.Hour)
	if res, _ := copied.get("/web/"); res.StatusCode != http.StatusFound {
		t.Errorf("a session idle for 8 hours: %d, want a redirect to sign in", res.StatusCode)
	}
	if rows, _ := f.db.WebSessionsOf(ctx, "sunqi"); len(rows) != 0 {
		t.Errorf("the idle session is still stored: %+v", rows[0])
	}

	// Sessions nobody comes back to are purged when somebody signs in.
	f.signIn("wangwu")
	f.clock.Advance(9 * time.Hour)
	f.signIn("zhangsan")
	if rows, _ := f.db.WebSessionsOf(ctx, "wangwu"); len(rows) != 0 {
		t.Errorf("a session expired an hour ago is still stored")
	}
	if rows, _ := f.db.WebSessionsOf(ctx, "zhangsan"); len(rows) != 1 {
		t.Errorf("the new session: %d stored, want 1", len(rows))
	}
}
