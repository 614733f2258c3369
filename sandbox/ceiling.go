package sandbox

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// WeCom's call frequency limits ("访问频率限制", updated 2023-08-28): each corp
// may call a single API at most 10,000 times a minute and 150,000 times an
// hour; past the minute limit the API is blocked for 60 s, past the hour
// limit for 60 minutes, and every call meanwhile answers 45009. Too many
// calls in flight at once answer 45033; WeCom names that code without a
// figure, so the sandbox chooses DefaultConcurrentCalls (UNVERIFIED).
const (
	DefaultCallsPerMinute  = 10000
	DefaultCallsPerHour    = 150000
	DefaultConcurrentCalls = 500
	minuteBlock            = time.Minute
	hourBlock              = time.Hour
	errConcurrencyLimit    = 45033
)

// Ceilings are the call limits the sandbox enforces per API (per path) for
// its one corp. Zero fields take WeCom's figures; tests scale them down. App
// message sends (message/send) have their own per-member limits and are not
// counted here, as WeCom documents.
type Ceilings struct {
	PerMinute  int // calls in any 60 s
	PerHour    int // calls in any 3600 s
	Concurrent int // calls in flight at once
}

func (c Ceilings) withDefaults() Ceilings {
	if c.PerMinute <= 0 {
		c.PerMinute = DefaultCallsPerMinute
	}
	if c.PerHour <= 0 {
		c.PerHour = DefaultCallsPerHour
	}
	if c.Concurrent <= 0 {
		c.Concurrent = DefaultConcurrentCalls
	}
	return c
}

// uncounted are the paths outside the per-API ceilings.
var uncounted = map[string]bool{"/cgi-bin/message/send": true}

// CeilingStats is what the ceilings saw of one API.
type CeilingStats struct {
	// Calls is the number of calls admitted (counted against the limits).
	Calls int
	// PeakMinute and PeakHour are the most calls admitted in any sliding
	// minute and hour, to compare with the limits.
	PeakMinute, PeakHour int
	// PeakConcurrent is the most calls in flight at once.
	PeakConcurrent int
	// Refused45009 counts calls answered 45009 (over a limit or blocked);
	// Refused45033 counts calls answered 45033 (too many at once).
	Refused45009, Refused45033 int
	// BlockedUntil is when the API's current block ends; zero if none.
	BlockedUntil time.Time
}

// apiMeter counts one API's calls in per-second buckets over the last hour,
// so that the minute and hour sums are sliding windows.
type apiMeter struct {
	sec      [3600]int64 // the unix second each bucket holds
	count    [3600]int
	inFlight int
	blocked  time.Time
	stats    CeilingStats
}

func (m *apiMeter) sum(now int64, window int64) int {
	n := 0
	for i := int64(0); i < window; i++ {
		s := now - i
		b := ((s % 3600) + 3600) % 3600
		if m.sec[b] == s {
			n += m.count[b]
		}
	}
	return n
}

func (m *apiMeter) add(now int64) {
	b := ((now % 3600) + 3600) % 3600
	if m.sec[b] != now {
		m.sec[b], m.count[b] = now, 0
	}
	m.count[b]++
}

// ceilings holds every API's meter; it has its own lock because calls wait
// on latency while others are being counted.
type ceilings struct {
	limits Ceilings
	mu     sync.Mutex
	meters map[string]*apiMeter
}

func newCeilings(c Ceilings) *ceilings {
	return &ceilings{limits: c.withDefaults(), meters: map[string]*apiMeter{}}
}

func (c *ceilings) meter(path string) *apiMeter {
	m := c.meters[path]
	if m == nil {
		m = &apiMeter{}
		c.meters[path] = m
	}
	return m
}

// admit counts one call of path at now. It answers 0 and a release func
// when the call may proceed, or WeCom's errcode and message when it may not.
func (c *ceilings) admit(path string, now time.Time) (func(), int, string) {
	if uncounted[path] {
		return func() {}, 0, ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.meter(path)
	if now.Before(m.blocked) {
		m.stats.Refused45009++
		return nil, errFreqLimit, fmt.Sprintf("api freq out of limit, blocked until %s", m.blocked.Format(time.RFC3339))
	}
	sec := now.Unix()
	minute, hour := m.sum(sec, 60), m.sum(sec, 3600)
	switch {
	case hour+1 > c.limits.PerHour:
		m.blocked = now.Add(hourBlock)
		m.stats.Refused45009++
		return nil, errFreqLimit, fmt.Sprintf("api freq out of limit: more than %d calls an hour, blocked for 60 minutes", c.limits.PerHour)
	case minute+1 > c.limits.PerMinute:
		m.blocked = now.Add(minuteBlock)
		m.stats.Refused45009++
		return nil, errFreqLimit, fmt.Sprintf("api freq out of limit: more than %d calls a minute, blocked for 60 s", c.limits.PerMinute)
	case m.inFlight+1 > c.limits.Concurrent:
		m.stats.Refused45033++
		return nil, errConcurrencyLimit, fmt.Sprintf("api concurrent out of limit: more than %d calls at once", c.limits.Concurrent)
	}
	m.add(sec)
	m.inFlight++
	m.stats.Calls++
	m.stats.PeakMinute = max(m.stats.PeakMinute, minute+1)
	m.stats.PeakHour = max(m.stats.PeakHour, hour+1)
	m.stats.PeakConcurrent = max(m.stats.PeakConcurrent, m.inFlight)
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			m.inFlight--
			c.mu.Unlock()
		})
	}, 0, ""
}

func (c *ceilings) stats(path string) CeilingStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.meters[path]
	if m == nil {
		return CeilingStats{}
	}
	st := m.stats
	st.BlockedUntil = m.blocked
	return st
}

// CeilingStats reports what the call ceilings saw of an API path (e.g.
// "/cgi-bin/kf/send_msg").
func (s *Sandbox) CeilingStats(path string) CeilingStats { return s.ceil.stats(path) }

// Limits are the ceilings in force, defaults filled in.
func (s *Sandbox) Limits() Ceilings { return s.ceil.limits }

// admit runs before every API call is served: an injected fault first (as
// if WeCom's front failed), then the round-trip latency, then the call
// ceilings. It reports false when it has answered the call itself; otherwise
// the caller serves the call and then calls release.
func (s *Sandbox) admit(w http.ResponseWriter, r *http.Request, path string) (release func(), ok bool) {
	if s.injectFault(w, r, path) {
		return nil, false
	}
	if d := s.cfg.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return nil, false
		}
	}
	release, code, msg := s.ceil.admit(path, s.now())
	if code != 0 {
		writeErr(w, code, msg)
		return nil, false
	}
	return release, true
}
