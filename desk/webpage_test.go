package desk_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/desk"
)

// The web case page shows what the app shows, and more: every message the
// case caused, with its fate. A co-handling department's handler may open
// it with the personal data in full, and that look is on the record; a
// member the case is not for is refused, and nothing is recorded.
func TestCasePageOnTheWeb(t *testing.T) {
	s := threeCases(t)
	s.types("zhangsan", "协办 0002 社保中心")
	s.expect(
		"→zhaoliu: 新派单 BC2611300002（主办）⏎类别：个人信息错误⏎档案里名字写错了⏎办理期限：12月14日",
		"→wangwu: 新派单 BC2611300002（协办）⏎类别：个人信息错误⏎档案里名字写错了⏎办理期限：12月14日",
		"→heli: 新派单 BC2611300002（协办）⏎类别：个人信息错误⏎档案里名字写错了⏎办理期限：12月14日",
		"→liufang: 新派单 BC2611300002（协办）⏎类别：个人信息错误⏎档案里名字写错了⏎办理期限：12月14日",
		"→citizen wmB: 您反映的事项（BC2611300002）已交给档案馆办理，办理期限到12月14日。",
		"→zhangsan: 案件 BC2611300002：派单完成，当前状态：已派单。",
	)
	s.types("heli", "回复 0002 已转档案馆核对")
	s.queued()

	var file *desk.CaseFile
	s.inTx(func(r cases.Repo) error {
		var err error
		file, err = s.desk.OpenCase(s.ctx, r, "heli", "BC2611300002", true)
		return err
	})
	if !file.MayRevealPII || !file.ShowPII {
		t.Errorf("a co-handler's page: may reveal %v, shows %v; want both", file.MayRevealPII, file.ShowPII)
	}
	var sent []string
	for _, m := range file.Outbox {
		sent = append(sent, outboxLine(m))
	}
	if diff := cmp.Diff([]string{
		"→zhangsan|lisi|qianyi: [卡片 new-BC2611300002 新案件待受理：档案里名字写错了]",
		"→zhaoliu: 新派单 BC2611300002（主办）⏎类别：个人信息错误⏎档案里名字写错了⏎办理期限：12月14日",
		"→citizen wmB: 您反映的事项（BC2611300002）已交给档案馆办理，办理期限到12月14日。",
		"→zhaoliu: 新派单 BC2611300002（主办）⏎类别：个人信息错误⏎档案里名字写错了⏎办理期限：12月14日",
		"→wangwu: 新派单 BC2611300002（协办）⏎类别：个人信息错误⏎档案里名字写错了⏎办理期限：12月14日",
		"→heli: 新派单 BC2611300002（协办）⏎类别：个人信息错误⏎档案里名字写错了⏎办理期限：12月14日",
		"→liufang: 新派单 BC2611300002（协办）⏎类别：个人信息错误⏎档案里名字写错了⏎办理期限：12月14日",
		"→citizen wmB: 您反映的事项（BC2611300002）已交给档案馆办理，办理期限到12月14日。",
		"→citizen wmB: 关于您反映的事项（BC2611300002），工作人员回复：⏎已转档案馆核对",
	}, sent); diff != "" {
		t.Errorf("the page's notifications (-want +got):\n%s", diff)
	}
	if tl := s.timeline("BC2611300002", 0); tl[len(tl)-1] != "staff:heli pii_viewed: 何丽 查看了群众的身份证号和电话" {
		t.Errorf("the timeline ends with %q, want heli's look", tl[len(tl)-1])
	}

	before := len(s.timeline("BC2611300002", 0))
	err := s.db.InTx(s.ctx, func(r cases.Repo) error {
		_, err := s.desk.OpenCase(s.ctx, r, "wujiu", "BC2611300002", true)
		return err
	})
	var ref *desk.Refusal
	if !errors.As(err, &ref) || ref.Reason != desk.ReasonForbidden || ref.Text() != "抱歉，这件案件不在您所在部门的办理范围内，不能“查看”。" {
		t.Errorf("a member of another department: %v", err)
	}
	if after := len(s.timeline("BC2611300002", 0)); after != before {
		t.Errorf("the refused look changed the timeline: %d events, then %d", before, after)
	}
}
