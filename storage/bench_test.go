package storage_test

import (
	"context"
	"testing"
	"time"

	"banchengshi/cases"
)

// BenchmarkInsertCase measures what reporting a case costs the database: a
// number, the case and its first timeline event, in one transaction.
func BenchmarkInsertCase(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			db := be.open(b)
			ctx := context.Background()
			now := time.Now()
			b.ResetTimer()
			for b.Loop() {
				err := db.InTx(ctx, func(r cases.Repo) error {
					n, err := r.NextNumber(ctx, now)
					if err != nil {
						return err
					}
					c := newCase(n, nil)
					if err := r.CreateCase(ctx, c); err != nil {
						return err
					}
					return r.AppendEvent(ctx, &cases.Event{CaseID: c.ID, Kind: cases.EventSubmitted, Actor: "bot"})
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
