package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/silenceper/wechat/v2/cache"
)

// DefaultAPIBase is WeCom's API host.
const DefaultAPIBase = "https://qyapi.weixin.qq.com"

// DefaultTimeout bounds every request to WeCom when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// maxJSONResponse bounds a JSON answer; a full sync_msg page is well below it.
const maxJSONResponse = 8 << 20

// Config says where the WeCom API is and which self-built app calls it. Since
// 2023-12-01 the kf APIs use the self-built app's secret too.
type Config struct {
	// APIBase is the scheme, host and optional path prefix every request goes
	// to, e.g. "http://127.0.0.1:8080/sandbox". Empty means DefaultAPIBase.
	APIBase string
	CorpID  string
	AgentID int
	Secret  string
	// Timeout bounds each HTTP request. Zero means DefaultTimeout.
	Timeout time.Duration
	// SignInBase, when set, serves the staff sign-in page instead of WeCom
	// (the local sandbox); empty means WeCom's own pages.
	SignInBase string
	// TokenCache keeps the access token (for example silenceper's
	// cache.NewMemory(), or a Redis cache shared by replicas). Required.
	// One that is an ExpiringCache (storage's) is asked only when the token
	// the client holds in process runs out or is rejected.
	TokenCache cache.Cache
	// Pauses keeps the APIs paused after a frequency-limit answer, shared
	// with the other replicas; nil keeps them in process, unless Budget
	// keeps them.
	Pauses Pauses
	// Budget is the corp's call budget per API; nil: calls take none. A
	// Budget that is a Gate (storage.CallBudget) keeps the pauses too, and
	// Pauses must then be nil.
	Budget Budget
	// Log receives the client's warnings; nil discards them.
	Log *slog.Logger
}

// Client calls the WeCom API for one corp and one self-built app. It is safe
// for concurrent use.
type Client struct {
	base       *url.URL
	signInBase *url.URL // nil: WeCom's own sign-in pages
	corpID     string
	agentID    int
	secret     string
	http       *http.Client
	cache      cache.Cache
	log        *slog.Logger

	pauses Pauses // APIs paused after a frequency limit (pause.go)
	budget Budget // the corp's call budget per API; nil: none
	gate   Gate   // budget when it keeps the pauses too (then pauses is it); else nil

	now  func() time.Time
	held atomic.Pointer[heldToken] // the access token held in process (token.go); nil: none
	// rejected is the last access token WeCom rejected: never held again,
	// and a miss when read from the token cache (token.go).
	rejected atomic.Pointer[string]
	mu       sync.Mutex
	flight   *tokenFlight // the token fetch in progress, shared by concurrent callers
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	var problems []string
	base := cfg.APIBase
	if base == "" {
		base = DefaultAPIBase
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	switch {
	case err != nil:
		problems = append(problems, "API base is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		problems = append(problems, "API base must start with http:// or https://")
	case u.Host == "":
		problems = append(problems, "API base has no host")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		problems = append(problems, "API base must not have a query, fragment or user info")
	}
	var signIn *url.URL
	if cfg.SignInBase != "" {
		signIn, err = url.Parse(strings.TrimRight(cfg.SignInBase, "/"))
		if err != nil || (signIn.Scheme != "http" && signIn.Scheme != "https") || signIn.Host == "" {
			problems = append(problems, "sign-in base must be an http(s) URL")
		}
	}
	if cfg.CorpID == "" {
		problems = append(problems, "corp id is empty")
	}
	if cfg.Secret == "" {
		problems = append(problems, "secret is empty")
	}
	if cfg.AgentID <= 0 {
		problems = append(problems, "agent id must be a positive integer")
	}
	if cfg.Timeout < 0 {
		problems = append(problems, "timeout must not be negative")
	}
	if cfg.TokenCache == nil {
		problems = append(problems, "token cache is nil")
	}
	gate, _ := cfg.Budget.(Gate)
	if gate != nil && cfg.Pauses != nil {
		problems = append(problems, "the budget keeps the pauses: give no separate pauses")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("wecom: bad config: %s", strings.Join(problems, "; "))
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pauses := cfg.Pauses
	switch {
	case gate != nil:
		pauses = gate
	case pauses == nil:
		pauses = newLocalPauses()
	}
	return &Client{
		base:       u,
		signInBase: signIn,
		corpID:     cfg.CorpID,
		agentID:    cfg.AgentID,
		secret:     cfg.Secret,
		http:       newHTTPClient(timeout),
		cache:      cfg.TokenCache,
		log:        log.With("component", "wecom"),
		pauses:     pauses,
		budget:     cfg.Budget,
		gate:       gate,
		now:        time.Now,
	}, nil
}

// maxIdleConns is how many connections to WeCom are kept open between calls:
// more than the calls a replica makes at once.
const maxIdleConns = 64

func newHTTPClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Every sender, puller and worker of the replica may call WeCom at once
	// (a few dozen calls in flight in a burst). With the default two idle
	// connections per host, all but two of them would be closed after their
	// call and the next call would open a new one: a TCP and TLS handshake
	// with WeCom per call.
	tr.MaxIdleConnsPerHost = maxIdleConns
	tr.ResponseHeaderTimeout = timeout
	tr.TLSHandshakeTimeout = min(timeout, 10*time.Second)
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		// WeCom does not redirect API calls; following one would carry the
		// access token to wherever it points.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// request is one API call before the access token is added.
type request struct {
	method      string
	path        string // e.g. "/cgi-bin/kf/sync_msg"
	query       url.Values
	body        []byte
	contentType string
	limit       int64 // response size bound; maxJSONResponse when zero
	// file marks an endpoint that answers with a file on success and JSON on
	// error (media/get).
	file bool
}

// response is what came back from a successful exchange.
type response struct {
	header http.Header
	body   []byte
}

// apiStatus is the errcode/errmsg pair every JSON answer carries.
type apiStatus struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// call sends r with the access token. When WeCom answers that the token is
// invalid or expired it drops the token (held and cached), takes the one
// another replica may have fetched meanwhile or fetches a new one, and sends
// r once more. While r's API is paused after a frequency limit it returns a
// *PausedError without calling WeCom; a frequency-limit answer pauses it.
func (c *Client) call(ctx context.Context, r request) (*response, error) {
	if err := c.admit(ctx, r.path); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		token, err := c.token(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := c.exchange(ctx, r, token)
		if err == nil {
			return resp, nil
		}
		if code := ErrCode(err); attempt == 0 && isTokenError(code) {
			c.log.WarnContext(ctx, "access token rejected; fetching a new one", "path", r.path, "errcode", code)
			c.dropToken(ctx, token)
			continue
		}
		c.notePause(ctx, r.path, err)
		return nil, err
	}
}

// exchange performs one HTTP request and turns a non-zero errcode into an
// *APIError. token may be empty (gettoken).
func (c *Client) exchange(ctx context.Context, r request, token string) (*response, error) {
	u := *c.base
	u.Path = c.base.Path + r.path
	q := url.Values{}
	for k, v := range r.query {
		q[k] = v
	}
	if token != "" {
		q.Set("access_token", token)
	}
	u.RawQuery = q.Encode()

	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("wecom %s: build request: %w", r.path, redactErr(err))
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	start := time.Now()
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wecom %s: %w", r.path, redactErr(err))
	}
	defer res.Body.Close()

	limit := r.limit
	if limit <= 0 {
		limit = maxJSONResponse
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("wecom %s: read answer: %w", r.path, redactErr(err))
	}
	c.log.DebugContext(ctx, "wecom call", "path", r.path, "status", res.StatusCode, "bytes", len(data), "took", time.Since(start))
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("wecom %s: HTTP status %d", r.path, res.StatusCode)
	}
	if int64(len(data)) > limit {
		return nil, unreadable(fmt.Errorf("wecom %s: answer larger than %d bytes", r.path, limit))
	}
	if r.file && !looksLikeJSONError(res.Header, data) {
		return &response{header: res.Header, body: data}, nil
	}
	var st apiStatus
	if err := json.Unmarshal(data, &st); err != nil {
		// Not WeCom's answer (a gateway's page, say): as good as none.
		return nil, fmt.Errorf("wecom %s: decode answer: %w", r.path, err)
	}
	if st.ErrCode != 0 {
		return nil, &APIError{Code: st.ErrCode, Msg: st.ErrMsg, Path: r.path}
	}
	return &response{header: res.Header, body: data}, nil
}

// looksLikeJSONError tells an error answer of a file endpoint from a file: a
// file comes as an attachment, an error as a JSON object with an errcode.
func looksLikeJSONError(h http.Header, data []byte) bool {
	if strings.HasPrefix(strings.ToLower(h.Get("Content-Disposition")), "attachment") {
		return false
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(trimmed, &probe) != nil {
		return false
	}
	_, ok := probe["errcode"]
	return ok
}

// postJSON sends in as JSON to path and decodes the answer into out (which may
// be nil).
func (c *Client) postJSON(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("wecom %s: encode request: %w", path, err)
	}
	resp, err := c.call(ctx, request{method: http.MethodPost, path: path, body: body, contentType: "application/json; charset=utf-8"})
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return unreadable(fmt.Errorf("wecom %s: decode answer: %w", path, err))
	}
	return nil
}

// errEmptyField reports a required field WeCom left out of a successful answer.
func errEmptyField(path, field string) error {
	return errors.New("wecom " + path + ": answer has no " + field)
}
