package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// balancer passes each request to the next replica in turn, like a
// round-robin load balancer in front of production. A replica that refuses
// the connection (killed, restarting) is skipped for the next one, as
// nginx's proxy_next_upstream does; when none answers, the caller gets 502
// and WeCom retries the callback.
type balancer struct {
	srv      *http.Server
	url      string
	client   *http.Client
	mu       sync.Mutex
	backends []string
	turn     atomic.Uint64
	passed   atomic.Int64
	failed   atomic.Int64
	// callbacks is how long each callback that a replica answered took
	// here, from its request read to its answer written: the response time
	// a load balancer in front of production logs (nginx's $request_time),
	// without the time the sandbox and the citizens' side of this tool
	// spent before sending it and after it came back.
	callbacks []time.Duration
}

func newBalancer() (*balancer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	b := &balancer{url: "http://" + ln.Addr().String(),
		client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	b.srv = &http.Server{Handler: b, ReadHeaderTimeout: 5 * time.Second}
	go b.srv.Serve(ln)
	return b, nil
}

func (b *balancer) URL() string { return b.url }

func (b *balancer) add(backend string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backends = append(b.backends, backend)
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	backends := append([]string(nil), b.backends...)
	b.mu.Unlock()
	start := int(b.turn.Add(1))
	for i := range backends {
		target := backends[(start+i)%len(backends)]
		req, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			break
		}
		req.Header = r.Header.Clone()
		resp, err := b.client.Do(req)
		if err != nil {
			continue // refused or reset: the next replica
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
		resp.Body.Close()
		b.passed.Add(1)
		if r.URL.Path == callbackPath && resp.StatusCode == http.StatusOK {
			took := time.Since(began)
			b.mu.Lock()
			b.callbacks = append(b.callbacks, took)
			b.mu.Unlock()
		}
		return
	}
	b.failed.Add(1)
	http.Error(w, "no replica answered", http.StatusBadGateway)
}

// callbackPath is where the sandbox posts WeCom's callbacks.
const callbackPath = "/wecom/callback"

// callbackTimes is how long each callback answered so far took at the
// balancer.
func (b *balancer) callbackTimes() []time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.callbacks)
}

func (b *balancer) Close() { b.srv.Close() }
