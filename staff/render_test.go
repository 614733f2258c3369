package staff

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

// neighbourCase is the story's case: a neighbour reports for a sick man of 63.
func neighbourCase() *cases.Case {
	return &cases.Case{
		ID:           7,
		Number:       "BC2611280007",
		OpenKfID:     "wkSANDBOX001",
		ReporterID:   "wmEXTERNAL123",
		ReporterName: "王大妈",
		Affected:     cases.Person{Name: "刘建国", IDNumber: "110105196107151234", Phone: "13912345678"},
		Relation:     "邻居",
		Consent:      "本人同意",
		ContactPhone: "138 1234 5678",
		Category:     "retirement",
		TriedWindow:  "区社保窗口",
		TriedWhen:    "去年6月",
		TriedAnswer:  "让去档案馆",
		Description:  "单位破产档案丢了，办不了退休。\n身份证110105196107151234，电话13812345678，跑了两年了，请帮帮忙",
		LeadDept:     "dangan",
		CoDepts:      []string{"yanglao"},
		Assignee:     "zhaoliu",
		Status:       cases.StatusInProgress,
		Deadline:     time.Date(2026, 12, 18, 17, 30, 0, 0, cases.Shanghai),
		LimitDays:    15,
		Light:        cases.LightYellow,
	}
}

func TestNewCaseCard(t *testing.T) {
	d := loadExample(t)
	c := neighbourCase()
	c.Status, c.LeadDept, c.CoDepts, c.Assignee = cases.StatusSubmitted, "", nil, ""
	got := NewCaseCard(c, d)
	want := &cases.Card{
		TaskID: "new-BC2611280007",
		Title:  "新案件待受理",
		Desc:   "单位破产档案丢了，办不了退休。 身份证110*************34，电…",
		Fields: []cases.CardField{
			{Key: "编号", Value: "BC2611280007"},
			{Key: "类别", Value: "退休办理"},
			{Key: "反映人", Value: "王大妈代其邻居刘建国反映，本人同意"},
			{Key: "期限", Value: "2026-12-18前（15个工作日）"},
			{Key: "已去过", Value: "区社保窗口"},
		},
		Buttons: []cases.CardButton{
			{Key: "accept:BC2611280007", Text: "受理"},
			{Key: "assign:BC2611280007", Text: "派单"},
			{Key: "ask_material:BC2611280007", Text: "要求补充"},
		},
	}
	if diff := cmp.Diff(want, got.Card); diff != "" {
		t.Errorf("card (-want +got):\n%s", diff)
	}
	all := fmt.Sprintf("%+v %s", *got.Card, got.Text)
	for _, secret := range []string{"110105196107151234", "13912345678", "13812345678", "1234 5678", "wmEXTERNAL123", "196107"} {
		if strings.Contains(all, secret) {
			t.Errorf("card shows %q: %s", secret, all)
		}
	}
	if !strings.Contains(got.Text, "BC2611280007") || !strings.Contains(got.Text, "退休办理") {
		t.Errorf("text fallback lacks the number or category: %q", got.Text)
	}
}

func TestNewCaseCardSelfReport(t *testing.T) {
	c := &cases.Case{Number: "BC2611280008", ReporterName: "李某", Relation: "本人", Affected: cases.Person{Name: "李某"}, Category: "unknown_cat"}
	card := NewCaseCard(c, nil).Card
	want := []cases.CardField{
		{Key: "编号", Value: "BC2611280008"},
		{Key: "类别", Value: "unknown_cat"},
		{Key: "反映人", Value: "李某（本人）"},
	}
	if diff := cmp.Diff(want, card.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func TestParseCardKey(t *testing.T) {
	for _, tc := range []struct {
		key    string
		action cases.Action
		number string
		ok     bool
	}{
		{"accept:BC2611280007", cases.ActionAccept, "BC2611280007", true},
		{"assign:BC2611280007", cases.ActionAssign, "BC2611280007", true},
		{"ask_material:BC2611280007", cases.ActionAskMaterial, "BC2611280007", true},
		{" resolve:BC2611280007 ", cases.ActionResolve, "BC2611280007", true},
		{"accept:", "", "", false},
		{"accept", "", "", false},
		{"rate:BC2611280007", "", "", false}, // a citizen action, never a staff button
		{"launch:BC2611280007", "", "", false},
		{"accept:BC26;DROP", "", "", false},
		{"accept:BC２６", "", "", false},
		{"", "", "", false},
	} {
		a, n, ok := ParseCardKey(tc.key)
		if a != tc.action || n != tc.number || ok != tc.ok {
			t.Errorf("ParseCardKey(%q) = %q, %q, %v; want %q, %q, %v", tc.key, a, n, ok, tc.action, tc.number, tc.ok)
		}
	}
	for _, b := range NewCaseCard(neighbourCase(), nil).Card.Buttons {
		if _, n, ok := ParseCardKey(b.Key); !ok || n != "BC2611280007" {
			t.Errorf("button %q does not parse back", b.Key)
		}
	}
}

func timeline() []cases.Event {
	at := time.Date(2026, 11, 28, 9, 12, 0, 0, cases.Shanghai)
	return []cases.Event{
		{At: at, Actor: "citizen:wmEXTERNAL123", Kind: cases.EventSubmitted, Body: "我的电话13812345678"},
		{At: at.Add(time.Hour), Actor: "staff:zhangsan", Kind: cases.EventStatus, Body: "受理"},
		{At: at.Add(2 * time.Hour), Actor: "staff:zhaoliu", Kind: cases.EventNote, Body: "已到库房查档"},
		{At: at.Add(3 * time.Hour), Actor: "bot", Kind: cases.EventMessageOut, Body: "您的案件已派给档案馆"},
		{At: at.Add(4 * time.Hour), Actor: "system", Kind: cases.EventReminder, Body: "剩余时间不足30%"},
	}
}

func TestRenderCaseMasked(t *testing.T) {
	d := loadExample(t)
	got := d.RenderCase(neighbourCase(), timeline(), false)
	want := `案件 BC2611280007 · 退休办理
状态：办理中 · 🟡黄灯 · 2026-12-18前（15个工作日）
反映人：王大妈代其邻居刘建国反映，本人同意
当事人：刘建国
身份证号：110*************34
联系电话：138****5678；139****5678
主办：档案馆；协办：养老保险科
经办人：赵六
已去过：区社保窗口，去年6月，让去档案馆
诉求：单位破产档案丢了，办不了退休。 身份证110*************34，电话138****5678，跑了两年了，请帮帮忙
办理记录：
11-28 09:12 群众 提交：我的电话138****5678
11-28 10:12 张三 状态：受理
11-28 11:12 赵六 备注：已到库房查档
11-28 12:12 机器人 发给群众：您的案件已派给档案馆
11-28 13:12 系统 提醒：剩余时间不足30%`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RenderCase masked (-want +got):\n%s", diff)
	}
}

func TestRenderCaseFull(t *testing.T) {
	got := loadExample(t).RenderCase(neighbourCase(), nil, true)
	for _, want := range []string{"身份证号：110105196107151234", "联系电话：138 1234 5678；13912345678", "身份证110105196107151234，电话13812345678"} {
		if !strings.Contains(got, want) {
			t.Errorf("full view lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "办理记录") {
		t.Errorf("no events, but a timeline heading:\n%s", got)
	}
	// Without a directory, ids stand in for names.
	bare := (*Directory)(nil).RenderCase(neighbourCase(), timeline()[1:2], false)
	for _, want := range []string{"案件 BC2611280007 · retirement", "主办：dangan；协办：yanglao", "经办人：zhaoliu", "zhangsan 状态：受理"} {
		if !strings.Contains(bare, want) {
			t.Errorf("bare view lacks %q:\n%s", want, bare)
		}
	}
}

func TestRenderCaseFitsOneMessage(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, cases.Shanghai)
	var events []cases.Event
	for i := range 200 {
		events = append(events, cases.Event{At: at.Add(time.Duration(i) * time.Minute), Actor: "staff:wangwu", Kind: cases.EventNote,
			Body: fmt.Sprintf("第%d条备注，内容比较长，用来把消息撑满，看最后能保留多少条记录", i)})
	}
	got := loadExample(t).RenderCase(neighbourCase(), events, false)
	if len(got) > 2048 {
		t.Errorf("case text is %d bytes, over WeCom's 2048", len(got))
	}
	if !strings.Contains(got, "第199条备注") {
		t.Error("the newest event was dropped")
	}
	if strings.Contains(got, "第0条备注") || !strings.Contains(got, "条记录略") {
		t.Errorf("older events should be summarised:\n%s", got)
	}
}

func TestRenderList(t *testing.T) {
	d := loadExample(t)
	if got, want := d.RenderList("超时案件", nil), "超时案件：暂无案件。"; got != want {
		t.Errorf("empty list = %q, want %q", got, want)
	}
	a := neighbourCase()
	a.Light = cases.LightRed
	b := &cases.Case{Number: "BC2611280009", Category: "archive", Status: cases.StatusSubmitted, Light: cases.LightGreen,
		Deadline: time.Date(2026, 12, 19, 0, 0, 0, 0, cases.Shanghai), LimitDays: 15, Description: "档案找不到"}
	c := &cases.Case{Number: "BC2611270001", Category: "pension", Status: cases.StatusClosed, Light: cases.LightRed, Description: ""}
	got := d.RenderList("我的案件", []*cases.Case{a, b, c})
	want := `我的案件（3件）
1. BC2611280007 退休办理 · 办理中 · 🔴红灯 · 2026-12-18前（15个工作日）
   单位破产档案丢了，办不了退休。 身份证110*******…
2. BC2611280009 档案 · 待受理 · 🟢绿灯 · 2026-12-18前（15个工作日）
   档案找不到
3. BC2611270001 养老保险 · 已结案`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RenderList (-want +got):\n%s", diff)
	}
}

func TestRenderListFitsOneMessage(t *testing.T) {
	var cs []*cases.Case
	for i := range 100 {
		c := neighbourCase()
		c.Number = fmt.Sprintf("BC26112800%02d", i)
		cs = append(cs, c)
	}
	got := loadExample(t).RenderList("超时案件", cs)
	if len(got) > 2048 {
		t.Errorf("list is %d bytes, over WeCom's 2048", len(got))
	}
	if !strings.HasPrefix(got, "超时案件（100件）") || !strings.Contains(got, "……另有") {
		t.Errorf("list should count all and say how many are left out:\n%s", got)
	}
}

func TestWhoForReadsWell(t *testing.T) {
	tests := []struct {
		name                                  string
		reporter, affected, relation, consent string
		want                                  string
	}{
		{"self", "刘振华", "刘振华", "本人", "本人", "刘振华（本人）"},
		{"relation as the dialog keeps it", "小李", "王秀兰", "母亲", "知道，也同意", "小李代其母亲王秀兰反映，本人知情同意"},
		{"relation typed with a possessive", "小李", "王秀兰", "我妈", "知道，也同意", "小李代其母亲王秀兰反映，本人知情同意"},
		{"dialect", "老宋", "宋玉芬", "俺娘", "还不知道", "老宋代其母亲宋玉芬反映，本人尚不知情"},
		{"phrase around it", "小王", "张德福", "是我公公的", "知道，还没同意", "小王代其公公张德福反映，本人知情，尚未同意"},
		{"neighbour", "王大妈", "刘建国", "邻居", "本人同意", "王大妈代其邻居刘建国反映，本人同意"},
		{"no name given", "", "周福来", "邻居", "", "群众代其邻居周福来反映"},
		{"relation by voice", "", "周福来", "（见语音）", "知道，也同意", "群众代周福来反映（关系：见语音），本人知情同意"},
		{"not a word of kinship", "小钟", "钟大伟", "我要反映问题", "", "小钟代钟大伟反映（关系：要反映问题）"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &cases.Case{ReporterName: tc.reporter, Affected: cases.Person{Name: tc.affected}, Relation: tc.relation, Consent: tc.consent}
			if diff := cmp.Diff(tc.want, whoFor(c)); diff != "" {
				t.Errorf("whoFor (-want +got):\n%s", diff)
			}
		})
	}
}
