package desk_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

// threeCases is a scene with three new reports: 0001 (pension) assigned to
// 社保中心 and started by 王五, 0002 (personal data) assigned to 档案馆, and
// 0003 (pension) not yet accepted. What they queued has been read.
func threeCases(t *testing.T) *scene {
	s := newScene(t)
	s.report("wmA", "pension", "养老金停发两个月")
	s.report("wmB", "personal_data", "档案里名字写错了")
	s.report("wmC", "pension", "养老金少发")
	s.types("zhangsan", "派单 0001 社保中心")
	s.types("zhangsan", "派单 0002 档案馆")
	s.types("wangwu", "办理 0001")
	s.queued()
	for number, want := range map[string]cases.Status{
		"BC2611300001": cases.StatusInProgress, "BC2611300002": cases.StatusAssigned, "BC2611300003": cases.StatusSubmitted,
	} {
		if got := s.reload(number).Status; got != want {
			t.Fatalf("%s is %s, want %s", number, got, want)
		}
	}
	return s
}

// The new-case card's buttons: 受理 accepts (and updates the card with the
// click's code), a second click is told who was first, 派单 and 补充 answer
// how to type the command, a button the desk does not know is refused.
func TestCardClicks(t *testing.T) {
	s := threeCases(t)
	s.clicks("lisi", "accept:BC2611300003", "new-BC2611300003", "CODE3")
	s.expect(
		"→zhangsan|lisi|qianyi: [卡片更新 CODE3: 已由 李四 受理]",
		"→citizen wmC: 您反映的事项（编号 BC2611300003）已受理，我们会尽快办理。",
		"→lisi: 案件 BC2611300003：受理完成，当前状态：已受理。",
	)
	s.clicks("qianyi", "accept:BC2611300003", "new-BC2611300003", "CODE4")
	s.expect("→qianyi: 案件 BC2611300003 已由 李四 受理，现在是“已受理”。")
	s.clicks("qianyi", "assign:BC2611300003", "new-BC2611300003", "")
	s.expect("→qianyi: 请回复派单指令，例如：派单 BC2611300003 社保中心（或：派单 0003 社保中心 协办 档案馆）")
	s.clicks("qianyi", "ask_material:BC2611300003", "new-BC2611300003", "")
	s.expect("→qianyi: 请回复要群众补充的材料，例如：补充 BC2611300003 请提供原单位的工作证明（或用后四位 0003）")
	s.clicks("qianyi", "submit:BC2611300003", "new-BC2611300003", "")
	s.expect("→qianyi: 这个按钮已失效，请回复“查 案件编号”查看案件。")
	if got := s.reload("BC2611300003"); got.Status != cases.StatusAccepted {
		t.Errorf("after the clicks the case is %s, want accepted", got.Status)
	}
}

// What staff send that is not a command: somebody outside the directory is
// refused politely, a picture is asked to be text, opening the app gets no
// answer, a line the desk cannot read points to 帮助, and 帮助 lists every
// verb.
func TestWhatIsNotACommand(t *testing.T) {
	s := threeCases(t)
	s.types("stranger", "受理 0003")
	s.expect("→stranger: 抱歉，您不在本窗口的工作人员名单中，暂时不能使用。如需开通，请联系窗口负责人。")
	s.send(cases.AppMessage{UserID: "zhangsan", Kind: "image"})
	s.expect("→zhangsan: 请用文字输入指令，回复“帮助”查看可用的指令。")
	s.send(cases.AppMessage{UserID: "zhangsan", Kind: cases.AppEvent})
	s.expect()
	s.types("zhangsan", "飞起来 0003")
	s.expect("→zhangsan: 没有看懂这条指令，发送“帮助”查看可用指令，例如：受理 0007")
	s.types("zhangsan", "帮助")
	help := s.queued()
	if len(help) != 1 || !strings.HasPrefix(help[0], "→zhangsan: 办成事指令") {
		t.Fatalf("帮助 answered %q", help)
	}
	for _, verb := range []string{"受理", "派单", "协办", "办理", "回复", "备注", "补充", "延期", "退单", "办结", "追责", "共性", "并案", "回访", "查", "我的", "超时", "今日"} {
		if !strings.Contains(help[0], "⏎"+verb+" ") && !strings.Contains(help[0], "· "+verb+" ") {
			t.Errorf("帮助 does not explain %s", verb)
		}
	}
	if got := s.reload("BC2611300003"); got.Status != cases.StatusSubmitted {
		t.Errorf("the stranger's 受理 left the case %s", got.Status)
	}
}

// The lists: 我的 is the member's own cases, or else their departments'
// open cases; 今日 is today's new cases; 超时 the overdue ones a member may
// see. Each lists case numbers, newest first.
func TestLists(t *testing.T) {
	s := threeCases(t)
	listed := func(user, command string) []string {
		t.Helper()
		s.types(user, command)
		lines := s.queued()
		title := map[string]string{"我的": "我的在办案件", "今日": "今日新收案件", "超时": "超期案件"}[command]
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "→"+user+": "+title) {
			t.Fatalf("%s %s: %q; want one list, %s", user, command, lines, title)
		}
		return regexp.MustCompile(`BC\d{10}`).FindAllString(lines[0], -1)
	}
	tests := []struct {
		user, command string
		want          []string
	}{
		{"wangwu", "我的", []string{"BC2611300001"}},  // started by him
		{"heli", "我的", []string{"BC2611300001"}},    // none of hers: her department's
		{"zhaoliu", "我的", []string{"BC2611300002"}}, // his department's
		{"wujiu", "我的", nil},
		{"zhangsan", "今日", []string{"BC2611300003", "BC2611300002", "BC2611300001"}},
		{"zhaoliu", "今日", []string{"BC2611300002"}},
		{"zhangsan", "超时", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, listed(tt.user, tt.command)); diff != "" {
			t.Errorf("%s types %s (-want +got):\n%s", tt.user, tt.command, diff)
		}
	}

	// A month later the scheduler has turned the assigned cases red.
	s.later(30 * 24 * time.Hour)
	for _, n := range []string{"BC2611300001", "BC2611300002"} {
		c := s.reload(n)
		c.Light = cases.LightRed
		if err := s.db.UpdateCase(s.ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		user string
		want []string
	}{
		{"sunqi", []string{"BC2611300002", "BC2611300001"}},
		{"zhangsan", []string{"BC2611300002", "BC2611300001"}},
		{"liufang", []string{"BC2611300001"}},
		{"zhaoliu", []string{"BC2611300002"}},
	} {
		if diff := cmp.Diff(tt.want, listed(tt.user, "超时")); diff != "" {
			t.Errorf("%s types 超时 (-want +got):\n%s", tt.user, diff)
		}
	}
	if diff := cmp.Diff([]string(nil), listed("zhangsan", "今日")); diff != "" {
		t.Errorf("今日 a month later (-want +got):\n%s", diff)
	}
}

// 查 shows the case with its timeline. A member who may see the personal
// data reads it in full, and that they did is on the record; a member the
// case is not for is refused, and nothing is recorded.
func TestViewInTheApp(t *testing.T) {
	s := threeCases(t)
	s.types("zhangsan", "查 0001")
	full := s.queued()
	if len(full) != 1 || !strings.Contains(full[0], "身份证号：11010519610715123X") || !strings.Contains(full[0], "经办人：王五") ||
		!strings.Contains(full[0], "王五 开始办理") {
		t.Errorf("张三 reads %q; want the ID number in full, the assignee and the timeline", full)
	}
	s.types("wujiu", "查 0001")
	s.expect("→wujiu: 抱歉，这件案件不在您所在部门的办理范围内，不能“查看”。")
	tl := s.timeline("BC2611300001", 5)
	if diff := cmp.Diff([]string{"staff:zhangsan pii_viewed: 张三 查看了群众的身份证号和电话"}, tl); diff != "" {
		t.Errorf("timeline after the looks (-want +got):\n%s", diff)
	}
}
