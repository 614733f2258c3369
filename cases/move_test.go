package cases

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fixture is a pension case submitted on Friday 26 September 2025, 10:00, with 5
// working days: its deadline is the end of 10 October (National Day in between).
func fixture(t *testing.T, s Status) Case {
	created := sh(t, "2025-09-26 10:00")
	c := Case{
		ID: 7, Number: "BC2509260001", ReporterID: "wm1", ReporterName: "李大爷",
		Category: "pension", LeadDept: "社保中心", Status: s, LimitDays: 5,
		Deadline: sh(t, "2025-10-11 00:00"), Light: LightGreen,
		CreatedAt: created, UpdatedAt: created,
	}
	switch s {
	case StatusAssigned, StatusInProgress, StatusResolved, StatusClosed:
		c.Assignee = "wangwu"
	}
	if s == StatusResolved || s == StatusClosed {
		resolved := sh(t, "2025-10-09 09:00")
		c.Resolution, c.ResolvedAt = "已更正档案姓名。", &resolved
	}
	if s == StatusClosed {
		closed := sh(t, "2025-10-09 09:30")
		c.ClosedAt, c.Satisfaction = &closed, 2
	}
	return c
}

func TestApply(t *testing.T) {
	cal := holidayCalendar(t)
	at := sh(t, "2025-10-09 10:00") // 1.58 of 5 working days left: green
	staff := func(a Action) Move { return Move{Action: a, Actor: "staff:zhangsan", ActorName: "张三", At: at} }
	citizen := func(a Action) Move { return Move{Action: a, Actor: "citizen:wm1", At: at} }
	with := func(m Move, f func(*Move)) Move { f(&m); return m }
	status := func(body, data string) Event {
		return Event{CaseID: 7, At: at, Actor: "staff:zhangsan", Kind: EventStatus, Body: body, Data: data}
	}
	tests := []struct {
		name   string
		from   Status
		move   Move
		change func(c *Case) // what the move does to the fixture
		want   []Event
	}{
		{
			name: "accept", from: StatusSubmitted, move: staff(ActionAccept),
			change: func(c *Case) { c.Status = StatusAccepted },
			want:   []Event{status("张三 受理了案件", `{"action":"accept","from":"submitted","to":"accepted"}`)},
		},
		{
			name: "assign with co-handlers", from: StatusAccepted,
			move: with(staff(ActionAssign), func(m *Move) {
				m.Dept, m.CoDepts, m.Assignee = "社保中心", []string{"档案馆", "就业中心"}, "wangwu"
			}),
			change: func(c *Case) {
				c.Status, c.CoDepts, c.Assignee = StatusAssigned, []string{"档案馆", "就业中心"}, "wangwu"
			},
			want: []Event{status("张三 将案件派给 社保中心（协办：档案馆、就业中心），承办人 wangwu",
				`{"action":"assign","from":"accepted","to":"assigned","dept":"社保中心","co_depts":["档案馆","就业中心"],"assignee":"wangwu"}`)},
		},
		{
			name: "re-assign before work started", from: StatusAssigned,
			move:   with(staff(ActionAssign), func(m *Move) { m.Dept = "档案馆" }),
			change: func(c *Case) { c.LeadDept, c.Assignee = "档案馆", "" },
			want:   []Event{status("张三 将案件改派给 档案馆", `{"action":"assign","dept":"档案馆"}`)},
		},
		{
			name: "start", from: StatusAssigned, move: with(staff(ActionStart), func(m *Move) { m.Assignee = "zhaoliu" }),
			change: func(c *Case) { c.Status, c.Assignee = StatusInProgress, "zhaoliu" },
			want:   []Event{status("张三 开始办理", `{"action":"start","from":"assigned","to":"in_progress","assignee":"zhaoliu"}`)},
		},
		{
			// 3 more working days after 10 October: 11 (make-up Saturday), 13, 14.
			name: "extend over a make-up working day", from: StatusInProgress,
			move:   with(staff(ActionExtend), func(m *Move) { m.ExtendDays, m.Reason = 3, "需外省核实档案" }),
			change: func(c *Case) { c.LimitDays, c.Deadline = 8, sh(t, "2025-10-15 00:00") },
			want: []Event{status("张三 延期 3 个工作日，办理期限延至 2025年10月14日，理由：需外省核实档案",
				`{"action":"extend","reason":"需外省核实档案","extend_days":3,"limit_days":8,"deadline":"2025-10-15T00:00:00+08:00"}`)},
		},
		{
			name: "return to the window", from: StatusInProgress,
			move:   with(staff(ActionReturn), func(m *Move) { m.Reason = "不属于本部门职责" }),
			change: func(c *Case) { c.Status, c.LeadDept, c.Assignee = StatusAccepted, "", "" },
			want: []Event{status("张三 退单，案件退回窗口重新派单，理由：不属于本部门职责",
				`{"action":"return","from":"in_progress","to":"accepted","reason":"不属于本部门职责","dept":"社保中心","assignee":"wangwu"}`)},
		},
		{
			name: "resolve", from: StatusInProgress,
			move: with(staff(ActionResolve), func(m *Move) { m.Text = "已更正档案姓名，养老保险记录已找回。" }),
			change: func(c *Case) {
				c.Status, c.Resolution, c.ResolvedAt = StatusResolved, "已更正档案姓名，养老保险记录已找回。", &at
			},
			want: []Event{status("张三 办结了案件，答复群众：已更正档案姓名，养老保险记录已找回。",
				`{"action":"resolve","from":"in_progress","to":"resolved","text":"已更正档案姓名，养老保险记录已找回。"}`)},
		},
		{
			name: "citizen satisfied closes", from: StatusResolved,
			move:   with(citizen(ActionRate), func(m *Move) { m.Rating = 2 }),
			change: func(c *Case) { c.Status, c.Satisfaction, c.ClosedAt = StatusClosed, 2, &at },
			want: []Event{
				{CaseID: 7, At: at, Actor: "citizen:wm1", Kind: EventRating, Body: "群众 评价：2 满意", Data: `{"rating":2,"text":"满意"}`},
				{CaseID: 7, At: at, Actor: "citizen:wm1", Kind: EventStatus, Body: "群众满意，案件结案", Data: `{"action":"rate","from":"resolved","to":"closed","rating":2}`},
			},
		},
		{
			// A full 5 working days again from 9 October 10:00: 10, 11 (make-up), 13, 14, 15.
			name: "dissatisfied citizen reopens", from: StatusResolved,
			move: with(citizen(ActionReopen), func(m *Move) { m.Rating, m.Reason = 4, "档案还是没改" }),
			change: func(c *Case) {
				c.Status, c.Satisfaction, c.Reopened = StatusAssigned, 4, 1
				c.Resolution, c.ResolvedAt, c.Deadline = "", nil, sh(t, "2025-10-16 00:00")
			},
			want: []Event{
				{CaseID: 7, At: at, Actor: "citizen:wm1", Kind: EventRating, Body: "群众 评价：4 不满意", Data: `{"rating":4,"text":"不满意"}`},
				{CaseID: 7, At: at, Actor: "citizen:wm1", Kind: EventStatus, Body: "群众 要求重办（第 1 次），案件退回 社保中心，办理期限 2025年10月15日，理由：档案还是没改",
					Data: `{"action":"reopen","from":"resolved","to":"assigned","reason":"档案还是没改","dept":"社保中心","limit_days":5,"deadline":"2025-10-16T00:00:00+08:00","rating":4,"reopened":1}`},
			},
		},
		{
			name: "closed case reopened by staff", from: StatusClosed,
			move: with(staff(ActionReopen), func(m *Move) { m.Reason = "群众来电反映答复未落实" }),
			change: func(c *Case) {
				c.Status, c.Reopened, c.Resolution, c.ResolvedAt, c.ClosedAt = StatusAssigned, 1, "", nil, nil
				c.Deadline = sh(t, "2025-10-16 00:00")
			},
			want: []Event{status("张三 要求重办（第 1 次），案件退回 社保中心，办理期限 2025年10月15日，理由：群众来电反映答复未落实",
				`{"action":"reopen","from":"closed","to":"assigned","reason":"群众来电反映答复未落实","dept":"社保中心","limit_days":5,"deadline":"2025-10-16T00:00:00+08:00","reopened":1}`)},
		},
		{
			name: "phone follow-up closes", from: StatusResolved,
			move:   with(staff(ActionFollowUpResult), func(m *Move) { m.Text, m.Rating = "电话回访，群众表示已解决", 3 }),
			change: func(c *Case) { c.Status, c.Satisfaction, c.ClosedAt = StatusClosed, 3, &at },
			want: []Event{
				{CaseID: 7, At: at, Actor: "staff:zhangsan", Kind: EventRating, Body: "张三 评价：3 基本满意", Data: `{"rating":3,"text":"基本满意"}`},
				status("张三 记录回访结果并结案：电话回访，群众表示已解决", `{"action":"followup","from":"resolved","to":"closed","text":"电话回访，群众表示已解决","rating":3}`),
			},
		},
		{
			name: "close without rating", from: StatusResolved,
			move:   with(staff(ActionClose), func(m *Move) { m.Reason = "三次回访未接通" }),
			change: func(c *Case) { c.Status, c.ClosedAt = StatusClosed, &at },
			want:   []Event{status("张三 结案，理由：三次回访未接通", `{"action":"close","from":"resolved","to":"closed","reason":"三次回访未接通"}`)},
		},
		{
			name: "citizen withdraws", from: StatusSubmitted, move: citizen(ActionWithdraw),
			change: func(c *Case) { c.Status, c.ClosedAt = StatusWithdrawn, &at },
			want: []Event{{CaseID: 7, At: at, Actor: "citizen:wm1", Kind: EventStatus, Body: "群众 撤回了案件",
				Data: `{"action":"withdraw","from":"submitted","to":"withdrawn"}`}},
		},
		{
			name: "merge", from: StatusAccepted, move: with(staff(ActionMerge), func(m *Move) { m.MergeInto = "BC2509250003" }),
			change: func(c *Case) { c.Status, c.MergedInto, c.ClosedAt = StatusMerged, "BC2509250003", &at },
			want: []Event{status("张三 将案件并入 BC2509250003",
				`{"action":"merge","from":"accepted","to":"merged","merge_into":"BC2509250003"}`)},
		},
		{
			name: "accountability", from: StatusResolved,
			move:   with(staff(ActionAccountability), func(m *Move) { m.Window, m.Reason = "某区社保窗口", "本可当场更正姓名" }),
			change: func(c *Case) { c.Accountability = "某区社保窗口：本可当场更正姓名" },
			want: []Event{{CaseID: 7, At: at, Actor: "staff:zhangsan", Kind: EventNote, Body: "张三 记录追责：本应由 某区社保窗口 办理，原因：本可当场更正姓名",
				Data: `{"action":"accountability","reason":"本可当场更正姓名","window":"某区社保窗口"}`}},
		},
		{
			name: "common problem", from: StatusInProgress, move: with(staff(ActionCommon), func(m *Move) { m.Tag = "国企改制档案缺失" }),
			change: func(c *Case) { c.CommonTag = "国企改制档案缺失" },
			want: []Event{{CaseID: 7, At: at, Actor: "staff:zhangsan", Kind: EventNote, Body: "张三 标记为共性问题：国企改制档案缺失",
				Data: `{"action":"common","tag":"国企改制档案缺失"}`}},
		},
		{
			name: "note on a closed case", from: StatusClosed, move: with(staff(ActionNote), func(m *Move) { m.Text = "已归档" }),
			want: []Event{{CaseID: 7, At: at, Actor: "staff:zhangsan", Kind: EventNote, Body: "张三 备注：已归档", Data: `{"action":"note","text":"已归档"}`}},
		},
		{
			name: "ask for material", from: StatusAssigned, move: with(staff(ActionAskMaterial), func(m *Move) { m.Text = "请拍照发送退休证" }),
			want: []Event{{CaseID: 7, At: at, Actor: "staff:zhangsan", Kind: EventMessageOut, Body: "张三 请群众补充材料：请拍照发送退休证",
				Data: `{"action":"ask_material","text":"请拍照发送退休证"}`}},
		},
		{
			name: "citizen supplements", from: StatusAssigned, move: citizen(ActionSupplement),
			want: []Event{{CaseID: 7, At: at, Actor: "citizen:wm1", Kind: EventMessageIn, Body: "群众 补充了材料", Data: `{"action":"supplement"}`}},
		},
		{
			name: "view changes nothing", from: StatusMerged, move: staff(ActionView),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fixture(t, tt.from)
			want := fixture(t, tt.from)
			if tt.move.Action != ActionView {
				want.UpdatedAt = at
			}
			if tt.change != nil {
				tt.change(&want)
			}
			got, err := Apply(&c, tt.move, cal)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, c); diff != "" {
				t.Errorf("case (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyRefusesMissingDetail(t *testing.T) {
	at := sh(t, "2025-10-09 10:00")
	m := func(a Action, f func(*Move)) Move {
		mv := Move{Action: a, Actor: "staff:zhangsan", At: at}
		if f != nil {
			f(&mv)
		}
		return mv
	}
	tests := []struct {
		name   string
		from   Status
		move   Move
		reason MoveReason
		text   string
	}{
		{"assign without department", StatusAccepted, m(ActionAssign, nil), MoveNeedsDept, "派单需要指定承办部门。"},
		{"extend without days", StatusInProgress, m(ActionExtend, func(m *Move) { m.Reason = "等档案" }), MoveNeedsDays, "延期需要写明延长几个工作日和理由。"},
		{"extend without reason", StatusAssigned, m(ActionExtend, func(m *Move) { m.ExtendDays = 5 }), MoveNeedsDays, "延期需要写明延长几个工作日和理由。"},
		{"return without reason", StatusAssigned, m(ActionReturn, func(m *Move) { m.Reason = "  " }), MoveNeedsReason, "退单需要写明理由，窗口据此重新派单。"},
		{"reopen without reason", StatusResolved, m(ActionReopen, func(m *Move) { m.Rating = 5 }), MoveNeedsReason, "重办需要写明理由：群众哪里不满意、问题哪里没解决。"},
		{"reopen rated 6", StatusResolved, m(ActionReopen, func(m *Move) { m.Reason, m.Rating = "没解决", 6 }), MoveBadRating, "评价只能是 1 到 5：1 非常满意，2 满意，3 基本满意，4 不满意，5 非常不满意。"},
		{"accountability without window", StatusInProgress, m(ActionAccountability, func(m *Move) { m.Reason = "本可当场办" }), MoveNeedsWindow, "追责需要写明本应办理的窗口和原因。"},
		{"accountability without why", StatusInProgress, m(ActionAccountability, func(m *Move) { m.Window = "某窗口" }), MoveNeedsWindow, "追责需要写明本应办理的窗口和原因。"},
		{"merge without target", StatusAccepted, m(ActionMerge, nil), MoveNeedsTarget, "并案需要指定并入的案件编号。"},
		{"merge into itself", StatusAccepted, m(ActionMerge, func(m *Move) { m.MergeInto = "BC2509260001" }), MoveIntoItself, "不能把案件并入它自己。"},
		{"resolve without answer", StatusInProgress, m(ActionResolve, func(m *Move) { m.Text = " \n" }), MoveNeedsAnswer, "办结需要填写给群众的答复。"},
		{"common without tag", StatusAssigned, m(ActionCommon, nil), MoveNeedsTag, "标记共性问题需要填写问题标签。"},
		{"rate without rating", StatusResolved, m(ActionRate, nil), MoveBadRating, "评价只能是 1 到 5：1 非常满意，2 满意，3 基本满意，4 不满意，5 非常不满意。"},
		{"rate 6", StatusResolved, m(ActionRate, func(m *Move) { m.Rating = 6 }), MoveBadRating, "评价只能是 1 到 5：1 非常满意，2 满意，3 基本满意，4 不满意，5 非常不满意。"},
		{"rate 4 does not close", StatusResolved, m(ActionRate, func(m *Move) { m.Rating = 4 }), MoveDissatisfied, "群众不满意（评价 4 或 5）时应重办，不能结案。"},
		{"follow-up without outcome", StatusResolved, m(ActionFollowUpResult, nil), MoveNeedsOutcome, "请写明回访结果，例如“电话打通，群众表示问题已解决”。"},
		{"follow-up rated 5 does not close", StatusResolved, m(ActionFollowUpResult, func(m *Move) { m.Text, m.Rating = "不满意", 5 }), MoveDissatisfied, "群众不满意（评价 4 或 5）时应重办，不能结案。"},
		{"empty note", StatusClosed, m(ActionNote, nil), MoveNeedsText, "备注需要填写内容。"},
		{"empty reply", StatusInProgress, m(ActionReply, nil), MoveNeedsText, "回复群众需要填写内容。"},
		{"empty request for material", StatusInProgress, m(ActionAskMaterial, nil), MoveNeedsText, "请群众补充材料需要填写内容。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fixture(t, tt.from)
			before := fixture(t, tt.from)
			events, err := Apply(&c, tt.move, WeekdayCalendar())
			want := &MoveError{From: tt.from, Action: tt.move.Action, Reason: tt.reason}
			var got *MoveError
			if !errors.As(err, &got) {
				t.Fatalf("Apply = %v, %v; want %v", events, err, want)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.text, got.Text()); diff != "" {
				t.Errorf("Text (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, c); diff != "" {
				t.Errorf("refused move changed the case (-before +after):\n%s", diff)
			}
		})
	}
}

func TestApplyNeedsActorAndTime(t *testing.T) {
	c := fixture(t, StatusSubmitted)
	for _, m := range []Move{
		{Action: ActionAccept, At: sh(t, "2025-10-09 10:00")},
		{Action: ActionAccept, Actor: "staff:zhangsan"},
	} {
		if _, err := Apply(&c, m, nil); err == nil {
			t.Errorf("Apply(%+v) = nil error", m)
		} else if _, isMove := IsMoveError(err); isMove {
			t.Errorf("Apply(%+v) = %v: a programming error, not a refused move", m, err)
		}
	}
	if _, err := Apply(nil, Move{Action: ActionView, Actor: "system", At: time.Now()}, nil); err == nil {
		t.Error("Apply(nil case) = nil error")
	}
}

// A whole life, as the window lives it, with the light computed along the way.
func TestLifeOfACase(t *testing.T) {
	cal := holidayCalendar(t)
	c := &Case{ID: 9, ReporterID: "wm1", ReporterName: "李大爷"}
	ev, err := NewCase(c, Category{Key: "pension", Name: "养老保险", Dept: "社保中心", LimitDays: 5}, sh(t, "2025-09-26 10:00"), cal)
	if err != nil {
		t.Fatal(err)
	}
	wantFirst := Event{CaseID: 9, At: sh(t, "2025-09-26 10:00"), Actor: "citizen:wm1", Kind: EventSubmitted,
		Body: "李大爷 提交了案件（养老保险），办理时限 5 个工作日，期限 2025年10月10日",
		Data: `{"action":"submit","to":"submitted","dept":"社保中心","limit_days":5,"deadline":"2025-10-11T00:00:00+08:00"}`}
	if diff := cmp.Diff(wantFirst, ev); diff != "" {
		t.Errorf("NewCase event (-want +got):\n%s", diff)
	}
	steps := []struct {
		move   Move
		status Status
		light  Light
	}{
		{Move{Action: ActionAccept, Actor: "staff:a", At: sh(t, "2025-09-28 09:00")}, StatusAccepted, LightGreen},
		{Move{Action: ActionAssign, Actor: "staff:a", At: sh(t, "2025-09-29 09:00"), Dept: "社保中心"}, StatusAssigned, LightGreen},
		{Move{Action: ActionStart, Actor: "staff:b", At: sh(t, "2025-10-09 15:00")}, StatusInProgress, LightYellow},
		{Move{Action: ActionExtend, Actor: "staff:b", At: sh(t, "2025-10-09 16:00"), ExtendDays: 5, Reason: "需外省核实"}, StatusInProgress, LightGreen},
		{Move{Action: ActionResolve, Actor: "staff:b", At: sh(t, "2025-10-16 10:00"), Text: "已办妥"}, StatusResolved, LightYellow},
		{Move{Action: ActionRate, Actor: "citizen:wm1", At: sh(t, "2025-10-21 10:00"), Rating: 1}, StatusClosed, LightYellow},
	}
	for _, s := range steps {
		if _, err := Apply(c, s.move, cal); err != nil {
			t.Fatalf("%s: %v", s.move.Action, err)
		}
		if c.Status != s.status || c.Light != s.light {
			t.Errorf("after %s: %s %s, want %s %s", s.move.Action, c.Status, c.Light, s.status, s.light)
		}
	}
	if _, err := NewCase(&Case{}, Category{Key: "x"}, time.Now(), cal); err == nil {
		t.Error("NewCase with a category without time limit: nil error")
	}
}
