package wecom

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

func TestSendApp(t *testing.T) {
	tests := []struct {
		name string
		to   []string
		msg  cases.Message
		want string
	}{
		{
			name: "text",
			to:   []string{"zhangsan"},
			msg:  textMsg("BC2611280007 已分派给您"),
			want: `{"touser": "zhangsan", "msgtype": "text", "agentid": 1000002, "enable_duplicate_check": 1, "duplicate_check_interval": 1800, "text": {"content": "BC2611280007 已分派给您"}}`,
		},
		{
			name: "button card",
			to:   []string{"zhangsan", "lisi"},
			msg: cases.Message{Card: &cases.Card{
				TaskID: "BC2611280007-new-1",
				Title:  "新反映 BC2611280007",
				Desc:   "邻居代一位63岁老人反映养老金停发",
				Fields: []cases.CardField{{Key: "类别", Value: "生存认证"}, {Key: "期限", Value: "12月5日"}},
				Buttons: []cases.CardButton{
					{Key: "accept:BC2611280007", Text: "受理"},
					{Key: "more:BC2611280007", Text: "要求补充"},
				},
				URL: "https://bcs.example.gov.cn/cases/BC2611280007",
			}},
			want: `{"touser": "zhangsan|lisi", "msgtype": "template_card", "agentid": 1000002, "enable_duplicate_check": 1, "duplicate_check_interval": 1800, "template_card": {
				"card_type": "button_interaction",
				"main_title": {"title": "新反映 BC2611280007", "desc": "邻居代一位63岁老人反映养老金停发"},
				"horizontal_content_list": [{"keyname": "类别", "value": "生存认证"}, {"keyname": "期限", "value": "12月5日"}],
				"card_action": {"type": 1, "url": "https://bcs.example.gov.cn/cases/BC2611280007"},
				"task_id": "BC2611280007-new-1",
				"button_list": [{"text": "受理", "key": "accept:BC2611280007"}, {"text": "要求补充", "key": "more:BC2611280007"}]}}`,
		},
		{
			name: "card with a long description and no URL",
			to:   []string{"wangwu"},
			msg: cases.Message{Card: &cases.Card{
				TaskID:  "t1",
				Title:   "超时提醒",
				Desc:    strings.Repeat("档", 45),
				Buttons: []cases.CardButton{{Key: "view:1", Text: "查看"}},
			}},
			want: `{"touser": "wangwu", "msgtype": "template_card", "agentid": 1000002, "enable_duplicate_check": 1, "duplicate_check_interval": 1800, "template_card": {
				"card_type": "button_interaction",
				"main_title": {"title": "超时提醒"},
				"sub_title_text": "` + strings.Repeat("档", 45) + `",
				"task_id": "t1",
				"button_list": [{"text": "查看", "key": "view:1"}]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, "")
			f.route("/cgi-bin/message/send", func(call) any {
				return map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "APPMSG", "response_code": "RC1"}
			})
			c := newTestClient(t, f, nil)
			id, rc, err := c.SendApp(context.Background(), tt.to, tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if id != "APPMSG" || rc != "RC1" {
				t.Errorf("got msgid %q response code %q", id, rc)
			}
			if diff := cmp.Diff(parseJSON(t, tt.want), jsonOf(t, f.callsTo("/cgi-bin/message/send")[0].Body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSendAppRejectsLocally(t *testing.T) {
	card := func(edit func(*cases.Card)) cases.Message {
		c := &cases.Card{TaskID: "t1", Title: "标题", Buttons: []cases.CardButton{{Key: "k", Text: "受理"}}}
		edit(c)
		return cases.Message{Card: c}
	}
	tests := []struct {
		name string
		to   []string
		msg  cases.Message
		want string
	}{
		{"no receivers", nil, textMsg("x"), "receivers"},
		{"receiver with a pipe", []string{"a|b"}, textMsg("x"), "not valid"},
		{"text too long", []string{"a"}, textMsg(strings.Repeat("a", 2049)), "2049 bytes"},
		{"task id with a space", []string{"a"}, card(func(c *cases.Card) { c.TaskID = "BC 1" }), "task id"},
		{"task id too long", []string{"a"}, card(func(c *cases.Card) { c.TaskID = strings.Repeat("a", 129) }), "task id"},
		{"no title", []string{"a"}, card(func(c *cases.Card) { c.Title = "" }), "title"},
		{"no buttons", []string{"a"}, card(func(c *cases.Card) { c.Buttons = nil }), "0 buttons"},
		{"button without key", []string{"a"}, card(func(c *cases.Card) { c.Buttons[0].Key = "" }), "button 1"},
		{"seven fields", []string{"a"}, card(func(c *cases.Card) { c.Fields = make([]cases.CardField, 7) }), "7 fields"},
	}
	f := newFake(t, "")
	c := newTestClient(t, f, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.SendApp(context.Background(), tt.to, tt.msg)
			if !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want ErrInvalidMessage mentioning %q, got %v", tt.want, err)
			}
		})
	}
	if got := len(f.callsTo("/cgi-bin/message/send")); got != 0 {
		t.Errorf("message/send called %d times for invalid messages", got)
	}
}

func TestUpdateCard(t *testing.T) {
	f := newFake(t, "")
	f.route("/cgi-bin/message/update_template_card", func(call) any {
		return map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": []string{}}
	})
	c := newTestClient(t, f, nil)
	ctx := context.Background()
	if err := c.UpdateCard(ctx, []string{"zhangsan", "lisi"}, "RC1", "已由 张三 受理"); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateCard(ctx, nil, "RC2", "已由 李四 受理"); err != nil {
		t.Fatal(err)
	}
	calls := f.callsTo("/cgi-bin/message/update_template_card")
	want := []any{
		parseJSON(t, `{"userids": ["zhangsan", "lisi"], "agentid": 1000002, "response_code": "RC1", "button": {"replace_name": "已由 张三 受理"}}`),
		parseJSON(t, `{"atall": 1, "agentid": 1000002, "response_code": "RC2", "button": {"replace_name": "已由 李四 受理"}}`),
	}
	got := []any{jsonOf(t, calls[0].Body), jsonOf(t, calls[1].Body)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bodies (-want +got):\n%s", diff)
	}

	f.route("/cgi-bin/message/update_template_card", func(call) any {
		return map[string]any{"errcode": 40136, "errmsg": "invalid response_code"}
	})
	if err := c.UpdateCard(ctx, nil, "RC1", "已由 张三 受理"); ErrCode(err) != 40136 {
		t.Errorf("used response code: ErrCode = %d (%v), want 40136", ErrCode(err), err)
	}
	if err := c.UpdateCard(ctx, nil, "", "x"); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("empty response code: %v", err)
	}
}
