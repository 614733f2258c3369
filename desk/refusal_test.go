package desk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/staff"
)

// A staff member's command the desk cannot do is answered with one line
// saying why; the refusal itself carries the reason, and its error text (for
// logs) no sentence.
func TestStaffRefusals(t *testing.T) {
	now := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	db := seedMerge(t, now,
		mergeCase{"0001", "shebao", cases.StatusAccepted, ""},
		mergeCase{"0002", "dangan", cases.StatusAssigned, ""},
		mergeCase{"0003", "shebao", cases.StatusClosed, ""},
		mergeCase{"0005", "", cases.StatusSubmitted, ""},
		mergeCase{"0011", "shebao", cases.StatusAccepted, ""})
	d := exampleDesk(t, func() time.Time { return now })
	tests := []struct {
		name   string
		user   string
		cmd    staff.Command
		reason desk.Reason
		text   string // the whole line, or with partial set a part of it
		// partial marks a line worded by the lifecycle, checked in part.
		partial bool
	}{
		{"somebody outside the directory", "stranger", staff.Command{Action: cases.ActionNote, CaseRef: "0001", Text: "x"},
			desk.ReasonNotStaff, "抱歉，您不在本窗口的工作人员名单中，暂时不能使用。如需开通，请联系窗口负责人。", false},
		{"no case named", "zhangsan", staff.Command{Action: cases.ActionNote, Text: "x"},
			desk.ReasonNeedCase, "请写上案件编号或编号的后几位，例如：受理 0007", false},
		{"a full number of no case", "zhangsan", staff.Command{Action: cases.ActionNote, CaseRef: "BC2611309999", Text: "x"},
			desk.ReasonNoSuchCase, "没有找到案件 BC2611309999，请核对编号。", false},
		{"last digits of no case", "zhangsan", staff.Command{Action: cases.ActionNote, CaseRef: "9999", Text: "x"},
			desk.ReasonCaseRef, "没有找到编号为“9999”的案件，请核对编号。", false},
		{"last digits of two cases", "zhangsan", staff.Command{Action: cases.ActionNote, CaseRef: "1", Text: "x"},
			desk.ReasonCaseRef, "“1”对应多件案件：BC2611300001、BC2611300011，请多写几位编号。", false},
		{"a handler accepting", "wangwu", staff.Command{Action: cases.ActionAccept, CaseRef: "0001"},
			desk.ReasonForbidden, "抱歉，您的岗位不能“受理”，如有需要请联系窗口值班或督办人员。", false},
		{"a handler on another department's case", "wangwu", staff.Command{Action: cases.ActionReply, CaseRef: "0002", Text: "x"},
			desk.ReasonForbidden, "抱歉，这件案件不在您所在部门的办理范围内，不能“回复群众”。", false},
		{"a handler viewing another department's case", "wangwu", staff.Command{Action: cases.ActionView, CaseRef: "BC2611300002"},
			desk.ReasonForbidden, "抱歉，这件案件不在您所在部门的办理范围内，不能“查看”。", false},
		{"accepting an accepted case", "zhangsan", staff.Command{Action: cases.ActionAccept, CaseRef: "0001"},
			desk.ReasonChanged, "案件 BC2611300001 刚被其他人处理，现在是“已受理”，请回复“查 BC2611300001”看看。", false},
		{"assigning without a department", "zhangsan", staff.Command{Action: cases.ActionAssign, CaseRef: "0005"},
			desk.ReasonNeedDept, "请写明主办部门，例如：派单 0007 社保中心", false},
		{"assigning to no such department", "zhangsan", staff.Command{Action: cases.ActionAssign, CaseRef: "0005", Dept: "火星局"},
			desk.ReasonDeptName, "没有找到部门“火星局”，请写部门全称或常用简称。", false},
		{"replying on a closed case", "zhangsan", staff.Command{Action: cases.ActionReply, CaseRef: "0003", Text: "x"},
			desk.ReasonLifecycle, "案件已结案，不能", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			answer, err := act(ctx, db, d, tt.user, tt.cmd)
			var ref *desk.Refusal
			if !errors.As(err, &ref) {
				t.Fatalf("answer %q, error %v; want a refusal", answer, err)
			}
			if ref.Reason != tt.reason {
				t.Errorf("reason %s, want %s", ref.Reason, tt.reason)
			}
			text := ref.Text()
			if tt.partial && !strings.Contains(text, tt.text) || !tt.partial && text != tt.text {
				t.Errorf("staff read %q, want %q", text, tt.text)
			}
			if ref.Err == nil && strings.ContainsFunc(ref.Error(), func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
				t.Errorf("the refusal's error is a sentence: %q", ref.Error())
			}
		})
	}
}

// A refusal the desk passes on keeps the refusal it was given, which
// errors.As finds through it, and reads as that refusal's own line; no error
// in the chain is a sentence.
func TestPassedOnRefusals(t *testing.T) {
	now := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	db := seedMerge(t, now,
		mergeCase{"0001", "shebao", cases.StatusAccepted, ""},
		mergeCase{"0003", "shebao", cases.StatusClosed, ""},
		mergeCase{"0005", "", cases.StatusSubmitted, ""},
		mergeCase{"0011", "shebao", cases.StatusAccepted, ""})
	d := exampleDesk(t, func() time.Time { return now })
	hasHan := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
	}
	tests := []struct {
		name string
		user string
		cmd  staff.Command
		// passedOn finds the refusal passed on in err and returns its line.
		passedOn func(err error) (string, bool)
	}{
		{"a case reference of no case", "zhangsan", staff.Command{Action: cases.ActionNote, CaseRef: "9999", Text: "x"},
			func(err error) (string, bool) {
				var e *staff.LookupError
				if !errors.As(err, &e) || e.Reason != staff.LookupNoSuchCase {
					return "", false
				}
				return e.Text(), true
			}},
		{"a case reference of several", "zhangsan", staff.Command{Action: cases.ActionNote, CaseRef: "1", Text: "x"},
			func(err error) (string, bool) {
				var e *staff.LookupError
				if !errors.As(err, &e) || e.Reason != staff.LookupSeveralCases {
					return "", false
				}
				return e.Text(), true
			}},
		{"a case reference without digits", "zhangsan", staff.Command{Action: cases.ActionNote, CaseRef: "#", Text: "x"},
			func(err error) (string, bool) {
				var e *staff.CommandError
				if !errors.As(err, &e) || e.Reason != staff.CommandNeedCase {
					return "", false
				}
				return e.Text(), true
			}},
		{"a department of no such name", "zhangsan", staff.Command{Action: cases.ActionAssign, CaseRef: "0005", Dept: "火星局"},
			func(err error) (string, bool) {
				var e *staff.LookupError
				if !errors.As(err, &e) || e.Reason != staff.LookupNoSuchDept {
					return "", false
				}
				return e.Text(), true
			}},
		{"a co-handler named by too little", "zhangsan", staff.Command{Action: cases.ActionAssign, CaseRef: "0005", Dept: "社保", CoDepts: []string{"中心"}},
			func(err error) (string, bool) {
				var e *staff.LookupError
				if !errors.As(err, &e) || e.Reason != staff.LookupSeveralDepts {
					return "", false
				}
				return e.Text(), true
			}},
		{"a handler accepting", "wangwu", staff.Command{Action: cases.ActionAccept, CaseRef: "0001"},
			func(err error) (string, bool) {
				var e *staff.Refusal
				if !errors.As(err, &e) || e.Reason != staff.ReasonNoPermission {
					return "", false
				}
				return e.Text(), true
			}},
		{"a reply on a closed case", "zhangsan", staff.Command{Action: cases.ActionReply, CaseRef: "0003", Text: "x"},
			func(err error) (string, bool) {
				var e *cases.MoveError
				if !errors.As(err, &e) || e.Reason != cases.MoveNotAllowed {
					return "", false
				}
				return e.Text(), true
			}},
		{"a note without words", "zhangsan", staff.Command{Action: cases.ActionNote, CaseRef: "0001", Text: " "},
			func(err error) (string, bool) {
				var e *cases.MoveError
				if !errors.As(err, &e) || e.Reason != cases.MoveNeedsText {
					return "", false
				}
				return e.Text(), true
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer, err := act(context.Background(), db, d, tt.user, tt.cmd)
			var ref *desk.Refusal
			if !errors.As(err, &ref) {
				t.Fatalf("answer %q, error %v; want a refusal", answer, err)
			}
			want, ok := tt.passedOn(err)
			if !ok {
				t.Fatalf("refusal %v does not pass on the refusal expected", err)
			}
			if want == "" || ref.Text() != want {
				t.Errorf("staff read %q, want the passed-on line %q", ref.Text(), want)
			}
			if hasHan(err.Error()) {
				t.Errorf("the refusal's error is a sentence: %q", err.Error())
			}
		})
	}
}
