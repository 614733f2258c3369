package desk_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

// A new case reaches the window's duty staff as one card. 张三 accepts it:
// the card, for all three, says who took it, and the citizen is told. 李四,
// a moment late, is told who was first. 张三 assigns it to 社保中心 with
// 档案馆 co-handling: every handler of both is told their part, the
// citizen the department and the deadline (15 working days: 21 December).
func TestNewCaseAcceptedAndAssigned(t *testing.T) {
	s := newScene(t)
	c := s.report("wmA", "pension", "养老金停发两个月，电话13812345678")
	s.expect("→zhangsan|lisi|qianyi: [卡片 new-BC2611300001 新案件待受理：养老金停发两个月，电话138****5678]")
	// WeCom's answer to the card carries the code that updates it.
	s.inTx(func(r cases.Repo) error {
		out, err := r.CaseOutbox(s.ctx, c.ID)
		if err != nil {
			return err
		}
		return s.app.CardSent(s.ctx, r, out[0], "CODE1")
	})

	s.types("zhangsan", "受理 0001")
	s.expect(
		"→zhangsan|lisi|qianyi: [卡片更新 CODE1: 已由 张三 受理]",
		"→citizen wmA: 您反映的事项（编号 BC2611300001）已受理，我们会尽快办理。",
		"→zhangsan: 案件 BC2611300001：受理完成，当前状态：已受理。",
	)

	s.types("lisi", "接单 0001")
	s.expect("→lisi: 案件 BC2611300001 已由 张三 受理，现在是“已受理”。")

	s.types("zhangsan", "派单 0001 社保 协办 档案馆")
	staffLine := "新派单 BC2611300001（%s）⏎类别：养老保险⏎养老金停发两个月，电话138****5678⏎办理期限：12月21日"
	s.expect(
		"→wangwu: "+fmt.Sprintf(staffLine, "主办"),
		"→heli: "+fmt.Sprintf(staffLine, "主办"),
		"→liufang: "+fmt.Sprintf(staffLine, "主办"),
		"→zhaoliu: "+fmt.Sprintf(staffLine, "协办"),
		"→citizen wmA: 您反映的事项（BC2611300001）已交给社保中心办理，办理期限到12月21日。",
		"→zhangsan: 案件 BC2611300001：派单完成，当前状态：已派单。",
	)
	// The card is updated once: its code is single-use.
	s.types("lisi", "协办 0001 就业")
	got := s.queued()
	if len(got) == 0 || got[len(got)-1] != "→lisi: 案件 BC2611300001：派单完成，当前状态：已派单。" {
		t.Errorf("a second assignment queued %q", got)
	}
	for _, line := range got {
		if strings.HasPrefix(line, "→zhangsan|lisi|qianyi") {
			t.Errorf("the card was updated again: %s", line)
		}
	}

	after := s.reload(c.Number)
	if after.Status != cases.StatusAssigned || after.LeadDept != "shebao" || !cmp.Equal(after.CoDepts, []string{"dangan", "jiuye"}) {
		t.Errorf("case after assignment: %s, lead %s, co %v; want assigned to shebao with dangan and jiuye", after.Status, after.LeadDept, after.CoDepts)
	}
	if diff := cmp.Diff([]string{
		"citizen:wmA submitted: 李阿姨 提交了案件（养老保险），办理时限 15 个工作日，期限 2026年12月21日",
		"citizen:wmA message_in: 养老金停发两个月，电话13812345678",
		"staff:zhangsan status: 张三 受理了案件",
		"staff:zhangsan status: 张三 将案件派给 社保中心（协办：档案馆）",
		"staff:lisi status: 李四 将案件改派给 社保中心（协办：档案馆、就业服务中心）",
	}, s.timeline(c.Number, 0)); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

// A window member who assigns a case nobody accepted yet accepts it on the
// way: the timeline shows both, and the citizen hears of the department.
func TestAssignAcceptsANewCase(t *testing.T) {
	s := newScene(t)
	c := s.report("wmA", "pension", "养老金停发")
	s.queued()
	s.types("qianyi", "派单 0001 养老科")
	s.expect(
		"→zhouba: 新派单 BC2611300001（主办）⏎类别：养老保险⏎养老金停发⏎办理期限：12月21日",
		"→liufang: 新派单 BC2611300001（主办）⏎类别：养老保险⏎养老金停发⏎办理期限：12月21日",
		"→citizen wmA: 您反映的事项（BC2611300001）已交给养老保险科办理，办理期限到12月21日。",
		"→qianyi: 案件 BC2611300001：派单完成，当前状态：已派单。",
	)
	if diff := cmp.Diff([]string{
		"staff:qianyi status: 钱一 受理了案件",
		"staff:qianyi status: 钱一 将案件派给 养老保险科",
	}, s.timeline(c.Number, 2)); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

// 王五 of 社保中心 works the case: starts it (it becomes his), extends it
// with a reason, asks the citizen for a photo, replies, notes, and resolves
// it. The citizen reads each thing meant for them; the note stays inside.
// The answer comes with the follow-up question as one menu.
func TestHandlerWorksTheCase(t *testing.T) {
	s := newScene(t)
	c := s.report("wmA", "pension", "养老金停发")
	s.types("zhangsan", "派单 0001 社保中心")
	s.queued()

	s.types("wangwu", "办理 0001")
	s.expect("→wangwu: 案件 BC2611300001：开始办理完成，当前状态：办理中。")
	if got := s.reload(c.Number).Assignee; got != "wangwu" {
		t.Errorf("assignee after 办理: %q, want wangwu", got)
	}

	s.types("wangwu", "延期 0001 5 等待外省回函")
	s.expect(
		"→citizen wmA: 您的事项（BC2611300001）需要延长5个工作日办理。⏎原因：等待外省回函⏎新的期限：12月28日。",
		"→wangwu: 案件 BC2611300001：延期完成，当前状态：办理中。",
	)
	if got := s.reload(c.Number); got.LimitDays != 20 || cases.LastDay(got.Deadline).In(cases.Shanghai).Format("01-02") != "12-28" {
		t.Errorf("after 延期 5: limit %d days, last day %s; want 20 days to 12-28", got.LimitDays, cases.LastDay(got.Deadline).In(cases.Shanghai).Format("01-02"))
	}

	s.types("wangwu", "补充 0001 请拍一张退休证内页的照片")
	s.expect(
		"→citizen wmA: 办理您的事项（BC2611300001）还需要您补充：⏎请拍一张退休证内页的照片⏎请回复“补充”，然后直接发文字、照片或语音。",
		"→wangwu: 案件 BC2611300001：请群众补充材料完成，当前状态：办理中。",
	)
	s.types("wangwu", "回复 0001 已联系外省，请耐心等待")
	s.expect(
		"→citizen wmA: 关于您反映的事项（BC2611300001），工作人员回复：⏎已联系外省，请耐心等待",
		"→wangwu: 案件 BC2611300001：回复群众完成，当前状态：办理中。",
	)
	s.types("wangwu", "备注 0001 已电话联系档案馆")
	s.expect("→wangwu: 案件 BC2611300001：备注完成，当前状态：办理中。")

	s.later(time.Hour)
	s.types("wangwu", "办结 0001 已为您恢复发放")
	s.expect(
		"→citizen wmA: 您反映的事项（BC2611300001）已办结。⏎答复如下：⏎已为您恢复发放⏎⏎关于您反映的事项（BC2611300001），请问问题真正解决了吗？请为这次办理打分： [菜单 1 非常满意、2 满意、3 基本满意、4 不满意、5 非常不满意、6 问题没解决]",
		"→wangwu: 案件 BC2611300001：办结完成，当前状态：已办结。",
	)
	if diff := cmp.Diff([]string{
		"staff:wangwu status: 王五 开始办理",
		"staff:wangwu status: 王五 延期 5 个工作日，办理期限延至 2026年12月28日，理由：等待外省回函",
		"staff:wangwu message_out: 王五 请群众补充材料：请拍一张退休证内页的照片",
		"staff:wangwu message_out: 王五 回复群众：已联系外省，请耐心等待",
		"staff:wangwu note: 王五 备注：已电话联系档案馆",
		"staff:wangwu status: 王五 办结了案件，答复群众：已为您恢复发放",
	}, s.timeline(c.Number, 4)); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	answer, err := s.db.CaseOutbox(s.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := answer[len(answer)-1]; last.Priority != cases.PriorityCritical || last.Message.Urgent != cases.UrgentAnswer {
		t.Errorf("the answer is queued %v, urgent %q; want critical and urgent as an answer", last.Priority, last.Message.Urgent)
	}
}

// An extension must say how long and why, and one extension is at most 60
// working days; extending an overdue case gives it time again (green).
func TestExtendWithinAndPastTheLimits(t *testing.T) {
	s := newScene(t)
	c := s.report("wmA", "pension", "养老金停发")
	s.types("zhangsan", "派单 0001 社保中心")
	s.queued()

	s.types("wangwu", "延期 0001 61 等待外省回函")
	s.expect("→wangwu: 延期天数请写1到60之间的工作日数，例如：延期 0007 5 等待外省回函")
	s.types("wangwu", "延期 0001 5")
	s.expect("→wangwu: 延期需要写明天数和原因，例如：延期 0007 5 等待外省回函")
	if got := s.reload(c.Number); got.LimitDays != 15 {
		t.Errorf("limit after refused extensions: %d days, want 15", got.LimitDays)
	}

	// Four weeks later the case is overdue.
	s.later(28 * 24 * time.Hour)
	s.types("wangwu", "延期 0001 60 等待外省回函")
	s.expect(
		"→citizen wmA: 您的事项（BC2611300001）需要延长60个工作日办理。⏎原因：等待外省回函⏎新的期限：3月15日。",
		"→wangwu: 案件 BC2611300001：延期完成，当前状态：已派单。",
	)
	if got := s.reload(c.Number); got.LimitDays != 75 || got.Light != cases.LightGreen {
		t.Errorf("after 延期 60: limit %d days, light %s; want 75 days, green", got.LimitDays, got.Light)
	}
}

// A department that is the wrong one returns the case: the window's duty
// staff are told why and assign it again; the case has no department
// meanwhile.
func TestReturnGoesBackToTheWindow(t *testing.T) {
	s := newScene(t)
	c := s.report("wmA", "pension", "养老金停发")
	s.types("zhangsan", "派单 0001 社保中心")
	s.types("wangwu", "办理 0001")
	s.queued()

	s.types("wangwu", "退单 0001 不属于本部门职责，建议转档案馆")
	s.expect(
		"→zhangsan: 案件 BC2611300001 被 王五 退回窗口：不属于本部门职责，建议转档案馆⏎请重新派单。",
		"→lisi: 案件 BC2611300001 被 王五 退回窗口：不属于本部门职责，建议转档案馆⏎请重新派单。",
		"→qianyi: 案件 BC2611300001 被 王五 退回窗口：不属于本部门职责，建议转档案馆⏎请重新派单。",
		"→wangwu: 案件 BC2611300001：退单完成，当前状态：已受理。",
	)
	if got := s.reload(c.Number); got.Status != cases.StatusAccepted || got.LeadDept != "" || got.Assignee != "" {
		t.Errorf("after 退单: %s, lead %q, assignee %q; want accepted with neither", got.Status, got.LeadDept, got.Assignee)
	}
	// 王五 has nothing more to do with it.
	s.types("wangwu", "回复 0001 您好")
	s.expect("→wangwu: 抱歉，这件案件不在您所在部门的办理范围内，不能“回复群众”。")
	s.types("zhangsan", "派单 0001 档案馆")
	if got := s.reload(c.Number); got.Status != cases.StatusAssigned || got.LeadDept != "dangan" {
		t.Errorf("assigned again: %s to %q, want assigned to dangan", got.Status, got.LeadDept)
	}
}

// Supervisors record accountability (which window should have solved it)
// and a common-problem tag; both show on the case and stay inside.
func TestAccountabilityAndCommonTag(t *testing.T) {
	s := newScene(t)
	c := s.report("wmA", "pension", "养老金停发")
	s.types("zhangsan", "派单 0001 社保中心")
	s.queued()

	s.types("sunqi", "追责 0001 某某区社保窗口 可当场办理却让群众另找部门")
	s.expect("→sunqi: 案件 BC2611300001：追责完成，当前状态：已派单。")
	s.types("liufang", "共性 0001 跨省转移数据错误")
	s.expect("→liufang: 案件 BC2611300001：标记共性问题完成，当前状态：已派单。")
	s.types("zhaoliu", "追责 0001 某某区社保窗口 不作为")
	s.expect("→zhaoliu: 抱歉，这件案件不在您所在部门的办理范围内，不能“追责”。")

	got := s.reload(c.Number)
	if got.Accountability != "某某区社保窗口：可当场办理却让群众另找部门" || got.CommonTag != "跨省转移数据错误" {
		t.Errorf("accountability %q, common tag %q", got.Accountability, got.CommonTag)
	}
	if diff := cmp.Diff([]string{
		"staff:sunqi note: 孙七 记录追责：本应由 某某区社保窗口 办理，原因：可当场办理却让群众另找部门",
		"staff:liufang note: 刘芳 标记为共性问题：跨省转移数据错误",
	}, s.timeline(c.Number, 4)); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

// 张三 types 并案 for a second report of the same matter: its citizen is
// told, and when the case it went into is resolved, reads the answer too.
func TestMergeAsTyped(t *testing.T) {
	s := newScene(t)
	first := s.report("wmA", "pension", "养老金停发")
	second := s.report("wmB", "pension", "我母亲的养老金也停发了")
	s.types("zhangsan", "派单 0001 社保中心")
	s.queued()

	s.types("zhangsan", "并案 0002 0001")
	s.expect(
		"→citizen wmB: 您反映的事项（BC2611300002）和另一件反映（BC2611300001）是同一件事，已合并办理。您的事项仍可查询，有问题随时在这里说。",
		"→zhangsan: 案件 BC2611300002：并案完成，当前状态：已并案。",
	)
	s.types("wangwu", "办结 0001 已为您恢复发放")
	lines := s.queued()
	want := "→citizen wmB: 您反映的事项（BC2611300002）已和同一件事合并办理，现已办结。⏎答复如下：⏎已为您恢复发放"
	found := false
	for _, l := range lines {
		found = found || l == want
	}
	if !found {
		t.Errorf("queued on resolving the case merged into:\n%q\nwant among them %q", lines, want)
	}
	if got := s.reload(second.Number); got.Status != cases.StatusMerged || got.MergedInto != first.Number {
		t.Errorf("merged case: %s into %q", got.Status, got.MergedInto)
	}
}

// The window phones a citizen who did not answer the follow-up and records
// what they said with 回访. Satisfied, the case closes. Not satisfied (4 or
// 5), it is reopened (重办) with a new deadline: the department's
// supervisors and the people working on it are told, as when the citizen
// answers in WeChat, and so is the citizen.
func TestFollowUpByPhone(t *testing.T) {
	resolved := func(t *testing.T) (*scene, *cases.Case) {
		s := newScene(t)
		c := s.report("wmA", "pension", "养老金停发")
		s.types("zhangsan", "派单 0001 社保中心")
		s.types("wangwu", "办理 0001")
		s.types("wangwu", "办结 0001 已为您恢复发放")
		s.queued()
		s.later(5 * 24 * time.Hour)
		return s, c
	}

	t.Run("satisfied", func(t *testing.T) {
		s, c := resolved(t)
		s.types("zhangsan", "回访 0001 2 群众表示问题已解决")
		s.expect("→zhangsan: 案件 BC2611300001：记录回访结果完成，当前状态：已结案。")
		if got := s.reload(c.Number); got.Status != cases.StatusClosed || got.Satisfaction != 2 {
			t.Errorf("after 回访 2: %s, satisfaction %d; want closed, 2", got.Status, got.Satisfaction)
		}
	})

	t.Run("not satisfied", func(t *testing.T) {
		s, c := resolved(t)
		s.types("zhangsan", "回访 0001 5 群众说钱还没到账")
		s.expect(
			"→wangwu: 案件 BC2611300001 群众不满意，已重办：群众说钱还没到账",
			"→liufang: 案件 BC2611300001 群众不满意，已重办：群众说钱还没到账",
			"→sunqi: 案件 BC2611300001 群众不满意，已重办：群众说钱还没到账",
			"→citizen wmA: 您的事项（BC2611300001）已重新办理，我们会尽快给您答复。",
			"→zhangsan: 案件 BC2611300001：重办完成，当前状态：已派单。",
		)
		got := s.reload(c.Number)
		if got.Status != cases.StatusAssigned || got.Reopened != 1 || got.Satisfaction != 5 || got.Resolution != "" {
			t.Errorf("after 回访 5: %s, reopened %d, satisfaction %d, resolution %q; want assigned, 1, 5, none",
				got.Status, got.Reopened, got.Satisfaction, got.Resolution)
		}
		if diff := cmp.Diff([]string{
			"staff:zhangsan rating: 张三 评价：5 非常不满意",
			"staff:zhangsan status: 张三 要求重办（第 1 次），案件退回 社保中心，办理期限 2026年12月25日，理由：群众说钱还没到账",
		}, s.timeline(c.Number, 6)); diff != "" {
			t.Errorf("timeline (-want +got):\n%s", diff)
		}
	})
}
