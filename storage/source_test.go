package storage_test

import (
	"context"
	"testing"

	"banchengshi/cases"
	"banchengshi/storage"
)

// A case keeps the channel it came in by; a case without one is a chat case.
func TestCaseSource(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		mustCreate(t, db, newCase("BC2611280001", nil))
		mustCreate(t, db, newCase("BC2611280002", func(c *cases.Case) { c.Source = cases.SourceOpen311 }))
		for number, want := range map[string]cases.Source{"BC2611280001": cases.SourceWeCom, "BC2611280002": cases.SourceOpen311} {
			c, err := db.GetCase(ctx, number)
			if err != nil {
				t.Fatal(err)
			}
			if c.Source != want {
				t.Errorf("%s: source %q, want %q", number, c.Source, want)
			}
			c.Status = cases.StatusAccepted
			if err := db.UpdateCase(ctx, c); err != nil {
				t.Fatal(err)
			}
			if c, _ = db.GetCase(ctx, number); c.Source != want {
				t.Errorf("%s after update: source %q, want %q", number, c.Source, want)
			}
		}
	})
}
