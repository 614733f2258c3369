package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/handlers"
	"banchengshi/intake"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// memoryReceiver is the callback path without storage: dedupe in a map.
type memoryReceiver struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memoryReceiver) Receive(_ context.Context, cb *wecom.Callback, _ []byte) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := cb.DedupeKey()
	if m.seen[k] {
		return false, nil
	}
	m.seen[k] = true
	return true, nil
}

// BenchmarkCallback measures the callback path — verify the signature,
// decrypt, parse, dedupe, make it durable, acknowledge — with no storage and
// on each database, in one run so they can be compared:
//
//	go test -run '^$' -bench Callback -benchmem ./app/
func BenchmarkCallback(b *testing.B) {
	key := strings.Repeat("a", 43)
	crypter, err := wecom.NewCrypter("token", key, "wwbench")
	if err != nil {
		b.Fatal(err)
	}
	repos := []struct {
		name string
		recv func(b *testing.B) handlers.Receiver
	}{
		{"no-storage", func(*testing.B) handlers.Receiver { return &memoryReceiver{seen: map[string]bool{}} }},
		{"sqlite", func(b *testing.B) handlers.Receiver { return receiver(storagetest.SQLite(b)) }},
		{"mysql", func(b *testing.B) handlers.Receiver { return receiver(storagetest.MySQL(b)) }},
	}
	for _, r := range repos {
		b.Run(r.name, func(b *testing.B) {
			router, reqs := callbackBench(b, crypter, r.recv(b))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rec := httptest.NewRecorder()
				router.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, reqs[i].query, strings.NewReader(reqs[i].body)))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}

// BenchmarkCallbackParallel is BenchmarkCallback with many callbacks in
// flight at once, as in a burst (the load run's 200 citizens writing
// together): 64 per core. Time per operation is the machine's throughput,
// not one callback's latency.
//
//	go test -run '^$' -bench CallbackParallel -benchmem ./app/
func BenchmarkCallbackParallel(b *testing.B) {
	crypter, err := wecom.NewCrypter("token", strings.Repeat("a", 43), "wwbench")
	if err != nil {
		b.Fatal(err)
	}
	repos := []struct {
		name string
		open func(testing.TB) (*storage.SQL, *storagetest.Counter)
	}{
		{"sqlite", storagetest.CountedSQLite},
		{"mysql", storagetest.CountedMySQL},
	}
	for _, r := range repos {
		b.Run(r.name, func(b *testing.B) {
			db, counter := r.open(b)
			router, reqs := callbackBench(b, crypter, receiver(db))
			before := counter.Counts()
			var next atomic.Int64
			took := make([]time.Duration, b.N)
			b.SetParallelism(64)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1) - 1
					start := time.Now()
					rec := httptest.NewRecorder()
					router.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, reqs[i].query, strings.NewReader(reqs[i].body)))
					took[i] = time.Since(start)
					if rec.Code != http.StatusOK {
						b.Errorf("status %d", rec.Code)
						return
					}
				}
			})
			b.StopTimer()
			// Each callback's own wait, as WeCom sees it.
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
			// What the database was asked per callback: callbacks that
			// arrive together share a transaction.
			c := counter.Counts().Sub(before)
			b.ReportMetric(float64(c.Statements)/float64(b.N), "stmts/op")
			b.ReportMetric(float64(c.Begins)/float64(b.N), "tx/op")
		})
	}
}

// callbackBench returns a router serving callbacks to recv and b.N distinct
// encrypted kf callbacks to post to it.
func callbackBench(b *testing.B, crypter *wecom.Crypter, recv handlers.Receiver) (http.Handler, []struct{ query, body string }) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	router := handlers.NewRouter(handlers.Routes{
		Callback: &handlers.Callback{Crypter: crypter, Receiver: recv, MaxBytes: 64 << 10, Log: log}, Log: log,
	})
	reqs := make([]struct{ query, body string }, b.N)
	for i := range reqs {
		plain := fmt.Sprintf("<xml><ToUserName><![CDATA[wwbench]]></ToUserName><CreateTime>1700000000</CreateTime>"+
			"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"+
			"<Token><![CDATA[tok%d]]></Token><OpenKfId><![CDATA[wkBENCH]]></OpenKfId></xml>", i)
		body, sig, err := crypter.Seal([]byte(plain), "1700000000", "nonce")
		if err != nil {
			b.Fatal(err)
		}
		reqs[i].query = "/wecom/callback?msg_signature=" + sig + "&timestamp=1700000000&nonce=nonce"
		reqs[i].body = string(body)
	}
	return router, reqs
}

// receiver is the product's durable receiver over repo, with no worker
// running behind it.
func receiver(repo cases.Repo) handlers.Receiver {
	return intake.New(intake.Config{Repo: repo, Locker: storage.NewMemory().Locker(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
}
