package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

func textMsg(s string) cases.Message { return cases.Message{Text: s} }

// syncPage is a sync_msg answer in WeCom's documented shape, one item of
// each kind the product meets.
const syncPage = `{
  "errcode": 0, "errmsg": "ok", "next_cursor": "4gw7MepFLfgF2VC5npN", "has_more": 1,
  "msg_list": [
    {"msgid": "from_msgid_4622416642169452483", "open_kfid": "wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw", "external_userid": "wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw", "send_time": 1615478585, "origin": 3, "msgtype": "text", "text": {"content": "我的养老保险转不过来", "menu_id": "101"}},
    {"msgid": "m2", "open_kfid": "wkA", "external_userid": "wmB", "send_time": 1615478586, "origin": 3, "msgtype": "voice", "voice": {"media_id": "2iSLeVyqzk4eX0IB5kTi9Ljfa2rt9dwfq5WKRQ4Nvvgw"}},
    {"msgid": "m3", "open_kfid": "wkA", "external_userid": "wmB", "send_time": 1615478587, "origin": 3, "msgtype": "location", "location": {"latitude": 23.1, "longitude": 113.3, "name": "社保中心", "address": "人民路1号"}},
    {"msgid": "m4", "open_kfid": "wkA", "external_userid": "wmB", "send_time": 1615478588, "origin": 5, "servicer_userid": "zhangsan", "msgtype": "msgmenu", "msgmenu": {"head_content": "请选择", "list": [{"type": "click", "click": {"id": "1", "content": "查询"}}, {"type": "view", "view": {"url": "https://example.org", "content": "网页"}}], "tail_content": "谢谢"}},
    {"msgid": "m5", "send_time": 1615478589, "origin": 4, "msgtype": "event", "event": {"event_type": "enter_session", "open_kfid": "wkA", "external_userid": "wmC", "scene": "qr", "scene_param": "window1", "welcome_code": "aaaa"}},
    {"msgid": "m6", "send_time": 1615478590, "origin": 4, "msgtype": "event", "event": {"event_type": "msg_send_fail", "open_kfid": "wkA", "external_userid": "wmB", "fail_msgid": "sent1", "fail_type": 6}},
    {"msgid": "m7", "send_time": 1615478591, "origin": 4, "msgtype": "event", "event": {"event_type": "user_recall_msg", "open_kfid": "wkA", "external_userid": "wmB", "recall_msgid": "m2"}},
    {"msgid": "m8", "open_kfid": "wkA", "external_userid": "wmB", "send_time": 1615478592, "origin": 3, "msgtype": "channels_shop_product", "channels_shop_product": {"product_id": "p1"}}
  ]
}`

func TestSyncMsg(t *testing.T) {
	f := newFake(t, "")
	f.route("/cgi-bin/kf/sync_msg", func(call) any { return json.RawMessage(syncPage) })
	c := newTestClient(t, f, nil)
	got, err := c.SyncMsg(context.Background(), SyncRequest{Cursor: "c0", Token: "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR", OpenKfID: "wkA"})
	if err != nil {
		t.Fatal(err)
	}

	calls := f.callsTo("/cgi-bin/kf/sync_msg")
	wantBody := parseJSON(t, `{"cursor": "c0", "token": "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR", "limit": 1000, "open_kfid": "wkA"}`)
	if diff := cmp.Diff(wantBody, jsonOf(t, calls[0].Body)); diff != "" {
		t.Errorf("request body (-want +got):\n%s", diff)
	}

	var raw struct {
		MsgList []json.RawMessage `json:"msg_list"`
	}
	_ = json.Unmarshal([]byte(syncPage), &raw)
	want := &SyncResponse{
		NextCursor: "4gw7MepFLfgF2VC5npN",
		HasMore:    true,
		Messages: []KfMessage{
			{MsgID: "from_msgid_4622416642169452483", OpenKfID: "wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw", ExternalUserID: "wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw", SendTime: 1615478585, Origin: 3, MsgType: "text",
				Text: &KfText{Content: "我的养老保险转不过来", MenuID: "101"}},
			{MsgID: "m2", OpenKfID: "wkA", ExternalUserID: "wmB", SendTime: 1615478586, Origin: 3, MsgType: "voice",
				Voice: &KfMedia{MediaID: "2iSLeVyqzk4eX0IB5kTi9Ljfa2rt9dwfq5WKRQ4Nvvgw"}},
			{MsgID: "m3", OpenKfID: "wkA", ExternalUserID: "wmB", SendTime: 1615478587, Origin: 3, MsgType: "location",
				Location: &KfLocation{Latitude: 23.1, Longitude: 113.3, Name: "社保中心", Address: "人民路1号"}},
			{MsgID: "m4", OpenKfID: "wkA", ExternalUserID: "wmB", SendTime: 1615478588, Origin: 5, ServicerUserID: "zhangsan", MsgType: "msgmenu",
				MsgMenu: &KfMsgMenu{HeadContent: "请选择", TailContent: "谢谢", List: []KfMenuItem{
					{Type: "click", Click: &struct {
						ID      string `json:"id"`
						Content string `json:"content"`
					}{ID: "1", Content: "查询"}},
					{Type: "view", View: &struct {
						URL     string `json:"url"`
						Content string `json:"content"`
					}{URL: "https://example.org", Content: "网页"}},
				}}},
			{MsgID: "m5", SendTime: 1615478589, Origin: 4, MsgType: "event",
				Event: &KfEvent{EventType: "enter_session", OpenKfID: "wkA", ExternalUserID: "wmC", Scene: "qr", SceneParam: "window1", WelcomeCode: "aaaa"}},
			{MsgID: "m6", SendTime: 1615478590, Origin: 4, MsgType: "event",
				Event: &KfEvent{EventType: "msg_send_fail", OpenKfID: "wkA", ExternalUserID: "wmB", FailMsgID: "sent1", FailType: FailTypeOverLimit}},
			{MsgID: "m7", SendTime: 1615478591, Origin: 4, MsgType: "event",
				Event: &KfEvent{EventType: "user_recall_msg", OpenKfID: "wkA", ExternalUserID: "wmB", RecallMsgID: "m2"}},
			{MsgID: "m8", OpenKfID: "wkA", ExternalUserID: "wmB", SendTime: 1615478592, Origin: 3, MsgType: "channels_shop_product"},
		},
	}
	for i := range want.Messages {
		want.Messages[i].Raw = raw.MsgList[i]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SyncMsg (-want +got):\n%s", diff)
	}

	// Events carry the citizen inside the event; the record finds them.
	rec := got.Messages[4].Record()
	wantRec := cases.KfMessage{MsgID: "m5", OpenKfID: "wkA", ExternalUserID: "wmC", Origin: 4, MsgType: "event", SendTime: time.Unix(1615478589, 0), Raw: string(raw.MsgList[4])}
	if diff := cmp.Diff(wantRec, rec); diff != "" {
		t.Errorf("Record (-want +got):\n%s", diff)
	}
}

func TestSyncMsgErrcodeAndLimits(t *testing.T) {
	f := newFake(t, "")
	answer := map[string]any{"errcode": 95007, "errmsg": "invalid msg token"}
	f.route("/cgi-bin/kf/sync_msg", func(call) any { return answer })
	c := newTestClient(t, f, nil)
	_, err := c.SyncMsg(context.Background(), SyncRequest{Limit: 5000})
	if got := ErrCode(err); got != 95007 {
		t.Fatalf("ErrCode = %d (%v), want 95007", got, err)
	}
	body := jsonOf(t, f.callsTo("/cgi-bin/kf/sync_msg")[0].Body)
	if diff := cmp.Diff(parseJSON(t, `{"limit": 1000}`), body); diff != "" {
		t.Errorf("empty cursor and token, limit clamped (-want +got):\n%s", diff)
	}

	answer = map[string]any{"errcode": 0, "errmsg": "ok", "next_cursor": "", "has_more": 0}
	got, err := c.SyncMsg(context.Background(), SyncRequest{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&SyncResponse{Messages: []KfMessage{}}, got); diff != "" {
		t.Errorf("empty page (-want +got):\n%s", diff)
	}
}

func TestSendKf(t *testing.T) {
	tests := []struct {
		name  string
		msgID string
		msg   cases.Message
		want  string
	}{
		{
			name: "text",
			msg:  textMsg("您好，我是办不成事反映窗口的小助手。"),
			want: `{"touser": "wmB", "open_kfid": "wkA", "msgtype": "text", "text": {"content": "您好，我是办不成事反映窗口的小助手。"}}`,
		},
		{
			name:  "with an idempotency key",
			msgID: "3f9a0c1d2e4b5a6978c0d1e2",
			msg:   textMsg("您好"),
			want:  `{"touser": "wmB", "open_kfid": "wkA", "msgid": "3f9a0c1d2e4b5a6978c0d1e2", "msgtype": "text", "text": {"content": "您好"}}`,
		},
		{
			name: "menu",
			msg: cases.Message{
				Text:     "请问您要办什么？",
				Menu:     []cases.MenuItem{{ID: "report", Text: "1 反映问题"}, {ID: "query", Text: "2 查询进度"}},
				MenuTail: "也可以直接回复数字",
			},
			want: `{"touser": "wmB", "open_kfid": "wkA", "msgtype": "msgmenu", "msgmenu": {
				"head_content": "请问您要办什么？",
				"list": [{"type": "click", "click": {"id": "report", "content": "1 反映问题"}},
				         {"type": "click", "click": {"id": "query", "content": "2 查询进度"}}],
				"tail_content": "也可以直接回复数字"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, "")
			f.route("/cgi-bin/kf/send_msg", func(call) any {
				return map[string]any{"errcode": 0, "errmsg": "ok", "msgid": "MSG1"}
			})
			c := newTestClient(t, f, nil)
			id, err := c.SendKf(context.Background(), "wkA", "wmB", tt.msgID, tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if id != "MSG1" {
				t.Errorf("msgid %q", id)
			}
			calls := f.callsTo("/cgi-bin/kf/send_msg")
			if diff := cmp.Diff(parseJSON(t, tt.want), jsonOf(t, calls[0].Body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(calls[0].CType, "application/json") {
				t.Errorf("content type %q", calls[0].CType)
			}
		})
	}
}

func TestSendKfRejectsLocally(t *testing.T) {
	items := func(n int) []cases.MenuItem {
		var out []cases.MenuItem
		for range n {
			out = append(out, cases.MenuItem{ID: "x", Text: "选项"})
		}
		return out
	}
	tests := []struct {
		name string
		msg  cases.Message
		want string
	}{
		{"empty", cases.Message{}, "empty text"},
		// 683 three-byte characters are 2049 bytes: over by one.
		{"text over 2048 bytes", textMsg(strings.Repeat("办", 683)), "2049 bytes"},
		{"menu head over 1024 bytes", cases.Message{Text: strings.Repeat("a", 1025), Menu: items(1)}, "menu head"},
		{"menu tail over 1024 bytes", cases.Message{Menu: items(1), MenuTail: strings.Repeat("a", 1025)}, "menu tail"},
		{"eleven items", cases.Message{Menu: items(11)}, "11 items"},
		{"item without id", cases.Message{Menu: []cases.MenuItem{{Text: "1"}}}, "item 1 id"},
		{"item label too long", cases.Message{Menu: []cases.MenuItem{{ID: "a", Text: strings.Repeat("字", 43)}}}, "item 1 text"},
	}
	badKeys := []string{strings.Repeat("a", 33), "has space", "点"}
	f := newFake(t, "")
	c := newTestClient(t, f, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.SendKf(context.Background(), "wkA", "wmB", "", tt.msg)
			if !errors.Is(err, ErrInvalidMessage) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want ErrInvalidMessage mentioning %q, got %v", tt.want, err)
			}
		})
	}
	for _, key := range badKeys {
		if _, err := c.SendKf(context.Background(), "wkA", "wmB", key, textMsg("您好")); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("msgid %q: want ErrInvalidMessage, got %v", key, err)
		}
	}
	// Exactly at the limit is fine locally.
	f.route("/cgi-bin/kf/send_msg", func(call) any { return map[string]any{"errcode": 0, "msgid": "ok"} })
	if _, err := c.SendKf(context.Background(), "wkA", "wmB", "", textMsg(strings.Repeat("办", 682)+"ab")); err != nil {
		t.Errorf("2048 bytes: %v", err)
	}
	if got := len(f.callsTo("/cgi-bin/kf/send_msg")); got != 1 {
		t.Errorf("send_msg called %d times, want only the valid message", got)
	}
}

func TestSendKfOnEvent(t *testing.T) {
	f := newFake(t, "")
	f.route("/cgi-bin/kf/send_msg_on_event", func(call) any {
		return map[string]any{"errcode": 0, "errmsg": "ok", "msgid": "W1"}
	})
	c := newTestClient(t, f, nil)
	id, err := c.SendKfOnEvent(context.Background(), "welcome-code", textMsg("欢迎"))
	if err != nil || id != "W1" {
		t.Fatalf("got %q, %v", id, err)
	}
	want := parseJSON(t, `{"code": "welcome-code", "msgtype": "text", "text": {"content": "欢迎"}}`)
	if diff := cmp.Diff(want, jsonOf(t, f.callsTo("/cgi-bin/kf/send_msg_on_event")[0].Body)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if _, err := c.SendKfOnEvent(context.Background(), "", textMsg("欢迎")); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("empty code: %v", err)
	}
}

func TestServiceState(t *testing.T) {
	f := newFake(t, "")
	stateRoute(f)
	f.route("/cgi-bin/kf/service_state/trans", func(call) any {
		return map[string]any{"errcode": 0, "errmsg": "ok", "msg_code": "MSG_CODE"}
	})
	c := newTestClient(t, f, nil)
	ctx := context.Background()
	state, servicer, err := c.ServiceState(ctx, "wkA", "wmB")
	if err != nil {
		t.Fatal(err)
	}
	if state != StateServicer || servicer != "zhangsan" {
		t.Errorf("got state %d servicer %q; servicer_userid must be read", state, servicer)
	}
	if diff := cmp.Diff(parseJSON(t, `{"open_kfid": "wkA", "external_userid": "wmB"}`), jsonOf(t, f.callsTo("/cgi-bin/kf/service_state/get")[0].Body)); diff != "" {
		t.Errorf("get body (-want +got):\n%s", diff)
	}

	code, err := c.TransServiceState(ctx, "wkA", "wmB", StateServicer, "lisi")
	if err != nil || code != "MSG_CODE" {
		t.Fatalf("trans: %q, %v", code, err)
	}
	if _, err := c.TransServiceState(ctx, "wkA", "wmB", StateEnded, ""); err != nil {
		t.Fatal(err)
	}
	calls := f.callsTo("/cgi-bin/kf/service_state/trans")
	want := []any{
		parseJSON(t, `{"open_kfid": "wkA", "external_userid": "wmB", "service_state": 3, "servicer_userid": "lisi"}`),
		parseJSON(t, `{"open_kfid": "wkA", "external_userid": "wmB", "service_state": 4}`),
	}
	got := []any{jsonOf(t, calls[0].Body), jsonOf(t, calls[1].Body)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trans bodies (-want +got):\n%s", diff)
	}
	if _, err := c.TransServiceState(ctx, "wkA", "wmB", StateServicer, ""); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("state 3 without servicer: %v", err)
	}
}
