package sandbox

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// AppMessage is a message a staff member received from the self-built app.
type AppMessage struct {
	MsgID   string    `json:"msgid"`
	At      time.Time `json:"at"`
	MsgType string    `json:"msgtype"` // text, markdown, textcard, template_card
	Title   string    `json:"title,omitempty"`
	Text    string    `json:"text,omitempty"`
	URL     string    `json:"url,omitempty"`
	Card    *Card     `json:"card,omitempty"`
}

type inboxEntry struct {
	msg  AppMessage
	card *card
}

type appSendRequest struct {
	ToUser  string  `json:"touser"`
	ToParty string  `json:"toparty"`
	ToTag   string  `json:"totag"`
	MsgType string  `json:"msgtype"`
	AgentID flexInt `json:"agentid"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
	Markdown *struct {
		Content string `json:"content"`
	} `json:"markdown"`
	TextCard *struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		URL         string `json:"url"`
		BtnTxt      string `json:"btntxt"`
	} `json:"textcard"`
	TemplateCard *templateCard `json:"template_card"`

	EnableDuplicateCheck   int  `json:"enable_duplicate_check"`
	DuplicateCheckInterval *int `json:"duplicate_check_interval"`
}

// maxDuplicateCheckInterval is the longest duplicate_check_interval WeCom
// accepts: 4 hours.
const maxDuplicateCheckInterval = 4 * 60 * 60

// duplicateKey is what WeCom's duplicate check compares: the members and the
// content.
func (req *appSendRequest) duplicateKey() string {
	content, _ := json.Marshal(struct {
		MsgType      string
		Text, MD     any
		TextCard     any
		TemplateCard any
	}{req.MsgType, req.Text, req.Markdown, req.TextCard, req.TemplateCard})
	return req.ToUser + "\x00" + string(content)
}

// handleMessageSend is /cgi-bin/message/send for text, markdown, textcard and
// template_card. Past 30 a minute or 1000 an hour to one member, messages are
// dropped silently as WeCom does (see Dropped).
func (s *Sandbox) handleMessageSend(w http.ResponseWriter, r *http.Request) {
	var req appSendRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if int(req.AgentID) != s.cfg.AgentID {
		writeErr(w, errInvalidAgentID, "invalid agentid")
		return
	}
	msg, view, code, errMsg := req.message()
	if code != 0 {
		writeErr(w, code, errMsg)
		return
	}
	interval, code, errMsg := req.duplicateInterval()
	if code != 0 {
		writeErr(w, code, errMsg)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	dupKey := ""
	if interval > 0 {
		dupKey = req.duplicateKey()
		if d, ok := s.appRepeatLocked(dupKey); ok {
			writeJSON(w, struct {
				apiError
				MsgID        string `json:"msgid"`
				ResponseCode string `json:"response_code,omitempty"`
			}{apiError{0, "ok"}, d.msgid, d.responseCode})
			return
		}
	}
	if view != nil && s.taskIDUsedLocked(view.TaskID) {
		writeErr(w, errInvalidParameter, "task_id already used in this app")
		return
	}
	valid, invalid := s.recipientsLocked(req.ToUser)
	invalidParty, invalidTag := req.ToParty, req.ToTag // departments and tags are not modelled
	if len(valid) == 0 {
		writeErr(w, errAllInvalid, "user & party & tag all invalid")
		return
	}
	now := s.now()
	msg.MsgID, msg.At = randHex(16), now
	cd, respCode := s.keepCardLocked(msg.MsgID, view, valid, now)
	if dupKey != "" {
		s.rememberAppLocked(dupKey, appDuplicate{msgid: msg.MsgID, responseCode: respCode, expires: now.Add(interval)})
	}
	s.deliverAppLocked(valid, msg, cd, now)
	writeJSON(w, struct {
		apiError
		InvalidUser    string `json:"invaliduser"`
		InvalidParty   string `json:"invalidparty"`
		InvalidTag     string `json:"invalidtag"`
		UnlicensedUser string `json:"unlicenseduser"`
		MsgID          string `json:"msgid"`
		ResponseCode   string `json:"response_code,omitempty"`
	}{apiError{0, "ok"}, strings.Join(invalid, "|"), invalidParty, invalidTag, "", msg.MsgID, respCode})
}

// message is the message req sends as its recipients will see it, and for a
// template card the card's view; code is 0 when WeCom would take the content.
func (req *appSendRequest) message() (AppMessage, *Card, int, string) {
	msg := AppMessage{MsgType: req.MsgType}
	switch req.MsgType {
	case "text", "markdown":
		content := ""
		if req.MsgType == "text" && req.Text != nil {
			content = req.Text.Content
		} else if req.MsgType == "markdown" && req.Markdown != nil {
			content = req.Markdown.Content
		}
		if content == "" {
			return msg, nil, errEmptyContent, "empty content"
		}
		if len(content) > 2048 {
			return msg, nil, errContentTooLong, "content size out of limit"
		}
		msg.Text = content
	case "textcard":
		tc := req.TextCard
		if tc == nil || tc.Title == "" || tc.Description == "" || tc.URL == "" {
			return msg, nil, errInvalidParameter, "textcard title, description and url required"
		}
		if len(tc.Title) > 128 || len(tc.Description) > 512 || len(tc.URL) > 2048 {
			return msg, nil, errContentTooLong, "content size out of limit"
		}
		msg.Title, msg.Text, msg.URL = tc.Title, tc.Description, tc.URL
	case "template_card":
		c, code, m := buildCard(req.TemplateCard)
		if code != 0 {
			return msg, nil, code, m
		}
		return msg, &c, 0, ""
	default:
		return msg, nil, errInvalidMsgType, "invalid message type"
	}
	return msg, nil, 0, ""
}

// duplicateInterval is how long WeCom's duplicate check holds req back from
// being delivered again (30 minutes unless the request says), or 0 when req
// asks for no check.
func (req *appSendRequest) duplicateInterval() (time.Duration, int, string) {
	if req.EnableDuplicateCheck != 1 {
		return 0, 0, ""
	}
	interval := 1800
	if req.DuplicateCheckInterval != nil {
		interval = *req.DuplicateCheckInterval
	}
	if interval <= 0 || interval > maxDuplicateCheckInterval {
		return 0, errInvalidParameter, "duplicate_check_interval must be 1 to 14400 seconds"
	}
	return time.Duration(interval) * time.Second, 0, ""
}

// appRepeatLocked returns the message sent before with the same content to
// the same members (key) within the duplicate check's interval: WeCom does
// not deliver it again.
func (s *Sandbox) appRepeatLocked(key string) (appDuplicate, bool) {
	d, ok := s.idem.app[key]
	return d, ok && s.now().Before(d.expires)
}

// rememberAppLocked records a message sent with the duplicate check on.
func (s *Sandbox) rememberAppLocked(key string, d appDuplicate) {
	if s.idem.app == nil {
		s.idem.app = map[string]appDuplicate{}
	}
	s.idem.app[key] = d
}

// taskIDUsedLocked reports whether a card sent before has task id taskID:
// WeCom takes each task id once per app, since a click names the card by it.
func (s *Sandbox) taskIDUsedLocked(taskID string) bool {
	if taskID == "" {
		return false
	}
	for _, c := range s.cards {
		if c.view.TaskID == taskID {
			return true
		}
	}
	return false
}

// keepCardLocked records the card message msgID shows its recipients, and
// for a card that can be clicked the response code that may update it once.
// Without a card (view nil) it keeps nothing.
func (s *Sandbox) keepCardLocked(msgID string, view *Card, recipients []string, now time.Time) (*card, string) {
	if view == nil {
		return nil, ""
	}
	cd := &card{msgid: msgID, recipients: recipients, view: *view}
	s.cards[msgID] = cd
	if !interactiveCards[view.CardType] {
		return cd, ""
	}
	respCode := randHex(20)
	s.respCodes[respCode] = responseCode{card: cd, expires: now.Add(responseCodeTTL)}
	return cd, respCode
}

// deliverAppLocked puts msg (and its card, if any) in each recipient's inbox,
// but for those past their rate limit: WeCom drops those silently, and the
// sandbox counts them.
func (s *Sandbox) deliverAppLocked(recipients []string, msg AppMessage, cd *card, now time.Time) {
	for _, u := range recipients {
		if !s.allowAppSendLocked(u, now) {
			s.dropped[u]++
			continue
		}
		s.inbox[u] = append(s.inbox[u], &inboxEntry{msg: msg, card: cd})
	}
}

// recipientsLocked splits "a|b|c" (or "@all") into directory members and
// unknown ids (lower-cased, as WeCom reports them).
func (s *Sandbox) recipientsLocked(toUser string) (valid, invalid []string) {
	if toUser == "@all" {
		for _, m := range s.cfg.Staff {
			valid = append(valid, m.UserID)
		}
		return valid, nil
	}
	seen := map[string]bool{}
	for _, u := range strings.Split(toUser, "|") {
		if u == "" || seen[u] {
			continue
		}
		seen[u] = true
		if _, ok := s.isStaff(u); ok {
			valid = append(valid, u)
		} else {
			invalid = append(invalid, strings.ToLower(u))
		}
	}
	return valid, invalid
}

// allowAppSendLocked applies the per-member limit: 30 a minute, 1000 an hour.
func (s *Sandbox) allowAppSendLocked(userID string, now time.Time) bool {
	var hour []time.Time
	minute := 0
	for _, t := range s.appSends[userID] {
		if now.Sub(t) < time.Hour {
			hour = append(hour, t)
			if now.Sub(t) < time.Minute {
				minute++
			}
		}
	}
	s.appSends[userID] = hour
	if minute >= appPerMinute || len(hour) >= appPerHour {
		return false
	}
	s.appSends[userID] = append(hour, now)
	return true
}

// Dropped reports how many app messages to a member WeCom silently dropped
// because of the per-member rate limit.
func (s *Sandbox) Dropped(userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped[userID]
}

// AppInbox returns what a staff member received through message/send, cards
// in their current state.
func (s *Sandbox) AppInbox(userID string) []AppMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AppMessage, 0, len(s.inbox[userID]))
	for _, e := range s.inbox[userID] {
		m := e.msg
		if e.card != nil {
			c := e.card.view
			c.Buttons = append([]CardButton(nil), c.Buttons...)
			c.Fields = append([]CardField(nil), c.Fields...)
			m.Card = &c
		}
		out = append(out, m)
	}
	return out
}

// StaffSays is a staff member typing text to the app: a text message callback.
func (s *Sandbox) StaffSays(ctx context.Context, userID, text string) error {
	if _, ok := s.isStaff(userID); !ok {
		return fmt.Errorf("sandbox: %q is not in the directory", userID)
	}
	now := s.now()
	x, err := xml.Marshal(appTextCallback{
		ToUserName: cdata{s.cfg.CorpID}, FromUserName: cdata{userID}, CreateTime: now.Unix(),
		MsgType: cdata{"text"}, Content: cdata{text},
		MsgID: fmt.Sprintf("%d%06d", now.Unix(), randSmall()), AgentID: s.cfg.AgentID,
	})
	if err != nil {
		return fmt.Errorf("sandbox: app text xml: %w", err)
	}
	return s.deliverOK(ctx, x)
}

// StaffClicks is a staff member clicking a button of a card they received: a
// template_card_event callback with a fresh single-use ResponseCode.
func (s *Sandbox) StaffClicks(ctx context.Context, userID, taskID, eventKey string) error {
	s.mu.Lock()
	var cd *card
	for _, e := range s.inbox[userID] {
		if e.card != nil && e.card.view.TaskID == taskID {
			cd = e.card
		}
	}
	if cd == nil {
		s.mu.Unlock()
		return fmt.Errorf("sandbox: %s has no card with task %q", userID, taskID)
	}
	if cd.view.Replaced != "" {
		s.mu.Unlock()
		return fmt.Errorf("sandbox: card %q was already updated: %s", taskID, cd.view.Replaced)
	}
	hasKey := false
	for _, b := range cd.view.Buttons {
		hasKey = hasKey || b.Key == eventKey
	}
	if !hasKey {
		s.mu.Unlock()
		return fmt.Errorf("sandbox: card %q has no button %q", taskID, eventKey)
	}
	now := s.now()
	code := randHex(20)
	s.respCodes[code] = responseCode{card: cd, expires: now.Add(responseCodeTTL)}
	cardType := cd.view.CardType
	s.mu.Unlock()
	x, err := xml.Marshal(cardEventCallback{
		ToUserName: cdata{s.cfg.CorpID}, FromUserName: cdata{userID}, CreateTime: now.Unix(),
		MsgType: cdata{"event"}, Event: cdata{"template_card_event"}, EventKey: cdata{eventKey},
		TaskID: cdata{taskID}, CardType: cdata{cardType}, ResponseCode: cdata{code}, AgentID: s.cfg.AgentID,
	})
	if err != nil {
		return fmt.Errorf("sandbox: card event xml: %w", err)
	}
	return s.deliverOK(ctx, x)
}

func randSmall() int {
	b := randHex(3)
	n := 0
	for _, c := range b {
		n = n*16 + strings.IndexRune("0123456789abcdef", c)
	}
	return n % 1000000
}
