package wecom

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"banchengshi/cases"
)

// WeCom's limits on app messages and button_interaction cards.
const (
	maxAppText      = 2048 // bytes; WeCom truncates longer text
	maxAppReceivers = 1000
	maxCardTaskID   = 128
	maxCardButtons  = 6
	maxCardFields   = 6
	maxCardMainDesc = 44 // characters
)

// appSend is the body of message/send. agentid is an integer, as WeCom
// documents it (silenceper sends a string).
type appSend struct {
	ToUser  string `json:"touser"`
	MsgType string `json:"msgtype"`
	AgentID int    `json:"agentid"`
	// EnableDuplicateCheck and DuplicateCheckInterval (seconds): WeCom does
	// not deliver again a message with the same content to the same member
	// within the interval, so a retry after a lost answer is not a second
	// message.
	EnableDuplicateCheck   int           `json:"enable_duplicate_check"`
	DuplicateCheckInterval int           `json:"duplicate_check_interval"`
	Text                   *kfText       `json:"text,omitempty"`
	TemplateCard           *templateCard `json:"template_card,omitempty"`
}

type templateCard struct {
	CardType              string              `json:"card_type"`
	MainTitle             cardMainTitle       `json:"main_title"`
	SubTitleText          string              `json:"sub_title_text,omitempty"`
	HorizontalContentList []cardHorizontal    `json:"horizontal_content_list,omitempty"`
	CardAction            *cardAction         `json:"card_action,omitempty"`
	TaskID                string              `json:"task_id"`
	ButtonList            []cardButtonPayload `json:"button_list"`
}

type cardMainTitle struct {
	Title string `json:"title"`
	Desc  string `json:"desc,omitempty"`
}

type cardHorizontal struct {
	KeyName string `json:"keyname"`
	Value   string `json:"value,omitempty"`
}

type cardAction struct {
	Type int    `json:"type"` // 1: open URL
	URL  string `json:"url"`
}

type cardButtonPayload struct {
	Text  string `json:"text"`
	Style int    `json:"style,omitempty"`
	Key   string `json:"key"`
}

// validTaskID reports whether id fits WeCom's task_id rule: up to 128 bytes of
// digits, letters and "_-@".
func validTaskID(id string) bool {
	if id == "" || len(id) > maxCardTaskID {
		return false
	}
	for _, r := range id {
		ok := r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-' || r == '@'
		if !ok {
			return false
		}
	}
	return true
}

// appCard encodes a cases.Card as a button_interaction template card.
func appCard(card *cases.Card) (*templateCard, error) {
	if !validTaskID(card.TaskID) {
		return nil, invalidf("card task id must be 1 to %d digits, letters or _-@", maxCardTaskID)
	}
	if card.Title == "" {
		return nil, invalidf("card has no title")
	}
	if len(card.Buttons) == 0 || len(card.Buttons) > maxCardButtons {
		return nil, invalidf("card has %d buttons, WeCom needs 1 to %d", len(card.Buttons), maxCardButtons)
	}
	if len(card.Fields) > maxCardFields {
		return nil, invalidf("card has %d fields, WeCom shows at most %d", len(card.Fields), maxCardFields)
	}
	tc := &templateCard{
		CardType:  "button_interaction",
		MainTitle: cardMainTitle{Title: card.Title},
		TaskID:    card.TaskID,
	}
	// main_title.desc is a short line the client cuts at about 44
	// characters; a longer Desc goes to sub_title_text, which shows 160.
	if utf8.RuneCountInString(card.Desc) <= maxCardMainDesc {
		tc.MainTitle.Desc = card.Desc
	} else {
		tc.SubTitleText = card.Desc
	}
	for _, f := range card.Fields {
		tc.HorizontalContentList = append(tc.HorizontalContentList, cardHorizontal{KeyName: f.Key, Value: f.Value})
	}
	if card.URL != "" {
		tc.CardAction = &cardAction{Type: 1, URL: card.URL}
	}
	for i, b := range card.Buttons {
		if b.Key == "" || b.Text == "" {
			return nil, invalidf("card button %d needs a key and a text", i+1)
		}
		tc.ButtonList = append(tc.ButtonList, cardButtonPayload{Text: b.Text, Key: b.Key})
	}
	return tc, nil
}

// AppDuplicateWindow is the duplicate_check_interval of app messages: WeCom's
// default, far longer than the retries after a lost answer or a crash
// (seconds to minutes), short enough that a notice repeated on purpose the
// next hour still arrives. WeCom allows up to 4 hours.
const AppDuplicateWindow = 30 * time.Minute

// SendApp sends m to staff through the self-built app, with WeCom's
// duplicate check on (AppDuplicateWindow): text when m.Card is
// nil, otherwise a button_interaction template card. responseCode (cards only)
// lets UpdateCard change the card once. Users WeCom does not know are logged
// and skipped; the message still goes to the others.
func (c *Client) SendApp(ctx context.Context, toUsers []string, m cases.Message) (msgid, responseCode string, err error) {
	const path = "/cgi-bin/message/send"
	if len(toUsers) == 0 || len(toUsers) > maxAppReceivers {
		return "", "", invalidf("app message needs 1 to %d receivers, got %d", maxAppReceivers, len(toUsers))
	}
	for _, u := range toUsers {
		if u == "" || strings.Contains(u, "|") {
			return "", "", invalidf("receiver user id %q is not valid", u)
		}
	}
	body := appSend{ToUser: strings.Join(toUsers, "|"), AgentID: c.agentID,
		EnableDuplicateCheck: 1, DuplicateCheckInterval: int(AppDuplicateWindow / time.Second)}
	if m.Card == nil {
		if m.Text == "" {
			return "", "", invalidf("empty text")
		}
		if len(m.Text) > maxAppText {
			return "", "", invalidf("text is %d bytes, WeCom allows %d", len(m.Text), maxAppText)
		}
		body.MsgType, body.Text = "text", &kfText{Content: m.Text}
	} else {
		card, err := appCard(m.Card)
		if err != nil {
			return "", "", err
		}
		body.MsgType, body.TemplateCard = "template_card", card
	}
	var out struct {
		MsgID        string `json:"msgid"`
		ResponseCode string `json:"response_code"`
		InvalidUser  string `json:"invaliduser"`
	}
	if err := c.postJSON(ctx, path, body, &out); err != nil {
		return "", "", fmt.Errorf("app message/send: %w", err)
	}
	if out.InvalidUser != "" {
		// Staff user ids are not personal data of citizens; the directory
		// needs fixing when this shows up.
		c.log.WarnContext(ctx, "app message skipped unknown users", "invaliduser", out.InvalidUser, "msgid", out.MsgID)
	}
	return out.MsgID, out.ResponseCode, nil
}

// UpdateCard turns the buttons of a sent button_interaction card into one
// disabled button reading replaceText (e.g. "已由 张三 受理") for userIDs, or
// for everyone who got the card when userIDs is empty. responseCode is
// single-use, from SendApp or the template_card_event callback.
func (c *Client) UpdateCard(ctx context.Context, userIDs []string, responseCode, replaceText string) error {
	const path = "/cgi-bin/message/update_template_card"
	if responseCode == "" {
		return invalidf("response code is required")
	}
	if replaceText == "" {
		return invalidf("replacement text is required")
	}
	if len(userIDs) > maxAppReceivers {
		return invalidf("card update for %d users, WeCom allows %d", len(userIDs), maxAppReceivers)
	}
	in := struct {
		UserIDs      []string `json:"userids,omitempty"`
		AtAll        int      `json:"atall,omitempty"`
		AgentID      int      `json:"agentid"`
		ResponseCode string   `json:"response_code"`
		Button       struct {
			ReplaceName string `json:"replace_name"`
		} `json:"button"`
	}{UserIDs: userIDs, AgentID: c.agentID, ResponseCode: responseCode}
	if len(userIDs) == 0 {
		in.AtAll = 1
	}
	in.Button.ReplaceName = replaceText
	if err := c.postJSON(ctx, path, in, nil); err != nil {
		return fmt.Errorf("app update_template_card: %w", err)
	}
	return nil
}
