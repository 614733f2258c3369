package desk_test

import (
	"errors"
	"testing"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/staff"
)

// Every reason the desk refuses for reads as one line to the staff member,
// from the desk's table, or from the package that refused when the desk
// passes a refusal on (the lifecycle's line is the lifecycle's to check).
func TestEveryReasonIsWorded(t *testing.T) {
	moveErr := &cases.MoveError{From: cases.StatusClosed, Action: cases.ActionReply, Reason: cases.MoveNotAllowed}
	forbidden := &staff.Refusal{Reason: staff.ReasonNoPermission, Action: cases.ActionAccept}
	_, noRef := staff.ResolveRef("9999", []string{"BC2611300001"})
	dir, err := staff.LoadDirectory("../configs/directory.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, noDept := dir.ResolveDepartment("火星局")
	tests := []struct {
		ref  desk.Refusal
		want string
	}{
		{desk.Refusal{Reason: desk.ReasonNotStaff}, "抱歉，您不在本窗口的工作人员名单中，暂时不能使用。如需开通，请联系窗口负责人。"},
		{desk.Refusal{Reason: desk.ReasonNeedCase}, "请写明案件编号（完整编号或末几位），例如：查 0007"},
		{desk.Refusal{Reason: desk.ReasonNoSuchCase, Case: "BC2611309999"}, "没有找到案件 BC2611309999，请核对编号。"},
		{desk.Refusal{Reason: desk.ReasonCaseRef, Case: "9999", Err: noRef}, "没有找到案件 9999，请核对编号。"},
		{desk.Refusal{Reason: desk.ReasonForbidden, Err: forbidden}, "抱歉，您的岗位不能“受理”，如有需要请联系窗口值班或督办人员。"},
		{desk.Refusal{Reason: desk.ReasonLifecycle, Err: moveErr}, "案件已结案，不能回复群众；现在可以重办。"},
		{desk.Refusal{Reason: desk.ReasonTaken, Case: "BC2611300001", By: "张三", Status: cases.StatusAccepted}, "案件 BC2611300001 已由 张三 受理，现在是“已受理”。"},
		{desk.Refusal{Reason: desk.ReasonChanged, Case: "BC2611300001"}, "案件 BC2611300001 刚被其他人改动，请回复“查 BC2611300001”看看最新情况。"},
		{desk.Refusal{Reason: desk.ReasonChanged, Case: "BC2611300001", Status: cases.StatusResolved}, "案件 BC2611300001 刚被其他人处理，现在是“已办结”，请回复“查 BC2611300001”看看。"},
		{desk.Refusal{Reason: desk.ReasonNeedDept, Case: "BC2611300001"}, "派单需要写明主办部门，例如：派单 0007 社保中心 协办 档案馆、就业服务中心"},
		{desk.Refusal{Reason: desk.ReasonDeptName, Err: noDept}, "没有找到部门“火星局”，请写部门全称或常用简称。"},
		{desk.Refusal{Reason: desk.ReasonMergeSelf, Case: "BC2611300001"}, "不能把案件并入它自己，请写另一件案件的编号，例如：并案 0007 0003"},
		{desk.Refusal{Reason: desk.ReasonMergeHidden, Case: "BC2611300003"}, "案件 BC2611300003 不在您能查看的范围内，不能并入。请核对编号，或请窗口工作人员并案。"},
		{desk.Refusal{Reason: desk.ReasonMergeChainHidden, Case: "BC2611300003", Via: "BC2611300011"}, "案件 BC2611300011 已并入案件 BC2611300003，而案件 BC2611300003 不在您能查看的范围内，不能并入。请窗口工作人员并案。"},
		{desk.Refusal{Reason: desk.ReasonMergeChainBroken, Case: "BC2611300012"}, "案件 BC2611300012 已并案，但找不到它最终并入的案件，不能并入。请回复“查 BC2611300012”看看，或请窗口负责人处理。"},
		{desk.Refusal{Reason: desk.ReasonMergedHere, Case: "BC2611300001", Via: "BC2611300009"}, "案件 BC2611300009 已经并入本案（BC2611300001），不用再并案。"},
		{desk.Refusal{Reason: desk.ReasonMergeTargetClosed, Case: "BC2611300005", Status: cases.StatusClosed}, "案件 BC2611300005 现在是“已结案”，已不再办理，不能并入。请并入仍在办理中的案件。"},
		{desk.Refusal{Reason: desk.ReasonNoPII, Case: "BC2611300001"}, "您无权查看这件案件群众的完整身份证号和电话。"},
		{desk.Refusal{Reason: desk.ReasonNoAttachment}, "没有找到这个附件，或您无权查看。"},
		// Only a mistake in the code makes these; still a polite line.
		{desk.Refusal{Reason: "no_such_reason"}, "这项操作现在无法办理，请回复“帮助”查看可用的指令。"},
		{desk.Refusal{Reason: desk.ReasonLifecycle}, "这项操作现在无法办理，请回复“帮助”查看可用的指令。"},
	}
	for _, tt := range tests {
		t.Run(string(tt.ref.Reason), func(t *testing.T) {
			if got := tt.ref.Text(); got != tt.want {
				t.Errorf("staff read %q, want %q", got, tt.want)
			}
		})
	}

	// A refusal passed on still is what it passes on.
	ref := &desk.Refusal{Reason: desk.ReasonLifecycle, Err: moveErr}
	var move *cases.MoveError
	if !errors.As(ref, &move) || move != moveErr {
		t.Errorf("errors.As through the refusal found %v, want the lifecycle's refusal", move)
	}
}
