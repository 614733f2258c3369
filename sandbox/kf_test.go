package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const kf = "wkSANDBOX001"

// pulledTexts lists "origin:content" for each pulled text message.
func pulledTexts(msgs []map[string]any) []string {
	var out []string
	for _, m := range msgs {
		if m["msgtype"] == "text" {
			out = append(out, fmt.Sprintf("%v:%v", m["origin"], m["text"].(map[string]any)["content"]))
		}
	}
	return out
}

func TestCitizenMessageReachesProductOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, err := e.sb.CitizenSays(ctx, "wmCitizen1", "我的养老保险转不过来")
	if err != nil {
		t.Fatal(err)
	}
	got := e.product.Pulled()
	if len(got) != 1 {
		t.Fatalf("pulled %d messages, want 1: %v", len(got), got)
	}
	m := got[0]
	want := map[string]any{"msgid": id, "open_kfid": kf, "external_userid": "wmCitizen1", "origin": 3.0,
		"msgtype": "text", "text": map[string]any{"content": "我的养老保险转不过来"}}
	delete(m, "send_time")
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("pulled message (-want +got):\n%s", diff)
	}
	cbs := e.product.Callbacks()
	if len(cbs) != 1 || cbs[0].Event != "kf_msg_or_event" || cbs[0].OpenKfID != kf || cbs[0].Token == "" || cbs[0].ToUserName != e.sb.Config().CorpID {
		t.Errorf("callback = %+v", cbs)
	}
	// WeCom retries: the same callback again brings nothing new through the cursor.
	resp, err := e.sb.Deliver(ctx, e.sb.LastCallback())
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("redeliver: %v %v", resp, err)
	}
	if n := len(e.product.Pulled()); n != 1 {
		t.Errorf("after redelivery pulled %d messages, want 1", n)
	}
	// Menu taps carry menu_id.
	if _, err := e.sb.CitizenTaps(ctx, "wmCitizen1", "report", "反映问题"); err != nil {
		t.Fatal(err)
	}
	last := e.product.Pulled()[1]
	if diff := cmp.Diff(map[string]any{"content": "反映问题", "menu_id": "report"}, last["text"]); diff != "" {
		t.Errorf("tap (-want +got):\n%s", diff)
	}
}

func TestCallbackFailureIsAnError(t *testing.T) {
	e := newEnv(t)
	e.product.status = http.StatusInternalServerError
	if _, err := e.sb.CitizenSays(context.Background(), "wmA", "你好"); err == nil {
		t.Fatal("CitizenSays succeeded although the product answered 500")
	}
	e.sb.SetCallbackURL("")
	if _, err := e.sb.CitizenSays(context.Background(), "wmA", "你好"); err == nil {
		t.Fatal("CitizenSays succeeded without a callback URL")
	}
}

func TestSyncCursorResumesWithoutRepeatOrSkip(t *testing.T) {
	e := newEnv(t)
	e.product.pull = false
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		if _, err := e.sb.CitizenSays(ctx, "wmA", fmt.Sprintf("第%d条", i)); err != nil {
			t.Fatal(err)
		}
	}
	tok := e.product.Callbacks()[4].Token
	sync := func(cursor string, limit int) map[string]any {
		return e.call(t, "/cgi-bin/kf/sync_msg", map[string]any{"cursor": cursor, "token": tok, "limit": limit, "open_kfid": kf})
	}
	contents := func(resp map[string]any) []string {
		var out []string
		for _, m := range resp["msg_list"].([]any) {
			out = append(out, m.(map[string]any)["text"].(map[string]any)["content"].(string))
		}
		return out
	}
	var got []string
	var hasMore []float64
	cursor := ""
	for range 3 {
		resp := sync(cursor, 2)
		if code(resp) != 0 {
			t.Fatalf("sync: %v", resp)
		}
		got = append(got, contents(resp)...)
		hasMore = append(hasMore, resp["has_more"].(float64))
		cursor = resp["next_cursor"].(string)
	}
	if diff := cmp.Diff([]string{"第1条", "第2条", "第3条", "第4条", "第5条"}, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{1, 1, 0}, hasMore); diff != "" {
		t.Errorf("has_more (-want +got):\n%s", diff)
	}
	if resp := sync(cursor, 0); len(contents(resp)) != 0 {
		t.Errorf("resume at the end returned %v", contents(resp))
	}
	if _, err := e.sb.CitizenSays(ctx, "wmA", "第6条"); err != nil {
		t.Fatal(err)
	}
	tok = e.product.Callbacks()[5].Token
	if diff := cmp.Diff([]string{"第6条"}, contents(sync(cursor, 0))); diff != "" {
		t.Errorf("resume (-want +got):\n%s", diff)
	}
	// Without a cursor only the last 3 days come back.
	e.clock.Advance(3*24*time.Hour + time.Minute)
	if _, err := e.sb.CitizenSays(ctx, "wmA", "第7条"); err != nil {
		t.Fatal(err)
	}
	tok = e.product.Callbacks()[6].Token
	if diff := cmp.Diff([]string{"第7条"}, contents(sync("", 0))); diff != "" {
		t.Errorf("no cursor (-want +got):\n%s", diff)
	}
}

func TestSyncTokenRules(t *testing.T) {
	e := newEnv(t)
	e.product.pull = false
	if _, err := e.sb.CitizenSays(context.Background(), "wmA", "你好"); err != nil {
		t.Fatal(err)
	}
	tok := e.product.Callbacks()[0].Token
	body := func(token string, limit int) map[string]any {
		return map[string]any{"token": token, "limit": limit, "open_kfid": kf}
	}
	tests := []struct {
		name    string
		advance time.Duration
		body    map[string]any
		want    int
	}{
		{"fresh token", 0, body(tok, 1000), 0},
		{"limit too big", 0, body(tok, 1001), errInvalidParameter},
		{"unknown token", 0, body("not-a-token", 10), errInvalidMsgToken},
		{"unknown kf", 0, map[string]any{"token": tok, "open_kfid": "wkOTHER"}, errInvalidOpenKfID},
		{"no token, first", 0, body("", 10), 0},
		{"no token, second", 0, body("", 10), 0},
		{"no token, third in a minute", 0, body("", 10), errFreqLimit},
		{"no token, next minute", time.Minute, body("", 10), 0},
		{"token after 10 minutes", 9 * time.Minute, body(tok, 10), errInvalidMsgToken},
	}
	for _, tt := range tests {
		e.clock.Advance(tt.advance)
		if got := code(e.call(t, "/cgi-bin/kf/sync_msg", tt.body)); got != tt.want {
			t.Errorf("%s: errcode %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestSendMsgFiveIn48Hours(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	send := func() int { return code(e.call(t, "/cgi-bin/kf/send_msg", text("wmA", kf, "您好"))) }
	if got := send(); got != errSendLimit {
		t.Errorf("before the citizen wrote: errcode %d, want %d", got, errSendLimit)
	}
	if _, err := e.sb.CitizenSays(ctx, "wmA", "在吗"); err != nil {
		t.Fatal(err)
	}
	var got []int
	for range 6 {
		got = append(got, send())
	}
	if diff := cmp.Diff([]int{0, 0, 0, 0, 0, errSendLimit}, got); diff != "" {
		t.Errorf("six sends (-want +got):\n%s", diff)
	}
	e.clock.Advance(47 * time.Hour)
	if _, err := e.sb.CitizenSays(ctx, "wmA", "还在吗"); err != nil {
		t.Fatal(err)
	}
	if got := send(); got != 0 {
		t.Errorf("after a new citizen message: errcode %d, want 0", got)
	}
	e.clock.Advance(48*time.Hour + time.Second)
	if got := send(); got != errSendLimit {
		t.Errorf("after 48 h: errcode %d, want %d", got, errSendLimit)
	}
	// The product's messages are not returned by sync_msg.
	if diff := cmp.Diff([]string{"3:在吗", "3:还在吗"}, pulledTexts(e.product.Pulled())); diff != "" {
		t.Errorf("pulled (-want +got):\n%s", diff)
	}
	var froms []string
	for _, l := range e.sb.Chat("wmA") {
		froms = append(froms, fmt.Sprintf("%s:%d", l.From, l.ErrCode))
	}
	want := []string{"citizen:0", "bot:0", "bot:0", "bot:0", "bot:0", "bot:0", "bot:95001", "citizen:0", "bot:0", "bot:95001"}
	if diff := cmp.Diff(want, froms); diff != "" {
		t.Errorf("chat (-want +got):\n%s", diff)
	}
}

func TestSendMsgValidation(t *testing.T) {
	e := newEnv(t)
	if _, err := e.sb.CitizenSays(context.Background(), "wmA", "你好"); err != nil {
		t.Fatal(err)
	}
	click := func(id, content string) map[string]any {
		return map[string]any{"type": "click", "click": map[string]any{"id": id, "content": content}}
	}
	menu := func(head string, items ...map[string]any) map[string]any {
		return map[string]any{"touser": "wmA", "open_kfid": kf, "msgtype": "msgmenu",
			"msgmenu": map[string]any{"head_content": head, "list": items}}
	}
	var eleven []map[string]any
	for i := range 11 {
		eleven = append(eleven, click(fmt.Sprint(i), "选项"))
	}
	tests := []struct {
		name string
		body map[string]any
		want int
	}{
		{"empty text", text("wmA", kf, ""), errEmptyContent},
		{"text too long", text("wmA", kf, strings.Repeat("长", 683)), errContentTooLong},
		{"unknown kf", text("wmA", "wkNOPE", "你好"), errInvalidOpenKfID},
		{"no touser", text("", kf, "你好"), errInvalidParameter},
		{"bad msgtype", map[string]any{"touser": "wmA", "open_kfid": kf, "msgtype": "sticker"}, errInvalidMsgType},
		{"bad msgid", map[string]any{"touser": "wmA", "open_kfid": kf, "msgid": "有中文", "msgtype": "text", "text": map[string]any{"content": "你好"}}, errInvalidParameter},
		{"unknown image", map[string]any{"touser": "wmA", "open_kfid": kf, "msgtype": "image", "image": map[string]any{"media_id": "nope"}}, errInvalidMediaID},
		{"empty menu", menu(""), errEmptyContent},
		{"menu item without content", menu("请选择", click("1", "")), errEmptyContent},
		{"menu with 11 items", menu("请选择", eleven...), errInvalidParameter},
		{"menu id too long", menu("请选择", click(strings.Repeat("x", 129), "反映问题")), errInvalidParameter},
		{"good menu", menu("请选择", click("report", "反映问题"), click("query", "查询进度")), 0},
		{"good text", text("wmA", kf, "您好"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(e.call(t, "/cgi-bin/kf/send_msg", tt.body)); got != tt.want {
				t.Errorf("errcode %d, want %d", got, tt.want)
			}
		})
	}
	chat := e.sb.Chat("wmA")
	var menuLine *ChatLine
	for i := range chat {
		if chat[i].MsgType == "msgmenu" && chat[i].ErrCode == 0 {
			menuLine = &chat[i]
		}
	}
	if menuLine == nil {
		t.Fatal("the accepted menu is not in the chat")
	}
	want := []MenuItem{{Type: "click", ID: "report", Content: "反映问题"}, {Type: "click", ID: "query", Content: "查询进度"}}
	if diff := cmp.Diff(want, menuLine.Menu); diff != "" {
		t.Errorf("menu (-want +got):\n%s", diff)
	}
}

func TestServiceStateRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.sb.CitizenSays(ctx, "wmA", "找人工"); err != nil {
		t.Fatal(err)
	}
	trans := func(state int, servicer string) map[string]any {
		return e.call(t, "/cgi-bin/kf/service_state/trans", map[string]any{
			"open_kfid": kf, "external_userid": "wmA", "service_state": state, "servicer_userid": servicer})
	}
	get := func() (int, string) {
		r := e.call(t, "/cgi-bin/kf/service_state/get", map[string]any{"open_kfid": kf, "external_userid": "wmA"})
		return int(r["service_state"].(float64)), r["servicer_userid"].(string)
	}
	steps := []struct {
		name     string
		state    int
		servicer string
		want     int
	}{
		{"0 to 1", 1, "", 0},
		{"3 needs a servicer", 3, "", errInvalidParameter},
		{"3 needs a directory member", 3, "stranger", errNotServicer},
		{"1 to 3", 3, "zhangsan", 0},
		{"3 to 3 (transfer)", 3, "lisi", 0},
		{"3 to 1 refused", 1, "", errTransNotAllowed},
		{"out of range", 5, "", errInvalidParameter},
	}
	for _, s := range steps {
		r := trans(s.state, s.servicer)
		if got := code(r); got != s.want {
			t.Errorf("%s: errcode %d, want %d", s.name, got, s.want)
		}
		if s.want == 0 && r["msg_code"] == "" {
			t.Errorf("%s: no msg_code", s.name)
		}
	}
	if st, who := get(); st != 3 || who != "lisi" {
		t.Errorf("state = %d %q, want 3 lisi", st, who)
	}
	if got := code(e.call(t, "/cgi-bin/kf/send_msg", text("wmA", kf, "机器人插话"))); got != errSessionState {
		t.Errorf("send in state 3: errcode %d, want %d", got, errSessionState)
	}
	if got := code(trans(4, "")); got != 0 {
		t.Errorf("3 to 4: errcode %d", got)
	}
	if got := code(trans(1, "")); got != errTransNotAllowed {
		t.Errorf("4 to 1: errcode %d, want %d", got, errTransNotAllowed)
	}
	// The product learns of each change through session_status_change.
	waitFor(t, e.sb, func() bool {
		n := 0
		for _, m := range e.product.Pulled() {
			if ev, ok := m["event"].(map[string]any); ok && ev["event_type"] == "session_status_change" {
				n++
			}
		}
		return n == 3
	})
	if _, err := e.sb.CitizenSays(ctx, "wmA", "我又来了"); err != nil {
		t.Fatal(err)
	}
	if st, _ := get(); st != 0 {
		t.Errorf("after a new citizen message state = %d, want 0", st)
	}
	if got := code(e.call(t, "/cgi-bin/kf/send_msg", text("wmA", kf, "欢迎回来"))); got != 0 {
		t.Errorf("send after reopening: errcode %d", got)
	}
}

func TestWelcomeCodeSingleUseFor20Seconds(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	welcomeCode := func() string {
		t.Helper()
		if err := e.sb.CitizenEnters(ctx, "wmA"); err != nil {
			t.Fatal(err)
		}
		msgs := e.product.Pulled()
		ev := msgs[len(msgs)-1]["event"].(map[string]any)
		if ev["event_type"] != "enter_session" || ev["external_userid"] != "wmA" {
			t.Fatalf("event = %v", ev)
		}
		return ev["welcome_code"].(string)
	}
	welcome := func(c string) int {
		return code(e.call(t, "/cgi-bin/kf/send_msg_on_event", map[string]any{
			"code": c, "msgtype": "text", "text": map[string]any{"content": "您好，这里是办不成事反映窗口"}}))
	}
	c := welcomeCode()
	e.clock.Advance(19 * time.Second)
	if got := welcome(c); got != 0 {
		t.Errorf("first use: errcode %d", got)
	}
	if got := welcome(c); got != errInvalidEventCode {
		t.Errorf("second use: errcode %d, want %d", got, errInvalidEventCode)
	}
	c = welcomeCode()
	e.clock.Advance(20 * time.Second)
	if got := welcome(c); got != errInvalidEventCode {
		t.Errorf("after 20 s: errcode %d, want %d", got, errInvalidEventCode)
	}
	chat := e.sb.Chat("wmA")
	if len(chat) != 1 || chat[0].Text != "您好，这里是办不成事反映窗口" || chat[0].From != "bot" {
		t.Errorf("chat = %+v", chat)
	}
}

func TestBlockedCitizenGetsMsgSendFail(t *testing.T) {
	e := newEnv(t)
	if _, err := e.sb.CitizenSays(context.Background(), "wmA", "你好"); err != nil {
		t.Fatal(err)
	}
	e.sb.SetBlocked("wmA", true)
	r := e.call(t, "/cgi-bin/kf/send_msg", text("wmA", kf, "您的案件已受理"))
	if code(r) != 0 {
		t.Fatalf("send: %v", r)
	}
	waitFor(t, e.sb, func() bool {
		for _, m := range e.product.Pulled() {
			if ev, ok := m["event"].(map[string]any); ok && ev["event_type"] == "msg_send_fail" {
				return ev["fail_msgid"] == r["msgid"] && ev["fail_type"] == 10.0
			}
		}
		return false
	})
	chat := e.sb.Chat("wmA")
	if got := chat[len(chat)-1]; got.FailType != 10 {
		t.Errorf("last line = %+v, want fail_type 10", got)
	}
}

func TestServicerAndOtherMessages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.sb.ServicerSays(ctx, kf, "wmA", "zhangsan", "我是张三，我来帮您"); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"location", "link", "business_card", "miniprogram"} {
		if _, err := e.sb.CitizenSendsOther(ctx, "wmA", kind); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.sb.ServicerStatus(ctx, kf, "zhangsan", 2); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range e.product.Pulled() {
		if ev, ok := m["event"].(map[string]any); ok {
			got = append(got, fmt.Sprintf("%v:%v:%v:%v", m["origin"], ev["event_type"], ev["servicer_userid"], ev["status"]))
			continue
		}
		got = append(got, fmt.Sprintf("%v:%v:%v", m["origin"], m["msgtype"], m["servicer_userid"]))
		if m["msgtype"] != "text" && m[m["msgtype"].(string)] == nil {
			t.Errorf("%v has no %v body", m["msgid"], m["msgtype"])
		}
	}
	want := []string{"5:text:zhangsan", "3:location:<nil>", "3:link:<nil>", "3:business_card:<nil>", "3:miniprogram:<nil>",
		"4:servicer_status_change:zhangsan:2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pulled (-want +got):\n%s", diff)
	}
}

// A send repeated with the msgid of a message WeCom already took (a retry
// after a lost answer or a crash) is not a second message: answered ok with
// that msgid, not shown again, not counted against the five.
func TestSendMsgRepeatedMsgID(t *testing.T) {
	e := newEnv(t)
	if _, err := e.sb.CitizenSays(context.Background(), "wmA", "在吗"); err != nil {
		t.Fatal(err)
	}
	send := func(msgid, content string) (int, string) {
		body := text("wmA", kf, content)
		body["msgid"] = msgid
		r := e.call(t, "/cgi-bin/kf/send_msg", body)
		id, _ := r["msgid"].(string)
		return code(r), id
	}
	var got []string
	for _, s := range []struct{ msgid, content string }{
		{"key-1", "您好"}, {"key-1", "您好"}, {"key-2", "请问"}, {"key-1", "您好"}, {"key-3", "三"}, {"key-4", "四"}, {"key-5", "五"}, {"key-6", "六"},
	} {
		c, id := send(s.msgid, s.content)
		got = append(got, fmt.Sprintf("%s:%d:%s", s.msgid, c, id))
	}
	want := []string{"key-1:0:key-1", "key-1:0:key-1", "key-2:0:key-2", "key-1:0:key-1", "key-3:0:key-3", "key-4:0:key-4", "key-5:0:key-5", "key-6:95001:"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sends (-want +got):\n%s", diff)
	}
	var shown []string
	for _, l := range e.sb.Chat("wmA") {
		if l.From == "bot" && l.ErrCode == 0 {
			shown = append(shown, l.Text)
		}
	}
	if diff := cmp.Diff([]string{"您好", "请问", "三", "四", "五"}, shown); diff != "" {
		t.Errorf("shown to the citizen (-want +got):\n%s", diff)
	}
}
