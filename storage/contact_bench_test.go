package storage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// BenchmarkContactRead is what reading a citizen's contact costs MariaDB:
// the row alone (by-key, the read before migration 0020) and with its
// window counted from the outbox (GetContact) for citizens sent 0, 10 and
// 100 messages. server-us/read is mariadbd's CPU per read when it runs on
// this machine (read from /proc; the whole server, so run it alone).
//
//	go test ./storage -run '^$' -bench ContactRead -benchtime 5000x
func BenchmarkContactRead(b *testing.B) {
	db := storagetest.MySQL(b)
	ctx := context.Background()
	for _, n := range []int{0, 10, 100} {
		user := fmt.Sprintf("wm%d", n)
		if _, _, err := db.OpenWindow(ctx, "wkA", user, 1, at, at, at); err != nil {
			b.Fatal(err)
		}
		for i := range n {
			sendKf(b, db, user, at.Add(time.Duration(i+1)*time.Second), fmt.Sprintf("%s-%d", user, i))
		}
	}
	server := serverCPU(b)
	b.Run("by-key", func(b *testing.B) {
		raw := storage.RawDB(db)
		before := server()
		for range b.N {
			var a, c, d, e, f any
			if err := raw.QueryRowContext(ctx, "SELECT last_inbound_at, sent_in_window, service_state, updated_at, inbound_seq FROM contacts WHERE open_kfid = ? AND external_userid = ?",
				"wkA", "wm10").Scan(&a, &c, &d, &e, &f); err != nil {
				b.Fatal(err)
			}
		}
		reportServer(b, server, before)
	})
	for _, n := range []int{0, 10, 100} {
		b.Run(fmt.Sprintf("with-window-%d-sent", n), func(b *testing.B) {
			before := server()
			for range b.N {
				if _, err := db.GetContact(ctx, "wkA", fmt.Sprintf("wm%d", n)); err != nil {
					b.Fatal(err)
				}
			}
			reportServer(b, server, before)
		})
	}
}

// serverCPU returns a reader of mariadbd's CPU time in microseconds, or
// nil when no mariadbd runs on this machine.
func serverCPU(b *testing.B) func() float64 {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		if comm, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "comm")); strings.TrimSpace(string(comm)) == "mariadbd" {
			return func() float64 {
				raw, err := os.ReadFile(p)
				if err != nil {
					return 0
				}
				f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
				utime, _ := strconv.ParseFloat(f[11], 64)
				stime, _ := strconv.ParseFloat(f[12], 64)
				return (utime + stime) * 1e6 / 100 // clock ticks of 10 ms
			}
		}
	}
	b.Log("no mariadbd on this machine: server-us/read not reported")
	return nil
}

func reportServer(b *testing.B, server func() float64, before float64) {
	if server != nil {
		b.ReportMetric((server()-before)/float64(b.N), "server-us/read")
	}
}
