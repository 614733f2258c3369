package notify_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/notify"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// slowWeCom accepts every message after a round trip of latency, as WeCom
// seen from a server in China does (about 30 ms).
type slowWeCom struct {
	recorder
	latency time.Duration
	sent    atomic.Int64
}

func (s *slowWeCom) SendKf(ctx context.Context, _, _, key string, _ cases.Message) (string, error) {
	select {
	case <-time.After(s.latency):
	case <-ctx.Done():
		return "", ctx.Err()
	}
	s.sent.Add(1)
	return key, nil
}

// BenchmarkDrainBurst drains a burst of replies to many citizens (5 each)
// through a WeCom with a 30 ms round trip, on SQLite and MySQL + Redis, and
// reports replies per second. Each b.N is one burst of 200 citizens.
//
//	go test ./notify -run '^$' -bench DrainBurst -benchtime 3x
func BenchmarkDrainBurst(b *testing.B) {
	for _, backend := range []string{"sqlite", "mysql+redis"} {
		b.Run(backend, func(b *testing.B) {
			var db *storage.SQL
			var locker storage.Locker
			var limiter storage.RateLimiter
			if backend == "sqlite" {
				db = storagetest.SQLite(b)
				mem := storage.NewMemory()
				locker, limiter = mem.Locker(), mem.RateLimiter()
			} else {
				db = storagetest.MySQL(b)
				r := storagetest.Redis(b)
				locker, limiter = r.Locker(), r.RateLimiter()
			}
			api := &slowWeCom{latency: 30 * time.Millisecond}
			out := notify.New(notify.Config{Repo: db, API: api, Locker: locker, Limiter: limiter})
			ctx := context.Background()
			const citizens, each = 200, 5
			var total time.Duration
			for n := 0; b.Loop(); n++ {
				b.StopTimer()
				now := time.Now().UTC()
				for c := range citizens {
					user := fmt.Sprintf("wmBench%d_%03d", n, c)
					if err := db.SaveContact(ctx, &cases.Contact{OpenKfID: "wk1", ExternalUserID: user, LastInboundAt: now, InboundSeq: 1, UpdatedAt: now}); err != nil {
						b.Fatal(err)
					}
					for i := range each {
						m := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: user,
							Message: cases.Message{Text: fmt.Sprintf("回复 %d", i)}, Priority: cases.PriorityNormal, ReplyTo: 1, CreatedAt: now}
						if err := db.Enqueue(ctx, m); err != nil {
							b.Fatal(err)
						}
					}
				}
				before := api.sent.Load()
				b.StartTimer()
				start := time.Now()
				for api.sent.Load()-before < citizens*each {
					if err := out.Flush(ctx); err != nil {
						b.Fatal(err)
					}
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(b.N*citizens*each)/total.Seconds(), "replies/s")
		})
	}
}
