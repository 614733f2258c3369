package sandbox

import (
	"net/http"
	"regexp"
	"time"
)

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

// card is one sent template card: all its recipients see the one view,
// so an update reaches everyone who got it.
type card struct {
	msgid      string
	recipients []string
	view       Card
}

// responseCode lets one update_template_card call change a card; it is
// used up by the update or expires.
type responseCode struct {
	card    *card
	expires time.Time
}

// templateCard is a template_card as message/send and
// update_template_card receive it.
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
