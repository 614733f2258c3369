package sandbox

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
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

// Card is a template card as a recipient sees it now, updates included.
type Card struct {
	CardType string       `json:"card_type"`
	TaskID   string       `json:"task_id,omitempty"`
	Source   string       `json:"source,omitempty"`
	Title    string       `json:"title,omitempty"`
	Desc     string       `json:"desc,omitempty"`
	SubTitle string       `json:"sub_title,omitempty"`
	Fields   []CardField  `json:"fields,omitempty"`
	Buttons  []CardButton `json:"buttons,omitempty"`
	// Replaced is the text that replaced the buttons after an update
	// ("已由 张三 受理"); the buttons can no longer be clicked.
	Replaced string `json:"replaced,omitempty"`
	Updates  int    `json:"updates,omitempty"`
}

// CardField is one key/value line of a card.
type CardField struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// CardButton is one button of a button_interaction card.
type CardButton struct {
	Text  string `json:"text"`
	Key   string `json:"key"`
	Style int    `json:"style,omitempty"`
}

type card struct {
	msgid      string
	recipients []string
	view       Card
}

type inboxEntry struct {
	msg  AppMessage
	card *card
}

type responseCode struct {
	card    *card
	expires time.Time
}

type templateCard struct {
	CardType string `json:"card_type"`
	Source   *struct {
		Desc string `json:"desc"`
	} `json:"source"`
	MainTitle *struct {
		Title string `json:"title"`
		Desc  string `json:"desc"`
	} `json:"main_title"`
	SubTitleText          string `json:"sub_title_text"`
	HorizontalContentList []struct {
		KeyName string `json:"keyname"`
		Value   string `json:"value"`
	} `json:"horizontal_content_list"`
	TaskID     string `json:"task_id"`
	ButtonList []struct {
		Text  string `json:"text"`
		Style int    `json:"style"`
		Key   string `json:"key"`
	} `json:"button_list"`
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

var (
	taskIDPattern    = regexp.MustCompile(`^[a-zA-Z0-9_\-@]{1,128}$`)
	interactiveCards = map[string]bool{"button_interaction": true, "vote_interaction": true, "multiple_interaction": true}
	knownCards       = map[string]bool{"text_notice": true, "news_notice": true, "button_interaction": true,
		"vote_interaction": true, "multiple_interaction": true}
)

// buildCard validates a template card and returns what recipients will see.
func buildCard(tc *templateCard) (Card, int, string) {
	if tc == nil || !knownCards[tc.CardType] {
		return Card{}, errInvalidParameter, "invalid template_card card_type"
	}
	c := Card{CardType: tc.CardType, TaskID: tc.TaskID, SubTitle: tc.SubTitleText}
	if tc.Source != nil {
		c.Source = tc.Source.Desc
	}
	if tc.MainTitle != nil {
		c.Title, c.Desc = tc.MainTitle.Title, tc.MainTitle.Desc
	}
	if c.Title == "" && c.SubTitle == "" {
		return c, errEmptyContent, "template_card main_title.title or sub_title_text required"
	}
	if len(c.Title) > 108 || len(c.Desc) > 132 || len(c.SubTitle) > 600 {
		return c, errContentTooLong, "content size out of limit"
	}
	for _, h := range tc.HorizontalContentList {
		c.Fields = append(c.Fields, CardField{Key: h.KeyName, Value: h.Value})
	}
	if len(c.Fields) > 6 {
		return c, errInvalidParameter, "horizontal_content_list has more than 6 items"
	}
	if interactiveCards[tc.CardType] && !taskIDPattern.MatchString(tc.TaskID) {
		return c, errInvalidParameter, "task_id required: 1..128 bytes of [a-zA-Z0-9_-@]"
	}
	if tc.CardType == "button_interaction" {
		if len(tc.ButtonList) < 1 || len(tc.ButtonList) > 6 {
			return c, errInvalidParameter, "button_list must have 1..6 buttons"
		}
		for _, b := range tc.ButtonList {
			if b.Text == "" || b.Key == "" || len(b.Key) > 1024 {
				return c, errInvalidParameter, "button text and key required"
			}
			c.Buttons = append(c.Buttons, CardButton{Text: b.Text, Key: b.Key, Style: b.Style})
		}
	}
	return c, 0, ""
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
	msg := AppMessage{MsgType: req.MsgType}
	var view *Card
	switch req.MsgType {
	case "text", "markdown":
		content := ""
		if req.MsgType == "text" && req.Text != nil {
			content = req.Text.Content
		} else if req.MsgType == "markdown" && req.Markdown != nil {
			content = req.Markdown.Content
		}
		if content == "" {
			writeErr(w, errEmptyContent, "empty content")
			return
		}
		if len(content) > 2048 {
			writeErr(w, errContentTooLong, "content size out of limit")
			return
		}
		msg.Text = content
	case "textcard":
		tc := req.TextCard
		if tc == nil || tc.Title == "" || tc.Description == "" || tc.URL == "" {
			writeErr(w, errInvalidParameter, "textcard title, description and url required")
			return
		}
		if len(tc.Title) > 128 || len(tc.Description) > 512 || len(tc.URL) > 2048 {
			writeErr(w, errContentTooLong, "content size out of limit")
			return
		}
		msg.Title, msg.Text, msg.URL = tc.Title, tc.Description, tc.URL
	case "template_card":
		c, code, m := buildCard(req.TemplateCard)
		if code != 0 {
			writeErr(w, code, m)
			return
		}
		view = &c
	default:
		writeErr(w, errInvalidMsgType, "invalid message type")
		return
	}

	interval := 1800
	if req.DuplicateCheckInterval != nil {
		interval = *req.DuplicateCheckInterval
	}
	if req.EnableDuplicateCheck == 1 && (interval <= 0 || interval > maxDuplicateCheckInterval) {
		writeErr(w, errInvalidParameter, "duplicate_check_interval must be 1 to 14400 seconds")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	dupKey := ""
	if req.EnableDuplicateCheck == 1 {
		dupKey = req.duplicateKey()
		if d, ok := s.idem.app[dupKey]; ok && s.now().Before(d.expires) {
			// The same content to the same members within the interval: not
			// delivered again.
			writeJSON(w, struct {
				apiError
				MsgID        string `json:"msgid"`
				ResponseCode string `json:"response_code,omitempty"`
			}{apiError{0, "ok"}, d.msgid, d.responseCode})
			return
		}
	}
	if view != nil && view.TaskID != "" {
		for _, c := range s.cards {
			if c.view.TaskID == view.TaskID {
				writeErr(w, errInvalidParameter, "task_id already used in this app")
				return
			}
		}
	}
	valid, invalid := s.recipientsLocked(req.ToUser)
	invalidParty, invalidTag := req.ToParty, req.ToTag // departments and tags are not modelled
	if len(valid) == 0 {
		writeErr(w, errAllInvalid, "user & party & tag all invalid")
		return
	}
	now := s.now()
	msg.MsgID = randHex(16)
	msg.At = now
	var cd *card
	respCode := ""
	if view != nil {
		cd = &card{msgid: msg.MsgID, recipients: valid, view: *view}
		s.cards[msg.MsgID] = cd
		if interactiveCards[view.CardType] {
			respCode = randHex(20)
			s.respCodes[respCode] = responseCode{card: cd, expires: now.Add(responseCodeTTL)}
		}
	}
	if dupKey != "" {
		if s.idem.app == nil {
			s.idem.app = map[string]appDuplicate{}
		}
		s.idem.app[dupKey] = appDuplicate{msgid: msg.MsgID, responseCode: respCode, expires: now.Add(time.Duration(interval) * time.Second)}
	}
	for _, u := range valid {
		if !s.allowAppSendLocked(u, now) {
			s.dropped[u]++
			continue
		}
		s.inbox[u] = append(s.inbox[u], &inboxEntry{msg: msg, card: cd})
	}
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

type updateCardRequest struct {
	UserIDs      []string `json:"userids"`
	PartyIDs     []int    `json:"partyids"`
	TagIDs       []int    `json:"tagids"`
	AtAll        int      `json:"atall"`
	AgentID      flexInt  `json:"agentid"`
	ResponseCode string   `json:"response_code"`
	Button       *struct {
		ReplaceName string `json:"replace_name"`
	} `json:"button"`
	TemplateCard *templateCard `json:"template_card"`
}

// handleUpdateCard is /cgi-bin/message/update_template_card: a single-use
// response_code changes the card for everyone who got it. (Restricting the
// update to some of the recipients through userids is not modelled.)
func (s *Sandbox) handleUpdateCard(w http.ResponseWriter, r *http.Request) {
	var req updateCardRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if int(req.AgentID) != s.cfg.AgentID {
		writeErr(w, errInvalidAgentID, "invalid agentid")
		return
	}
	var replacement *Card
	switch {
	case req.Button != nil:
		if req.Button.ReplaceName == "" {
			writeErr(w, errEmptyContent, "button replace_name required")
			return
		}
		if len(req.Button.ReplaceName) > 60 {
			writeErr(w, errContentTooLong, "replace_name size out of limit")
			return
		}
	case req.TemplateCard != nil:
		c, code, m := buildCard(req.TemplateCard)
		if code != 0 {
			writeErr(w, code, m)
			return
		}
		replacement = &c
	default:
		writeErr(w, errInvalidParameter, "button or template_card required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rc, ok := s.respCodes[req.ResponseCode]
	if !ok || !s.now().Before(rc.expires) {
		writeErr(w, errInvalidResponseCode, "invalid response_code: unknown, used or expired")
		return
	}
	delete(s.respCodes, req.ResponseCode)
	cd := rc.card
	if replacement != nil {
		replacement.TaskID = cd.view.TaskID
		replacement.Updates = cd.view.Updates
		cd.view = *replacement
	} else {
		cd.view.Replaced = req.Button.ReplaceName
	}
	cd.view.Updates++
	invalid := []string{}
	for _, u := range req.UserIDs {
		found := false
		for _, got := range cd.recipients {
			found = found || got == u
		}
		if !found {
			invalid = append(invalid, u)
		}
	}
	writeJSON(w, struct {
		apiError
		InvalidUser []string `json:"invaliduser"`
	}{apiError{0, "ok"}, invalid})
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
