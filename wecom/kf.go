package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"banchengshi/cases"
)

// SyncLimit is the largest page sync_msg returns, and the default.
const SyncLimit = 1000

// SyncRequest asks kf sync_msg for the messages after Cursor. Token is the one
// from the kf_msg_or_event callback; without it WeCom rate-limits strictly.
type SyncRequest struct {
	Cursor   string
	Token    string
	OpenKfID string
	// Limit is the page size, at most SyncLimit; zero means SyncLimit.
	Limit int
}

// SyncResponse is one page of sync_msg. Persist NextCursor after handling the
// page; HasMore can be true with no messages.
type SyncResponse struct {
	NextCursor string
	HasMore    bool
	Messages   []KfMessage
}

// KfMessage is one item of sync_msg: a citizen's message (origin 3), a system
// event (origin 4) or a servicer's message typed in the WeCom client (origin 5).
type KfMessage struct {
	MsgID          string `json:"msgid"`
	OpenKfID       string `json:"open_kfid"`
	ExternalUserID string `json:"external_userid"`
	SendTime       int64  `json:"send_time"` // unix seconds
	Origin         int    `json:"origin"`
	ServicerUserID string `json:"servicer_userid"`
	MsgType        string `json:"msgtype"`

	Text         *KfText         `json:"text,omitempty"`
	Image        *KfMedia        `json:"image,omitempty"`
	Voice        *KfMedia        `json:"voice,omitempty"`
	Video        *KfMedia        `json:"video,omitempty"`
	File         *KfMedia        `json:"file,omitempty"`
	Location     *KfLocation     `json:"location,omitempty"`
	Link         *KfLink         `json:"link,omitempty"`
	BusinessCard *KfBusinessCard `json:"business_card,omitempty"`
	MiniProgram  *KfMiniProgram  `json:"miniprogram,omitempty"`
	MsgMenu      *KfMsgMenu      `json:"msgmenu,omitempty"`
	Event        *KfEvent        `json:"event,omitempty"`

	// Raw is the item exactly as WeCom sent it, for what is not modelled here.
	Raw json.RawMessage `json:"-"`
}

// Origins of kf messages.
const (
	OriginCustomer = 3
	OriginSystem   = 4
	OriginServicer = 5
)

// KfText is a text message; MenuID is set when the citizen tapped a menu item.
type KfText struct {
	Content string `json:"content"`
	MenuID  string `json:"menu_id,omitempty"`
}

// KfMedia is an image, voice (AMR), video or file; the media id lives 3 days.
type KfMedia struct {
	MediaID string `json:"media_id"`
}

// KfLocation is a shared location.
type KfLocation struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name"`
	Address   string  `json:"address"`
}

// KfLink is a shared link.
type KfLink struct {
	Title  string `json:"title"`
	Desc   string `json:"desc"`
	URL    string `json:"url"`
	PicURL string `json:"pic_url"`
}

// KfBusinessCard is a shared WeCom contact card.
type KfBusinessCard struct {
	UserID string `json:"userid"`
}

// KfMiniProgram is a shared mini program.
type KfMiniProgram struct {
	Title        string `json:"title"`
	AppID        string `json:"appid"`
	PagePath     string `json:"pagepath"`
	ThumbMediaID string `json:"thumb_media_id"`
}

// KfMsgMenu is a menu message, as sent by a servicer in the WeCom client.
type KfMsgMenu struct {
	HeadContent string       `json:"head_content"`
	List        []KfMenuItem `json:"list"`
	TailContent string       `json:"tail_content"`
}

// KfMenuItem is one entry of a menu message; Type says which field is set.
type KfMenuItem struct {
	Type  string `json:"type"` // click, view, miniprogram, text
	Click *struct {
		ID      string `json:"id"`
		Content string `json:"content"`
	} `json:"click,omitempty"`
	View *struct {
		URL     string `json:"url"`
		Content string `json:"content"`
	} `json:"view,omitempty"`
	MiniProgram *struct {
		AppID    string `json:"appid"`
		PagePath string `json:"pagepath"`
		Content  string `json:"content"`
	} `json:"miniprogram,omitempty"`
	Text *struct {
		Content   string `json:"content"`
		NoNewline int    `json:"no_newline"`
	} `json:"text,omitempty"`
}

// KfEvent is a system event (msgtype event): enter_session, msg_send_fail,
// servicer_status_change, session_status_change, user_recall_msg,
// servicer_recall_msg, ...
type KfEvent struct {
	EventType         string `json:"event_type"`
	OpenKfID          string `json:"open_kfid"`
	ExternalUserID    string `json:"external_userid"`
	Scene             string `json:"scene"`
	SceneParam        string `json:"scene_param"`
	WelcomeCode       string `json:"welcome_code"`
	FailMsgID         string `json:"fail_msgid"`
	FailType          int    `json:"fail_type"`
	ServicerUserID    string `json:"servicer_userid"`
	Status            int    `json:"status"`
	ChangeType        int    `json:"change_type"`
	OldServicerUserID string `json:"old_servicer_userid"`
	NewServicerUserID string `json:"new_servicer_userid"`
	MsgCode           string `json:"msg_code"`
	RecallMsgID       string `json:"recall_msgid"`
}

// kf event types and msg_send_fail reasons the product reacts to.
const (
	KfEventEnterSession         = "enter_session"
	KfEventMsgSendFail          = "msg_send_fail"
	KfEventServicerStatusChange = "servicer_status_change"
	KfEventSessionStatusChange  = "session_status_change"
	KfEventUserRecallMsg        = "user_recall_msg"
	KfEventServicerRecallMsg    = "servicer_recall_msg"

	FailTypeExpired     = 4  // past 48 hours
	FailTypeClosed      = 5  // session closed
	FailTypeOverLimit   = 6  // over the 5-message limit
	FailTypeUserRefused = 10 // the citizen refuses messages
)

// Customer returns the external user id, which events carry inside Event.
func (m *KfMessage) Customer() string {
	if m.ExternalUserID == "" && m.Event != nil {
		return m.Event.ExternalUserID
	}
	return m.ExternalUserID
}

// Account returns the open_kfid, which events carry inside Event.
func (m *KfMessage) Account() string {
	if m.OpenKfID == "" && m.Event != nil {
		return m.Event.OpenKfID
	}
	return m.OpenKfID
}

// Record is the message as the inbox stores it.
func (m *KfMessage) Record() cases.KfMessage {
	return cases.KfMessage{
		MsgID:          m.MsgID,
		OpenKfID:       m.Account(),
		ExternalUserID: m.Customer(),
		Origin:         m.Origin,
		MsgType:        m.MsgType,
		SendTime:       time.Unix(m.SendTime, 0),
		Raw:            string(m.Raw),
	}
}

// SyncMsg pulls one page of kf messages. Unlike silenceper's SyncMsg it keeps
// WeCom's errcode (see ErrCode) and every item's raw JSON.
func (c *Client) SyncMsg(ctx context.Context, req SyncRequest) (*SyncResponse, error) {
	const path = "/cgi-bin/kf/sync_msg"
	limit := req.Limit
	if limit <= 0 || limit > SyncLimit {
		limit = SyncLimit
	}
	in := struct {
		Cursor   string `json:"cursor,omitempty"`
		Token    string `json:"token,omitempty"`
		Limit    int    `json:"limit"`
		OpenKfID string `json:"open_kfid,omitempty"`
	}{req.Cursor, req.Token, limit, req.OpenKfID}
	var out struct {
		NextCursor string            `json:"next_cursor"`
		HasMore    int               `json:"has_more"`
		MsgList    []json.RawMessage `json:"msg_list"`
	}
	if err := c.postJSON(ctx, path, in, &out); err != nil {
		return nil, fmt.Errorf("kf sync_msg: %w", err)
	}
	resp := &SyncResponse{NextCursor: out.NextCursor, HasMore: out.HasMore != 0, Messages: make([]KfMessage, 0, len(out.MsgList))}
	for i, raw := range out.MsgList {
		var m KfMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			// Without this item the cursor cannot move past it safely.
			return nil, unreadable(fmt.Errorf("kf sync_msg: decode item %d: %w", i, err))
		}
		m.Raw = append(json.RawMessage(nil), raw...)
		resp.Messages = append(resp.Messages, m)
	}
	return resp, nil
}

// WeCom's limits on kf messages, in bytes.
const (
	maxKfMsgID       = 32
	maxKfText        = 2048
	maxMenuHead      = 1024
	maxMenuTail      = 1024
	maxMenuItems     = 10
	maxMenuItemID    = 64
	maxMenuItemLabel = 128
)

// kfText and kfMenu are the message bodies of send_msg and send_msg_on_event.
// silenceper's types are close, but its event variant always sends an empty
// msgid and its menu list is untyped.
type kfText struct {
	Content string `json:"content"`
}

type kfMenu struct {
	HeadContent string       `json:"head_content,omitempty"`
	List        []kfMenuItem `json:"list"`
	TailContent string       `json:"tail_content,omitempty"`
}

type kfMenuItem struct {
	Type  string      `json:"type"`
	Click kfMenuClick `json:"click"`
}

type kfMenuClick struct {
	ID      string `json:"id"`
	Content string `json:"content"`
}

type kfSend struct {
	ToUser   string  `json:"touser,omitempty"`
	OpenKfID string  `json:"open_kfid,omitempty"`
	Code     string  `json:"code,omitempty"`
	MsgID    string  `json:"msgid,omitempty"`
	MsgType  string  `json:"msgtype"`
	Text     *kfText `json:"text,omitempty"`
	MsgMenu  *kfMenu `json:"msgmenu,omitempty"`
}

// kfBody checks m against WeCom's limits and encodes it as text or msgmenu.
func kfBody(m cases.Message) (kfSend, error) {
	if len(m.Menu) == 0 {
		if m.Text == "" {
			return kfSend{}, invalidf("empty text")
		}
		if len(m.Text) > maxKfText {
			return kfSend{}, invalidf("text is %d bytes, kf allows %d", len(m.Text), maxKfText)
		}
		return kfSend{MsgType: "text", Text: &kfText{Content: m.Text}}, nil
	}
	if len(m.Text) > maxMenuHead {
		return kfSend{}, invalidf("menu head is %d bytes, kf allows %d", len(m.Text), maxMenuHead)
	}
	if len(m.MenuTail) > maxMenuTail {
		return kfSend{}, invalidf("menu tail is %d bytes, kf allows %d", len(m.MenuTail), maxMenuTail)
	}
	if len(m.Menu) > maxMenuItems {
		return kfSend{}, invalidf("menu has %d items, kf allows %d", len(m.Menu), maxMenuItems)
	}
	menu := &kfMenu{HeadContent: m.Text, TailContent: m.MenuTail, List: make([]kfMenuItem, 0, len(m.Menu))}
	for i, it := range m.Menu {
		if it.ID == "" || len(it.ID) > maxMenuItemID {
			return kfSend{}, invalidf("menu item %d id must be 1 to %d bytes", i+1, maxMenuItemID)
		}
		if it.Text == "" || len(it.Text) > maxMenuItemLabel {
			return kfSend{}, invalidf("menu item %d text must be 1 to %d bytes", i+1, maxMenuItemLabel)
		}
		menu.List = append(menu.List, kfMenuItem{Type: "click", Click: kfMenuClick{ID: it.ID, Content: it.Text}})
	}
	return kfSend{MsgType: "msgmenu", MsgMenu: menu}, nil
}

// SendKf sends m to a citizen through a kf account: text, or a msgmenu when
// m.Menu is set. msgID, when not empty, is the message's idempotency key
// (send_msg's msgid, up to 32 of [0-9a-zA-Z_-]): the same key on every retry
// of one message, so that WeCom can tell a repeat from a new message, and it
// comes back as the message's msgid. Success means WeCom accepted the
// message, not that it was delivered; watch msg_send_fail events. errcode
// 95001 (CodeKfSendLimit) means the citizen's window is closed or used up.
func (c *Client) SendKf(ctx context.Context, openKfID, externalUserID, msgID string, m cases.Message) (string, error) {
	const path = "/cgi-bin/kf/send_msg"
	if openKfID == "" || externalUserID == "" {
		return "", invalidf("kf account and recipient are required")
	}
	if !validMsgID(msgID) {
		return "", invalidf("msgid must be up to %d of [0-9a-zA-Z_-]", maxKfMsgID)
	}
	body, err := kfBody(m)
	if err != nil {
		return "", err
	}
	body.ToUser, body.OpenKfID, body.MsgID = externalUserID, openKfID, msgID
	var out struct {
		MsgID string `json:"msgid"`
	}
	if err := c.postJSON(ctx, path, body, &out); err != nil {
		return "", fmt.Errorf("kf send_msg: %w", err)
	}
	return out.MsgID, nil
}

// SendKfOnEvent answers an event with its single-use code: the welcome message
// of enter_session (valid 20 s) or the greeting/closing of a session change.
func (c *Client) SendKfOnEvent(ctx context.Context, code string, m cases.Message) (string, error) {
	const path = "/cgi-bin/kf/send_msg_on_event"
	if code == "" {
		return "", invalidf("event code is required")
	}
	body, err := kfBody(m)
	if err != nil {
		return "", err
	}
	body.Code = code
	var out struct {
		MsgID string `json:"msgid"`
	}
	if err := c.postJSON(ctx, path, body, &out); err != nil {
		return "", fmt.Errorf("kf send_msg_on_event: %w", err)
	}
	return out.MsgID, nil
}

// Kf session states.
const (
	StateNew      = 0
	StateBot      = 1
	StatePool     = 2
	StateServicer = 3
	StateEnded    = 4
)

// ServiceState returns a citizen's kf session state and, in state 3, the
// servicer's user id. It reads servicer_userid, which silenceper misnames.
func (c *Client) ServiceState(ctx context.Context, openKfID, externalUserID string) (int, string, error) {
	const path = "/cgi-bin/kf/service_state/get"
	in := struct {
		OpenKfID       string `json:"open_kfid"`
		ExternalUserID string `json:"external_userid"`
	}{openKfID, externalUserID}
	var out struct {
		ServiceState   int    `json:"service_state"`
		ServicerUserID string `json:"servicer_userid"`
	}
	if err := c.postJSON(ctx, path, in, &out); err != nil {
		return 0, "", fmt.Errorf("kf service_state/get: %w", err)
	}
	return out.ServiceState, out.ServicerUserID, nil
}

// TransServiceState moves a citizen's session to state (3 needs
// servicerUserID). The returned msg_code, when WeCom gives one, can be used
// with SendKfOnEvent for the greeting or closing words.
func (c *Client) TransServiceState(ctx context.Context, openKfID, externalUserID string, state int, servicerUserID string) (string, error) {
	const path = "/cgi-bin/kf/service_state/trans"
	if state < StateNew || state > StateEnded {
		return "", invalidf("service state %d does not exist", state)
	}
	if state == StateServicer && servicerUserID == "" {
		return "", invalidf("service state 3 needs a servicer user id")
	}
	in := struct {
		OpenKfID       string `json:"open_kfid"`
		ExternalUserID string `json:"external_userid"`
		ServiceState   int    `json:"service_state"`
		ServicerUserID string `json:"servicer_userid,omitempty"`
	}{openKfID, externalUserID, state, servicerUserID}
	var out struct {
		MsgCode string `json:"msg_code"`
	}
	if err := c.postJSON(ctx, path, in, &out); err != nil {
		return "", fmt.Errorf("kf service_state/trans: %w", err)
	}
	return out.MsgCode, nil
}

// validMsgID reports whether id may be send_msg's msgid: up to 32 of
// [0-9a-zA-Z_-], or empty for WeCom to choose one.
func validMsgID(id string) bool {
	if len(id) > maxKfMsgID {
		return false
	}
	for _, r := range id {
		ok := r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}
