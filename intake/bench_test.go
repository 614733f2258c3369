package intake

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"banchengshi/bot"
	"banchengshi/cases"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// report is what each citizen says in the benchmark: the load run's script
// (cmd/bcs-load), a whole report from greeting to submission.
var report = []string{"你好", "1", "1", "王桂香", "不知道", "13812345678", "1", "没有", "养老保险关系转不过来，跑了两年了", "说完了", "确认"}

// BenchmarkCitizenMessage handles b.N citizen messages already pulled from
// WeCom (citizens walking a whole report, 11 messages each, stored as
// sync_msg stores a page) through intake's real path (Drain: each citizen's
// messages in order, citizens side by side), and reports per message the
// database statements, round trips and transactions (counted at the
// driver), and the CPU of this process: the product (and, on SQLite, the
// database, which runs inside it). On MySQL it also reports the CPU that
// MariaDB spent on the benchmark's own connections (their server threads,
// from /proc; MariaDB's background threads, such as the log writer, are not
// in it), and the CPU of the whole mariadbd and redis-server meanwhile,
// which on a shared machine includes other people's work.
//
// "burst": every message is pending at once (a citizen's quick lines share
// a transaction); "one-at-a-time": each citizen has one message pending at
// a time, as in a conversation, which is the most work per message.
//
//	go test ./intake -run '^$' -bench CitizenMessage -benchtime 1100x
func BenchmarkCitizenMessage(b *testing.B) {
	backends := []struct {
		name    string
		open    func(testing.TB) (*storage.SQL, *storagetest.Counter)
		locker  func(testing.TB) storage.Locker
		servers []string
	}{
		{"sqlite", storagetest.CountedSQLite, func(testing.TB) storage.Locker { return storage.NewMemory().Locker() }, nil},
		{"mysql+redis", storagetest.CountedMySQL, func(t testing.TB) storage.Locker { return storagetest.Redis(t).Locker() },
			[]string{"mariadbd", "redis-server"}},
	}
	for _, be := range backends {
		for _, mode := range []string{"burst", "one-at-a-time"} {
			b.Run(be.name+"/"+mode, func(b *testing.B) {
				repo, counter := be.open(b)
				in := benchIntake(b, repo, be.locker(b))
				steps := messages(in, b.N)
				if mode == "burst" {
					steps = [][]*cases.KfMessage{slices.Concat(steps...)}
				}
				var threads map[int]cpuTime
				if repo.Driver() == storage.DriverMySQL {
					warmPool(b, repo.DB())
					threads = connectionThreads(b, repo.DB())
				}
				var took cpuTime
				var counts storagetest.Counts
				queries := map[string]int{}
				servers := serverCPU(be.servers)
				b.ResetTimer()
				for _, step := range steps {
					b.StopTimer()
					store(b, in, step)
					b.StartTimer()
					c, cpu := drain(b, in, counter, queries)
					took += cpu
					counts = counts.Add(c)
				}
				b.StopTimer()
				serverTook := serverCPU(be.servers)
				var ownDB cpuTime
				if threads != nil {
					for tid, cpu := range connectionThreads(b, repo.DB()) {
						before, ok := threads[tid]
						if !ok {
							b.Logf("connection thread %d opened during the run: its CPU is left out", tid)
							continue
						}
						ownDB += cpu - before
					}
				}

				n := float64(b.N)
				b.ReportMetric(float64(counts.Statements)/n, "stmts/msg")
				b.ReportMetric(float64(counts.RoundTrips())/n, "roundtrips/msg")
				b.ReportMetric(float64(counts.Begins)/n, "tx/msg")
				b.ReportMetric(took.ms()/n, "cpu-ms/msg")
				if threads != nil {
					b.ReportMetric(ownDB.ms()/n, "mariadb-conn-cpu-ms/msg")
				}
				for i, name := range be.servers {
					b.ReportMetric((serverTook[i]-servers[i]).ms()/n, name+"-cpu-ms/msg")
				}
				checkAnswered(b, repo, b.N)
				if n := retried(b, repo.DB()); n != "" {
					b.Log(n)
				}
				if path := os.Getenv("BCS_BENCH_QUERIES"); path != "" {
					writeQueries(b, path+"."+be.name+"."+mode, queries, b.N)
				}
			})
		}
	}
}

// drain handles everything pending, and adds to queries how often each
// statement ran; it returns what the handling asked the database and the
// CPU it took (the benchmark's timer runs only while handling).
func drain(b *testing.B, in *Intake, counter *storagetest.Counter, queries map[string]int) (storagetest.Counts, cpuTime) {
	b.Helper()
	ctx := context.Background()
	var counts storagetest.Counts
	var took cpuTime
	for round := 0; ; round++ {
		before, c, q := processCPU(), counter.Counts(), counter.Queries()
		in.Drain(ctx)
		took += processCPU() - before
		counts = counts.Add(counter.Counts().Sub(c))
		for text, n := range counter.Queries() {
			queries[text] += n - q[text]
		}
		b.StopTimer()
		pending, err := in.repo.PendingKfMessages(ctx, 1)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if len(pending) == 0 {
			return counts, took
		}
		if round > 100 {
			b.Fatalf("messages still pending after %d rounds: %+v", round, pending[0])
		}
	}
}

// retried says how many messages needed more than one attempt, and why one
// of them failed; "" when none did.
func retried(b *testing.B, db *sql.DB) string {
	b.Helper()
	var n int
	var last sql.NullString
	err := db.QueryRowContext(context.Background(),
		"SELECT COUNT(*), MIN(last_error) FROM kf_messages WHERE attempts > 1").Scan(&n, &last)
	if err != nil {
		b.Fatal(err)
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d messages retried (%s)", n, last.String)
}

func benchIntake(b *testing.B, repo cases.Repo, locker storage.Locker) *Intake {
	b.Helper()
	d := exampleDesk(b, nil)
	return New(Config{
		Repo: repo, API: &fakeKf{}, Locker: locker, Engine: bot.New(bot.Config{}),
		Desk: d.With, Timeline: d, StaffTask: d.TellWindow, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

// messages returns n citizen messages, step by step: every citizen's first
// message, then every citizen's second, and so on.
func messages(in *Intake, n int) [][]*cases.KfMessage {
	citizens := (n + len(report) - 1) / len(report)
	at := time.Now().Unix()
	var steps [][]*cases.KfMessage
	for step := 0; step < len(report) && n > 0; step++ {
		var page []*cases.KfMessage
		for c := 0; c < citizens && n > 0; c++ {
			m := text(fmt.Sprintf("m%d-%d", c, step), fmt.Sprintf("u%04d", c), report[step], at)
			page = append(page, in.record(&m))
			n--
		}
		steps = append(steps, page)
	}
	return steps
}

// store stores msgs as sync_msg pages of 1,000 are stored.
func store(b *testing.B, in *Intake, msgs []*cases.KfMessage) {
	b.Helper()
	ctx := context.Background()
	for page := range slices.Chunk(msgs, syncLimit) {
		err := in.repo.InTx(ctx, func(r cases.Repo) error {
			for _, m := range page {
				if _, err := r.InsertKfMessage(ctx, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// checkAnswered fails the benchmark unless every message was handled and
// answered (a reply naming it): a fast path that drops messages measures
// nothing.
func checkAnswered(b *testing.B, repo cases.Repo, n int) {
	b.Helper()
	due, err := repo.DueOutbox(context.Background(), time.Now().Add(time.Hour), n*4+100)
	if err != nil {
		b.Fatal(err)
	}
	answered := map[string]bool{}
	for _, m := range due {
		if m.Channel == cases.ChannelKf && m.ReplyTo > 0 {
			answered[fmt.Sprintf("%s/%d", m.Recipient, m.ReplyTo)] = true
		}
	}
	if len(answered) != n {
		b.Fatalf("%d of %d messages answered", len(answered), n)
	}
}

// writeQueries writes to path how often each statement ran per message,
// the most frequent first.
func writeQueries(b *testing.B, path string, queries map[string]int, n int) {
	type q struct {
		text  string
		count int
	}
	var list []q
	for text, count := range queries {
		if count > 0 {
			list = append(list, q{text, count})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].count > list[j].count })
	var sb strings.Builder
	for _, x := range list {
		fmt.Fprintf(&sb, "%7.2f  %s\n", float64(x.count)/float64(n), x.text)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
}

// cpuTime is CPU time in nanoseconds.
type cpuTime int64

func (c cpuTime) ms() float64 { return float64(c) / 1e6 }

// processCPU is the CPU (user and system) this process has used.
func processCPU() cpuTime {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return cpuTime(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU is the CPU each named process (by its command name) has used;
// 0 for one not found.
func serverCPU(names []string) []cpuTime {
	out := make([]cpuTime, len(names))
	for i, name := range names {
		for _, pid := range pidsOf(name) {
			out[i] += statCPU(fmt.Sprintf("/proc/%d/stat", pid))
		}
	}
	return out
}

// pidsOf lists the processes whose command is name.
func pidsOf(name string) []int {
	var pids []int
	comms, _ := filepath.Glob("/proc/[0-9]*/comm")
	for _, path := range comms {
		if raw, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(raw)) == name {
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path))); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// statCPU is the user and system CPU of the process or thread whose
// /proc stat file is path; 0 when it cannot be read.
func statCPU(path string) cpuTime {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	s := string(raw)
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return 0
	}
	// After the command: state is the first field, utime the 12th and stime
	// the 13th, in clock ticks (100 a second on Linux).
	fields := strings.Fields(s[end+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return cpuTime((utime + stime) * int64(10*time.Millisecond))
}

// warmPool opens the connections the run will use before it is measured,
// so that each has a server thread whose CPU is read at the start.
func warmPool(b *testing.B, db *sql.DB) {
	b.Helper()
	ctx := context.Background()
	conns := make([]*sql.Conn, 8)
	for i := range conns {
		c, err := db.Conn(ctx)
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		c.Close()
	}
}

// connectionThreads is the CPU of the mariadbd thread serving each of this
// database's connections (one thread per connection; their ids from
// information_schema.PROCESSLIST.TID).
func connectionThreads(b *testing.B, db *sql.DB) map[int]cpuTime {
	b.Helper()
	pids := pidsOf("mariadbd")
	if len(pids) != 1 {
		return nil // not on this machine: nothing to read
	}
	rows, err := db.QueryContext(context.Background(), "SELECT TID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND TID IS NOT NULL")
	if err != nil {
		b.Logf("no server threads: %v", err)
		return nil
	}
	defer rows.Close()
	out := map[int]cpuTime{}
	for rows.Next() {
		var tid int
		if err := rows.Scan(&tid); err != nil {
			b.Fatal(err)
		}
		out[tid] = statCPU(fmt.Sprintf("/proc/%d/task/%d/stat", pids[0], tid))
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return out
}
