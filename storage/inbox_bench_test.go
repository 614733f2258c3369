package storage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/storage"
)

// BenchmarkPendingKfCitizens measures what every replica's kf workers ask
// on every wake-up: the citizens with unhandled messages (a page of 100),
// and one citizen's unhandled messages, in a table that has handled 100,000
// messages and holds a burst of 1,000 unhandled ones from 200 citizens. It
// also measures storing a 1,000-message sync_msg page. On MySQL the plan of
// the listing is logged (-v).
//
//	go test ./storage/ -run '^$' -bench PendingKfCitizens -v
func BenchmarkPendingKfCitizens(b *testing.B) {
	const handled, burst, citizens = 100_000, 1_000, 200
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			db := be.open(b)
			ctx := context.Background()
			at := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
			page := func(from, n int, done *time.Time, user func(i int) string) []*cases.KfMessage {
				out := make([]*cases.KfMessage, n)
				for i := range out {
					id := fmt.Sprintf("msg%07d", from+i)
					out[i] = &cases.KfMessage{MsgID: id, OpenKfID: "wkA", ExternalUserID: user(from + i), Origin: 3, MsgType: "text",
						SendTime: at, Raw: `{"msgid":"` + id + `","text":{"content":"你好"}}`, ReceivedAt: at, DoneAt: done}
				}
				return out
			}
			// Stored handled (one UPDATE of the whole table would leave
			// InnoDB purging for a while, which is not what a replica sees).
			for from := 0; from < handled; from += 1000 {
				if _, err := db.InsertKfMessages(ctx, page(from, 1000, &at, func(i int) string { return fmt.Sprintf("wmOld%05d", i%20_000) })); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := db.InsertKfMessages(ctx, page(handled, burst, nil, func(i int) string { return fmt.Sprintf("wmNew%03d", i%citizens) })); err != nil {
				b.Fatal(err)
			}
			for _, q := range []string{"EXPLAIN SELECT MIN(id) AS first_id FROM kf_messages WHERE done_at IS NULL " +
				"GROUP BY open_kfid, external_userid HAVING MIN(id) > 0 ORDER BY first_id LIMIT 100",
				"EXPLAIN SELECT id, raw FROM kf_messages WHERE done_at IS NULL AND open_kfid = 'wkA' AND external_userid = 'wmNew042' ORDER BY id LIMIT 100"} {
				if be.name != "mysql" {
					break
				}
				rows, err := storage.RawDB(db).QueryContext(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				cols, _ := rows.Columns()
				for rows.Next() {
					vals := make([]any, len(cols))
					for i := range vals {
						vals[i] = new(any)
					}
					if err := rows.Scan(vals...); err != nil {
						b.Fatal(err)
					}
					var line []string
					for i, v := range vals {
						line = append(line, fmt.Sprintf("%s=%s", cols[i], *(v.(*any))))
					}
					b.Logf("plan: %s", strings.Join(line, " "))
				}
				rows.Close()
			}
			b.Run("citizens", func(b *testing.B) {
				for b.Loop() {
					list, err := db.PendingKfCitizens(ctx, 0, 100)
					if err != nil || len(list) != 100 {
						b.Fatalf("PendingKfCitizens = %d, %v", len(list), err)
					}
				}
			})
			b.Run("one-citizen", func(b *testing.B) {
				for b.Loop() {
					list, err := db.PendingKfMessagesOf(ctx, "wkA", "wmNew042", 100)
					if err != nil || len(list) != burst/citizens {
						b.Fatalf("PendingKfMessagesOf = %d, %v", len(list), err)
					}
				}
			})
			b.Run("store-page", func(b *testing.B) {
				next := handled + burst
				for b.Loop() {
					if n, err := db.InsertKfMessages(ctx, page(next, 1000, nil, func(int) string { return "wmPage" })); err != nil || n != 1000 {
						b.Fatalf("InsertKfMessages = %d, %v", n, err)
					}
					next += 1000
				}
			})
		})
	}
}
