package wecom

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"

	"banchengshi/cases"
)

// maxCallbackXML bounds the XML ParseCallback and ParseEnvelope accept. Real
// callbacks are a few hundred bytes; the handlers bound the HTTP body too.
const maxCallbackXML = 64 << 10

// ErrCallback is returned, wrapped with the reason, for a callback body or
// plaintext that is not a WeCom callback the product understands.
var ErrCallback = errors.New("wecom: malformed callback")

// EventKfMsgOrEvent is the callback event that says a kf account has new
// messages or events to pull with sync_msg.
const EventKfMsgOrEvent = "kf_msg_or_event"

// EventTemplateCard is the app event sent when a staff member clicks a
// template card button.
const EventTemplateCard = "template_card_event"

// Callback is a decrypted callback: a kf "something new" event, a message a
// staff member sent to the self-built app, or an app event such as a card
// button click. Fields a kind does not use stay empty.
type Callback struct {
	XMLName      struct{} `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`   // the corp id
	FromUserName string   `xml:"FromUserName"` // app callbacks: the staff member's user id
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"` // text, image, voice, video, location, link, file or event
	AgentID      int      `xml:"AgentID"`

	// kf event (Event = kf_msg_or_event).
	Token    string `xml:"Token"` // for sync_msg, valid 10 minutes
	OpenKfID string `xml:"OpenKfId"`

	// App messages.
	MsgID        string  `xml:"MsgId"`
	Content      string  `xml:"Content"`
	MediaID      string  `xml:"MediaId"`
	PicURL       string  `xml:"PicUrl"`
	Format       string  `xml:"Format"` // voice: amr, speex
	ThumbMediaID string  `xml:"ThumbMediaId"`
	LocationX    float64 `xml:"Location_X"`
	LocationY    float64 `xml:"Location_Y"`
	Scale        int     `xml:"Scale"`
	Label        string  `xml:"Label"`
	Title        string  `xml:"Title"`
	Description  string  `xml:"Description"`
	URL          string  `xml:"Url"`
	FileName     string  `xml:"FileName"`

	// App events (MsgType = event).
	Event         string             `xml:"Event"`
	EventKey      string             `xml:"EventKey"`
	TaskID        string             `xml:"TaskId"`
	CardType      string             `xml:"CardType"`
	ResponseCode  string             `xml:"ResponseCode"`
	SelectedItems []CardSelectedItem `xml:"SelectedItems>SelectedItem"`
	ChangeType    string             `xml:"ChangeType"`
}

// CardSelectedItem is a choice made on a vote or multiple-choice template card.
type CardSelectedItem struct {
	QuestionKey string   `xml:"QuestionKey"`
	OptionIDs   []string `xml:"OptionIds>OptionId"`
}

// ParseCallback parses a decrypted callback and checks it carries what its
// kind needs to be handled and deduplicated.
func ParseCallback(plain []byte) (*Callback, error) {
	if len(plain) > maxCallbackXML {
		return nil, fmt.Errorf("%w: %d bytes", ErrCallback, len(plain))
	}
	var c Callback
	if err := xml.NewDecoder(bytes.NewReader(plain)).Decode(&c); err != nil {
		return nil, xmlError(err)
	}
	if c.MsgType == "" {
		return nil, fmt.Errorf("%w: no MsgType", ErrCallback)
	}
	switch c.Kind() {
	case cases.InboundKf:
		if c.OpenKfID == "" || c.Token == "" {
			return nil, fmt.Errorf("%w: kf event without OpenKfId or Token", ErrCallback)
		}
	case cases.InboundAppMessage:
		if c.MsgID == "" {
			return nil, fmt.Errorf("%w: app message without MsgId", ErrCallback)
		}
	case cases.InboundAppEvent:
		if c.Event == "" || c.FromUserName == "" || c.CreateTime == 0 {
			return nil, fmt.Errorf("%w: app event without Event, FromUserName or CreateTime", ErrCallback)
		}
	}
	return &c, nil
}

// Kind is cases.InboundKf, cases.InboundAppMessage or cases.InboundAppEvent.
func (c *Callback) Kind() string {
	switch {
	case c.MsgType == "event" && c.Event == EventKfMsgOrEvent:
		return cases.InboundKf
	case c.MsgType == "event":
		return cases.InboundAppEvent
	default:
		return cases.InboundAppMessage
	}
}

// DedupeKey identifies a callback across WeCom's retries: kf events by
// account and sync token, app messages by MsgId, app events by sender,
// time, event and key.
func (c *Callback) DedupeKey() string {
	switch c.Kind() {
	case cases.InboundKf:
		return "kf:" + c.OpenKfID + ":" + c.Token
	case cases.InboundAppMessage:
		return "msg:" + c.MsgID
	default:
		return "evt:" + c.FromUserName + ":" + strconv.FormatInt(c.CreateTime, 10) + ":" + c.Event + ":" + c.EventKey
	}
}

// ParseEnvelope parses the encrypted POST body of a callback. Verify and
// decrypt its Encrypt field with a Crypter.
func ParseEnvelope(body []byte) (*Envelope, error) {
	if len(body) > maxCallbackXML {
		return nil, fmt.Errorf("%w: body of %d bytes", ErrCallback, len(body))
	}
	var e Envelope
	if err := xml.NewDecoder(bytes.NewReader(body)).Decode(&e); err != nil {
		return nil, xmlError(err)
	}
	if e.Encrypt == "" {
		return nil, fmt.Errorf("%w: no Encrypt", ErrCallback)
	}
	return &e, nil
}

// xmlError describes a decoding failure without quoting the input: syntax
// errors can echo fragments of what somebody typed.
func xmlError(err error) error {
	var syn *xml.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("%w: XML syntax error on line %d", ErrCallback, syn.Line)
	}
	var unm xml.UnmarshalError
	if errors.As(err, &unm) {
		return fmt.Errorf("%w: not a callback document", ErrCallback)
	}
	var num *strconv.NumError
	if errors.As(err, &num) {
		return fmt.Errorf("%w: a numeric field is not a number", ErrCallback)
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: empty document", ErrCallback)
	}
	return fmt.Errorf("%w: undecodable XML", ErrCallback)
}
