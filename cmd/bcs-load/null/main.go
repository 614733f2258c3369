// Command null stands in for the product in a load run and does nothing: it
// answers every request at once with 200 (and an empty /metrics), on the
// address the load tool gives it in BCS_HTTP_ADDR. A burst against it
// measures the load harness alone — the sandbox encrypting and posting each
// callback, the balancer, the citizens — which is the floor under any ack
// figure the harness reports on the same machine (docs/load.md):
//
//	go build -o /tmp/bcs-null ./cmd/bcs-load/null
//	go run ./cmd/bcs-load -mode burst -bin /tmp/bcs-null -replicas 1 -citizens 200 -messages 1000 -drain 2s
//
// The run reports every message unanswered: nothing here answers citizens.
package main

import (
	"io"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := os.Getenv("BCS_HTTP_ADDR")
	if addr == "" {
		log.Fatal("null: BCS_HTTP_ADDR is not set (the load tool sets it)")
	}
	log.Fatal(http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/metrics" {
			return // no figures of its own
		}
		io.WriteString(w, "success")
	})))
}
