package wecom

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/cache"
)

const (
	testCorpID  = "ww0123456789abcdef"
	testSecret  = "s3cr3t-app-secret-value"
	testAgentID = 1000002
)

// call is one request the fake WeCom received (gettoken excluded).
type call struct {
	Path  string
	Token string
	Query map[string]string
	Body  []byte
	CType string
}

// fakeWeCom speaks WeCom's JSON: gettoken issues tok-1, tok-2, ...; API calls
// with a token that is not the current one are answered with errcode 40014;
// routes answer with what their handler returns.
type fakeWeCom struct {
	t      testing.TB
	srv    *httptest.Server
	prefix string

	mu        sync.Mutex
	issued    int
	current   string
	revokedAs int // errcode for a token rejected via revoke
	rejectAll int // when set, every API call answers this errcode
	tokenWait time.Duration
	calls     []call
	routes    map[string]func(c call) any
}

func newFake(t testing.TB, prefix string) *fakeWeCom {
	t.Helper()
	f := &fakeWeCom{t: t, prefix: prefix, routes: map[string]func(call) any{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// route sets the answer of an API path; the returned value is sent as JSON,
// as is when it is a json.RawMessage, or served when it is an
// http.HandlerFunc.
func (f *fakeWeCom) route(path string, h func(c call) any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[path] = h
}

// revoke makes WeCom reject the current token with code from now on.
func (f *fakeWeCom) revoke(code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.current = "revoked:" + f.current
	f.revokedAs = code
}

func (f *fakeWeCom) tokensIssued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issued
}

func (f *fakeWeCom) callsTo(path string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeWeCom) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, f.prefix+"/cgi-bin/") {
		http.NotFound(w, r)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, f.prefix)
	body, _ := io.ReadAll(r.Body)
	q := map[string]string{}
	for k, v := range r.URL.Query() {
		q[k] = v[0]
	}
	if path == "/cgi-bin/gettoken" {
		f.gettoken(w, q)
		return
	}
	c := call{Path: path, Token: q["access_token"], Query: q, Body: body, CType: r.Header.Get("Content-Type")}
	delete(c.Query, "access_token")

	f.mu.Lock()
	f.calls = append(f.calls, c)
	current, revokedAs, rejectAll := f.current, f.revokedAs, f.rejectAll
	h := f.routes[path]
	f.mu.Unlock()

	switch {
	case rejectAll != 0:
		writeJSON(w, map[string]any{"errcode": rejectAll, "errmsg": "rejected by test"})
	case c.Token == "" || c.Token != current:
		code := 40014
		if strings.HasPrefix(current, "revoked:") && "revoked:"+c.Token == current {
			code = revokedAs
		}
		writeJSON(w, map[string]any{"errcode": code, "errmsg": "invalid access_token"})
	case h == nil:
		writeJSON(w, map[string]any{"errcode": 404, "errmsg": "no route in test: " + path})
	default:
		switch v := h(c).(type) {
		case http.HandlerFunc:
			v(w, r)
		case json.RawMessage:
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			w.Write(v)
		default:
			writeJSON(w, v)
		}
	}
}

func (f *fakeWeCom) gettoken(w http.ResponseWriter, q map[string]string) {
	f.mu.Lock()
	wait := f.tokenWait
	f.mu.Unlock()
	time.Sleep(wait)
	if q["corpid"] != testCorpID || q["corpsecret"] != testSecret {
		writeJSON(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
		return
	}
	f.mu.Lock()
	f.issued++
	f.current = fmt.Sprintf("tok-%d", f.issued)
	tok := f.current
	f.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": 7200})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

// lockedCache serialises silenceper's cache.Memory, whose Get reads its map
// without the lock (a data race under concurrent use).
type lockedCache struct {
	mu  sync.Mutex
	mem *cache.Memory
}

func newCache() *lockedCache { return &lockedCache{mem: cache.NewMemory()} }

func (c *lockedCache) Get(key string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mem.Get(key)
}

func (c *lockedCache) Set(key string, val any, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mem.Set(key, val, d)
}

func (c *lockedCache) IsExist(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mem.IsExist(key)
}

func (c *lockedCache) Delete(key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mem.Delete(key)
}

func newTestClient(t *testing.T, f *fakeWeCom, tc cache.Cache) *Client {
	t.Helper()
	return newTestClientWith(t, f, Config{TokenCache: tc})
}

// newTestClientWith is newTestClient with cfg's token cache, pauses and
// budget; the fake's address and the test corp fill in the rest.
func newTestClientWith(t testing.TB, f *fakeWeCom, cfg Config) *Client {
	t.Helper()
	if cfg.TokenCache == nil {
		cfg.TokenCache = newCache()
	}
	cfg.APIBase, cfg.CorpID, cfg.AgentID, cfg.Secret, cfg.Timeout = f.srv.URL+f.prefix, testCorpID, testAgentID, testSecret, 2*time.Second
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// jsonOf decodes a request body for comparison with cmp.Diff.
func jsonOf(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("request body is not JSON: %v: %s", err, b)
	}
	return v
}

// parseJSON decodes a literal expected body.
func parseJSON(t *testing.T, s string) any {
	t.Helper()
	return jsonOf(t, []byte(s))
}
