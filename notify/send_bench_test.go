package notify_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/notify"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// BenchmarkSendReply sends b.N replies, one to each of b.N citizens whose
// window is open, through a WeCom that answers at once, all due at once
// (burst) or each queued and flushed alone (one-at-a-time), or five to each
// of b.N/5 citizens, all due at once (burst-5-each: a citizen who wrote
// several quick messages while the outbox was busy), and reports per reply
// what the outbox asked the database (statements, round trips, transactions
// and the database's commits, autocommitted writes included, counted at the
// driver: reading the due page, the lease aside, the claim before the call
// and the settlement after it) and the CPU of this process (on SQLite the
// database's too).
//
//	go test ./notify -run '^$' -bench SendReply -benchtime 1000x
//	BCS_BENCH_QUERIES=/tmp/send go test ./notify -run '^$' -bench SendReply -benchtime 1000x
func BenchmarkSendReply(b *testing.B) {
	backends := []struct {
		name string
		open func(testing.TB) (*storage.SQL, *storagetest.Counter)
	}{
		{"sqlite", storagetest.CountedSQLite},
		{"mysql", storagetest.CountedMySQL},
	}
	for _, be := range backends {
		for _, mode := range []string{"burst", "one-at-a-time", "burst-5-each"} {
			b.Run(be.name+"/"+mode, func(b *testing.B) { sendReplies(b, be.open, mode) })
		}
	}
}

// sendReplies is BenchmarkSendReply on one backend: every reply due at once
// (burst, burst-5-each) or each queued and flushed alone, as replies in a
// conversation are (one-at-a-time).
func sendReplies(b *testing.B, open func(testing.TB) (*storage.SQL, *storagetest.Counter), mode string) {
	burst := mode != "one-at-a-time"
	each := 1
	if mode == "burst-5-each" {
		each = 5
	}
	db, counter := open(b)
	api := &recorder{}
	mem := storage.NewMemory()
	out := notify.New(notify.Config{Repo: db, API: api, Locker: mem.Locker(), Limiter: mem.RateLimiter()})
	ctx := context.Background()
	now := time.Now().UTC()
	queue := make([]*cases.OutboxMessage, b.N)
	for i := range b.N {
		// Each citizen's replies answer their latest message, so that all
		// five of a window go out.
		user := fmt.Sprintf("wmSend%05d", i/each)
		if i%each == 0 {
			if err := db.SaveContact(ctx, &cases.Contact{OpenKfID: "wk1", ExternalUserID: user, LastInboundAt: now, InboundSeq: 1, UpdatedAt: now}); err != nil {
				b.Fatal(err)
			}
		}
		queue[i] = &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: user,
			Message: cases.Message{Text: "您好，请问您要反映什么问题？"}, Priority: cases.PriorityNormal, ReplyTo: 1, CreatedAt: now}
	}
	enqueue := func(ms []*cases.OutboxMessage) {
		for _, m := range ms {
			if err := db.Enqueue(ctx, m); err != nil {
				b.Fatal(err)
			}
		}
	}
	if burst {
		enqueue(queue)
	}
	var took int64
	var counts storagetest.Counts
	queries := map[string]int{}
	flush := func() {
		before, cpu, q := counter.Counts(), processCPU(), counter.Queries()
		if err := out.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		took += processCPU() - cpu
		counts = counts.Add(counter.Counts().Sub(before))
		for text, n := range counter.Queries() {
			queries[text] += n - q[text]
		}
	}
	b.ResetTimer()
	if burst {
		for round := 0; len(api.kf) < b.N; round++ {
			if round > 100 {
				b.Fatalf("%d of %d sent after %d rounds", len(api.kf), b.N, round)
			}
			flush()
		}
	} else {
		for i, m := range queue {
			b.StopTimer()
			enqueue([]*cases.OutboxMessage{m})
			b.StartTimer()
			flush()
			if len(api.kf) != i+1 {
				b.Fatalf("%d sent after %d flushes", len(api.kf), i+1)
			}
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(counts.Statements)/n, "stmts/msg")
	b.ReportMetric(float64(counts.RoundTrips())/n, "roundtrips/msg")
	b.ReportMetric(float64(counts.Begins)/n, "tx/msg")
	b.ReportMetric(float64(counts.DatabaseCommits())/n, "commits/msg")
	b.ReportMetric(float64(took)/1e6/n, "cpu-ms/msg")
	if path := os.Getenv("BCS_BENCH_QUERIES"); path != "" {
		type q struct {
			text  string
			count int
		}
		var list []q
		for text, c := range queries {
			if c > 0 {
				list = append(list, q{text, c})
			}
		}
		sort.Slice(list, func(i, j int) bool { return list[i].count > list[j].count })
		var sb strings.Builder
		for _, x := range list {
			fmt.Fprintf(&sb, "%7.2f  %s\n", float64(x.count)/n, x.text)
		}
		if err := os.WriteFile(path+"."+db.Driver()+"."+mode, []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// processCPU is the CPU (user and system) this process has used, in
// nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
