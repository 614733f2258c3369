package cases

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// expectedMoves is the lifecycle written out independently of the table in
// lifecycle.go, one status per line: "action>to" moves the case, a bare action
// leaves it where it is. Every pair not listed must be refused.
const expectedMoves = `
submitted:   accept>accepted withdraw>withdrawn merge>merged ask_material supplement reply note view accountability common
accepted:    assign>assigned withdraw>withdrawn merge>merged ask_material supplement reply note view accountability common
assigned:    assign start>in_progress resolve>resolved extend return>accepted withdraw>withdrawn merge>merged ask_material supplement reply note view accountability common
in_progress: resolve>resolved extend return>accepted withdraw>withdrawn merge>merged ask_material supplement reply note view accountability common
resolved:    rate>closed followup>closed close>closed reopen>assigned supplement reply note view accountability common
closed:      reopen>assigned note view
withdrawn:   note view
merged:      note view
`

// allActions is every action constant of action.go, listed by hand.
var allActions = []Action{
	"submit", "accept", "assign", "start", "reply", "note", "ask_material", "supplement",
	"extend", "return", "resolve", "accountability", "common", "merge", "view",
	"withdraw", "rate", "reopen", "close", "followup",
}

func parseExpectedMoves(t *testing.T) map[Status]map[Action]Status {
	t.Helper()
	want := map[Status]map[Action]Status{}
	for _, line := range strings.Split(strings.TrimSpace(expectedMoves), "\n") {
		head, rest, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		from := Status(head)
		want[from] = map[Action]Status{}
		for _, f := range strings.Fields(rest) {
			a, to, moves := strings.Cut(f, ">")
			if !moves {
				to = string(from)
			}
			want[from][Action(a)] = Status(to)
		}
	}
	return want
}

func TestTransitionTableEveryPair(t *testing.T) {
	if diff := cmp.Diff(allActions, Actions(), cmpopts.SortSlices(func(a, b Action) bool { return a < b })); diff != "" {
		t.Fatalf("Actions() is not every action (-want +got):\n%s", diff)
	}
	want := parseExpectedMoves(t)
	if len(want) != len(Statuses()) {
		t.Fatalf("expectation covers %d statuses, Statuses has %d", len(want), len(Statuses()))
	}
	statuses := append(append([]Status(nil), Statuses()...), "", "bogus")
	allowed := 0
	for _, from := range statuses {
		for _, a := range allActions {
			wantTo, wantOK := want[from][a]
			gotTo, gotOK := Allowed(from, a)
			if gotOK != wantOK || gotTo != wantTo {
				t.Errorf("Allowed(%s, %s) = %q, %v; want %q, %v", from, a, gotTo, gotOK, wantTo, wantOK)
			}
			if wantOK {
				allowed++
			}
		}
	}
	// A guard against the expectation itself going missing.
	if allowed != 63 {
		t.Errorf("%d allowed pairs in the expectation, want 63", allowed)
	}
}

// Every refused pair is refused by Apply too, with a Chinese reason and the
// case untouched.
func TestApplyRefusesEveryPairNotInTable(t *testing.T) {
	want := parseExpectedMoves(t)
	at := sh(t, "2025-10-09 10:00")
	for _, from := range Statuses() {
		for _, a := range allActions {
			if _, ok := want[from][a]; ok {
				continue
			}
			c := &Case{ID: 1, Status: from, LimitDays: 5, Deadline: sh(t, "2025-10-20 00:00")}
			before := *c
			_, err := Apply(c, Move{Action: a, Actor: "staff:zhangsan", At: at, Text: "x", Reason: "x", Dept: "x", ExtendDays: 1, MergeInto: "BC1", Rating: 1, Window: "x", Tag: "x"}, nil)
			me, ok := IsMoveError(err)
			if !ok {
				t.Errorf("Apply(%s on %s) = %v, want a *MoveError", a, from, err)
				continue
			}
			if me.From != from || me.Action != a || me.Reason != MoveNotAllowed || !strings.HasPrefix(me.Text(), "案件") {
				t.Errorf("Apply(%s on %s): %+v", a, from, me)
			}
			if diff := cmp.Diff(before, *c); diff != "" {
				t.Errorf("Apply(%s on %s) changed the case (-before +after):\n%s", a, from, diff)
			}
		}
	}
}

func TestRefusedReason(t *testing.T) {
	tests := []struct {
		from Status
		a    Action
		want string
	}{
		{StatusResolved, ActionAssign, "案件已办结，不能派单；现在可以评价、记录回访结果、结案、重办、回复群众、补充材料、追责、标记共性问题。"},
		{StatusClosed, ActionAssign, "案件已结案，不能派单；现在可以重办。"},
		{StatusWithdrawn, ActionReopen, "案件已撤回，不能重办，只能查看和备注。"},
		{StatusAccepted, ActionExtend, "案件已受理，不能延期；现在可以派单、撤回、并案、回复群众、请群众补充材料、补充材料、追责、标记共性问题。"},
		{Status("bogus"), ActionView, "案件状态“bogus”无法识别，不能查看。"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, refusedReason(tt.from, tt.a)); diff != "" {
			t.Errorf("refusedReason(%s, %s) (-want +got):\n%s", tt.from, tt.a, diff)
		}
	}
}

func TestStatusTexts(t *testing.T) {
	var staff, citizen []string
	for _, s := range Statuses() {
		staff = append(staff, StatusText(s))
		citizen = append(citizen, CitizenStatusText(s))
	}
	wantStaff := []string{"待受理", "已受理", "已派单", "办理中", "已办结", "已结案", "已撤回", "已并案"}
	if diff := cmp.Diff(wantStaff, staff); diff != "" {
		t.Errorf("StatusText (-want +got):\n%s", diff)
	}
	seen := map[string]bool{}
	for i, s := range citizen {
		if s == "" || seen[s] || s == "正在处理" {
			t.Errorf("CitizenStatusText(%s) = %q: empty, repeated or the fallback", Statuses()[i], s)
		}
		seen[s] = true
	}
	if got := CitizenStatusText(StatusAssigned); got != "已转给相关部门办理" {
		t.Errorf("CitizenStatusText(assigned) = %q", got)
	}
	for _, a := range allActions {
		if ActionText(a) == string(a) {
			t.Errorf("ActionText(%s) has no Chinese", a)
		}
	}
}

// TestWorkingAndUnfinished pins the two meanings apart: a resolved case is
// unfinished (it waits for the follow-up) but no longer working.
func TestWorkingAndUnfinished(t *testing.T) {
	want := map[Status][2]bool{ // {working, unfinished}
		StatusSubmitted: {true, true}, StatusAccepted: {true, true}, StatusAssigned: {true, true},
		StatusInProgress: {true, true}, StatusResolved: {false, true},
		StatusClosed: {false, false}, StatusWithdrawn: {false, false}, StatusMerged: {false, false},
		"": {false, false}, "bogus": {false, false},
	}
	for s, w := range want {
		if got := [2]bool{s.Working(), s.Unfinished()}; got != w {
			t.Errorf("%q: Working, Unfinished = %v, want %v", s, got, w)
		}
	}
	for _, s := range Statuses() {
		if s.Working() != slices.Contains(WorkingStatuses(), s) || s.Unfinished() != slices.Contains(UnfinishedStatuses(), s) {
			t.Errorf("%q: the predicates and the lists disagree", s)
		}
	}
	// Each call returns a slice of the caller's own: appending to one cannot
	// change what the next caller gets.
	a := WorkingStatuses()
	_ = append(a[:1], StatusClosed)
	if !slices.Equal(WorkingStatuses(), []Status{StatusSubmitted, StatusAccepted, StatusAssigned, StatusInProgress}) {
		t.Errorf("WorkingStatuses changed after a caller appended to its copy: %v", WorkingStatuses())
	}
}
