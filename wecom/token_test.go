package wecom

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/cache"
)

// rejectingCache is an ExpiringCache whose next Delete first runs a hook:
// the moment another caller of the same process reads the cache while the
// token WeCom rejected is being dropped.
type rejectingCache struct {
	mu      sync.Mutex
	mem     *cache.Memory
	expires map[string]time.Time
	hook    func()
}

func (c *rejectingCache) Get(key string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mem.Get(key)
}

func (c *rejectingCache) Set(key string, val any, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expires[key] = time.Now().Add(d)
	return c.mem.Set(key, val, d)
}

func (c *rejectingCache) IsExist(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mem.IsExist(key)
}

func (c *rejectingCache) Delete(key string) error {
	c.mu.Lock()
	h := c.hook
	c.hook = nil
	c.mu.Unlock()
	if h != nil {
		h()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mem.Delete(key)
}

func (c *rejectingCache) GetExpiring(_ context.Context, key string) (string, time.Duration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, _ := c.mem.Get(key).(string)
	if v == "" {
		return "", 0, nil
	}
	return v, time.Until(c.expires[key]), nil
}

// A caller that reads the token cache while another drops the token WeCom
// rejected (held let go, the cache not yet cleared) must not hold the
// rejected token again: the rejected call's one retry then fetches a new
// one instead of failing with the old.
func TestRejectedTokenNotTakenUpAgainWhileDropped(t *testing.T) {
	f := newFake(t, "")
	stateRoute(f)
	rc := &rejectingCache{mem: cache.NewMemory(), expires: map[string]time.Time{}}
	c := newTestClientWith(t, f, Config{TokenCache: rc})
	ctx := context.Background()
	if _, _, err := c.ServiceState(ctx, "wkA", "wmB"); err != nil {
		t.Fatal(err)
	}
	f.revoke(CodeInvalidToken)
	var concurrent string
	rc.hook = func() {
		tok, err := c.token(ctx)
		if err != nil {
			t.Errorf("concurrent caller: %v", err)
		}
		concurrent = tok
	}
	if _, _, err := c.ServiceState(ctx, "wkA", "wmB"); err != nil {
		t.Fatalf("the call's one retry failed: %v", err)
	}
	if concurrent == "tok-1" {
		t.Errorf("a caller took up the rejected token tok-1 while it was dropped")
	}
	if held := c.heldToken(); held == "tok-1" {
		t.Errorf("the process still holds the rejected token")
	}
	var used []string
	for _, cl := range f.callsTo("/cgi-bin/kf/service_state/get") {
		used = append(used, cl.Token)
	}
	if want := []string{"tok-1", "tok-1", "tok-2"}; !slices.Equal(used, want) {
		t.Errorf("tokens used %v; want %v", used, want)
	}
}
