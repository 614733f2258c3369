package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"banchengshi/cases"
)

func TestActions(t *testing.T) {
	tests := []struct {
		name       string
		user       string
		number     string
		form       url.Values
		noCSRF     bool
		wantStatus int
		wantText   string // on the answer or the page after the redirect
		wantCase   func(c *cases.Case) bool
	}{
		{name: "window staff accept", user: "zhangsan", number: newCase, form: url.Values{"verb": {"受理"}},
			wantStatus: http.StatusSeeOther, wantText: "受理完成",
			wantCase: func(c *cases.Case) bool { return c.Status == cases.StatusAccepted }},
		{name: "window staff assign with a co-handler", user: "zhangsan", number: newCase,
			form:       url.Values{"verb": {"派单"}, "dept": {"yanglao"}, "co": {"dangan", "yanglao"}},
			wantStatus: http.StatusSeeOther, wantText: "已派单",
			wantCase: func(c *cases.Case) bool {
				return c.Status == cases.StatusAssigned && c.LeadDept == "yanglao" && len(c.CoDepts) == 1 && c.CoDepts[0] == "dangan"
			}},
		{name: "lead handler resolves", user: "wangwu", number: redCase, form: url.Values{"verb": {"办结"}, "text": {"已为您办好转移手续。"}},
			wantStatus: http.StatusSeeOther, wantText: "已办结",
			wantCase: func(c *cases.Case) bool {
				return c.Status == cases.StatusResolved && c.Resolution == "已为您办好转移手续。"
			}},
		{name: "lead handler extends", user: "wangwu", number: redCase, form: url.Values{"verb": {"延期"}, "days": {"5"}, "text": {"等外省回函"}},
			wantStatus: http.StatusSeeOther,
			wantCase:   func(c *cases.Case) bool { return c.LimitDays == 15 }},
		{name: "handler notes", user: "wangwu", number: redCase, form: url.Values{"verb": {"备注"}, "text": {"已电话联系档案馆"}},
			wantStatus: http.StatusSeeOther, wantText: "已电话联系档案馆",
			wantCase: func(c *cases.Case) bool { return c.Status == cases.StatusAssigned }},
		{name: "tag a common problem", user: "wangwu", number: redCase, form: url.Values{"verb": {"共性"}, "text": {"跨省转移数据错误"}},
			wantStatus: http.StatusSeeOther,
			wantCase:   func(c *cases.Case) bool { return c.CommonTag == "跨省转移数据错误" }},
		{name: "accountability", user: "zhangsan", number: redCase, form: url.Values{"verb": {"追责"}, "target": {"社保中心3号窗口"}, "text": {"本可当场办理"}},
			wantStatus: http.StatusSeeOther,
			wantCase:   func(c *cases.Case) bool { return c.Accountability == "社保中心3号窗口：本可当场办理" }},
		{name: "window staff merge a new case into an open one", user: "zhangsan", number: newCase,
			form: url.Values{"verb": {"并案"}, "target": {redCase}}, wantStatus: http.StatusSeeOther, wantText: "并案完成",
			wantCase: func(c *cases.Case) bool { return c.Status == cases.StatusMerged && c.MergedInto == redCase }},
		{name: "department supervisor cannot merge into a case they may not open", user: "liufang", number: redCase,
			form: url.Values{"verb": {"并案"}, "target": {yellowCase}}, wantStatus: http.StatusForbidden,
			wantText: "案件 " + yellowCase + " 不在您能查看的范围内，不能并入",
			wantCase: func(c *cases.Case) bool { return c.Status == cases.StatusAssigned && c.MergedInto == "" }},
		{name: "merge into a case number that does not exist", user: "zhangsan", number: newCase,
			form: url.Values{"verb": {"并案"}, "target": {"BC2611289999"}}, wantStatus: http.StatusForbidden, wantText: "没有找到案件 BC2611289999",
			wantCase: func(c *cases.Case) bool { return c.Status == cases.StatusSubmitted }},
		{name: "handler of another department cannot resolve", user: "zhaoliu", number: redCase, form: url.Values{"verb": {"办结"}, "text": {"办好了"}},
			wantStatus: http.StatusForbidden,
			wantCase:   func(c *cases.Case) bool { return c.Status == cases.StatusAssigned && c.Resolution == "" }},
		{name: "window staff cannot resolve", user: "zhangsan", number: redCase, form: url.Values{"verb": {"办结"}, "text": {"办好了"}},
			wantStatus: http.StatusForbidden,
			wantCase:   func(c *cases.Case) bool { return c.Status == cases.StatusAssigned }},
		{name: "a move the lifecycle refuses", user: "sunqi", number: newCase, form: url.Values{"verb": {"办结"}, "text": {"办好了"}},
			wantStatus: http.StatusForbidden,
			wantCase:   func(c *cases.Case) bool { return c.Status == cases.StatusSubmitted }},
		{name: "no form token", user: "wangwu", number: redCase, form: url.Values{"verb": {"办结"}, "text": {"办好了"}}, noCSRF: true,
			wantStatus: http.StatusForbidden,
			wantCase:   func(c *cases.Case) bool { return c.Status == cases.StatusAssigned }},
		{name: "resolve without an answer", user: "wangwu", number: redCase, form: url.Values{"verb": {"办结"}, "text": {"  "}},
			wantStatus: http.StatusSeeOther, wantText: "请填写内容",
			wantCase: func(c *cases.Case) bool { return c.Status == cases.StatusAssigned }},
		{name: "extend by too many days", user: "wangwu", number: redCase, form: url.Values{"verb": {"延期"}, "days": {"99"}, "text": {"等"}},
			wantStatus: http.StatusSeeOther, wantText: "延期天数",
			wantCase: func(c *cases.Case) bool { return c.LimitDays == 10 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			b := f.signIn(tt.user)
			form := url.Values{}
			for k, v := range tt.form {
				form[k] = v
			}
			if !tt.noCSRF {
				form.Set("csrf", b.csrf())
			}
			res, body := b.post("/web/cases/"+tt.number+"/act", form)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d:\n%s", res.StatusCode, tt.wantStatus, body)
			}
			if res.StatusCode == http.StatusSeeOther {
				if loc := res.Header.Get("Location"); loc != "/web/cases/"+tt.number {
					t.Fatalf("redirected to %q", loc)
				}
				_, body = b.get("/web/cases/" + tt.number)
			}
			if tt.wantText != "" && !strings.Contains(body, tt.wantText) {
				t.Errorf("answer lacks %q:\n%s", tt.wantText, body)
			}
			if c := f.caseNow(tt.number); !tt.wantCase(c) {
				t.Errorf("case after the form: %+v", c)
			}
		})
	}
}

// TestActionQueuesNotifications checks that a form's action owes the citizen
// what the WeCom command owes, and the page shows that notification's fate.
func TestActionQueuesNotifications(t *testing.T) {
	f := newFixture(t)
	b := f.signIn("wangwu")
	res, _ := b.post("/web/cases/"+redCase+"/act", url.Values{"csrf": {b.csrf()}, "verb": {"回复"}, "text": {"材料已收到，正在核对。"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d", res.StatusCode)
	}
	_, page := b.get("/web/cases/" + redCase)
	for _, s := range []string{"群众（微信客服）", "材料已收到，正在核对。", "待发送"} {
		if !strings.Contains(page, s) {
			t.Errorf("notifications lack %q", s)
		}
	}
}

// Merging into a case that was itself merged goes on to the case that carries
// on, and the page says so.
func TestMergeFollowsTheChain(t *testing.T) {
	f := newFixture(t)
	b := f.signIn("sunqi")
	if res, body := b.post("/web/cases/"+newCase+"/act", url.Values{"csrf": {b.csrf()}, "verb": {"并案"}, "target": {yellowCase}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first merge: %d\n%s", res.StatusCode, body)
	}
	res, body := b.post("/web/cases/"+redCase+"/act", url.Values{"csrf": {b.csrf()}, "verb": {"并案"}, "target": {newCase}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("merge into the merged case: %d\n%s", res.StatusCode, body)
	}
	_, page := b.get("/web/cases/" + redCase)
	if want := "案件 " + newCase + " 已并入 " + yellowCase + "，本案一并并入 " + yellowCase; !strings.Contains(page, want) {
		t.Errorf("the page does not say %q:\n%s", want, page)
	}
	if c := f.caseNow(redCase); c.MergedInto != yellowCase {
		t.Errorf("merged into %q, want %s", c.MergedInto, yellowCase)
	}
}
