package wecom

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Errcodes of WeCom's call-frequency limits ("访问频率限制").
const (
	// CodeFreqLimit (45009): the corp called this API more than 10,000 times
	// in a minute or 150,000 in an hour; WeCom blocks it for 60 s or 60
	// minutes.
	CodeFreqLimit = 45009
	// CodeConcurrencyLimit (45033): too many calls of this API at once.
	CodeConcurrencyLimit = 45033
)

// How long an API is left alone after a frequency-limit answer. WeCom blocks
// for 60 s after a minute limit and 60 minutes after an hour limit, and its
// answer does not say which: the API is paused for the minute, then one call
// finds out whether the block still holds (and pauses another minute if so).
// That is one call a minute at most while blocked, never a stream of them.
const (
	FreqLimitPause        = 60 * time.Second
	ConcurrencyLimitPause = 2 * time.Second
)

// ErrPaused is wrapped by *PausedError.
var ErrPaused = errors.New("wecom: API paused after a frequency limit")

// PausedError is returned without calling WeCom while an API is paused after
// a frequency-limit answer, or while its share of the corp's call budget is
// spent (Budget); For is how long to wait before trying again.
type PausedError struct {
	Path   string
	For    time.Duration
	Budget bool
}

// Error says which API waits, why and for how long.
func (e *PausedError) Error() string {
	if e.Budget {
		return fmt.Sprintf("wecom %s: call budget spent for now; waiting %s", e.Path, e.For.Round(time.Millisecond))
	}
	return fmt.Sprintf("wecom %s: paused for %s after WeCom's frequency limit", e.Path, e.For.Round(time.Millisecond))
}

// IsBudget reports whether err is a call refused by the shared call budget
// (not by WeCom): the budget is short right now.
func IsBudget(err error) bool {
	var p *PausedError
	return errors.As(err, &p) && p.Budget
}

// Unwrap makes errors.Is(err, ErrPaused) true.
func (e *PausedError) Unwrap() error { return ErrPaused }

// RetryAfter reports whether err is WeCom's frequency limit (45009, 45033) or
// a pause the client keeps after one, and how long to wait before the call is
// worth trying again. Such a failure is WeCom saying "later", not a fault of
// the message: callers wait and do not count it as an attempt.
func RetryAfter(err error) (time.Duration, bool) {
	var p *PausedError
	if errors.As(err, &p) {
		return p.For, true
	}
	switch ErrCode(err) {
	case CodeFreqLimit:
		return FreqLimitPause, true
	case CodeConcurrencyLimit:
		return ConcurrencyLimitPause, true
	}
	return 0, false
}

// Pauses keeps, per API path, how long calls must wait after a
// frequency-limit answer. The limits are per corp, so replicas share one
// (storage's Redis); the client keeps its own in process unless Config
// gives one.
type Pauses interface {
	// Pause makes calls to api wait for d from now (never shortening a
	// longer pause).
	Pause(ctx context.Context, api string, d time.Duration) error
	// PausedFor says how long calls to api must still wait; 0 when they
	// need not.
	PausedFor(ctx context.Context, api string) (time.Duration, error)
}

// Budget is the corp's call budget per API, shared by every replica, kept
// below WeCom's ceiling (10,000 calls a minute and 150,000 an hour per API by
// default) so that WeCom never has to block an API.
type Budget interface {
	// Allow takes one call of api from the budget, or reports false when
	// the API's share is spent for now.
	Allow(ctx context.Context, api string) (bool, error)
}

// Gate is a Budget that keeps the pauses too (storage.CallBudget): it checks
// an API's pause and takes its call in one step, which on Redis is one round
// trip where asking the pauses and then the budget took more. A client
// whose Budget is a Gate asks only the gate, and records pauses in it.
type Gate interface {
	Budget
	Pauses
	// Admit reports how long api is still paused, taking nothing while it
	// is; otherwise, when spend is true, it takes one call of api's budget
	// and reports whether the budget had it (ok is true when spend is
	// false). The answer stands even with an error: a pause or a budget
	// that cannot be read lets the call through, and err says what could
	// not be read.
	Admit(ctx context.Context, api string, spend bool) (paused time.Duration, ok bool, err error)
}

// BudgetWait is how long a caller waits after the budget refused a call
// before trying again.
const BudgetWait = time.Second

// budgetExempt are APIs WeCom limits otherwise: app messages count against
// each member's 30 a minute and 1000 an hour (see notify), not the per-API
// ceiling.
var budgetExempt = map[string]bool{"/cgi-bin/message/send": true}

// admit returns a *PausedError while path is paused, or when its share of
// the budget is spent (Budget). A pause or budget that cannot be read does
// not stop the call: WeCom's own answer still protects the ceiling, and the
// pause follows it.
func (c *Client) admit(ctx context.Context, path string) error {
	if c.gate != nil {
		paused, ok, err := c.gate.Admit(ctx, path, !budgetExempt[path])
		if err != nil {
			c.log.WarnContext(ctx, "read API pause and call budget", "path", path, "err", err)
		}
		return refusal(path, paused, ok)
	}
	if err := c.checkPause(ctx, path); err != nil {
		return err
	}
	return c.takeBudget(ctx, path)
}

// refusal is the *PausedError of a call paused for paused, or refused by the
// budget (!ok); nil when the call may go.
func refusal(path string, paused time.Duration, ok bool) error {
	switch {
	case paused > 0:
		return &PausedError{Path: path, For: paused}
	case !ok:
		return &PausedError{Path: path, For: BudgetWait, Budget: true}
	}
	return nil
}

// takeBudget returns a *PausedError (Budget) when path's share is spent. A
// budget that cannot be read does not stop the call.
func (c *Client) takeBudget(ctx context.Context, path string) error {
	b := c.budget
	if b == nil || budgetExempt[path] {
		return nil
	}
	ok, err := b.Allow(ctx, path)
	if err != nil {
		c.log.WarnContext(ctx, "read call budget", "path", path, "err", err)
		return nil
	}
	return refusal(path, 0, ok)
}

// checkPause returns a *PausedError while path is paused. A pause store
// that cannot be read does not stop the call.
func (c *Client) checkPause(ctx context.Context, path string) error {
	d, err := c.pauses.PausedFor(ctx, path)
	if err != nil {
		c.log.WarnContext(ctx, "read API pause", "path", path, "err", err)
		return nil
	}
	return refusal(path, d, true)
}

// notePause pauses path after a frequency-limit answer.
func (c *Client) notePause(ctx context.Context, path string, err error) {
	d, ok := RetryAfter(err)
	if !ok {
		return
	}
	c.log.WarnContext(ctx, "WeCom frequency limit; pausing the API", "path", path, "errcode", ErrCode(err), "for", d)
	if perr := c.pauses.Pause(context.WithoutCancel(ctx), path, d); perr != nil {
		c.log.WarnContext(ctx, "record API pause", "path", path, "err", perr)
	}
}

// localPauses is the in-process Pauses a client starts with.
type localPauses struct {
	mu    sync.Mutex
	now   func() time.Time
	until map[string]time.Time
}

func newLocalPauses() *localPauses {
	return &localPauses{now: time.Now, until: map[string]time.Time{}}
}

func (p *localPauses) Pause(_ context.Context, api string, d time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u := p.now().Add(d); u.After(p.until[api]) {
		p.until[api] = u
	}
	return nil
}

func (p *localPauses) PausedFor(_ context.Context, api string) (time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	left := p.until[api].Sub(p.now())
	if left <= 0 {
		delete(p.until, api)
		return 0, nil
	}
	return left, nil
}
