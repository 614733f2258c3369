package bot

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

// storedSteps are the step names sessions already hold in the session
// store, each with what a session on it carries. They are written out as
// strings, not as the step constants, so that renaming a step in the code
// fails here: a session saved before the rename would lose its place.
var storedSteps = []struct {
	step  string
	extra string // more JSON fields of the stored session
	asks  string // words of the step's question
}{
	{"menu", ``, "请问您要办什么？"},
	{"resume", `"resume_step":"phone","draft":{"who":"self","id_asked":true}`, "要接着填吗？"},
	{"who", ``, "这件事是谁遇到的？"},
	{"self_name", `"draft":{"who":"self"}`, "请问您的姓名？"},
	{"name", `"draft":{"who":"neighbour"}`, "请问遇到这件事的人叫什么名字？"},
	{"relation", `"draft":{"who":"other","name":"张德福"}`, "张德福是您的什么人？"},
	{"consent", `"draft":{"who":"neighbour","name":"张德福","relation":"邻居"}`, "张德福知道您来反映，并且同意吗？"},
	{"reporter", `"draft":{"who":"neighbour","name":"张德福","relation":"邻居","consent":"知道，同意"}`, "怎么称呼您？"},
	{"id", `"draft":{"who":"self"}`, "请发您的身份证号码"},
	{"phone_whose", `"draft":{"who":"family","name":"王秀兰","relation":"母亲","id_asked":true}`, "工作人员打哪个电话联系？"},
	{"phone", `"draft":{"who":"self","id_asked":true}`, "请发您的电话号码"},
	{"category", `"draft":{"who":"self","id_asked":true,"phone_asked":true}`, "这件事属于哪一类？"},
	{"tried_window", `"draft":{"who":"self","category":"pension"}`, "之前去哪个窗口或部门办过？"},
	{"tried_when", `"draft":{"who":"self","tried_window":"区社保中心"}`, "大概是什么时候去的？"},
	{"tried_answer", `"draft":{"who":"self","tried_window":"区社保中心","tried_when":"2025年6月"}`, "当时工作人员是怎么答复您的？"},
	{"desc", `"draft":{"who":"self","tried_window":"没有"}`, "请用自己的话说说遇到的问题。"},
	{"confirm", `"draft":{"who":"self","name":"王秀兰"},"parts":[{"text":"养老金停了三个月"}]`, "以上信息对吗？"},
	{"edit", `"draft":{"who":"self","name":"王秀兰"},"parts":[{"text":"养老金停了三个月"}]`, "要改哪一项？"},
	{"supp_pick", `"choices":["BC2611280001 养老保险|BC2611280001|0001","BC2611280002 档案问题|BC2611280002|0002"]`, "要补充到哪一件？"},
	{"supp_collect", `"target":"BC2611280001"`, "请发要补充给 BC2611280001 的内容。"},
	{"wd_pick", `"choices":["BC2611280001 养老保险|BC2611280001|0001","BC2611280002 档案问题|BC2611280002|0002"]`, "要撤回哪一件？"},
	{"wd_reason", `"target":"BC2611280001"`, "能说说为什么撤回吗？"},
	{"wd_confirm", `"target":"BC2611280001"`, "确定撤回 BC2611280001 吗？"},
	{"rate_pick", `"rate":{"rating":4,"solved":true,"choices":["BC2611280001 养老保险|BC2611280001|0001","BC2611280002 档案问题|BC2611280002|0002"],"return":"menu"}`, "您说的是哪一件？"},
	{"rate_why", `"rate":{"number":"BC2611280001","solved":false,"return":"phone"}`, "请说说哪里还没解决？"},
	{"about_ask", `"about":"BC2611280001","about_at":"2026-11-27T09:00:00+08:00","held":["工资单找到了"]`, "是补充到 BC2611280001 吗？"},
	{"held_new", `"target":"BC2611280001","held":["工资单找到了"]`, "要把它作为一件新的事反映吗？"},
}

// TestEveryStoredStepContinues loads a session saved on each step name and
// asks for the question again: the dialog is still on that step, not sent
// back to the menu.
func TestEveryStoredStepContinues(t *testing.T) {
	key := SessionKey("kf1", "wm_citizen")
	for _, tc := range storedSteps {
		t.Run(tc.step, func(t *testing.T) {
			desk := newFakeDesk()
			desk.seed("wm_citizen", "pension", cases.StatusSubmitted)
			desk.seed("wm_citizen", "archive", cases.StatusSubmitted)
			c := newConversation(t, desk)
			stored := `{"version":2,"step":"` + tc.step + `","updated_at":"2026-11-28T09:25:00+08:00"`
			if tc.extra != "" {
				stored += "," + tc.extra
			}
			c.store.m[key] = []byte(stored + "}")
			c.play("我：再说一遍\n办：" + tc.asks)
			var saved struct{ Step string }
			if err := json.Unmarshal(c.store.m[key], &saved); err != nil {
				t.Fatalf("saved session: %v", err)
			}
			if saved.Step != tc.step {
				t.Errorf("step after loading = %q, want %q", saved.Step, tc.step)
			}
		})
	}
}

// TestStepTable checks the table against the stored names: a step is never
// dropped or renamed (a session saved on it would lose its place), and a
// new one is added to storedSteps, so that it is loaded and asked above.
// Every step has its question and its answer; every step of the form says whether it is
// filled and what follows it.
func TestStepTable(t *testing.T) {
	var stored []Step
	for _, tc := range storedSteps {
		stored = append(stored, Step(tc.step))
	}
	var table []Step
	for step, def := range steps {
		table = append(table, step)
		if def.activity == "" || def.ask == nil || def.answer == nil {
			t.Errorf("step %s lacks its activity, its question or its answer", step)
		}
		if def.group != "" && (def.filled == nil || def.next == nil) {
			t.Errorf("form step %s lacks filled or next", step)
		}
	}
	slices.Sort(stored)
	slices.Sort(table)
	if diff := cmp.Diff(stored, table); diff != "" {
		t.Errorf("steps in the table (-stored names +table):\n%s", diff)
	}
}

// TestBackToAStepThisReleaseDoesNotHave goes back from a stored session
// whose history holds a step of a newer release: the menu is shown.
func TestBackToAStepThisReleaseDoesNotHave(t *testing.T) {
	c := newConversation(t, newFakeDesk())
	c.store.m[SessionKey("kf1", "wm_citizen")] = []byte(`{"version":2,"step":"id","history":["who","quantum"],"draft":{"who":"self"},"updated_at":"2026-11-28T09:25:00+08:00"}`)
	c.play("我：上一步\n办：请问您要办什么？\n我：1\n办：请问您的姓名？")
}
