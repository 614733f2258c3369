package desk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/staff"
	"banchengshi/storage/storagetest"
)

// A case merged into another is not forgotten: when the other is resolved,
// the merged case's citizen receives the answer too.
func TestMergedCaseGetsTheAnswer(t *testing.T) {
	db := storagetest.SQLite(t)
	now := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	d := exampleDesk(t, func() time.Time { return now })
	ctx := context.Background()
	for _, c := range []struct{ number, reporter string }{{"BC2611300001", "wmA"}, {"BC2611300002", "wmB"}} {
		err := db.CreateCase(ctx, &cases.Case{Number: c.number, OpenKfID: "wkSANDBOX001", ReporterID: c.reporter, Relation: "本人",
			Category: "pension", LeadDept: "shebao", Status: cases.StatusAccepted, LimitDays: 15,
			Deadline: now.Add(20 * 24 * time.Hour), CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
	}
	act := func(user string, cmd staff.Command) {
		t.Helper()
		if err := db.InTx(ctx, func(r cases.Repo) error { _, err := d.Act(ctx, r, user, cmd); return err }); err != nil {
			t.Fatalf("%s %s: %v", user, cmd.Action, err)
		}
	}
	act("zhangsan", staff.Command{Action: cases.ActionMerge, CaseRef: "BC2611300002", Target: "BC2611300001"})
	act("zhangsan", staff.Command{Action: cases.ActionAssign, CaseRef: "BC2611300001", Dept: "社保中心"})
	act("wangwu", staff.Command{Action: cases.ActionResolve, CaseRef: "BC2611300001", Text: "已为您恢复发放养老金"})

	merged, err := db.GetCase(ctx, "BC2611300002")
	if err != nil {
		t.Fatal(err)
	}
	out, err := db.CaseOutbox(ctx, merged.ID)
	if err != nil {
		t.Fatal(err)
	}
	var answered bool
	for _, m := range out {
		answered = answered || (m.Recipient == "wmB" && strings.Contains(m.Message.Text, "已为您恢复发放养老金"))
	}
	if !answered {
		t.Errorf("the merged case's citizen was not given the answer: %+v", out)
	}
}
