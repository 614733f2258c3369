package cases

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The structured detail of a timeline event (Event.Data) is one of the
// payload types below, stored as its JSON. Stored rows are read back with
// ParseData into the type their event kind carries; the JSON field names are
// the stored format and must not change.

// Payload is the structured detail of a timeline event.
type Payload interface {
	// payload closes the set: Event.Data holds only the shapes declared here.
	payload()
}

// EventData is the stored form of p, for Event.Data.
func EventData(p Payload) string { return mustJSON(p) }

// ErrNoData means an event carries no structured detail.
var ErrNoData = errors.New("event has no data")

// ParseData reads an event's stored detail into p, a pointer to a payload.
// It refuses empty data (ErrNoData) and data that is not JSON of p's shape.
func ParseData(data string, p Payload) error {
	if data == "" {
		return ErrNoData
	}
	if err := json.Unmarshal([]byte(data), p); err != nil {
		return fmt.Errorf("event data %T: %w", p, err)
	}
	return nil
}

// MoveData is the detail of an event a move on a case adds: a status change
// or an action that leaves the status (EventSubmitted, EventStatus, notes,
// replies, supplements …).
type MoveData struct {
	Action     Action     `json:"action"`
	From       Status     `json:"from,omitempty"`
	To         Status     `json:"to,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	Text       string     `json:"text,omitempty"`
	Dept       string     `json:"dept,omitempty"`
	CoDepts    []string   `json:"co_depts,omitempty"`
	Assignee   string     `json:"assignee,omitempty"`
	ExtendDays int        `json:"extend_days,omitempty"`
	LimitDays  int        `json:"limit_days,omitempty"`
	Deadline   *time.Time `json:"deadline,omitempty"`
	MergeInto  string     `json:"merge_into,omitempty"`
	Rating     int        `json:"rating,omitempty"`
	Window     string     `json:"window,omitempty"`
	Tag        string     `json:"tag,omitempty"`
	Reopened   int        `json:"reopened,omitempty"`
}

// RatingData is the detail of an EventRating: the citizen's rating and its
// words.
type RatingData struct {
	Rating int    `json:"rating"`
	Text   string `json:"text"`
}

// OutboxFate is the detail of an EventNotification about a WeCom message:
// which outbox message and what became of it.
type OutboxFate struct {
	OutboxID int64        `json:"outbox_id"`
	Status   OutboxStatus `json:"status"`
}

// SMSFate is the detail of an EventNotification about a text message.
type SMSFate struct {
	SMSID  int64     `json:"sms_id"`
	Status SMSStatus `json:"status"`
}

// AttachmentData is the detail of an EventAttachment.
type AttachmentData struct {
	AttachmentID int64 `json:"attachment_id"`
}

// LightChange is the detail of an EventReminder sent because a case's light
// changed.
type LightChange struct {
	Light Light `json:"light"`
	From  Light `json:"from"`
}

// FollowUpStep names what the follow-up (回访) did when it wrote an
// EventReminder.
type FollowUpStep string

// Follow-up steps.
const (
	FollowUpReminder  FollowUpStep = "reminder"   // the citizen was asked again
	FollowUpPhoneTask FollowUpStep = "phone_task" // staff must phone the citizen
)

// FollowUpData is the detail of an EventReminder written by the follow-up.
type FollowUpData struct {
	FollowUp FollowUpStep `json:"followup"`
}

func (MoveData) payload()       {}
func (RatingData) payload()     {}
func (OutboxFate) payload()     {}
func (SMSFate) payload()        {}
func (AttachmentData) payload() {}
func (LightChange) payload()    {}
func (FollowUpData) payload()   {}
