package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"
)

// Redis is the shared stores on one Redis, every key under a prefix so that
// several deployments (or tests) can share a server.
type Redis struct {
	c      *redis.Client
	prefix string
}

// NewRedis connects to Redis at addr and pings it.
func NewRedis(ctx context.Context, addr, password string, db int, prefix string) (*Redis, error) {
	c := redis.NewClient(&redis.Options{
		Addr:         addr,
		Password:     password,
		DB:           db,
		DialTimeout:  5 * time.Second,
		ReadTimeout:  3 * time.Second,
		WriteTimeout: 3 * time.Second,
	})
	r := &Redis{c: c, prefix: prefix}
	if err := r.Ping(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return r, nil
}

// Client returns the underlying go-redis client.
func (r *Redis) Client() *redis.Client { return r.c }

// Prefix returns the prefix of every key r writes.
func (r *Redis) Prefix() string { return r.prefix }

// Ping checks that Redis answers.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (r *Redis) Close() error {
	if err := r.c.Close(); err != nil {
		return fmt.Errorf("close redis: %w", err)
	}
	return nil
}

// Locker returns locks kept in Redis under prefix "lock:".
func (r *Redis) Locker() Locker { return redisLocker{r} }

// RateLimiter returns a sliding-window limiter kept in Redis under "rate:".
func (r *Redis) RateLimiter() RateLimiter { return redisLimiter{r} }

// TokenCache returns a silenceper cache kept in Redis under "token:". It also
// implements cache.ContextCache, and wecom.ExpiringCache (GetExpiring).
func (r *Redis) TokenCache() cache.Cache { return redisCache{r} }

type redisLocker struct{ r *Redis }

// unlockScript deletes the lock only if it still holds our token.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// refreshScript extends the lock only if it still holds our token.
var refreshScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)

func (l redisLocker) TryLock(ctx context.Context, key string, ttl time.Duration) (Lock, bool, error) {
	k := l.r.prefix + "lock:" + key
	tok := newToken()
	err := l.r.c.SetArgs(ctx, k, tok, redis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("take lock %q: %w", key, err)
	}
	return &redisLock{c: l.r.c, name: key, key: k, token: tok}, true, nil
}

type redisLock struct {
	c     *redis.Client
	name  string
	key   string
	token string
}

func (l *redisLock) Refresh(ctx context.Context, ttl time.Duration) error {
	n, err := refreshScript.Run(ctx, l.c, []string{l.key}, l.token, ttl.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("refresh lock %q: %w", l.name, err)
	}
	if n == 0 {
		return fmt.Errorf("refresh lock %q: %w", l.name, ErrLockLost)
	}
	return nil
}

func (l *redisLock) Unlock(ctx context.Context) error {
	n, err := unlockScript.Run(ctx, l.c, []string{l.key}, l.token).Int()
	if err != nil {
		return fmt.Errorf("release lock %q: %w", l.name, err)
	}
	if n == 0 {
		return fmt.Errorf("release lock %q: %w", l.name, ErrLockLost)
	}
	return nil
}

// Pauses returns API pauses kept in Redis under "pause:", expiring with
// the pause.
func (r *Redis) Pauses() APIPauses { return redisPauses{r} }

type redisPauses struct{ r *Redis }

// pauseScript sets the pause unless a longer one is already set.
var pauseScript = redis.NewScript(`
if redis.call("PTTL", KEYS[1]) < tonumber(ARGV[1]) then
	redis.call("SET", KEYS[1], "1", "PX", ARGV[1])
end
return 1`)

// pauseKey names api's pause.
func (r *Redis) pauseKey(api string) string { return r.prefix + "pause:" + api }

// rateKey names the events a rate limit counts under key.
func (r *Redis) rateKey(key string) string { return r.prefix + "rate:" + key }

func (p redisPauses) Pause(ctx context.Context, api string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	if err := pauseScript.Run(ctx, p.r.c, []string{p.r.pauseKey(api)}, max(d.Milliseconds(), 1)).Err(); err != nil {
		return fmt.Errorf("pause %q: %w", api, err)
	}
	return nil
}

func (p redisPauses) PausedFor(ctx context.Context, api string) (time.Duration, error) {
	ms, err := p.r.c.PTTL(ctx, p.r.pauseKey(api)).Result()
	if err != nil {
		return 0, fmt.Errorf("read pause %q: %w", api, err)
	}
	// go-redis turns PTTL's -1 and -2 (no expiry, no key) into negative
	// durations.
	return max(ms, 0), nil
}

type redisLimiter struct{ r *Redis }

// allowScript keeps one sorted-set member per allowed event, scored by the
// Redis server's clock in microseconds, so replicas with skewed clocks agree.
var allowScript = redis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - window)
if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[1]) then
	return 0
end
redis.call("ZADD", KEYS[1], now, now .. "-" .. ARGV[3])
redis.call("PEXPIRE", KEYS[1], math.max(1, math.ceil(window / 1000)))
return 1`)

func (l redisLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	n, err := allowScript.Run(ctx, l.r.c, []string{l.r.rateKey(key)},
		limit, window.Microseconds(), newToken()[:8]).Int()
	if err != nil {
		return false, fmt.Errorf("rate limit %q: %w", key, err)
	}
	return n == 1, nil
}

// admitScript is CallBudget.Admit on Redis: api's pause (KEYS[1]) checked
// and one call taken from its minute and hour budget (KEYS[2], KEYS[3]) in
// one step, where PausedFor and Allow took three round trips. The keys and
// their contents are those of redisPauses and allowScript, so replicas of
// either kind count together. A paused API takes nothing (the reply is the
// pause left, in milliseconds); a call (ARGV[1] is "1") takes one event from
// both windows only when both have room, scored by the Redis server's clock
// in microseconds like allowScript. The reply is {paused ms, 1 allowed or 0}.
var admitScript = redis.NewScript(`
local paused = redis.call("PTTL", KEYS[1])
if paused > 0 then
	return {paused, 0}
end
if ARGV[1] ~= "1" then
	return {0, 1}
end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local windows = {{KEYS[2], tonumber(ARGV[2]), 60000000}, {KEYS[3], tonumber(ARGV[3]), 3600000000}}
for _, w in ipairs(windows) do
	redis.call("ZREMRANGEBYSCORE", w[1], "-inf", now - w[3])
	if redis.call("ZCARD", w[1]) >= w[2] then
		return {0, 0}
	end
end
for _, w in ipairs(windows) do
	redis.call("ZADD", w[1], now, now .. "-" .. ARGV[4])
	redis.call("PEXPIRE", w[1], math.ceil(w[3] / 1000))
end
return {0, 1}`)

// admit runs admitScript for api with b's limits.
func (r *Redis) admit(ctx context.Context, b *CallBudget, api string, spend bool) (time.Duration, bool, error) {
	flag := "0"
	if spend {
		flag = "1"
	}
	keys := []string{r.pauseKey(api), r.rateKey(budgetKey(api, "minute")), r.rateKey(budgetKey(api, "hour"))}
	res, err := admitScript.Run(ctx, r.c, keys, flag, b.perMinute, b.perHour, newToken()[:8]).Int64Slice()
	if err != nil {
		return 0, true, fmt.Errorf("pause and call budget of %q: %w", api, err)
	}
	if len(res) != 2 {
		return 0, true, fmt.Errorf("pause and call budget of %q: reply %v", api, res)
	}
	return time.Duration(res[0]) * time.Millisecond, res[1] == 1, nil
}

// cacheTimeout bounds the token cache's calls, which silenceper makes without
// a context.
const cacheTimeout = 3 * time.Second

type redisCache struct{ r *Redis }

func (c redisCache) key(k string) string { return c.r.prefix + "token:" + k }

func (c redisCache) Get(key string) any {
	ctx, cancel := context.WithTimeout(context.Background(), cacheTimeout)
	defer cancel()
	return c.GetContext(ctx, key)
}

// GetContext returns the string stored under key, or nil on a miss or error
// (silenceper then fetches a fresh token).
func (c redisCache) GetContext(ctx context.Context, key string) any {
	v, err := c.r.c.Get(ctx, c.key(key)).Result()
	if err != nil {
		if !errors.Is(err, redis.Nil) {
			slog.WarnContext(ctx, "token cache read failed", "key", key, "err", err)
		}
		return nil
	}
	return v
}

// expiringScript reads a value and how long it has left in one step.
var expiringScript = redis.NewScript(`return {redis.call("GET", KEYS[1]), redis.call("PTTL", KEYS[1])}`)

// GetExpiring returns the string stored under key and how long it has left
// ("" on a miss; a left of 0 for a value that never expires), in one round
// trip. It implements wecom.ExpiringCache: the client holds the token for
// that long without asking Redis again.
func (c redisCache) GetExpiring(ctx context.Context, key string) (string, time.Duration, error) {
	res, err := expiringScript.Run(ctx, c.r.c, []string{c.key(key)}).Slice()
	if err != nil {
		return "", 0, fmt.Errorf("token cache read %q: %w", key, err)
	}
	if len(res) != 2 {
		return "", 0, fmt.Errorf("token cache read %q: reply %v", key, res)
	}
	val, _ := res[0].(string) // nil on a miss
	ms, _ := res[1].(int64)   // -1: no expiry; -2: no key
	if val == "" {
		return "", 0, nil
	}
	return val, time.Duration(max(ms, 0)) * time.Millisecond, nil
}

func (c redisCache) Set(key string, val any, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), cacheTimeout)
	defer cancel()
	return c.SetContext(ctx, key, val, timeout)
}

// SetContext stores val's text under key; a timeout of zero or less never expires.
func (c redisCache) SetContext(ctx context.Context, key string, val any, timeout time.Duration) error {
	s, err := cacheString(val)
	if err != nil {
		return err
	}
	if timeout < 0 {
		timeout = 0
	}
	if err := c.r.c.Set(ctx, c.key(key), s, timeout).Err(); err != nil {
		return fmt.Errorf("token cache set %q: %w", key, err)
	}
	return nil
}

func (c redisCache) IsExist(key string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), cacheTimeout)
	defer cancel()
	return c.IsExistContext(ctx, key)
}

// IsExistContext reports whether key holds a value.
func (c redisCache) IsExistContext(ctx context.Context, key string) bool {
	n, err := c.r.c.Exists(ctx, c.key(key)).Result()
	return err == nil && n > 0
}

func (c redisCache) Delete(key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cacheTimeout)
	defer cancel()
	return c.DeleteContext(ctx, key)
}

// DeleteContext removes key.
func (c redisCache) DeleteContext(ctx context.Context, key string) error {
	if err := c.r.c.Del(ctx, c.key(key)).Err(); err != nil {
		return fmt.Errorf("token cache delete %q: %w", key, err)
	}
	return nil
}

var _ cache.ContextCache = redisCache{}
