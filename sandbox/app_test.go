package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func appText(to, content string, agentID any) map[string]any {
	return map[string]any{"touser": to, "msgtype": "text", "agentid": agentID, "text": map[string]any{"content": content}}
}

func caseCard(to, taskID string, agentID int) map[string]any {
	return map[string]any{
		"touser": to, "msgtype": "template_card", "agentid": agentID,
		"template_card": map[string]any{
			"card_type":               "button_interaction",
			"source":                  map[string]any{"desc": "办成事"},
			"main_title":              map[string]any{"title": "新案件 BC2611280007", "desc": "养老保险转移"},
			"horizontal_content_list": []map[string]any{{"keyname": "反映人", "value": "王**（邻居代报）"}},
			"task_id":                 taskID,
			"button_list": []map[string]any{
				{"text": "受理", "style": 1, "key": "accept:BC2611280007"},
				{"text": "派单", "style": 2, "key": "assign:BC2611280007"},
			},
		},
	}
}

func TestMessageSendRecipientsAndValidation(t *testing.T) {
	e := newEnv(t)
	agent := e.sb.Config().AgentID
	tests := []struct {
		name        string
		body        map[string]any
		want        int
		invalidUser string
	}{
		{"one member", appText("zhangsan", "你好", agent), 0, ""},
		{"agentid as string", appText("zhangsan", "你好", "1000002"), 0, ""},
		{"some unknown", appText("zhangsan|Stranger", "你好", agent), 0, "stranger"},
		{"all unknown", appText("stranger", "你好", agent), errAllInvalid, ""},
		{"wrong agent", appText("zhangsan", "你好", agent+1), errInvalidAgentID, ""},
		{"empty text", appText("zhangsan", "", agent), errEmptyContent, ""},
		{"bad msgtype", map[string]any{"touser": "zhangsan", "msgtype": "mpnews", "agentid": agent}, errInvalidMsgType, ""},
		{"markdown", map[string]any{"touser": "lisi", "msgtype": "markdown", "agentid": agent, "markdown": map[string]any{"content": "**超时** 案件"}}, 0, ""},
		{"textcard without url", map[string]any{"touser": "lisi", "msgtype": "textcard", "agentid": agent, "textcard": map[string]any{"title": "t", "description": "d"}}, errInvalidParameter, ""},
		{"card without task", caseCard("lisi", "", agent), errInvalidParameter, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call(t, "/cgi-bin/message/send", tt.body)
			if got := code(r); got != tt.want {
				t.Fatalf("errcode %d, want %d: %v", got, tt.want, r)
			}
			if tt.want == 0 {
				if r["msgid"] == "" || r["invaliduser"] != tt.invalidUser {
					t.Errorf("answer = %v", r)
				}
			}
		})
	}
	if got := len(e.sb.AppInbox("zhangsan")); got != 3 {
		t.Errorf("zhangsan has %d messages, want 3", got)
	}
}

func TestAppPerMemberRateLimit(t *testing.T) {
	e := newEnv(t)
	agent := e.sb.Config().AgentID
	for i := range 35 {
		if r := e.call(t, "/cgi-bin/message/send", appText("zhangsan|lisi", "提醒", agent)); code(r) != 0 {
			t.Fatalf("send %d: %v", i, r)
		}
	}
	got := []int{len(e.sb.AppInbox("zhangsan")), e.sb.Dropped("zhangsan"), len(e.sb.AppInbox("lisi")), e.sb.Dropped("lisi")}
	if diff := cmp.Diff([]int{30, 5, 30, 5}, got); diff != "" {
		t.Errorf("inbox, dropped (-want +got):\n%s", diff)
	}
	e.clock.Advance(time.Minute)
	e.call(t, "/cgi-bin/message/send", appText("zhangsan", "一分钟后", agent))
	if got := len(e.sb.AppInbox("zhangsan")); got != 31 {
		t.Errorf("after a minute zhangsan has %d, want 31", got)
	}
	// The hourly limit: 1000 within the hour.
	for range 34 {
		e.clock.Advance(time.Minute)
		for range 30 {
			e.call(t, "/cgi-bin/message/send", appText("wangwu", "批量", agent))
		}
	}
	if got, dropped := len(e.sb.AppInbox("wangwu")), e.sb.Dropped("wangwu"); got != 1000 || dropped != 20 {
		t.Errorf("hourly: wangwu has %d, dropped %d; want 1000, 20", got, dropped)
	}
}

func TestCardUpdateForEveryoneWithSingleUseCode(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	agent := e.sb.Config().AgentID
	r := e.call(t, "/cgi-bin/message/send", caseCard("zhangsan|lisi", "case-7-accept", agent))
	if code(r) != 0 || r["response_code"] == "" {
		t.Fatalf("send card: %v", r)
	}
	if got := code(e.call(t, "/cgi-bin/message/send", caseCard("wangwu", "case-7-accept", agent))); got != errInvalidParameter {
		t.Errorf("duplicate task_id: errcode %d, want %d", got, errInvalidParameter)
	}
	if err := e.sb.StaffClicks(ctx, "zhangsan", "case-7-accept", "accept:BC2611280007"); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.StaffClicks(ctx, "wangwu", "case-7-accept", "accept:BC2611280007"); err == nil {
		t.Error("wangwu clicked a card he never got")
	}
	cbs := e.product.Callbacks()
	cb := cbs[len(cbs)-1]
	want := callbackXML{ToUserName: e.sb.Config().CorpID, FromUserName: "zhangsan", MsgType: "event",
		Event: "template_card_event", EventKey: "accept:BC2611280007", TaskID: "case-7-accept",
		CardType: "button_interaction", ResponseCode: cb.ResponseCode, AgentID: agent}
	if diff := cmp.Diff(want, cb); diff != "" || cb.ResponseCode == "" {
		t.Errorf("card event (-want +got):\n%s", diff)
	}
	update := func(code string) map[string]any {
		return e.call(t, "/cgi-bin/message/update_template_card", map[string]any{
			"atall": 1, "agentid": agent, "response_code": code, "button": map[string]any{"replace_name": "已由 张三 受理"}})
	}
	if got := code(update(cb.ResponseCode)); got != 0 {
		t.Fatalf("update: errcode %d", got)
	}
	if got := code(update(cb.ResponseCode)); got != errInvalidResponseCode {
		t.Errorf("second update with the same code: errcode %d, want %d", got, errInvalidResponseCode)
	}
	for _, u := range []string{"zhangsan", "lisi"} {
		in := e.sb.AppInbox(u)
		if got := in[len(in)-1].Card.Replaced; got != "已由 张三 受理" {
			t.Errorf("%s sees %q", u, got)
		}
	}
	if err := e.sb.StaffClicks(ctx, "lisi", "case-7-accept", "accept:BC2611280007"); err == nil {
		t.Error("lisi clicked a button that was replaced")
	}
	// The response_code from message/send is valid 72 h.
	e.clock.Advance(72 * time.Hour)
	if got := code(update(r["response_code"].(string))); got != errInvalidResponseCode {
		t.Errorf("expired response_code: errcode %d, want %d", got, errInvalidResponseCode)
	}
}

func TestStaffSaysIsAnAppTextCallback(t *testing.T) {
	e := newEnv(t)
	if err := e.sb.StaffSays(context.Background(), "lisi", "受理 0007"); err != nil {
		t.Fatal(err)
	}
	cb := e.product.Callbacks()[0]
	want := callbackXML{ToUserName: e.sb.Config().CorpID, FromUserName: "lisi", MsgType: "text",
		Content: "受理 0007", MsgID: cb.MsgID, AgentID: e.sb.Config().AgentID}
	if diff := cmp.Diff(want, cb); diff != "" || cb.MsgID == "" {
		t.Errorf("callback (-want +got):\n%s", diff)
	}
	if err := e.sb.StaffSays(context.Background(), "stranger", "你好"); err == nil {
		t.Error("a stranger could write to the app")
	}
}

// With enable_duplicate_check, the same content to the same members within
// duplicate_check_interval is not delivered again (the first message's msgid
// comes back); other content, other members or a send after the interval are
// new messages; without the check every send is delivered.
func TestAppDuplicateCheck(t *testing.T) {
	e := newEnv(t)
	agent := e.sb.Config().AgentID
	send := func(to, content string, check bool, interval int) string {
		body := appText(to, content, agent)
		if check {
			body["enable_duplicate_check"] = 1
			body["duplicate_check_interval"] = interval
		}
		r := e.call(t, "/cgi-bin/message/send", body)
		if code(r) != 0 {
			t.Fatalf("send %q to %s: %v", content, to, r)
		}
		id, _ := r["msgid"].(string)
		return id
	}
	first := send("zhangsan", "案件 BC2611280007 待受理", true, 600)
	if again := send("zhangsan", "案件 BC2611280007 待受理", true, 600); again != first {
		t.Errorf("repeat within the interval got msgid %q, want the first's %q", again, first)
	}
	send("zhangsan", "案件 BC2611280008 待受理", true, 600)
	send("lisi", "案件 BC2611280007 待受理", true, 600)
	send("zhangsan", "不查重", false, 0)
	send("zhangsan", "不查重", false, 0)
	e.clock.Advance(601 * time.Second)
	send("zhangsan", "案件 BC2611280007 待受理", true, 600)
	var got []string
	for _, m := range e.sb.AppInbox("zhangsan") {
		got = append(got, m.Text)
	}
	want := []string{"案件 BC2611280007 待受理", "案件 BC2611280008 待受理", "不查重", "不查重", "案件 BC2611280007 待受理"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("zhangsan's inbox (-want +got):\n%s", diff)
	}
	body := appText("zhangsan", "太久", agent)
	body["enable_duplicate_check"], body["duplicate_check_interval"] = 1, 4*3600+1
	if got := code(e.call(t, "/cgi-bin/message/send", body)); got != errInvalidParameter {
		t.Errorf("interval over 4 hours: errcode %d, want %d", got, errInvalidParameter)
	}
}
