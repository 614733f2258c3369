package cases

import (
	"strings"
	"testing"
	"unicode"
)

func TestOneLine(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		n        int
		want     string
	}{
		{"short stays", "退休金没发", 10, "退休金没发"},
		{"exactly n stays", "一二三四五", 5, "一二三四五"},
		{"cut to n with the ellipsis", "一二三四五六", 5, "一二三四…"},
		{"white space folded first", "  单位\n破产\t\t档案  丢了 ", 20, "单位 破产 档案 丢了"},
		{"folding counts before cutting", "一\n\n\n二三四五", 5, "一 二三…"},
		{"nothing", " \n ", 5, ""},
	} {
		if got := OneLine(tc.in, tc.n); got != tc.want {
			t.Errorf("%s: OneLine(%q, %d) = %q, want %q", tc.name, tc.in, tc.n, got, tc.want)
		}
	}
}

// Every reason a move is refused for has its line, and the error the logs
// read carries the reason, not the line.
func TestMoveErrorText(t *testing.T) {
	for _, tc := range []struct {
		err  MoveError
		want string
	}{
		{MoveError{StatusClosed, ActionAssign, MoveNotAllowed}, "案件已结案，不能派单；现在可以重办。"},
		{MoveError{StatusWithdrawn, ActionReopen, MoveNotAllowed}, "案件已撤回，不能重办，只能查看和备注。"},
		{MoveError{StatusAccepted, ActionAssign, MoveNeedsDept}, "派单需要指定承办部门。"},
		{MoveError{StatusInProgress, ActionExtend, MoveNeedsDays}, "延期需要写明延长几个工作日和理由。"},
		{MoveError{StatusAssigned, ActionReturn, MoveNeedsReason}, "退单需要写明理由，窗口据此重新派单。"},
		{MoveError{StatusResolved, ActionReopen, MoveNeedsReason}, "重办需要写明理由：群众哪里不满意、问题哪里没解决。"},
		{MoveError{StatusInProgress, ActionAccountability, MoveNeedsWindow}, "追责需要写明本应办理的窗口和原因。"},
		{MoveError{StatusAccepted, ActionMerge, MoveNeedsTarget}, "并案需要指定并入的案件编号。"},
		{MoveError{StatusAccepted, ActionMerge, MoveIntoItself}, "不能把案件并入它自己。"},
		{MoveError{StatusInProgress, ActionResolve, MoveNeedsAnswer}, "办结需要填写给群众的答复。"},
		{MoveError{StatusAssigned, ActionCommon, MoveNeedsTag}, "标记共性问题需要填写问题标签。"},
		{MoveError{StatusResolved, ActionRate, MoveBadRating}, "评价只能是 1 到 5：1 非常满意，2 满意，3 基本满意，4 不满意，5 非常不满意。"},
		{MoveError{StatusResolved, ActionRate, MoveDissatisfied}, "群众不满意（评价 4 或 5）时应重办，不能结案。"},
		{MoveError{StatusResolved, ActionFollowUpResult, MoveNeedsOutcome}, "请写明回访结果，例如“电话打通，群众表示问题已解决”。"},
		{MoveError{StatusClosed, ActionNote, MoveNeedsText}, "备注需要填写内容。"},
		{MoveError{StatusInProgress, ActionAskMaterial, MoveNeedsText}, "请群众补充材料需要填写内容。"},
		{MoveError{StatusInProgress, ActionNote, MoveReason("bogus")}, "案件办理中，不能备注。"},
	} {
		t.Run(string(tc.err.Reason)+" "+string(tc.err.Action), func(t *testing.T) {
			if got := tc.err.Text(); got != tc.want {
				t.Errorf("Text() = %q, want %q", got, tc.want)
			}
			if log := tc.err.Error(); strings.ContainsFunc(log, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
				t.Errorf("Error() = %q: a sentence, not a reason", log)
			}
		})
	}
}
