package intake

import (
	"encoding/json"
	"fmt"
	"maps"

	"banchengshi/wecom"
)

// kfMessage is one message as sync_msg returns it: msgid, written by user
// at at, of msgtype with body under that key. Unless more says otherwise, a
// citizen (origin 3) wrote it to the sandbox's kf account; a nil in more
// leaves that field out.
func kfMessage(msgid, user string, at int64, msgtype string, body any, more map[string]any) wecom.KfMessage {
	fields := map[string]any{
		"msgid": msgid, "open_kfid": "wkSANDBOX001", "external_userid": user, "send_time": at,
		"origin": 3, "msgtype": msgtype, msgtype: body,
	}
	maps.Copy(fields, more)
	maps.DeleteFunc(fields, func(_ string, v any) bool { return v == nil })
	raw, err := json.Marshal(fields)
	if err != nil {
		panic(err)
	}
	var m wecom.KfMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		panic(err)
	}
	m.Raw = raw
	return m
}

// text is a citizen's text message.
func text(msgid, user, content string, at int64) wecom.KfMessage {
	return kfMessage(msgid, user, at, "text", map[string]string{"content": content}, nil)
}

// voice is a citizen's voice message.
func voice(msgid, user, mediaID string, at int64) wecom.KfMessage {
	return kfMessage(msgid, user, at, "voice", map[string]string{"media_id": mediaID}, nil)
}

// image is a photo from user; its media id is "user/n".
func image(msgid, user string, n int, at int64) wecom.KfMessage {
	return kfMessage(msgid, user, at, "image", map[string]string{"media_id": fmt.Sprintf("%s/%d", user, n)}, nil)
}

// servicerText is a message a servicer typed in the WeCom client (origin 5).
func servicerText(msgid, user, servicer, content string, at int64) wecom.KfMessage {
	return kfMessage(msgid, user, at, "text", map[string]string{"content": content},
		map[string]any{"origin": 5, "servicer_userid": servicer})
}

// kfEvent is a kf system event (origin 4) about user: the event names the
// account and the citizen inside it, with fields of its type.
func kfEvent(msgid, user, eventType string, at int64, fields map[string]any) wecom.KfMessage {
	ev := map[string]any{"event_type": eventType, "open_kfid": "wkSANDBOX001", "external_userid": user}
	maps.Copy(ev, fields)
	return kfMessage(msgid, "", at, "event", ev, map[string]any{"origin": 4, "open_kfid": nil, "external_userid": nil})
}

// recallEvent is WeCom's event that user recalled the message recalled.
func recallEvent(msgid, user, recalled string, at int64) wecom.KfMessage {
	return kfEvent(msgid, user, wecom.KfEventUserRecallMsg, at, map[string]any{"recall_msgid": recalled})
}
