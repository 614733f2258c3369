package storagetest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// The counter sees what the driver is asked: one transaction with two
// statements is one begin, two statements and one commit; a failed one is
// rolled back; a write outside a transaction is a commit of its own, a read
// is not. (MySQL's statements carry their values inline: nothing is
// prepared.)
func TestCounterCountsWhatTheDriverIsAsked(t *testing.T) {
	for name, open := range map[string]func(testing.TB) (*storage.SQL, *storagetest.Counter){
		"sqlite": storagetest.CountedSQLite, "mysql": storagetest.CountedMySQL,
	} {
		t.Run(name, func(t *testing.T) {
			db, counter := open(t)
			ctx := context.Background()
			counter.Reset()
			c := &cases.Contact{OpenKfID: "wk1", ExternalUserID: "wm1", LastInboundAt: time.Now(), InboundSeq: 1}
			err := db.InTx(ctx, func(r cases.Repo) error {
				if err := r.SaveContact(ctx, c); err != nil {
					return err
				}
				_, err := r.GetContact(ctx, "wk1", "wm1")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			_ = db.InTx(ctx, func(r cases.Repo) error {
				_, err := r.GetContact(ctx, "wk1", "nobody")
				return err
			})
			if err := db.SaveContact(ctx, c); err != nil {
				t.Fatal(err)
			}
			if _, err := db.GetContact(ctx, "wk1", "wm1"); err != nil {
				t.Fatal(err)
			}
			want := storagetest.Counts{Statements: 5, Begins: 2, Commits: 1, Rollbacks: 1, Autocommits: 1}
			if diff := cmp.Diff(want, counter.Counts()); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			if got := counter.Counts().DatabaseCommits(); got != 2 {
				t.Errorf("the database committed %d times, want 2", got)
			}
			reads := 0
			for q, n := range counter.Queries() {
				if strings.HasSuffix(q, " FROM contacts c WHERE c.open_kfid = ? AND c.external_userid = ?") {
					reads += n
				}
			}
			if reads != 3 {
				t.Errorf("the contact was read %d times, want 3 (%v)", reads, counter.Queries())
			}
		})
	}
}
