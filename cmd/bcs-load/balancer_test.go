package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The balancer times the callbacks a replica answered, and only those.
func TestBalancerTimesAnsweredCallbacks(t *testing.T) {
	replica := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fail") != "" {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		w.Write([]byte("success"))
	}))
	defer replica.Close()
	b, err := newBalancer()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.add(replica.URL)
	for _, path := range []string{callbackPath, callbackPath + "?fail=1", "/metrics", callbackPath} {
		resp, err := http.Post(b.URL()+path, "text/xml", strings.NewReader("<xml/>"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	times := b.callbackTimes()
	if len(times) != 2 {
		t.Fatalf("%d callbacks timed, want the 2 answered with 200", len(times))
	}
	for _, d := range times {
		if d <= 0 {
			t.Errorf("a callback timed at %v", d)
		}
	}
}
