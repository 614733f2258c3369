package desk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/staff"
	"banchengshi/storage/storagetest"
)

// Two duty staff accept the same new case at once. On MySQL the loser's
// transaction still sees the case as new; it must be told who took it, from
// what is committed, not invited to try again.
func TestSimultaneousAcceptTellsWhoWon(t *testing.T) {
	db := storagetest.MySQL(t)
	now := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	d := exampleDesk(t, func() time.Time { return now })
	ctx := context.Background()
	c := &cases.Case{Number: "BC2611300001", OpenKfID: "wkSANDBOX001", ReporterID: "wmA", Relation: "本人", Category: "pension",
		Status: cases.StatusSubmitted, LimitDays: 15, Deadline: now.Add(20 * 24 * time.Hour), CreatedAt: now}
	if err := db.CreateCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	accept := staff.Command{Verb: "受理", Action: cases.ActionAccept, CaseRef: c.Number}

	err := db.InTx(ctx, func(r cases.Repo) error {
		// lisi's transaction has read the case as new…
		if _, err := r.GetCase(ctx, c.Number); err != nil {
			return err
		}
		// …when zhangsan's acceptance commits.
		if err := db.InTx(ctx, func(other cases.Repo) error {
			_, err := d.Act(ctx, other, "zhangsan", accept)
			return err
		}); err != nil {
			t.Fatalf("zhangsan: %v", err)
		}
		_, err := d.Act(ctx, r, "lisi", accept)
		return err
	})
	var ref *desk.Refusal
	if !errors.As(err, &ref) {
		t.Fatalf("lisi's accept: %v, want a refusal", err)
	}
	t.Logf("inside the transaction: %q", ref.Text())
	if got := d.Explain(ctx, db, ref).Text(); !strings.Contains(got, "张三") || !strings.Contains(got, "已受理") {
		t.Errorf("lisi is told %q; want who accepted it", got)
	}
}
