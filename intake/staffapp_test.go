package intake

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/wecom"
)

// The staff side gets what a staff member sent in its own terms; nothing of
// an app callback it does not use reaches it.
func TestAppMessage(t *testing.T) {
	tests := []struct {
		name string
		cb   wecom.Callback
		want cases.AppMessage
	}{
		{"a typed command",
			wecom.Callback{MsgType: "text", FromUserName: "zhangsan", Content: "受理 0007", MsgID: "m1"},
			cases.AppMessage{UserID: "zhangsan", Kind: cases.AppText, Text: "受理 0007"}},
		{"a card button",
			wecom.Callback{MsgType: "event", Event: wecom.EventTemplateCard, FromUserName: "lisi", EventKey: "accept:BC2611300001",
				TaskID: "task1", ResponseCode: "code1", CardType: "button_interaction"},
			cases.AppMessage{UserID: "lisi", Kind: cases.AppCardClick, ButtonKey: "accept:BC2611300001", TaskID: "task1", ResponseCode: "code1"}},
		{"the app opened",
			wecom.Callback{MsgType: "event", Event: "enter_agent", FromUserName: "lisi", EventKey: "x"},
			cases.AppMessage{UserID: "lisi", Kind: cases.AppEvent}},
		{"a photo",
			wecom.Callback{MsgType: "image", FromUserName: "wangwu", MediaID: "media1", PicURL: "https://example.com/p.jpg"},
			cases.AppMessage{UserID: "wangwu", Kind: cases.AppOther}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, appMessage(&tt.cb)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
