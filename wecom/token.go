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

// token returns the cached access token or fetches one. Concurrent callers in
// this process share one fetch; WeCom returns the same token while it is
// valid, so replicas fetching at the same time do not invalidate each other.
func (c *Client) token(ctx context.Context) (string, error) {
	if tok := c.cachedToken(ctx); tok != "" {
		return tok, nil
	}
	c.mu.Lock()
	f := c.flight
	if f == nil {
		// Another caller may have finished a fetch between the look-up above
		// and taking the lock.
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

func (c *Client) cachedToken(ctx context.Context) string {
	switch v := cache.GetContext(ctx, c.cache, c.tokenKey()).(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
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

// dropToken deletes the cached token if it is still the one WeCom rejected,
// so a fresh token fetched meanwhile by another caller survives.
func (c *Client) dropToken(ctx context.Context, rejected string) {
	if c.cachedToken(ctx) != rejected {
		return
	}
	if err := cache.DeleteContext(ctx, c.cache, c.tokenKey()); err != nil {
		c.log.WarnContext(ctx, "drop rejected access token", "err", err)
	}
}
