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
			desk.ReasonNeedCase, "请写明案件编号（完整编号或末几位），例如：查 0007", false},
		{"a full number of no case", "zhangsan", staff.Command{Action: cases.ActionNote, CaseRef: "BC2611309999", Text: "x"},
			desk.ReasonNoSuchCase, "没有找到案件 BC2611309999，请核对编号。", false},
		{"last digits of no case", "zhangsan", staff.Command{Action: cases.ActionNote, CaseRef: "9999", Text: "x"},
			desk.ReasonCaseRef, "没有找到案件 9999，请核对编号。", false},
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
			desk.ReasonNeedDept, "派单需要写明主办部门，例如：派单 0007 社保中心 协办 档案馆、就业服务中心", false},
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

// Every reason the desk refuses for has its line; the refusals about what
// staff typed and about the directory read as the staff side words them.
func TestRefusalText(t *testing.T) {
	tests := []struct {
		ref  desk.Refusal
		want string
	}{
		{desk.Refusal{Reason: desk.ReasonNotStaff}, "抱歉，您不在本窗口的工作人员名单中，暂时不能使用。如需开通，请联系窗口负责人。"},
		{desk.Refusal{Reason: desk.ReasonNeedCase}, "请写明案件编号（完整编号或末几位），例如：查 0007"},
		{desk.Refusal{Reason: desk.ReasonNoSuchCase, Case: "BC2611309999"}, "没有找到案件 BC2611309999，请核对编号。"},
		{desk.Refusal{Reason: desk.ReasonCaseRef, Case: "1", Err: &staff.LookupError{Reason: staff.LookupSeveralCases, Typed: "1", Matches: []string{"BC2611300001", "BC2611300011"}}},
			"“1”对应多件案件：BC2611300001、BC2611300011，请多写几位编号。"},
		{desk.Refusal{Reason: desk.ReasonForbidden, Err: &staff.Refusal{Reason: staff.ReasonNoPermission, Action: cases.ActionAccept}},
			"抱歉，您的岗位不能“受理”，如有需要请联系窗口值班或督办人员。"},
		{desk.Refusal{Reason: desk.ReasonLifecycle, Err: &cases.MoveError{From: cases.StatusClosed, Action: cases.ActionAssign, Reason: cases.MoveNotAllowed}},
			"案件已结案，不能派单；现在可以重办。"},
		{desk.Refusal{Reason: desk.ReasonTaken, Case: "BC2611300001", By: "张三", Status: cases.StatusAccepted}, "案件 BC2611300001 已由 张三 受理，现在是“已受理”。"},
		{desk.Refusal{Reason: desk.ReasonChanged, Case: "BC2611300001"}, "案件 BC2611300001 刚被其他人改动，请回复“查 BC2611300001”看看最新情况。"},
		{desk.Refusal{Reason: desk.ReasonChanged, Case: "BC2611300001", Status: cases.StatusAssigned}, "案件 BC2611300001 刚被其他人处理，现在是“已派单”，请回复“查 BC2611300001”看看。"},
		{desk.Refusal{Reason: desk.ReasonNeedDept, Case: "BC2611300005"}, "派单需要写明主办部门，例如：派单 0007 社保中心 协办 档案馆、就业服务中心"},
		{desk.Refusal{Reason: desk.ReasonDeptName, Err: &staff.LookupError{Reason: staff.LookupNoSuchDept, Typed: "火星局"}}, "没有找到部门“火星局”，请写部门全称或常用简称。"},
		{desk.Refusal{Reason: desk.ReasonMergeSelf, Case: "BC2611300001"}, "不能把案件并入它自己，请写另一件案件的编号，例如：并案 0007 0003"},
		{desk.Refusal{Reason: desk.ReasonMergeHidden, Case: "BC2611300002"}, "案件 BC2611300002 不在您能查看的范围内，不能并入。请核对编号，或请窗口工作人员并案。"},
		{desk.Refusal{Reason: desk.ReasonMergeChainHidden, Case: "BC2611300002", Via: "BC2611300007"},
			"案件 BC2611300007 已并入案件 BC2611300002，而案件 BC2611300002 不在您能查看的范围内，不能并入。请窗口工作人员并案。"},
		{desk.Refusal{Reason: desk.ReasonMergeChainBroken, Case: "BC2611300007"},
			"案件 BC2611300007 已并案，但找不到它最终并入的案件，不能并入。请回复“查 BC2611300007”看看，或请窗口负责人处理。"},
		{desk.Refusal{Reason: desk.ReasonMergedHere, Case: "BC2611300001", Via: "BC2611300009"}, "案件 BC2611300009 已经并入本案（BC2611300001），不用再并案。"},
		{desk.Refusal{Reason: desk.ReasonMergeTargetClosed, Case: "BC2611300005", Status: cases.StatusClosed}, "案件 BC2611300005 现在是“已结案”，已不再办理，不能并入。请并入仍在办理中的案件。"},
		{desk.Refusal{Reason: desk.ReasonNoPII}, "您无权查看这件案件群众的完整身份证号和电话。"},
		{desk.Refusal{Reason: desk.ReasonNoAttachment}, "没有找到这个附件，或您无权查看。"},
		{desk.Refusal{Reason: desk.ReasonForbidden}, "这项操作现在无法办理，请回复“帮助”查看可用的指令。"},
		{desk.Refusal{Reason: desk.Reason("bogus")}, "这项操作现在无法办理，请回复“帮助”查看可用的指令。"},
	}
	for _, tt := range tests {
		t.Run(string(tt.ref.Reason), func(t *testing.T) {
			if got := tt.ref.Text(); got != tt.want {
				t.Errorf("Text() = %q, want %q", got, tt.want)
			}
			if strings.ContainsFunc(tt.ref.Error(), func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
				t.Errorf("Error() = %q: a sentence, not a reason", tt.ref.Error())
			}
		})
	}
}
