package sandbox

import (
	"encoding/json"
	"net/http"
	"regexp"
	"time"
)

// idempotency is what the sandbox remembers to tell a repeated send from a
// new one. Its maps are made on first use; s.mu guards them.
//
// UNVERIFIED: WeCom documents send_msg's msgid only as "returned as given";
// the sandbox treats a msgid already accepted on a kf account as a repeat of
// that message: answered ok with the same msgid, not shown or counted again.
// App messages with enable_duplicate_check are documented: the same content
// to the same members within duplicate_check_interval (default 1800 s, at
// most 4 hours) is not delivered again; the sandbox answers ok with the first
// message's msgid and response code.
type idempotency struct {
	kf  map[kfMsgKey]bool
	app map[string]appDuplicate
}

type kfMsgKey struct{ openKfID, msgID string }

type appDuplicate struct {
	msgid, responseCode string
	expires             time.Time
}

// kfRepeatLocked reports whether msgid was accepted on openKfID before, and
// remembers it otherwise; s.mu must be held.
func (s *Sandbox) kfRepeatLocked(openKfID, msgID string, accept bool) bool {
	if msgID == "" {
		return false
	}
	k := kfMsgKey{openKfID, msgID}
	if s.idem.kf[k] {
		return true
	}
	if accept {
		if s.idem.kf == nil {
			s.idem.kf = map[kfMsgKey]bool{}
		}
		s.idem.kf[k] = true
	}
	return false
}

// sendRequest is the body of kf/send_msg and kf/send_msg_on_event.
type sendRequest struct {
	ToUser   string          `json:"touser"`
	OpenKfID string          `json:"open_kfid"`
	Code     string          `json:"code"`
	MsgID    string          `json:"msgid"`
	MsgType  string          `json:"msgtype"`
	Text     *textBody       `json:"text"`
	Image    *mediaBody      `json:"image"`
	Voice    *mediaBody      `json:"voice"`
	Video    *mediaBody      `json:"video"`
	File     *mediaBody      `json:"file"`
	Link     *linkBody       `json:"link"`
	Location *locationBody   `json:"location"`
	MsgMenu  *msgMenu        `json:"msgmenu"`
	Mini     json.RawMessage `json:"miniprogram"`
}

type msgMenu struct {
	HeadContent string         `json:"head_content"`
	List        []msgMenuEntry `json:"list"`
	TailContent string         `json:"tail_content"`
}

type msgMenuEntry struct {
	Type  string `json:"type"`
	Click *struct {
		ID      string `json:"id"`
		Content string `json:"content"`
	} `json:"click"`
	View *struct {
		URL     string `json:"url"`
		Content string `json:"content"`
	} `json:"view"`
	Miniprogram *struct {
		AppID    string `json:"appid"`
		PagePath string `json:"pagepath"`
		Content  string `json:"content"`
	} `json:"miniprogram"`
	Text *struct {
		Content   string `json:"content"`
		NoNewline int    `json:"no_newline"`
	} `json:"text"`
}

var msgIDPattern = regexp.MustCompile(`^[0-9a-zA-Z_-]{0,32}$`)

// validate checks the message content like WeCom does and returns the chat
// line it will show; code is 0 when the content is acceptable.
func (s *Sandbox) validate(req *sendRequest, allowed map[string]bool) (ChatLine, int, string) {
	line := ChatLine{MsgType: req.MsgType}
	if !allowed[req.MsgType] {
		return line, errInvalidMsgType, "invalid message type"
	}
	if !msgIDPattern.MatchString(req.MsgID) {
		return line, errInvalidParameter, "invalid msgid"
	}
	media := func(m *mediaBody) (ChatLine, int, string) {
		if m == nil || m.MediaID == "" {
			return line, errInvalidMediaID, "invalid media_id"
		}
		s.mu.Lock()
		item := s.media[m.MediaID]
		ok := item != nil && s.now().Before(item.expires)
		s.mu.Unlock()
		if !ok {
			return line, errInvalidMediaID, "invalid media_id"
		}
		line.MediaID, line.FileName = m.MediaID, item.fileName
		return line, 0, ""
	}
	switch req.MsgType {
	case "text":
		if req.Text == nil || req.Text.Content == "" {
			return line, errEmptyContent, "empty content"
		}
		if len(req.Text.Content) > 2048 {
			return line, errContentTooLong, "content size out of limit"
		}
		line.Text = req.Text.Content
	case "image":
		return media(req.Image)
	case "voice":
		return media(req.Voice)
	case "video":
		return media(req.Video)
	case "file":
		return media(req.File)
	case "link":
		if req.Link == nil || req.Link.Title == "" || req.Link.URL == "" {
			return line, errInvalidParameter, "link title and url required"
		}
		line.Text = req.Link.Title
	case "location":
		if req.Location == nil {
			return line, errInvalidParameter, "location required"
		}
		line.Text = req.Location.Name
	case "miniprogram":
		if len(req.Mini) == 0 {
			return line, errInvalidParameter, "miniprogram required"
		}
		line.Text = "[小程序]"
	case "msgmenu":
		return validateMenu(req.MsgMenu, line)
	}
	return line, 0, ""
}

// validateMenu applies msgmenu's limits: head and tail up to 1024 bytes, at
// most 10 items, each with its content (click id up to 128 bytes, content up
// to 128 bytes; view url up to 2048 bytes; text up to 256 bytes).
func validateMenu(m *msgMenu, line ChatLine) (ChatLine, int, string) {
	if m == nil || (m.HeadContent == "" && len(m.List) == 0 && m.TailContent == "") {
		return line, errEmptyContent, "empty content"
	}
	if len(m.HeadContent) > 1024 || len(m.TailContent) > 1024 {
		return line, errContentTooLong, "content size out of limit"
	}
	if len(m.List) > 10 {
		return line, errInvalidParameter, "msgmenu list has more than 10 items"
	}
	line.Text, line.MenuTail = m.HeadContent, m.TailContent
	for _, e := range m.List {
		var item MenuItem
		switch {
		case e.Type == "click" && e.Click != nil:
			if len(e.Click.ID) > 128 {
				return line, errInvalidParameter, "click id longer than 128 bytes"
			}
			item = MenuItem{Type: "click", ID: e.Click.ID, Content: e.Click.Content}
		case e.Type == "view" && e.View != nil:
			if e.View.URL == "" || len(e.View.URL) > 2048 {
				return line, errInvalidParameter, "view url required, up to 2048 bytes"
			}
			item = MenuItem{Type: "view", URL: e.View.URL, Content: e.View.Content}
		case e.Type == "miniprogram" && e.Miniprogram != nil:
			if e.Miniprogram.AppID == "" || e.Miniprogram.PagePath == "" {
				return line, errInvalidParameter, "miniprogram appid and pagepath required"
			}
			item = MenuItem{Type: "miniprogram", Content: e.Miniprogram.Content}
		case e.Type == "text" && e.Text != nil:
			if len(e.Text.Content) > 256 {
				return line, errContentTooLong, "content size out of limit"
			}
			item = MenuItem{Type: "text", Content: e.Text.Content}
		default:
			return line, errInvalidParameter, "invalid msgmenu item type"
		}
		if item.Content == "" {
			return line, errEmptyContent, "empty content"
		}
		if item.Type != "text" && len(item.Content) > 1024 || item.Type == "click" && len(item.Content) > 128 {
			return line, errContentTooLong, "content size out of limit"
		}
		line.Menu = append(line.Menu, item)
	}
	return line, 0, ""
}

var sendTypes = map[string]bool{"text": true, "image": true, "voice": true, "video": true,
	"file": true, "link": true, "miniprogram": true, "msgmenu": true, "location": true}

var eventSendTypes = map[string]bool{"text": true, "msgmenu": true}

// handleSendMsg is /cgi-bin/kf/send_msg: only in session state 0 or 1, only
// within 48 h after the citizen's last message, at most 5 messages.
func (s *Sandbox) handleSendMsg(w http.ResponseWriter, r *http.Request) {
	var req sendRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.ToUser == "" || req.OpenKfID == "" {
		writeErr(w, errInvalidParameter, "touser and open_kfid required")
		return
	}
	if !s.isKf(req.OpenKfID) {
		writeErr(w, errInvalidOpenKfID, "invalid open_kfid")
		return
	}
	line, code, msg := s.validate(&req, sendTypes)
	line.From, line.OpenKfID = "bot", req.OpenKfID

	s.mu.Lock()
	now := s.now()
	if code == 0 && s.kfRepeatLocked(req.OpenKfID, req.MsgID, false) {
		// A retry of a message WeCom already took: not a second message.
		s.mu.Unlock()
		writeJSON(w, struct {
			apiError
			MsgID string `json:"msgid"`
		}{apiError{0, "ok"}, req.MsgID})
		return
	}
	ss := s.sessions[sessionKey{req.OpenKfID, req.ToUser}]
	if code == 0 {
		switch {
		case ss == nil || ss.lastCitizen.IsZero():
			code, msg = errSendLimit, "send msg count or time out of limit: the customer has not written"
		case ss.state != 0 && ss.state != 1:
			code, msg = errSessionState, "send msg session status invalid"
		case now.Sub(ss.lastCitizen) > sendWindow:
			code, msg = errSendLimit, "send msg time out of limit: 48 hours after the customer's last message"
		case ss.sent >= sendBudget:
			code, msg = errSendLimit, "send msg count out of limit: 5 messages"
		}
	}
	if code != 0 {
		if ss != nil {
			line.ErrCode = code
			s.chatLocked(req.ToUser, line)
		}
		s.mu.Unlock()
		writeErr(w, code, msg)
		return
	}
	ss.sent++
	s.kfRepeatLocked(req.OpenKfID, req.MsgID, true)
	id := req.MsgID
	if id == "" {
		id = randHex(16)
	}
	line.MsgID = id
	blocked := s.blocked[req.ToUser]
	if blocked {
		line.FailType = 10
		s.appendLocked(&syncMsg{OpenKfID: req.OpenKfID, Origin: 4, MsgType: "event", Event: &kfEvent{
			EventType: "msg_send_fail", OpenKfID: req.OpenKfID, ExternalUserID: req.ToUser,
			FailMsgID: id, FailType: 10,
		}})
	}
	s.chatLocked(req.ToUser, line)
	s.mu.Unlock()
	if blocked {
		s.notifyKfLater(req.OpenKfID)
	}
	writeJSON(w, struct {
		apiError
		MsgID string `json:"msgid"`
	}{apiError{0, "ok"}, id})
}

// handleSendMsgOnEvent is /cgi-bin/kf/send_msg_on_event: one message per
// welcome_code or msg_code, within 20 s of the event.
func (s *Sandbox) handleSendMsgOnEvent(w http.ResponseWriter, r *http.Request) {
	var req sendRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.Code == "" {
		writeErr(w, errInvalidParameter, "code required")
		return
	}
	line, code, msg := s.validate(&req, eventSendTypes)
	if code != 0 {
		writeErr(w, code, msg)
		return
	}
	s.mu.Lock()
	ec, ok := s.eventCodes[req.Code]
	if !ok || !s.now().Before(ec.expires) {
		s.mu.Unlock()
		writeErr(w, errInvalidEventCode, "invalid code: unknown, used or expired")
		return
	}
	delete(s.eventCodes, req.Code)
	id := req.MsgID
	if id == "" {
		id = randHex(16)
	}
	line.From, line.OpenKfID, line.MsgID = "bot", ec.key.openKfID, id
	s.chatLocked(ec.key.externalUserID, line)
	s.mu.Unlock()
	writeJSON(w, struct {
		apiError
		MsgID string `json:"msgid"`
	}{apiError{0, "ok"}, id})
}

type stateRequest struct {
	OpenKfID       string `json:"open_kfid"`
	ExternalUserID string `json:"external_userid"`
	ServiceState   *int   `json:"service_state"`
	ServicerUserID string `json:"servicer_userid"`
}

// handleStateGet is /cgi-bin/kf/service_state/get.
func (s *Sandbox) handleStateGet(w http.ResponseWriter, r *http.Request) {
	var req stateRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if !s.isKf(req.OpenKfID) {
		writeErr(w, errInvalidOpenKfID, "invalid open_kfid")
		return
	}
	if req.ExternalUserID == "" {
		writeErr(w, errInvalidParameter, "external_userid required")
		return
	}
	s.mu.Lock()
	var state int
	var servicer string
	if ss := s.sessions[sessionKey{req.OpenKfID, req.ExternalUserID}]; ss != nil {
		state, servicer = ss.state, ss.servicer
	}
	s.mu.Unlock()
	writeJSON(w, struct {
		apiError
		ServiceState   int    `json:"service_state"`
		ServicerUserID string `json:"servicer_userid"`
	}{apiError{0, "ok"}, state, servicer})
}

// transitions lists the states each state may move to through the API:
// 0 new → 1, 2, 3; 1 bot → 2, 3, 4; 2 pool → 3, 4; 3 human → 3 (another
// servicer), 4; 4 ended → none (the next customer message reopens it).
var transitions = map[int][]int{0: {1, 2, 3}, 1: {2, 3, 4}, 2: {3, 4}, 3: {3, 4}}

// handleStateTrans is /cgi-bin/kf/service_state/trans.
func (s *Sandbox) handleStateTrans(w http.ResponseWriter, r *http.Request) {
	var req stateRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	switch {
	case !s.isKf(req.OpenKfID):
		writeErr(w, errInvalidOpenKfID, "invalid open_kfid")
		return
	case req.ExternalUserID == "" || req.ServiceState == nil:
		writeErr(w, errInvalidParameter, "external_userid and service_state required")
		return
	case *req.ServiceState < 0 || *req.ServiceState > 4:
		writeErr(w, errInvalidParameter, "invalid service_state")
		return
	case *req.ServiceState == 3 && req.ServicerUserID == "":
		writeErr(w, errInvalidParameter, "servicer_userid required for state 3")
		return
	}
	if *req.ServiceState == 3 {
		if _, ok := s.isStaff(req.ServicerUserID); !ok {
			writeErr(w, errNotServicer, "servicer_userid is not a servicer")
			return
		}
	}
	s.mu.Lock()
	k := sessionKey{req.OpenKfID, req.ExternalUserID}
	var from int
	if ss := s.sessions[k]; ss != nil {
		from = ss.state
	}
	allowed := false
	for _, to := range transitions[from] {
		allowed = allowed || to == *req.ServiceState
	}
	if !allowed {
		s.mu.Unlock()
		writeErr(w, errTransNotAllowed, "service state transition not allowed")
		return
	}
	code, evented := s.transLocked(k, *req.ServiceState, req.ServicerUserID)
	s.mu.Unlock()
	if evented {
		s.notifyKfLater(req.OpenKfID)
	}
	writeJSON(w, struct {
		apiError
		MsgCode string `json:"msg_code"`
	}{apiError{0, "ok"}, code})
}
