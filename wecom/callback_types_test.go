package wecom

import (
	"encoding/json"
	"encoding/xml"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/silenceper/wechat/v2/work/kf"
	"github.com/silenceper/wechat/v2/work/kf/syncmsg"
)

// The product decodes sync_msg items with its own KfMessage (README, "WeCom:
// what comes from silenceper/wechat", says why). On every field both have,
// it reads what silenceper's syncmsg types read.
func TestKfMessageAgreesWithSilenceper(t *testing.T) {
	base := `"msgid":"m1","open_kfid":"wkA","external_userid":"wmB","send_time":1733500000,"origin":3,"servicer_userid":"zhangsan",`
	type common struct {
		MsgID, OpenKfID, ExternalUserID, ServicerUserID, MsgType string
		SendTime                                                 int64
		Origin                                                   int
	}
	ours := func(t *testing.T, raw string) KfMessage {
		var m KfMessage
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	theirsBase := func(b syncmsg.BaseMessage, msgType string) common {
		return common{b.MsgID, b.OpenKFID, b.ExternalUserID, b.ReceptionistUserID, msgType, int64(b.SendTime), int(b.Origin)}
	}
	oursBase := func(m KfMessage) common {
		return common{m.MsgID, m.OpenKfID, m.ExternalUserID, m.ServicerUserID, m.MsgType, m.SendTime, m.Origin}
	}
	tests := []struct {
		name   string
		raw    string
		theirs func(t *testing.T, raw string) (common, any)
		ours   func(m KfMessage) any
	}{
		{
			name: "text from a menu",
			raw:  `{` + base + `"msgtype":"text","text":{"content":"反映问题","menu_id":"menu:1"}}`,
			theirs: func(t *testing.T, raw string) (common, any) {
				var v syncmsg.Text
				mustUnmarshal(t, raw, &v)
				return theirsBase(v.BaseMessage, v.MsgType), [2]string{v.Text.Content, v.Text.MenuID}
			},
			ours: func(m KfMessage) any { return [2]string{m.Text.Content, m.Text.MenuID} },
		},
		{
			name: "voice",
			raw:  `{` + base + `"msgtype":"voice","voice":{"media_id":"MEDIA"}}`,
			theirs: func(t *testing.T, raw string) (common, any) {
				var v syncmsg.Voice
				mustUnmarshal(t, raw, &v)
				return theirsBase(v.BaseMessage, v.MsgType), v.Voice.MediaID
			},
			ours: func(m KfMessage) any { return m.Voice.MediaID },
		},
		{
			name: "link",
			raw:  `{` + base + `"msgtype":"link","link":{"title":"T","desc":"D","url":"https://example.com","pic_url":"P"}}`,
			theirs: func(t *testing.T, raw string) (common, any) {
				var v syncmsg.Link
				mustUnmarshal(t, raw, &v)
				return theirsBase(v.BaseMessage, v.MsgType), [4]string{v.Link.Title, v.Link.Desc, v.Link.URL, v.Link.PicURL}
			},
			ours: func(m KfMessage) any { return [4]string{m.Link.Title, m.Link.Desc, m.Link.URL, m.Link.PicURL} },
		},
		{
			name: "enter_session",
			raw: `{` + base + `"msgtype":"event","event":{"event_type":"enter_session","open_kfid":"wkA","external_userid":"wmB",` +
				`"scene":"qr","scene_param":"p","welcome_code":"W"}}`,
			theirs: func(t *testing.T, raw string) (common, any) {
				var v syncmsg.EnterSessionEvent
				mustUnmarshal(t, raw, &v)
				e := v.Event
				return theirsBase(v.BaseMessage, v.MsgType), [6]string{e.EventType, e.OpenKFID, e.ExternalUserID, e.Scene, e.SceneParam, e.WelcomeCode}
			},
			ours: func(m KfMessage) any {
				e := m.Event
				return [6]string{e.EventType, e.OpenKfID, e.ExternalUserID, e.Scene, e.SceneParam, e.WelcomeCode}
			},
		},
		{
			name: "msg_send_fail",
			raw:  `{` + base + `"msgtype":"event","event":{"event_type":"msg_send_fail","open_kfid":"wkA","external_userid":"wmB","fail_msgid":"F","fail_type":4}}`,
			theirs: func(t *testing.T, raw string) (common, any) {
				var v syncmsg.MsgSendFailEvent
				mustUnmarshal(t, raw, &v)
				return theirsBase(v.BaseMessage, v.MsgType), [2]any{v.Event.FailMsgID, int(v.Event.FailType)}
			},
			ours: func(m KfMessage) any { return [2]any{m.Event.FailMsgID, m.Event.FailType} },
		},
		{
			name: "session_status_change",
			raw: `{` + base + `"msgtype":"event","event":{"event_type":"session_status_change","open_kfid":"wkA","external_userid":"wmB",` +
				`"change_type":1,"new_servicer_userid":"lisi","msg_code":"C"}}`,
			theirs: func(t *testing.T, raw string) (common, any) {
				var v syncmsg.SessionStatusChangeEvent
				mustUnmarshal(t, raw, &v)
				e := v.Event
				return theirsBase(v.BaseMessage, v.MsgType), [4]any{int(e.ChangeType), e.OldReceptionistUserID, e.NewReceptionistUserID, e.MsgCode}
			},
			ours: func(m KfMessage) any {
				e := m.Event
				return [4]any{e.ChangeType, e.OldServicerUserID, e.NewServicerUserID, e.MsgCode}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ours(t, tt.raw)
			wantBase, want := tt.theirs(t, tt.raw)
			if diff := cmp.Diff(wantBase, oursBase(m)); diff != "" {
				t.Errorf("common fields (-silenceper +ours):\n%s", diff)
			}
			if diff := cmp.Diff(want, tt.ours(m)); diff != "" {
				t.Errorf("payload (-silenceper +ours):\n%s", diff)
			}
		})
	}
}

// The kf "something new" callback: silenceper's kf.CallbackMessage and our
// Callback read the same event from the same decrypted XML.
func TestKfCallbackAgreesWithSilenceper(t *testing.T) {
	raw := []byte(`<xml><ToUserName><![CDATA[ww1]]></ToUserName><CreateTime>1733500000</CreateTime>` +
		`<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>` +
		`<Token><![CDATA[ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR]]></Token><OpenKfId><![CDATA[wkA]]></OpenKfId></xml>`)
	var theirs kf.CallbackMessage
	if err := xml.Unmarshal(raw, &theirs); err != nil {
		t.Fatal(err)
	}
	ours, err := ParseCallback(raw)
	if err != nil {
		t.Fatal(err)
	}
	got := kf.CallbackMessage{ToUserName: ours.ToUserName, CreateTime: ours.CreateTime, MsgType: ours.MsgType,
		Event: ours.Event, Token: ours.Token, OpenKfID: ours.OpenKfID}
	if diff := cmp.Diff(theirs, got); diff != "" {
		t.Errorf("(-silenceper +ours):\n%s", diff)
	}
}

func mustUnmarshal(t *testing.T, raw string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		t.Fatal(err)
	}
}
