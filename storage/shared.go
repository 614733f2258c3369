package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/silenceper/wechat/v2/cache"
)

// ErrLockLost means a lock expired and may now be held by somebody else: the
// holder must stop the work the lock protected.
var ErrLockLost = errors.New("lock lost")

// Locker hands out named locks that expire unless refreshed, so that a
// replica that dies cannot hold one forever. It guards the one kf puller per
// account and the scheduler's leadership.
type Locker interface {
	// TryLock takes the lock named key for ttl if nobody holds it; ok is false
	// when somebody does.
	TryLock(ctx context.Context, key string, ttl time.Duration) (l Lock, ok bool, err error)
}

// Lock is a held lock.
type Lock interface {
	// Refresh extends the lock to ttl from now, or returns ErrLockLost.
	Refresh(ctx context.Context, ttl time.Duration) error
	// Unlock releases the lock, or returns ErrLockLost when it had expired;
	// it never releases a lock somebody else has taken since.
	Unlock(ctx context.Context) error
}

// RateLimiter counts events per key in a sliding window.
type RateLimiter interface {
	// Allow records an event for key and reports true when fewer than limit
	// events were allowed in the last window; a refused event is not counted.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error)
}

// APIPauses keeps, per WeCom API, how long calls must wait after WeCom's
// frequency limit (45009, 45033); it implements wecom.Pauses. The limits are
// per corp, so replicas share one.
type APIPauses interface {
	// Pause makes calls to api wait for d from now, never shortening a
	// longer pause.
	Pause(ctx context.Context, api string, d time.Duration) error
	// PausedFor says how long calls to api must still wait; 0 when they
	// need not.
	PausedFor(ctx context.Context, api string) (time.Duration, error)
}

// SharedStores is what Redis and Memory both provide.
type SharedStores interface {
	Locker() Locker
	RateLimiter() RateLimiter
	Pauses() APIPauses
	// Signal wakes other replicas' workers when there is new work.
	Signal() Signal
	// TokenCache keeps WeCom access tokens for silenceper/wechat: Get returns
	// the string that was set, or nil.
	TokenCache() cache.Cache
	Ping(ctx context.Context) error
	Close() error
}

var (
	_ SharedStores = (*Redis)(nil)
	_ SharedStores = (*Memory)(nil)
)

// newToken returns a random lock owner token.
func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// cacheString is the form a token cache keeps a value in: silenceper reads
// what it stored back with a string type assertion, so only values with an
// obvious text form are accepted.
func cacheString(val any) (string, error) {
	switch v := val.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case int, int32, int64, uint, uint32, uint64, float64, bool:
		return fmt.Sprint(v), nil
	case fmt.Stringer:
		return v.String(), nil
	}
	return "", fmt.Errorf("token cache: cannot keep a %T", val)
}

// LeaseTTL is how long a lease on shared work (a kf account's puller, the
// outbox sender, the scheduler's leadership) lasts unless renewed. It is short
// so that after a crash (kill -9, an OOM kill, a lost node) another replica or
// the restarted process takes the work over within seconds; holders renew it
// every LeaseTTL/3 while they work (KeepLease).
const LeaseTTL = 6 * time.Second

// KeepLease renews lock every ttl/3 until stop is called, and returns a
// context derived from ctx that is cancelled as soon as the lease may be lost:
// Refresh says ErrLockLost, or renewals kept failing (Redis unreachable, say)
// until less than a third of ttl was left. The holder then stops before
// another holder's work can overlap its own. A renewal that fails once is
// tried again at the next tick. stop does not unlock. A nil log discards.
func KeepLease(ctx context.Context, lock Lock, ttl time.Duration, log *slog.Logger) (leased context.Context, stop func()) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	leased, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		every := max(ttl/3, time.Millisecond)
		t := time.NewTicker(every)
		defer t.Stop()
		renewed := time.Now()
		for {
			select {
			case <-done:
				return
			case <-leased.Done():
				return
			case <-t.C:
			}
			// A renewal may not outlast its turn: one that hangs (a MySQL
			// connection whose packets vanish) must fail in time for the
			// holder to stop before the lease can pass to somebody else.
			rctx, rcancel := context.WithTimeout(leased, every)
			err := lock.Refresh(rctx, ttl)
			rcancel()
			switch {
			case err == nil:
				renewed = time.Now()
				continue
			case errors.Is(err, ErrLockLost):
				log.Warn("lease lost; stopping its work", "err", err)
				cancel(err)
				return
			case time.Since(renewed) >= ttl-every:
				log.Warn("lease not renewed in time; stopping its work", "err", err)
				cancel(fmt.Errorf("%w: %w", ErrLockLost, err))
				return
			default:
				log.Warn("lease renewal failed; trying again", "err", err)
			}
		}
	}()
	return leased, func() {
		close(done)
		<-finished
		cancel(nil)
	}
}

// CallBudget shares WeCom's per-corp ceiling on calls of one API among the
// replicas (Redis; in process on the embedded default), with the minute and
// the hour limit, keeping CallHeadroom of each unused: WeCom also counts
// calls this product does not (the token, a second system on the corp), and
// going over blocks the API for a minute or an hour. It keeps WeCom's pauses
// of an API (45009, 45033) too, so that one step checks both (Admit). It
// implements wecom.Gate.
type CallBudget struct {
	limiter            RateLimiter
	pauses             APIPauses
	perMinute, perHour int
	redis              *Redis // when the budget and pauses are on Redis: Admit is one script there
}

// CallHeadroom is the share of WeCom's ceiling the budget leaves unused.
const CallHeadroom = 0.10

// NewCallBudget returns a budget of perMinute and perHour calls (WeCom's
// ceiling; defaults 10,000 and 150,000) less CallHeadroom, counted in s's
// rate limiter, with s's pauses.
func NewCallBudget(s SharedStores, perMinute, perHour int) *CallBudget {
	spend := func(n int) int { return max(1, int(float64(n)*(1-CallHeadroom))) }
	b := &CallBudget{limiter: s.RateLimiter(), pauses: s.Pauses(), perMinute: spend(perMinute), perHour: spend(perHour)}
	b.redis, _ = s.(*Redis)
	return b
}

// budgetKey is the rate-limit key of api's budget for one window.
func budgetKey(api, window string) string { return "wecom:" + api + ":" + window }

// Limits returns the calls a minute and an hour the budget allows per API.
func (b *CallBudget) Limits() (perMinute, perHour int) { return b.perMinute, b.perHour }

// Allow takes one call of api from the minute and the hour budget, or reports
// false when either is spent. A call refused by the hour after the minute let
// it through still counts in the minute: the budget errs on the safe side.
func (b *CallBudget) Allow(ctx context.Context, api string) (bool, error) {
	ok, err := b.limiter.Allow(ctx, budgetKey(api, "minute"), b.perMinute, time.Minute)
	if err != nil || !ok {
		return false, err
	}
	return b.limiter.Allow(ctx, budgetKey(api, "hour"), b.perHour, time.Hour)
}

// Pause makes calls to api wait for d from now, never shortening a longer
// pause.
func (b *CallBudget) Pause(ctx context.Context, api string, d time.Duration) error {
	return b.pauses.Pause(ctx, api, d)
}

// PausedFor says how long calls to api must still wait; 0 when they need
// not.
func (b *CallBudget) PausedFor(ctx context.Context, api string) (time.Duration, error) {
	return b.pauses.PausedFor(ctx, api)
}

// Admit reports how long api is still paused, taking nothing while it is;
// otherwise, when spend is true, it takes one call of api's budget and
// reports whether the budget had it. A pause that cannot be read does not
// stop the call, nor a budget that cannot be read: err says which.
//
// On Redis it is one script, one round trip (admitScript), and a call the
// hour refuses is not counted in the minute either. Elsewhere it asks the
// pauses, then Allow.
func (b *CallBudget) Admit(ctx context.Context, api string, spend bool) (paused time.Duration, ok bool, err error) {
	if b.redis != nil {
		return b.redis.admit(ctx, b, api, spend)
	}
	paused, perr := b.pauses.PausedFor(ctx, api)
	if perr != nil {
		paused = 0
	}
	if paused > 0 || !spend {
		return paused, true, perr
	}
	ok, berr := b.Allow(ctx, api)
	if berr != nil {
		ok = true
	}
	return 0, ok, errors.Join(perr, berr)
}
