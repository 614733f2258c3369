package intake

import (
	"banchengshi/cases"
	"banchengshi/wecom"
)

// appMessage is what the staff side needs of an app callback.
func appMessage(cb *wecom.Callback) cases.AppMessage {
	m := cases.AppMessage{UserID: cb.FromUserName, Kind: cases.AppOther}
	switch {
	case cb.MsgType == "text":
		m.Kind, m.Text = cases.AppText, cb.Content
	case cb.MsgType == "event" && cb.Event == wecom.EventTemplateCard:
		m.Kind, m.ButtonKey, m.TaskID, m.ResponseCode = cases.AppCardClick, cb.EventKey, cb.TaskID, cb.ResponseCode
	case cb.MsgType == "event":
		m.Kind = cases.AppEvent
	}
	return m
}
