package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"banchengshi/internal/clocktest"
	"banchengshi/wecom"
)

// callbackXML is what the fake product reads from any callback.
type callbackXML struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	MsgType      string `xml:"MsgType"`
	Event        string `xml:"Event"`
	Token        string `xml:"Token"`
	OpenKfID     string `xml:"OpenKfId"`
	Content      string `xml:"Content"`
	MsgID        string `xml:"MsgId"`
	AgentID      int    `xml:"AgentID"`
	EventKey     string `xml:"EventKey"`
	TaskID       string `xml:"TaskId"`
	CardType     string `xml:"CardType"`
	ResponseCode string `xml:"ResponseCode"`
}

// fakeProduct receives callbacks like the product does: it verifies the
// signature, decrypts with the same Crypter and, for kf events, pulls with
// sync_msg from its saved cursor until has_more is 0.
type fakeProduct struct {
	t       *testing.T
	crypter *wecom.Crypter
	api     string
	corpID  string
	secret  string
	pull    bool
	status  int

	mu        sync.Mutex
	cursor    string
	pulled    []map[string]any
	callbacks []callbackXML
}

func (p *fakeProduct) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var env wecom.Envelope
	body, _ := io.ReadAll(r.Body)
	if err := xml.Unmarshal(body, &env); err != nil {
		http.Error(w, "bad envelope", http.StatusBadRequest)
		return
	}
	plain, err := p.crypter.Decrypt(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), env.Encrypt)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var cb callbackXML
	if err := xml.Unmarshal(plain, &cb); err != nil {
		http.Error(w, "bad xml", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.callbacks = append(p.callbacks, cb)
	status := p.status
	p.mu.Unlock()
	if status != 0 && status != http.StatusOK {
		w.WriteHeader(status)
		return
	}
	if cb.Event == "kf_msg_or_event" && p.pull {
		if err := p.sync(r.Context(), cb.Token, cb.OpenKfID); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	_, _ = io.WriteString(w, "success")
}

func (p *fakeProduct) sync(ctx context.Context, token, openKfID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		resp, err := postJSON(ctx, p.api, "/cgi-bin/kf/sync_msg", p.token(ctx), map[string]any{
			"cursor": p.cursor, "token": token, "limit": 1000, "open_kfid": openKfID,
		})
		if err != nil {
			return err
		}
		if code(resp) != 0 {
			p.t.Errorf("sync_msg: %v", resp)
			return nil
		}
		for _, m := range resp["msg_list"].([]any) {
			p.pulled = append(p.pulled, m.(map[string]any))
		}
		p.cursor = resp["next_cursor"].(string)
		if resp["has_more"].(float64) == 0 {
			return nil
		}
	}
}

func (p *fakeProduct) token(ctx context.Context) string {
	u := p.api + "/cgi-bin/gettoken?corpid=" + url.QueryEscape(p.corpID) + "&corpsecret=" + url.QueryEscape(p.secret)
	resp, err := getJSON(ctx, u)
	if err != nil || code(resp) != 0 {
		p.t.Fatalf("gettoken: %v %v", resp, err)
	}
	return resp["access_token"].(string)
}

func (p *fakeProduct) Pulled() []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]map[string]any(nil), p.pulled...)
}

func (p *fakeProduct) Callbacks() []callbackXML {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]callbackXML(nil), p.callbacks...)
}

// env is one sandbox on its own httptest server with a fake product.
type env struct {
	sb      *Sandbox
	api     string
	clock   *clocktest.Fake
	product *fakeProduct
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clock := clocktest.NewFake(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC))
	sb, err := New(Config{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	cfg := sb.Config()
	c, err := wecom.NewCrypter(cfg.Token, cfg.EncodingAESKey, cfg.CorpID)
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeProduct{t: t, crypter: c, api: srv.URL, corpID: cfg.CorpID, secret: cfg.Secret, pull: true}
	psrv := httptest.NewServer(p)
	sb.SetCallbackURL(psrv.URL + "/wecom/callback")
	t.Cleanup(func() {
		sb.Close()
		psrv.Close()
		srv.Close()
	})
	return &env{sb: sb, api: srv.URL, clock: clock, product: p}
}

func (e *env) token(t *testing.T) string {
	t.Helper()
	return e.product.token(context.Background())
}

// call POSTs a WeCom API call with a fresh access token.
func (e *env) call(t *testing.T, path string, body any) map[string]any {
	t.Helper()
	resp, err := postJSON(context.Background(), e.api, path, e.token(t), body)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func postJSON(ctx context.Context, base, path, token string, body any) (map[string]any, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return postRaw(ctx, base+path+"?access_token="+url.QueryEscape(token), b)
}

func postRaw(ctx context.Context, u string, b []byte) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return doJSON(req)
}

func getJSON(ctx context.Context, u string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return doJSON(req)
}

func doJSON(req *http.Request) (map[string]any, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// code is a response's errcode.
func code(resp map[string]any) int {
	f, _ := resp["errcode"].(float64)
	return int(f)
}

func waitFor(t *testing.T, sb *Sandbox, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := sb.WaitFor(ctx, cond); err != nil {
		t.Fatal(err)
	}
}

func text(to, kf, content string) map[string]any {
	return map[string]any{"touser": to, "open_kfid": kf, "msgtype": "text", "text": map[string]any{"content": content}}
}
