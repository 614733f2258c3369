package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/cache"
)

// tokenMargin is how long before WeCom's expiry a cached token is given up,
// so that a token is never used in its last minutes.
const tokenMargin = 5 * time.Minute

// ExpiringCache is a token cache that also says how long a value has left
// (storage's Redis and in-process caches). The client then holds a token
// it read there in process for as long as the cache keeps it, and asks the
// cache again only when that runs out or WeCom rejects the token; a cache
// that cannot say is asked before every call.
type ExpiringCache interface {
	// GetExpiring returns the text kept under key and how long it has
	// left: "" on a miss, and a left of 0 or less for a value that never
	// expires.
	GetExpiring(ctx context.Context, key string) (val string, left time.Duration, err error)
}

// heldToken is the access token the client holds in process, and until
// when: the moment the token cache lets it go, which is tokenMargin before
// WeCom's expiry (tokenTTL).
type heldToken struct {
	value string
	until time.Time
}

// tokenFlight is one gettoken call that concurrent callers wait on.
type tokenFlight struct {
	done  chan struct{}
	token string
	err   error
}

// tokenKey names the cached token. Replicas sharing one cache share the token
// of the same corp and app, and only that.
func (c *Client) tokenKey() string {
	return "banchengshi:wecom:access_token:" + c.corpID + ":" + strconv.Itoa(c.agentID)
}

// token returns the access token this process holds, or the one in the
// token cache, or fetches one. The token is held in process until the cache
// would let it go, so that a call asks the shared cache (Redis) nothing
// while it is valid; a replica that fetched a new one after WeCom rejected
// the old is followed at this process's first rejection (call retries once,
// dropToken). Concurrent callers in this process share one fetch; WeCom
// returns the same token while it is valid, so replicas fetching at the same
// time do not invalidate each other.
func (c *Client) token(ctx context.Context) (string, error) {
	if tok := c.heldToken(); tok != "" {
		return tok, nil
	}
	if tok := c.cachedToken(ctx); tok != "" {
		return tok, nil
	}
	c.mu.Lock()
	f := c.flight
	if f == nil {
		// Another caller may have finished a fetch between the look-up above
		// and taking the lock.
		if tok := c.heldToken(); tok != "" {
			c.mu.Unlock()
			return tok, nil
		}
		if tok := c.cachedToken(ctx); tok != "" {
			c.mu.Unlock()
			return tok, nil
		}
		f = &tokenFlight{done: make(chan struct{})}
		c.flight = f
		// The fetch outlives a caller that gives up: others may be waiting on
		// it. The HTTP client's timeout bounds it.
		go c.runFlight(context.WithoutCancel(ctx), f)
	}
	c.mu.Unlock()

	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", fmt.Errorf("wecom: wait for access token: %w", ctx.Err())
	}
}

func (c *Client) runFlight(ctx context.Context, f *tokenFlight) {
	f.token, f.err = c.fetchToken(ctx)
	c.mu.Lock()
	c.flight = nil
	c.mu.Unlock()
	close(f.done)
}

// heldToken returns the token held in process, or "" when there is none or
// its time is up.
func (c *Client) heldToken() string {
	h := c.held.Load()
	if h == nil || !c.now().Before(h.until) {
		return ""
	}
	return h.value
}

// hold keeps tok in process for left from now; a token WeCom rejected is
// not held again.
func (c *Client) hold(tok string, left time.Duration) {
	if tok == "" || left <= 0 || c.isRejected(tok) {
		return
	}
	h := &heldToken{value: tok, until: c.now().Add(left)}
	c.held.Store(h)
	// dropToken may have marked it rejected between the check and the
	// store, and found nothing held to let go of: let go of it here.
	if c.isRejected(tok) {
		c.held.CompareAndSwap(h, nil)
	}
}

// cachedToken returns the token in the token cache, and holds it when the
// cache says how long it has left. The token WeCom last rejected is a miss:
// it may still be read there while its drop is under way.
func (c *Client) cachedToken(ctx context.Context) string {
	tok, left := c.sharedToken(ctx)
	if c.isRejected(tok) {
		return ""
	}
	c.hold(tok, left)
	return tok
}

// isRejected reports whether tok is the token WeCom last rejected.
func (c *Client) isRejected(tok string) bool {
	r := c.rejected.Load()
	return r != nil && tok != "" && *r == tok
}

// sharedToken reads the token cache: the token ("" on a miss) and how long
// it has left (0 when the cache cannot say).
func (c *Client) sharedToken(ctx context.Context) (string, time.Duration) {
	if ec, ok := c.cache.(ExpiringCache); ok {
		tok, left, err := ec.GetExpiring(ctx, c.tokenKey())
		if err != nil {
			// As silenceper's caches do on an error: a miss, and a fetch.
			c.log.WarnContext(ctx, "read cached access token", "err", err)
			return "", 0
		}
		return tok, left
	}
	switch v := cache.GetContext(ctx, c.cache, c.tokenKey()).(type) {
	case string:
		return v, 0
	case []byte:
		return string(v), 0
	}
	return "", 0
}

// fetchToken calls gettoken and caches the answer for expires_in minus a margin.
func (c *Client) fetchToken(ctx context.Context) (string, error) {
	const path = "/cgi-bin/gettoken"
	resp, err := c.exchange(ctx, request{
		method: http.MethodGet,
		path:   path,
		query:  url.Values{"corpid": {c.corpID}, "corpsecret": {c.secret}},
	}, "")
	if err != nil {
		return "", fmt.Errorf("wecom: get access token: %w", err)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(resp.body, &out); err != nil {
		return "", fmt.Errorf("wecom: get access token: decode answer: %w", err)
	}
	if out.AccessToken == "" {
		return "", fmt.Errorf("wecom: get access token: %w", errEmptyField(path, "access_token"))
	}
	ttl := tokenTTL(time.Duration(out.ExpiresIn) * time.Second)
	if err := cache.SetContext(ctx, c.cache, c.tokenKey(), out.AccessToken, ttl); err != nil {
		// The token is still good for this call; the next one fetches again.
		c.log.WarnContext(ctx, "cache access token", "err", err)
	}
	// WeCom has just issued it: good now, even if it is the value it
	// rejected before (a rejection WeCom did not mean for the token).
	c.rejected.Store(nil)
	c.hold(out.AccessToken, ttl)
	c.log.InfoContext(ctx, "fetched access token", "expires_in", out.ExpiresIn)
	return out.AccessToken, nil
}

// tokenTTL is how long to keep a token WeCom says is valid for expiresIn.
func tokenTTL(expiresIn time.Duration) time.Duration {
	if expiresIn <= 0 {
		expiresIn = 7200 * time.Second
	}
	if expiresIn > 2*tokenMargin {
		return expiresIn - tokenMargin
	}
	return expiresIn / 2
}

// dropToken lets go of the token WeCom rejected, in process and in the
// token cache if the cache still has it, so that a fresh token fetched
// meanwhile by another caller or replica survives and is used next. It is
// marked rejected first: a caller of this process that reads the cache
// before the drop reaches it must not take it up and hold it again.
func (c *Client) dropToken(ctx context.Context, rejected string) {
	c.rejected.Store(&rejected)
	if h := c.held.Load(); h != nil && h.value == rejected {
		c.held.CompareAndSwap(h, nil)
	}
	if tok, _ := c.sharedToken(ctx); tok != rejected {
		return
	}
	if err := cache.DeleteContext(ctx, c.cache, c.tokenKey()); err != nil {
		c.log.WarnContext(ctx, "drop rejected access token", "err", err)
	}
}
