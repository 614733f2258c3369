package sandbox

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// FaultKind is a way WeCom's API fails, injected for the fault suite.
type FaultKind string

// The faults the sandbox can inject.
const (
	// Fault5xx answers 502 Bad Gateway with an HTML body, as a failing front
	// proxy does; the call has no effect.
	Fault5xx FaultKind = "5xx"
	// FaultTimeout holds the call without effect until the caller gives up
	// (or Fault.Hold passes) and then drops the connection unanswered.
	FaultTimeout FaultKind = "timeout"
	// FaultTokenExpired answers 42001 and expires the access token the call
	// carried, so the caller must fetch a new one.
	FaultTokenExpired FaultKind = "42001"
	// FaultFreqLimit answers 45009 (api freq out of limit) without effect.
	FaultFreqLimit FaultKind = "45009"
)

// ParseFaultKind reads a fault kind as written on a command line.
func ParseFaultKind(s string) (FaultKind, error) {
	switch k := FaultKind(strings.ToLower(strings.TrimSpace(s))); k {
	case Fault5xx, FaultTimeout, FaultTokenExpired, FaultFreqLimit:
		return k, nil
	}
	return "", fmt.Errorf("sandbox: unknown fault %q (want 5xx, timeout, 42001 or 45009)", s)
}

// Fault is a burst of failures: the next Count matching calls, or every
// matching call until For has passed on the sandbox's clock, whichever ends
// first. At least one of Count and For must be set.
type Fault struct {
	Kind FaultKind
	// Paths limits the burst to these API paths (e.g. "/cgi-bin/kf/send_msg");
	// empty means every API but gettoken.
	Paths []string
	Count int
	For   time.Duration
	// Hold bounds how long a FaultTimeout call is held; default 15 s, longer
	// than the product's 10 s client timeout.
	Hold time.Duration
}

// FaultStats counts the faults injected, by kind.
type FaultStats map[FaultKind]int

type activeFault struct {
	Fault
	left  int       // calls left; -1 for no count limit
	until time.Time // zero for no time limit
}

type faults struct {
	mu       sync.Mutex
	active   []*activeFault
	injected FaultStats
}

// InjectFault starts a burst of failures; bursts already running go on.
func (s *Sandbox) InjectFault(f Fault) error {
	if _, err := ParseFaultKind(string(f.Kind)); err != nil {
		return err
	}
	if f.Count <= 0 && f.For <= 0 {
		return fmt.Errorf("sandbox: a fault burst needs a count or a duration")
	}
	if f.Hold <= 0 {
		f.Hold = 15 * time.Second
	}
	a := &activeFault{Fault: f, left: -1}
	if f.Count > 0 {
		a.left = f.Count
	}
	if f.For > 0 {
		a.until = s.now().Add(f.For)
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.active = append(s.faults.active, a)
	return nil
}

// ClearFaults ends every burst at once.
func (s *Sandbox) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.active = nil
}

// FaultsInjected reports how many calls each kind of fault has failed.
func (s *Sandbox) FaultsInjected() FaultStats {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	out := FaultStats{}
	for k, n := range s.faults.injected {
		out[k] = n
	}
	return out
}

// takeFault consumes one call of the first running burst matching path.
func (s *Sandbox) takeFault(path string) (Fault, bool) {
	now := s.now()
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	keep := s.faults.active[:0]
	var hit *activeFault
	for _, a := range s.faults.active {
		if a.left == 0 || (!a.until.IsZero() && !now.Before(a.until)) {
			continue // over
		}
		if hit == nil && a.matches(path) {
			hit = a
			if a.left > 0 {
				a.left--
			}
		}
		keep = append(keep, a)
	}
	s.faults.active = keep
	if hit == nil {
		return Fault{}, false
	}
	if s.faults.injected == nil {
		s.faults.injected = FaultStats{}
	}
	s.faults.injected[hit.Kind]++
	return hit.Fault, true
}

func (a *activeFault) matches(path string) bool {
	if len(a.Paths) == 0 {
		return path != "/cgi-bin/gettoken"
	}
	for _, p := range a.Paths {
		if p == path {
			return true
		}
	}
	return false
}

// injectFault answers the call with a fault if a burst covers it.
func (s *Sandbox) injectFault(w http.ResponseWriter, r *http.Request, path string) bool {
	f, ok := s.takeFault(path)
	if !ok {
		return false
	}
	switch f.Kind {
	case Fault5xx:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>\n")
	case FaultTimeout:
		t := time.NewTimer(f.Hold)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		// Drop the connection without an answer, as a lost reply looks.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	case FaultTokenExpired:
		tok := r.URL.Query().Get("access_token")
		s.mu.Lock()
		if _, known := s.seenTokens[tok]; known {
			s.seenTokens[tok] = s.now()
			if tok == s.accessToken {
				s.tokenExpiry = s.now()
			}
		}
		s.mu.Unlock()
		writeErr(w, errTokenExpired, "access_token expired")
	case FaultFreqLimit:
		writeErr(w, errFreqLimit, "api freq out of limit")
	}
	return true
}
