package sandbox

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The sync_msg message shapes (WeCom's JSON).
type (
	syncMsg struct {
		MsgID          string        `json:"msgid"`
		OpenKfID       string        `json:"open_kfid"`
		ExternalUserID string        `json:"external_userid,omitempty"`
		SendTime       int64         `json:"send_time"`
		Origin         int           `json:"origin"`
		ServicerUserID string        `json:"servicer_userid,omitempty"`
		MsgType        string        `json:"msgtype"`
		Text           *textBody     `json:"text,omitempty"`
		Image          *mediaBody    `json:"image,omitempty"`
		Voice          *mediaBody    `json:"voice,omitempty"`
		Video          *mediaBody    `json:"video,omitempty"`
		File           *mediaBody    `json:"file,omitempty"`
		Location       *locationBody `json:"location,omitempty"`
		Link           *linkBody     `json:"link,omitempty"`
		BusinessCard   *cardBody     `json:"business_card,omitempty"`
		Miniprogram    *miniBody     `json:"miniprogram,omitempty"`
		Event          *kfEvent      `json:"event,omitempty"`

		seq int64
		at  time.Time
	}
	textBody struct {
		Content string `json:"content"`
		MenuID  string `json:"menu_id,omitempty"`
	}
	mediaBody struct {
		MediaID string `json:"media_id"`
	}
	locationBody struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Name      string  `json:"name"`
		Address   string  `json:"address"`
	}
	linkBody struct {
		Title  string `json:"title"`
		Desc   string `json:"desc"`
		URL    string `json:"url"`
		PicURL string `json:"pic_url"`
	}
	cardBody struct {
		UserID string `json:"userid"`
	}
	miniBody struct {
		Title        string `json:"title"`
		AppID        string `json:"appid"`
		PagePath     string `json:"pagepath"`
		ThumbMediaID string `json:"thumb_media_id"`
	}
	kfEvent struct {
		EventType         string `json:"event_type"`
		OpenKfID          string `json:"open_kfid"`
		ExternalUserID    string `json:"external_userid,omitempty"`
		Scene             string `json:"scene,omitempty"`
		SceneParam        string `json:"scene_param,omitempty"`
		WelcomeCode       string `json:"welcome_code,omitempty"`
		FailMsgID         string `json:"fail_msgid,omitempty"`
		FailType          int    `json:"fail_type,omitempty"`
		ServicerUserID    string `json:"servicer_userid,omitempty"`
		Status            int    `json:"status,omitempty"`
		ChangeType        int    `json:"change_type,omitempty"`
		OldServicerUserID string `json:"old_servicer_userid,omitempty"`
		NewServicerUserID string `json:"new_servicer_userid,omitempty"`
		MsgCode           string `json:"msg_code,omitempty"`
	}
)

// ChatLine is one line of a conversation as the citizen sees it.
type ChatLine struct {
	At       time.Time  `json:"at"`
	From     string     `json:"from"` // "citizen", "bot" (the product's API) or "servicer"
	OpenKfID string     `json:"open_kfid"`
	MsgID    string     `json:"msgid,omitempty"`
	MsgType  string     `json:"msgtype"`
	Text     string     `json:"text,omitempty"`
	MenuID   string     `json:"menu_id,omitempty"`
	Menu     []MenuItem `json:"menu,omitempty"`
	MenuTail string     `json:"menu_tail,omitempty"`
	MediaID  string     `json:"media_id,omitempty"`
	FileName string     `json:"file_name,omitempty"`
	Servicer string     `json:"servicer,omitempty"`
	// ErrCode is non-zero for a product message WeCom refused (e.g. 95001);
	// the citizen never saw it. FailType is set when the API accepted it but
	// it was not delivered (msg_send_fail, e.g. 10 = the user refused).
	ErrCode  int `json:"errcode,omitempty"`
	FailType int `json:"fail_type,omitempty"`
}

// MenuItem is one choice of a msgmenu message.
type MenuItem struct {
	Type    string `json:"type"` // click, view, miniprogram, text
	ID      string `json:"id,omitempty"`
	Content string `json:"content"`
	URL     string `json:"url,omitempty"`
}

type sessionKey struct{ openKfID, externalUserID string }

// session is the kf session state and the citizen's send window.
type session struct {
	state       int
	servicer    string
	lastCitizen time.Time // last message from the citizen; zero if none
	sent        int       // product messages since lastCitizen
}

type kfToken struct {
	openKfID string
	expires  time.Time
}

type eventCode struct {
	key     sessionKey
	expires time.Time
}

func (s *Sandbox) sessionLocked(k sessionKey) *session {
	ss := s.sessions[k]
	if ss == nil {
		ss = &session{}
		s.sessions[k] = ss
	}
	return ss
}

// appendLocked puts a message where sync_msg finds it.
func (s *Sandbox) appendLocked(m *syncMsg) {
	s.seq++
	m.seq = s.seq
	m.at = s.now()
	m.SendTime = m.at.Unix()
	if m.MsgID == "" {
		m.MsgID = randHex(16)
	}
	s.syncLog = append(s.syncLog, m)
}

func (s *Sandbox) chatLocked(externalUserID string, l ChatLine) {
	if _, ok := s.chats[externalUserID]; !ok {
		s.citizens = append(s.citizens, externalUserID)
	}
	l.At = s.now()
	s.chats[externalUserID] = append(s.chats[externalUserID], l)
}

func (s *Sandbox) defaultKf() string { return s.cfg.OpenKfIDs[0] }

// citizenMessage records a message from the citizen (origin 3): it resets the
// send window and budget and revives an ended session, then notifies the
// product.
func (s *Sandbox) citizenMessage(ctx context.Context, externalUserID string, m *syncMsg, line ChatLine) (string, error) {
	if externalUserID == "" {
		return "", errors.New("sandbox: empty external user id")
	}
	kf := s.defaultKf()
	s.mu.Lock()
	m.OpenKfID, m.ExternalUserID, m.Origin = kf, externalUserID, 3
	s.appendLocked(m)
	ss := s.sessionLocked(sessionKey{kf, externalUserID})
	if ss.state == 4 {
		ss.state, ss.servicer = 0, ""
	}
	ss.lastCitizen, ss.sent = s.now(), 0
	line.From, line.OpenKfID, line.MsgID, line.MsgType = "citizen", kf, m.MsgID, m.MsgType
	s.chatLocked(externalUserID, line)
	s.mu.Unlock()
	if err := s.notifyKf(ctx, kf); err != nil {
		return m.MsgID, err
	}
	return m.MsgID, nil
}

// CitizenSays sends a text from the citizen and delivers the kf callback; it
// returns after the product answered the callback (error if not 200).
func (s *Sandbox) CitizenSays(ctx context.Context, externalUserID, text string) (string, error) {
	return s.citizenMessage(ctx, externalUserID,
		&syncMsg{MsgType: "text", Text: &textBody{Content: text}},
		ChatLine{Text: text})
}

// CitizenTaps is the citizen tapping a msgmenu item: a text with menu_id.
func (s *Sandbox) CitizenTaps(ctx context.Context, externalUserID, menuID, text string) (string, error) {
	return s.citizenMessage(ctx, externalUserID,
		&syncMsg{MsgType: "text", Text: &textBody{Content: text, MenuID: menuID}},
		ChatLine{Text: text, MenuID: menuID})
}

// CitizenSends sends an image, voice, video or file: the bytes are stored as
// media (valid 3 days by the clock) and the message is queued.
func (s *Sandbox) CitizenSends(ctx context.Context, externalUserID, msgtype string, data []byte, fileName string) (string, error) {
	if err := checkMediaSize(msgtype, len(data)); err != nil {
		return "", err
	}
	id := s.storeMedia(msgtype, data, fileName)
	m := &syncMsg{MsgType: msgtype}
	body := &mediaBody{MediaID: id}
	switch msgtype {
	case "image":
		m.Image = body
	case "voice":
		m.Voice = body
	case "video":
		m.Video = body
	case "file":
		m.File = body
	}
	return s.citizenMessage(ctx, externalUserID, m, ChatLine{MediaID: id, FileName: fileName})
}

// CitizenSendsOther sends a location, link, business_card or miniprogram
// message with plausible content.
func (s *Sandbox) CitizenSendsOther(ctx context.Context, externalUserID, msgtype string) (string, error) {
	m := &syncMsg{MsgType: msgtype}
	var text string
	switch msgtype {
	case "location":
		m.Location = &locationBody{Latitude: 39.9087, Longitude: 116.3975, Name: "人民广场", Address: "市中心人民路1号"}
		text = "[位置] 人民广场"
	case "link":
		m.Link = &linkBody{Title: "社保政策解读", Desc: "最新养老保险转移接续办法", URL: "https://example.com/policy", PicURL: "https://example.com/pic.png"}
		text = "[链接] 社保政策解读"
	case "business_card":
		m.BusinessCard = &cardBody{UserID: "lisi"}
		text = "[名片] 李四"
	case "miniprogram":
		m.Miniprogram = &miniBody{Title: "社保查询", AppID: "wx0000000000000000", PagePath: "pages/index", ThumbMediaID: s.storeMedia("image", []byte("\x89PNG\r\n\x1a\nthumb"), "thumb.png")}
		text = "[小程序] 社保查询"
	default:
		return "", fmt.Errorf("sandbox: unsupported message type %q", msgtype)
	}
	return s.citizenMessage(ctx, externalUserID, m, ChatLine{Text: text})
}

// CitizenEnters is the citizen opening the chat: an enter_session event with
// a welcome_code valid 20 s for one send_msg_on_event.
func (s *Sandbox) CitizenEnters(ctx context.Context, externalUserID string) error {
	if externalUserID == "" {
		return errors.New("sandbox: empty external user id")
	}
	kf := s.defaultKf()
	s.mu.Lock()
	code := randHex(16)
	key := sessionKey{kf, externalUserID}
	s.eventCodes[code] = eventCode{key: key, expires: s.now().Add(eventCodeTTL)}
	s.sessionLocked(key)
	s.appendLocked(&syncMsg{OpenKfID: kf, Origin: 4, MsgType: "event", Event: &kfEvent{
		EventType: "enter_session", OpenKfID: kf, ExternalUserID: externalUserID,
		Scene: "sandbox", WelcomeCode: code,
	}})
	if _, ok := s.chats[externalUserID]; !ok {
		s.citizens = append(s.citizens, externalUserID)
		s.chats[externalUserID] = nil
	}
	s.mu.Unlock()
	return s.notifyKf(ctx, kf)
}

// ServicerSays is a human servicer typing in the WeCom client (origin 5).
func (s *Sandbox) ServicerSays(ctx context.Context, openKfID, externalUserID, servicerUserID, text string) error {
	if !s.isKf(openKfID) {
		return fmt.Errorf("sandbox: unknown open_kfid %q", openKfID)
	}
	if _, ok := s.isStaff(servicerUserID); !ok {
		return fmt.Errorf("sandbox: %q is not in the directory", servicerUserID)
	}
	s.mu.Lock()
	m := &syncMsg{OpenKfID: openKfID, ExternalUserID: externalUserID, Origin: 5,
		ServicerUserID: servicerUserID, MsgType: "text", Text: &textBody{Content: text}}
	s.appendLocked(m)
	s.chatLocked(externalUserID, ChatLine{From: "servicer", OpenKfID: openKfID, MsgID: m.MsgID,
		MsgType: "text", Text: text, Servicer: servicerUserID})
	s.mu.Unlock()
	return s.notifyKf(ctx, openKfID)
}

// SetServiceState changes a session's state as a servicer in the WeCom client
// would, and queues session_status_change (no callback is delivered; the
// product sees it on its next sync).
func (s *Sandbox) SetServiceState(openKfID, externalUserID string, state int, servicer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transLocked(sessionKey{openKfID, externalUserID}, state, servicer)
}

// transLocked moves the session and queues the session_status_change event.
// It returns the msg_code and whether an event was queued.
func (s *Sandbox) transLocked(k sessionKey, state int, servicer string) (string, bool) {
	ss := s.sessionLocked(k)
	old, oldServicer := ss.state, ss.servicer
	ss.state = state
	if state == 3 {
		ss.servicer = servicer
	} else {
		ss.servicer = ""
	}
	code := randHex(16)
	s.eventCodes[code] = eventCode{key: k, expires: s.now().Add(eventCodeTTL)}
	change := 0
	switch {
	case state == 3 && old == 3:
		change = 2 // transferred to another servicer
	case state == 3:
		change = 1 // taken from the pool / by a servicer
	case state == 4:
		change = 3 // ended
	case old == 4:
		change = 4 // re-opened
	}
	if change != 0 {
		s.appendLocked(&syncMsg{OpenKfID: k.openKfID, Origin: 4, MsgType: "event", Event: &kfEvent{
			EventType: "session_status_change", OpenKfID: k.openKfID, ExternalUserID: k.externalUserID,
			ChangeType: change, OldServicerUserID: oldServicer, NewServicerUserID: ss.servicer, MsgCode: code,
		}})
	}
	return code, change != 0
}

// ServicerStatus is a servicer changing their own reception status (1 接待中,
// 2 停止接待): a servicer_status_change event and a callback.
func (s *Sandbox) ServicerStatus(ctx context.Context, openKfID, servicerUserID string, status int) error {
	s.mu.Lock()
	s.appendLocked(&syncMsg{OpenKfID: openKfID, Origin: 4, MsgType: "event", Event: &kfEvent{
		EventType: "servicer_status_change", OpenKfID: openKfID, ServicerUserID: servicerUserID, Status: status,
	}})
	s.mu.Unlock()
	return s.notifyKf(ctx, openKfID)
}

// SetBlocked makes the citizen refuse messages: send_msg still answers ok, as
// WeCom does, but the message is not delivered and a msg_send_fail event
// (fail_type 10) follows.
func (s *Sandbox) SetBlocked(externalUserID string, blocked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[externalUserID] = blocked
}

// Chat returns the conversation with a citizen, both directions, in order.
func (s *Sandbox) Chat(externalUserID string) []ChatLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ChatLine(nil), s.chats[externalUserID]...)
}

// Citizens lists the citizens that have chatted, in order of first contact.
func (s *Sandbox) Citizens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.citizens...)
}

// The cursor is opaque to the product: base64 of a position in the log.
func encodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("sbx:" + strconv.FormatInt(seq, 10)))
}

func decodeCursor(c string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), "sbx:") {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b[4:]), 10, 64)
	return n, err == nil && n >= 0
}

type syncRequest struct {
	Cursor      string `json:"cursor"`
	Token       string `json:"token"`
	Limit       int    `json:"limit"`
	VoiceFormat int    `json:"voice_format"`
	OpenKfID    string `json:"open_kfid"`
}

type syncResponse struct {
	apiError
	NextCursor string     `json:"next_cursor"`
	HasMore    int        `json:"has_more"`
	MsgList    []*syncMsg `json:"msg_list"`
}

// handleSyncMsg is /cgi-bin/kf/sync_msg.
func (s *Sandbox) handleSyncMsg(w http.ResponseWriter, r *http.Request) {
	var req syncRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	switch {
	case req.OpenKfID != "" && !s.isKf(req.OpenKfID):
		writeErr(w, errInvalidOpenKfID, "invalid open_kfid")
		return
	case req.Limit < 0 || req.Limit > 1000:
		writeErr(w, errInvalidParameter, "invalid limit, must be 1..1000")
		return
	case len(req.Cursor) > 64 || len(req.Token) > 128:
		writeErr(w, errInvalidParameter, "cursor or token too long")
		return
	}
	if req.Limit == 0 {
		req.Limit = 1000
	}
	after := int64(-1)
	if req.Cursor != "" {
		n, ok := decodeCursor(req.Cursor)
		if !ok {
			writeErr(w, errInvalidParameter, "invalid cursor")
			return
		}
		after = n
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if req.Token != "" {
		t, ok := s.kfTokens[req.Token]
		if !ok || !now.Before(t.expires) || (req.OpenKfID != "" && t.openKfID != req.OpenKfID) {
			writeErr(w, errInvalidMsgToken, "invalid msg token")
			return
		}
	} else {
		key := req.OpenKfID
		var recent []time.Time
		for _, t := range s.noTokenCalls[key] {
			if now.Sub(t) < time.Minute {
				recent = append(recent, t)
			}
		}
		if len(recent) >= noTokenPerMinute {
			s.noTokenCalls[key] = recent
			writeErr(w, errFreqLimit, "api freq out of limit: sync_msg without token")
			return
		}
		s.noTokenCalls[key] = append(recent, now)
	}

	resp := syncResponse{apiError: apiError{0, "ok"}, MsgList: []*syncMsg{}}
	last := after
	for _, m := range s.syncLog {
		if m.seq <= after || (req.OpenKfID != "" && m.OpenKfID != req.OpenKfID) {
			continue
		}
		if after < 0 && now.Sub(m.at) > syncWindow {
			continue
		}
		if len(resp.MsgList) == req.Limit {
			resp.HasMore = 1
			break
		}
		resp.MsgList = append(resp.MsgList, m)
		last = m.seq
	}
	if resp.HasMore == 0 {
		// Everything up to now was seen: resume after the end of the log.
		last = s.seq
	}
	resp.NextCursor = encodeCursor(max(last, 0))
	writeJSON(w, resp)
}
