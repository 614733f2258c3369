// Package sandbox is a local WeCom: the API endpoints 办成事 calls (gettoken,
// 微信客服 kf, app messages, media) with WeCom's JSON shapes, errcodes and
// limits, real encrypted callbacks to the product, and a page where a person
// plays a citizen on WeChat and a staff member in the WeCom client. A newcomer
// runs the product with it and no WeCom account; end-to-end tests drive the
// product's real HTTP path through it.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"banchengshi/wecom"
)

// Member is a person in the sandbox corp's directory.
type Member struct {
	UserID string `json:"userid"`
	Name   string `json:"name"`
}

// Config describes the sandbox corp. Empty fields get working defaults.
type Config struct {
	CorpID         string
	AgentID        int
	Secret         string
	Token          string
	EncodingAESKey string
	// CallbackURL is the product's /wecom/callback; it may be set after New
	// through SetCallbackURL.
	CallbackURL string
	// OpenKfIDs are the 微信客服 accounts; default one: "wkSANDBOX001".
	OpenKfIDs []string
	// Staff is the directory; default a few plausible staff members.
	Staff []Member
	// Now is the clock; default time.Now. Tests pass a fake clock.
	Now func() time.Time
	// Log receives what went wrong delivering callbacks; nil discards.
	Log *slog.Logger
	// Ceilings are WeCom's per-API call limits (ceiling.go); zero fields
	// take WeCom's documented figures.
	Ceilings Ceilings
	// Latency is added to every API call: the round trip to WeCom from a
	// server in China. Default 0.
	Latency time.Duration
}

// Validity periods and limits, as WeCom documents them.
const (
	accessTokenTTL  = 7200 * time.Second
	kfTokenTTL      = 10 * time.Minute
	eventCodeTTL    = 20 * time.Second
	mediaTTL        = 3 * 24 * time.Hour
	syncWindow      = 3 * 24 * time.Hour
	sendWindow      = 48 * time.Hour
	sendBudget      = 5
	responseCodeTTL = 72 * time.Hour // WeCom says 24 h or 72 h (UNVERIFIED which)
	appPerMinute    = 30
	appPerHour      = 1000
	// Without a Token, sync_msg is "strictly rate-limited": the sandbox allows
	// noTokenPerMinute calls per kf account per minute, then answers 45009.
	noTokenPerMinute = 2
	maxJSONBody      = 1 << 20
	callbackTimeout  = 5 * time.Second
)

// Sandbox is one fake WeCom corp. It is safe for concurrent use.
type Sandbox struct {
	cfg     Config
	crypter *wecom.Crypter
	log     *slog.Logger
	client  *http.Client

	auth   *authServer // the web sign-in (auth.go)
	ceil   *ceilings   // call limits (ceiling.go)
	faults faults      // injected failures (faults.go)

	mu           sync.Mutex
	callbackURL  string
	accessToken  string
	tokenExpiry  time.Time
	revoked      map[string]bool
	seenTokens   map[string]time.Time // every token ever issued, with its expiry
	kfTokens     map[string]kfToken
	noTokenCalls map[string][]time.Time
	seq          int64
	syncLog      []*syncMsg
	chats        map[string][]ChatLine
	citizens     []string
	sessions     map[sessionKey]*session
	eventCodes   map[string]eventCode
	blocked      map[string]bool
	media        map[string]*mediaItem
	inbox        map[string][]*inboxEntry
	cards        map[string]*card // by msgid
	respCodes    map[string]responseCode
	appSends     map[string][]time.Time
	dropped      map[string]int
	calls        map[string]int
	idem         idempotency // kf msgids and app duplicate checks (kfsend.go)
	lastCallback []byte
	async        sync.WaitGroup
	smsgw        *smsGateway // the fake SMS gateway (sms.go)
}

// New returns a sandbox with defaults filled in for every empty field.
func New(cfg Config) (*Sandbox, error) {
	if cfg.CorpID == "" {
		cfg.CorpID = "wwSANDBOX" + randHex(4)
	}
	if cfg.AgentID == 0 {
		cfg.AgentID = 1000002
	}
	if cfg.Secret == "" {
		cfg.Secret = randHex(21)
	}
	if cfg.Token == "" {
		cfg.Token = randHex(8)
	}
	if cfg.EncodingAESKey == "" {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("sandbox: generate EncodingAESKey: %w", err)
		}
		cfg.EncodingAESKey = base64.StdEncoding.EncodeToString(key)[:43]
	}
	if len(cfg.OpenKfIDs) == 0 {
		cfg.OpenKfIDs = []string{"wkSANDBOX001"}
	}
	if len(cfg.Staff) == 0 {
		cfg.Staff = []Member{
			{UserID: "zhangsan", Name: "张三"},
			{UserID: "lisi", Name: "李四"},
			{UserID: "wangwu", Name: "王五"},
			{UserID: "zhaoliu", Name: "赵六"},
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	c, err := wecom.NewCrypter(cfg.Token, cfg.EncodingAESKey, cfg.CorpID)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := &Sandbox{
		cfg:          cfg,
		crypter:      c,
		log:          cfg.Log.With("component", "sandbox"),
		client:       newCallbackClient(),
		callbackURL:  cfg.CallbackURL,
		revoked:      map[string]bool{},
		seenTokens:   map[string]time.Time{},
		kfTokens:     map[string]kfToken{},
		noTokenCalls: map[string][]time.Time{},
		chats:        map[string][]ChatLine{},
		sessions:     map[sessionKey]*session{},
		eventCodes:   map[string]eventCode{},
		blocked:      map[string]bool{},
		media:        map[string]*mediaItem{},
		inbox:        map[string][]*inboxEntry{},
		cards:        map[string]*card{},
		respCodes:    map[string]responseCode{},
		appSends:     map[string][]time.Time{},
		dropped:      map[string]int{},
		calls:        map[string]int{},
		smsgw:        &smsGateway{},
	}
	s.auth = &authServer{s: s, codes: map[string]loginCode{}}
	s.ceil = newCeilings(cfg.Ceilings)
	s.cfg.Ceilings = s.ceil.limits
	return s, nil
}

// Config returns the configuration with its defaults filled in; the product
// uses CorpID, AgentID, Secret, Token and EncodingAESKey from it.
func (s *Sandbox) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cfg
	c.CallbackURL = s.callbackURL
	c.OpenKfIDs = append([]string(nil), s.cfg.OpenKfIDs...)
	c.Staff = append([]Member(nil), s.cfg.Staff...)
	return c
}

// SetCallbackURL sets where callbacks go (the product's /wecom/callback).
func (s *Sandbox) SetCallbackURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callbackURL = u
}

// Handler serves the WeCom API under /cgi-bin/, the page at / and its JSON
// under /api/. Every path is relative so the handler can be mounted with
// http.StripPrefix.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	s.api(mux, "/cgi-bin/gettoken", http.MethodGet, false, s.handleGetToken)
	s.api(mux, "/cgi-bin/kf/sync_msg", http.MethodPost, true, s.handleSyncMsg)
	s.api(mux, "/cgi-bin/kf/send_msg", http.MethodPost, true, s.handleSendMsg)
	s.api(mux, "/cgi-bin/kf/send_msg_on_event", http.MethodPost, true, s.handleSendMsgOnEvent)
	s.api(mux, "/cgi-bin/kf/service_state/get", http.MethodPost, true, s.handleStateGet)
	s.api(mux, "/cgi-bin/kf/service_state/trans", http.MethodPost, true, s.handleStateTrans)
	s.api(mux, "/cgi-bin/message/send", http.MethodPost, true, s.handleMessageSend)
	s.api(mux, "/cgi-bin/message/update_template_card", http.MethodPost, true, s.handleUpdateCard)
	s.api(mux, "/cgi-bin/media/get", http.MethodGet, true, s.handleMediaGet)
	s.api(mux, "/cgi-bin/media/upload", http.MethodPost, true, s.handleMediaUpload)
	s.routeAuth(mux)
	s.routeSMS(mux)
	s.routePage(mux)
	return mux
}

// api registers a WeCom endpoint: it counts the call, checks the method,
// applies injected faults, latency and call ceilings (admit) and, when auth
// is set, checks the access_token, the way WeCom does before anything else.
func (s *Sandbox) api(mux *http.ServeMux, path, method string, auth bool, h http.HandlerFunc) {
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[path]++
		s.mu.Unlock()
		if r.Method != method {
			if method == http.MethodPost {
				writeErr(w, errRequirePOST, "require POST method")
			} else {
				writeErr(w, errRequireGET, "require GET method")
			}
			return
		}
		release, ok := s.admit(w, r, path)
		if !ok {
			return
		}
		defer release()
		if auth {
			if code, msg := s.checkToken(r.URL.Query().Get("access_token")); code != 0 {
				writeErr(w, code, msg)
				return
			}
		}
		h(w, r)
	})
}

// Calls reports how many times an API path (e.g. "/cgi-bin/kf/send_msg") was
// called, whatever the outcome.
func (s *Sandbox) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// WaitFor polls cond until it holds or ctx ends; the product answers
// asynchronously, so tests wait for what they expect.
func (s *Sandbox) WaitFor(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sandbox: wait: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Close waits for callbacks the sandbox is still delivering in the background
// (events caused by the product's own API calls), then closes the
// connections kept open to the product.
func (s *Sandbox) Close() {
	s.async.Wait()
	s.client.CloseIdleConnections()
}

func (s *Sandbox) now() time.Time { return s.cfg.Now() }

// decodeJSON reads a size-bounded JSON body; on failure it answers 47001 as
// WeCom does and reports false.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err != nil {
		writeErr(w, errDataFormat, "data format error: body too large or unreadable")
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeErr(w, errDataFormat, "data format error")
		return false
	}
	return true
}

// flexInt accepts a JSON number or a string of digits (silenceper sends
// agentid as a string; the API documents an integer).
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		*f = flexInt(n)
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return err
	}
	if str == "" {
		*f = 0
		return nil
	}
	n, err := strconv.Atoi(str)
	if err != nil {
		return err
	}
	*f = flexInt(n)
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("sandbox: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

func (s *Sandbox) isStaff(userID string) (Member, bool) {
	for _, m := range s.cfg.Staff {
		if m.UserID == userID {
			return m, true
		}
	}
	return Member{}, false
}

func (s *Sandbox) isKf(openKfID string) bool {
	for _, k := range s.cfg.OpenKfIDs {
		if k == openKfID {
			return true
		}
	}
	return false
}

// newCallbackClient posts callbacks to the product. It keeps connections open
// for as many callbacks as are in flight at once: with the default two idle
// connections per host, a burst would open a new connection per callback.
func newCallbackClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	return &http.Client{Transport: tr, Timeout: callbackTimeout}
}
