package storage

import (
	"context"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/cache"
)

// Memory is the in-process version of the shared stores, for the embedded
// single-process default and for tests. It shares nothing between processes.
type Memory struct {
	mu     sync.Mutex
	now    func() time.Time
	locks  map[string]memLock
	events map[string][]time.Time
	tokens map[string]memValue
	pauses map[string]time.Time
	topics map[Topic]map[chan struct{}]struct{} // Signal's subscribers (signal.go)
}

type memLock struct {
	token   string
	expires time.Time
}

type memValue struct {
	val     string
	expires time.Time // zero: never
}

// NewMemory returns empty in-process stores.
func NewMemory() *Memory {
	return &Memory{
		now:    time.Now,
		locks:  map[string]memLock{},
		events: map[string][]time.Time{},
		tokens: map[string]memValue{},
		pauses: map[string]time.Time{},
		topics: map[Topic]map[chan struct{}]struct{}{},
	}
}

// Ping always succeeds.
func (m *Memory) Ping(context.Context) error { return nil }

// Close does nothing.
func (m *Memory) Close() error { return nil }

// Locker returns m as a Locker.
func (m *Memory) Locker() Locker { return memLocker{m} }

// RateLimiter returns m as a RateLimiter.
func (m *Memory) RateLimiter() RateLimiter { return memLimiter{m} }

// TokenCache returns m as a silenceper cache. Unlike silenceper's own
// cache.Memory it is safe for concurrent use; it also implements
// wecom.ExpiringCache (GetExpiring).
func (m *Memory) TokenCache() cache.Cache { return memCache{m} }

type memLocker struct{ m *Memory }

func (l memLocker) TryLock(_ context.Context, key string, ttl time.Duration) (Lock, bool, error) {
	m := l.m
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if cur, ok := m.locks[key]; ok && now.Before(cur.expires) {
		return nil, false, nil
	}
	tok := newToken()
	m.locks[key] = memLock{token: tok, expires: now.Add(ttl)}
	return &memHeld{m: m, key: key, token: tok}, true, nil
}

type memHeld struct {
	m     *Memory
	key   string
	token string
}

// owned reports whether h still holds its lock; m.mu must be held.
func (h *memHeld) owned() bool {
	cur, ok := h.m.locks[h.key]
	return ok && cur.token == h.token && h.m.now().Before(cur.expires)
}

func (h *memHeld) Refresh(_ context.Context, ttl time.Duration) error {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	if !h.owned() {
		return ErrLockLost
	}
	h.m.locks[h.key] = memLock{token: h.token, expires: h.m.now().Add(ttl)}
	return nil
}

func (h *memHeld) Unlock(context.Context) error {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	if !h.owned() {
		return ErrLockLost
	}
	delete(h.m.locks, h.key)
	return nil
}

// Pauses returns m as API pauses.
func (m *Memory) Pauses() APIPauses { return memPauses{m} }

type memPauses struct{ m *Memory }

func (p memPauses) Pause(_ context.Context, api string, d time.Duration) error {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	if u := p.m.now().Add(d); u.After(p.m.pauses[api]) {
		p.m.pauses[api] = u
	}
	return nil
}

func (p memPauses) PausedFor(_ context.Context, api string) (time.Duration, error) {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	left := p.m.pauses[api].Sub(p.m.now())
	if left <= 0 {
		delete(p.m.pauses, api)
		return 0, nil
	}
	return left, nil
}

type memLimiter struct{ m *Memory }

func (l memLimiter) Allow(_ context.Context, key string, limit int, window time.Duration) (bool, error) {
	m := l.m
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	ev := m.events[key]
	i := 0
	for i < len(ev) && !ev[i].After(now.Add(-window)) {
		i++
	}
	ev = ev[i:]
	if len(ev) >= limit {
		m.events[key] = ev
		return false, nil
	}
	m.events[key] = append(ev, now)
	return true, nil
}

type memCache struct{ m *Memory }

func (c memCache) Get(key string) any {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	v, ok := c.m.tokens[key]
	if !ok {
		return nil
	}
	if !v.expires.IsZero() && !c.m.now().Before(v.expires) {
		delete(c.m.tokens, key)
		return nil
	}
	return v.val
}

// GetExpiring returns the string stored under key and how long it has left
// ("" on a miss; a left of 0 for a value that never expires). It implements
// wecom.ExpiringCache.
func (c memCache) GetExpiring(_ context.Context, key string) (string, time.Duration, error) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	v, ok := c.m.tokens[key]
	if !ok {
		return "", 0, nil
	}
	if v.expires.IsZero() {
		return v.val, 0, nil
	}
	left := v.expires.Sub(c.m.now())
	if left <= 0 {
		delete(c.m.tokens, key)
		return "", 0, nil
	}
	return v.val, left, nil
}

func (c memCache) Set(key string, val any, timeout time.Duration) error {
	str, err := cacheString(val)
	if err != nil {
		return err
	}
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	v := memValue{val: str}
	if timeout > 0 {
		v.expires = c.m.now().Add(timeout)
	}
	c.m.tokens[key] = v
	return nil
}

func (c memCache) IsExist(key string) bool { return c.Get(key) != nil }

func (c memCache) Delete(key string) error {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	delete(c.m.tokens, key)
	return nil
}
