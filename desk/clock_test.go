package desk_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

// The scheduler turns lights; the desk says who is reminded. Yellow goes
// to whoever works on the case (its assignee, or else the lead
// department's handlers, or else the window's duty staff); red goes to
// them and the lead department's supervisors; green after an extension
// reminds nobody. Each change is on the timeline with whom it reminded.
func TestLightReminders(t *testing.T) {
	s := threeCases(t)
	turn := func(number string, mod func(*cases.Case), from, to cases.Light) {
		t.Helper()
		c := s.reload(number)
		if mod != nil {
			mod(c)
		}
		c.Light = to
		s.inTx(func(r cases.Repo) error { return s.desk.LightChanged(s.ctx, r, c, from, to != cases.LightGreen) })
	}

	turn("BC2611300001", nil, cases.LightGreen, cases.LightYellow)
	s.expect("→wangwu: 【黄灯提醒】案件 BC2611300001（养老保险）办理时限已不足30%，期限到12月21日，请抓紧办理。")
	turn("BC2611300001", nil, cases.LightYellow, cases.LightRed)
	red := "【红灯提醒】案件 BC2611300001（养老保险，主办：社保中心）已超过办理期限（12月21日），请立即处理或申请延期。"
	s.expect("→wangwu: "+red, "→liufang: "+red, "→sunqi: "+red)
	turn("BC2611300001", nil, cases.LightRed, cases.LightGreen)
	s.expect()
	if diff := cmp.Diff([]string{
		"system reminder: 办理时限由绿灯变为黄灯，已提醒：王五",
		"system reminder: 办理时限由黄灯变为红灯，已提醒：王五、刘芳、孙七",
		"system reminder: 办理时限由红灯变为绿灯",
	}, s.timeline("BC2611300001", 5)); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}

	// Nobody started 0003: its category's department (养老保险科) is told.
	turn("BC2611300003", nil, cases.LightGreen, cases.LightYellow)
	yellow := "【黄灯提醒】案件 BC2611300003（养老保险）办理时限已不足30%，期限到12月21日，请抓紧办理。"
	s.expect("→zhouba: "+yellow, "→liufang: "+yellow)
	// Returned to the window, it has no department: the duty staff are told.
	turn("BC2611300003", func(c *cases.Case) { c.LeadDept = "" }, cases.LightGreen, cases.LightYellow)
	s.expect("→zhangsan: "+yellow, "→lisi: "+yellow, "→qianyi: "+yellow)
	// Overdue there, the reminder says that nobody leads it yet and asks
	// for what the lifecycle allows there (派单; 延期 is not); the
	// bureau-wide supervisor is told too.
	turn("BC2611300003", func(c *cases.Case) { c.LeadDept = "" }, cases.LightYellow, cases.LightRed)
	redUnassigned := "【红灯提醒】案件 BC2611300003（养老保险，尚未派单）已超过办理期限（12月21日），请立即派单。"
	s.expect("→zhangsan: "+redUnassigned, "→lisi: "+redUnassigned, "→qianyi: "+redUnassigned, "→sunqi: "+redUnassigned)
}

// A citizen silent after the answer is asked again, once, in WeChat (the
// question as a menu, critical); still silent, the window's duty staff are
// given the phone call, once per answer, with the number in full (they may
// see it) and how to record the outcome.
func TestFollowUpReminderAndCall(t *testing.T) {
	s := threeCases(t)
	s.types("wangwu", "办结 0001 已为您恢复发放")
	s.queued()
	c := s.reload("BC2611300001")

	s.inTx(func(r cases.Repo) error { return s.desk.FollowUpReminder(s.ctx, r, c) })
	s.expect("→citizen wmA: 打扰了，关于您反映的事项（BC2611300001）还想听听您的意见：请问问题真正解决了吗？请为这次办理打分： [菜单 1 非常满意、2 满意、3 基本满意、4 不满意、5 非常不满意、6 问题没解决]")

	s.inTx(func(r cases.Repo) error { return s.desk.FollowUpCall(s.ctx, r, c) })
	call := "【电话联系】案件 BC2611300001⏎原因：群众办结后5天未回复回访⏎联系人：李阿姨⏎电话：13812345678⏎通话后请回复：回访 0001 评价(1-5) 情况说明"
	s.expect("→zhangsan: "+call, "→lisi: "+call, "→qianyi: "+call)
	// The answer could not be delivered either: no second call for it.
	s.inTx(func(r cases.Repo) error { return s.desk.PhoneTask(s.ctx, r, c.ID, "微信消息无法送达") })
	s.expect()

	if diff := cmp.Diff([]string{
		"system reminder: 群众3天未回复回访，已再次询问",
		"system reminder: 需电话联系群众：群众办结后5天未回复回访，已提醒：张三、李四、钱一",
	}, s.timeline("BC2611300001", 6)); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	out, err := s.db.CaseOutbox(s.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var reminder *cases.OutboxMessage
	for _, m := range out {
		if m.Channel == cases.ChannelKf {
			reminder = m
		}
	}
	if reminder == nil || reminder.Priority != cases.PriorityCritical || reminder.Message.Urgent != cases.UrgentFollowUp {
		t.Errorf("the reminder is queued as %+v; want critical and urgent as a follow-up", reminder)
	}
}

// A case that came through Open311 has no WeChat chat: its answer becomes
// the window's phone call (the reporter left no phone, and says so), while
// what can wait (accepted) is not sent at all. Someone reporting for a
// relative is named as such.
func TestOpen311CaseAnswerIsAPhoneCall(t *testing.T) {
	s := newScene(t)
	c := &cases.Case{Number: "BC2611300001", Source: cases.SourceOpen311, ReporterName: "王先生", Relation: "子女",
		Affected: cases.Person{Name: "王大爷"}, Category: "pension", LeadDept: "shebao", Status: cases.StatusSubmitted,
		LimitDays: 15, Deadline: s.now.AddDate(0, 0, 21), CreatedAt: s.now}
	if err := s.db.CreateCase(s.ctx, c); err != nil {
		t.Fatal(err)
	}
	s.types("zhangsan", "派单 0001 社保中心")
	s.expect(
		"→wangwu: 新派单 BC2611300001（主办）⏎类别：养老保险⏎⏎办理期限：12月21日",
		"→heli: 新派单 BC2611300001（主办）⏎类别：养老保险⏎⏎办理期限：12月21日",
		"→liufang: 新派单 BC2611300001（主办）⏎类别：养老保险⏎⏎办理期限：12月21日",
		"→zhangsan: 案件 BC2611300001：派单完成，当前状态：已派单。",
	)
	s.types("wangwu", "办结 0001 已为王大爷恢复发放")
	call := "【电话联系】案件 BC2611300001⏎原因：案件经 Open311 接口转入，群众没有微信会话：请电话告知答复并回访⏎联系人：王先生（替其子女王大爷反映）⏎电话：未留电话，请查看案件⏎通话后请回复：回访 0001 评价(1-5) 情况说明"
	s.expect("→zhangsan: "+call, "→lisi: "+call, "→qianyi: "+call,
		"→wangwu: 案件 BC2611300001：办结完成，当前状态：已办结。")
}
