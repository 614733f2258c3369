package desk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/staff"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// mergeCase is a case of a merge test: its number's last digits, lead
// department, status, and the case it was merged into.
type mergeCase struct {
	suffix, dept string
	status       cases.Status
	mergedInto   string
}

// seedMerge creates the cases on a fresh database, reporter "wm"+suffix.
func seedMerge(t *testing.T, now time.Time, list ...mergeCase) *storage.SQL {
	t.Helper()
	db := storagetest.SQLite(t)
	for _, mc := range list {
		c := &cases.Case{Number: "BC261130" + mc.suffix, OpenKfID: "wkSANDBOX001", ReporterID: "wm" + mc.suffix, Relation: "本人",
			Category: "pension", LeadDept: mc.dept, Status: mc.status, MergedInto: mc.mergedInto, LimitDays: 15,
			Deadline: now.Add(20 * 24 * time.Hour), CreatedAt: now}
		if err := db.CreateCase(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// act runs one staff command in a transaction of its own.
func act(ctx context.Context, db *storage.SQL, d *desk.Desk, user string, cmd staff.Command) (string, error) {
	var answer string
	err := db.InTx(ctx, func(r cases.Repo) error {
		var err error
		answer, err = d.Act(ctx, r, user, cmd)
		return err
	})
	return answer, err
}

// The case a merge goes into must be one the staff member may open, still
// worked on, and not the case itself; merging into a case that was merged
// goes on to where that one was merged.
func TestMergeTarget(t *testing.T) {
	now := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	seed := []mergeCase{
		{"0001", "shebao", cases.StatusAccepted, ""},           // the case merged in every test
		{"0002", "shebao", cases.StatusInProgress, ""},         // open, same department
		{"0003", "dangan", cases.StatusAssigned, ""},           // open, another department
		{"0004", "shebao", cases.StatusResolved, ""},           // answered
		{"0005", "shebao", cases.StatusClosed, ""},             // closed
		{"0006", "shebao", cases.StatusWithdrawn, ""},          // withdrawn
		{"0007", "shebao", cases.StatusMerged, "BC2611300008"}, // merged, chain →0008→0002
		{"0008", "shebao", cases.StatusMerged, "BC2611300002"}, //
		{"0009", "shebao", cases.StatusMerged, "BC2611300001"}, // merged into the case itself
		{"0010", "shebao", cases.StatusMerged, "BC2611300005"}, // merged into a closed case
		{"0011", "shebao", cases.StatusMerged, "BC2611300003"}, // merged into another department's case
		{"0012", "shebao", cases.StatusMerged, "BC2611309999"}, // merged into a case that is not there
		{"0013", "shebao", cases.StatusMerged, "BC2611300014"}, // a loop
		{"0014", "shebao", cases.StatusMerged, "BC2611300013"}, //
		{"0015", "shebao", cases.StatusSubmitted, ""},          // open, not yet accepted
	}
	tests := []struct {
		name, user, target string
		wantInto           string // "" when refused
		wantAnswer         string // part of the answer or the refusal
	}{
		{"window staff into an open case", "zhangsan", "BC2611300002", "BC2611300002", "并案完成"},
		{"by last digits", "zhangsan", "0015", "BC2611300015", "并案完成"},
		{"window staff into another department's case", "zhangsan", "BC2611300003", "BC2611300003", "并案完成"},
		{"department supervisor into another department's case", "liufang", "BC2611300003", "", "不在您能查看的范围内"},
		{"department supervisor within the department", "liufang", "BC2611300002", "BC2611300002", "并案完成"},
		{"into a resolved case", "zhangsan", "BC2611300004", "", "现在是“已办结”，已不再办理"},
		{"into a closed case", "zhangsan", "BC2611300005", "", "已不再办理"},
		{"into a withdrawn case", "zhangsan", "BC2611300006", "", "已不再办理"},
		{"into a merged case: on to the end of its chain", "zhangsan", "BC2611300007", "BC2611300002", "案件 BC2611300007 已并入 BC2611300002，本案一并并入 BC2611300002"},
		{"into a case merged into this one", "zhangsan", "BC2611300009", "", "已经并入本案"},
		{"into a case merged into a closed one", "zhangsan", "BC2611300010", "", "案件 BC2611300005 现在是“已结案”"},
		{"into a case merged into one the member may not open", "liufang", "BC2611300011", "", "而案件 BC2611300003 不在您能查看的范围内"},
		{"into a case merged into a missing one", "zhangsan", "BC2611300012", "", "找不到它最终并入的案件"},
		{"into a loop of merged cases", "zhangsan", "BC2611300013", "", "找不到它最终并入的案件"},
		{"into itself", "zhangsan", "BC2611300001", "", "不能把案件并入它自己"},
		{"into no case", "zhangsan", "BC2611308888", "", "没有找到案件"},
		{"a handler may not merge", "wangwu", "BC2611300002", "", "并案"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := seedMerge(t, now, seed...)
			d := exampleDesk(t, func() time.Time { return now })
			before, err := db.GetCase(ctx, tt.target)
			if err != nil && !errors.Is(err, cases.ErrNotFound) {
				t.Fatal(err)
			}
			answer, err := act(ctx, db, d, tt.user, staff.Command{Action: cases.ActionMerge, CaseRef: "BC2611300001", Target: tt.target})
			var ref *desk.Refusal
			switch {
			case tt.wantInto == "" && !errors.As(err, &ref):
				t.Fatalf("answer %q, error %v; want a refusal", answer, err)
			case tt.wantInto == "" && !strings.Contains(ref.Text(), tt.wantAnswer):
				t.Fatalf("refusal %q, want one with %q", ref.Text(), tt.wantAnswer)
			case tt.wantInto != "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wantInto != "" && !strings.Contains(answer, tt.wantAnswer):
				t.Fatalf("answer %q, want one with %q", answer, tt.wantAnswer)
			}
			c, err := db.GetCase(ctx, "BC2611300001")
			if err != nil {
				t.Fatal(err)
			}
			type state struct {
				Status     cases.Status
				MergedInto string
			}
			want := state{cases.StatusAccepted, ""}
			if tt.wantInto != "" {
				want = state{cases.StatusMerged, tt.wantInto}
			}
			if diff := cmp.Diff(want, state{c.Status, c.MergedInto}); diff != "" {
				t.Errorf("case after the merge (-want +got):\n%s", diff)
			}
			if before != nil {
				after, err := db.GetCase(ctx, tt.target)
				if err != nil {
					t.Fatal(err)
				}
				if after.Status != before.Status || after.MergedInto != before.MergedInto {
					t.Errorf("the named case changed: %s → %s", before.Status, after.Status)
				}
			}
		})
	}
}

// Two merges crossing (one case into the other and back) cannot leave both
// cases merged with nobody working on either.
func TestMergeBackRefused(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	db := seedMerge(t, now, mergeCase{"0001", "shebao", cases.StatusAccepted, ""}, mergeCase{"0002", "shebao", cases.StatusAccepted, ""})
	d := exampleDesk(t, func() time.Time { return now })
	if _, err := act(ctx, db, d, "zhangsan", staff.Command{Action: cases.ActionMerge, CaseRef: "BC2611300001", Target: "BC2611300002"}); err != nil {
		t.Fatal(err)
	}
	_, err := act(ctx, db, d, "lisi", staff.Command{Action: cases.ActionMerge, CaseRef: "BC2611300002", Target: "BC2611300001"})
	var ref *desk.Refusal
	if !errors.As(err, &ref) || !strings.Contains(ref.Text(), "已经并入本案") {
		t.Fatalf("merging back: %v, want a refusal", err)
	}
	if c, err := db.GetCase(ctx, "BC2611300002"); err != nil || c.Status != cases.StatusAccepted {
		t.Errorf("the case that carries on: %+v, %v; want it accepted", c, err)
	}
}

// A merge holds its target: a copy of the target read before the merge can no
// longer be saved, so a concurrent change of the target (closing it, merging
// it elsewhere) and the merge cannot both commit.
func TestMergeHoldsTarget(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	db := seedMerge(t, now, mergeCase{"0001", "shebao", cases.StatusAccepted, ""}, mergeCase{"0002", "shebao", cases.StatusAccepted, ""})
	d := exampleDesk(t, func() time.Time { return now })
	stale, err := db.GetCase(ctx, "BC2611300002")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := act(ctx, db, d, "zhangsan", staff.Command{Action: cases.ActionMerge, CaseRef: "BC2611300001", Target: "BC2611300002"}); err != nil {
		t.Fatal(err)
	}
	stale.Status = cases.StatusWithdrawn
	if err := db.UpdateCase(ctx, stale); !errors.Is(err, cases.ErrConflict) {
		t.Fatalf("saving a copy of the target read before the merge: %v, want a conflict", err)
	}
}

// A case merged into another is not forgotten: when the other is resolved,
// the merged case's citizen receives the answer too, also through a chain
// (a case merged into one that was later merged itself).
func TestMergedCaseGetsTheAnswer(t *testing.T) {
	now := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	db := seedMerge(t, now,
		mergeCase{"0001", "shebao", cases.StatusAccepted, ""},
		mergeCase{"0002", "shebao", cases.StatusAccepted, ""},
		mergeCase{"0003", "shebao", cases.StatusAccepted, ""})
	d := exampleDesk(t, func() time.Time { return now })
	ctx := context.Background()
	run := func(user string, cmd staff.Command) {
		t.Helper()
		if _, err := act(ctx, db, d, user, cmd); err != nil {
			t.Fatalf("%s %s: %v", user, cmd.Action, err)
		}
	}
	run("zhangsan", staff.Command{Action: cases.ActionMerge, CaseRef: "BC2611300003", Target: "BC2611300002"})
	run("zhangsan", staff.Command{Action: cases.ActionMerge, CaseRef: "BC2611300002", Target: "BC2611300001"})
	run("zhangsan", staff.Command{Action: cases.ActionAssign, CaseRef: "BC2611300001", Dept: "社保中心"})
	run("wangwu", staff.Command{Action: cases.ActionResolve, CaseRef: "BC2611300001", Text: "已为您恢复发放养老金"})

	for _, number := range []string{"BC2611300002", "BC2611300003"} {
		merged, err := db.GetCase(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		out, err := db.CaseOutbox(ctx, merged.ID)
		if err != nil {
			t.Fatal(err)
		}
		answered := 0
		for _, m := range out {
			if m.Recipient == merged.ReporterID && strings.Contains(m.Message.Text, "已为您恢复发放养老金") {
				answered++
			}
		}
		if answered != 1 {
			t.Errorf("%s: the merged case's citizen was given the answer %d times, want once: %+v", number, answered, out)
		}
	}
}

// Two staff merge two cases into each other at the same moment on MySQL:
// one merge commits, the other is refused, and one case carries on.
func TestCrossingMergesOneWins(t *testing.T) {
	db := storagetest.MySQL(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	for _, n := range []string{"BC2611300001", "BC2611300002"} {
		c := &cases.Case{Number: n, OpenKfID: "wkSANDBOX001", ReporterID: "wm" + n, Relation: "本人", Category: "pension",
			LeadDept: "shebao", Status: cases.StatusAccepted, LimitDays: 15, Deadline: now.Add(20 * 24 * time.Hour), CreatedAt: now}
		if err := db.CreateCase(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	d := exampleDesk(t, func() time.Time { return now })
	err := db.InTx(ctx, func(r cases.Repo) error {
		// lisi's transaction has read both cases as open…
		for _, n := range []string{"BC2611300001", "BC2611300002"} {
			if _, err := r.GetCase(ctx, n); err != nil {
				return err
			}
		}
		// …when zhangsan's merge of 0002 into 0001 commits.
		if _, err := act(ctx, db, d, "zhangsan", staff.Command{Action: cases.ActionMerge, CaseRef: "BC2611300002", Target: "BC2611300001"}); err != nil {
			t.Fatalf("zhangsan: %v", err)
		}
		_, err := d.Act(ctx, r, "lisi", staff.Command{Action: cases.ActionMerge, CaseRef: "BC2611300001", Target: "BC2611300002"})
		return err
	})
	var ref *desk.Refusal
	if !errors.As(err, &ref) {
		t.Fatalf("lisi's crossing merge: %v, want a refusal", err)
	}
	t.Logf("lisi is told %q", d.Explain(ctx, db, ref).Text())
	first, err := db.GetCase(ctx, "BC2611300001")
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != cases.StatusAccepted {
		t.Errorf("the case that carries on is %s", first.Status)
	}
}

// A merge typed in WeCom is answered to the staff member in Chinese: a
// refusal says why, a merge that went on along a chain says where to.
func TestMergeAnsweredInWeCom(t *testing.T) {
	tests := []struct{ name, typed, want string }{
		{"into a closed case", "并案 0001 并入 0005", "案件 BC2611300005 现在是“已结案”，已不再办理，不能并入。"},
		{"into a case merged into this one", "并案 0001 0009", "案件 BC2611300009 已经并入本案（BC2611300001），不用再并案。"},
		{"on to the end of a chain", "0001 并案 0007", "案件 BC2611300007 已并入 BC2611300002，本案一并并入 BC2611300002。"},
		{"into itself, as typed", "并案 0001 0001", "不能把案件并入它自己，请写另一件案件的编号，例如：并案 0007 0003"},
		{"from no such case", "并案 9999 0001", "没有找到案件 9999，请核对编号。"},
		{"a line that is no command", "你好", "没有看懂这条指令，发送“帮助”查看可用指令，例如：受理 0007"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
			db := seedMerge(t, now,
				mergeCase{"0001", "shebao", cases.StatusAccepted, ""},
				mergeCase{"0002", "shebao", cases.StatusAccepted, ""},
				mergeCase{"0005", "shebao", cases.StatusClosed, ""},
				mergeCase{"0007", "shebao", cases.StatusMerged, "BC2611300002"},
				mergeCase{"0009", "shebao", cases.StatusMerged, "BC2611300001"})
			d := exampleDesk(t, func() time.Time { return now })
			app := &desk.StaffApp{Desk: d, Repo: db}
			m := cases.AppMessage{UserID: "zhangsan", Kind: cases.AppText, Text: tt.typed}
			if err := db.InTx(ctx, func(r cases.Repo) error { return app.HandleApp(ctx, r, m) }); err != nil {
				t.Fatal(err)
			}
			due, err := db.DueOutbox(ctx, now.Add(time.Hour), 50)
			if err != nil {
				t.Fatal(err)
			}
			var told []string
			for _, m := range due {
				if m.Recipient == "zhangsan" {
					told = append(told, m.Message.Text)
				}
			}
			if len(told) != 1 || !strings.Contains(told[0], tt.want) {
				t.Errorf("zhangsan was told %q, want one answer with %q", told, tt.want)
			}
		})
	}
}
