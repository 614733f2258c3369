package cases

import (
	"context"
	"time"
)

// Urgency names what a message to a citizen is, when it cannot wait for them
// to write again. Only these may travel by SMS; progress, replies in a
// conversation and nudges never do.
type Urgency string

// Urgencies.
const (
	UrgentAnswer   Urgency = "answer"    // the answer of a resolved case (and the question asked with it)
	UrgentMaterial Urgency = "material"  // staff need material from the citizen
	UrgentFollowUp Urgency = "follow_up" // the follow-up reminder: is it really solved?
)

// SMSStatus is the fate of a text owed by SMS.
type SMSStatus string

// SMS fates, each on the case's timeline.
const (
	SMSPending SMSStatus = "pending" // to be sent when due (again after a temporary failure)
	SMSSending SMSStatus = "sending" // handed to the provider; its answer not yet recorded
	SMSSent    SMSStatus = "sent"    // the provider accepted it
	SMSFailed  SMSStatus = "failed"  // given up on: it became a phone task for staff
)

// SMSMessage is one text owed to a citizen by SMS because WeChat could not
// carry an urgent message in time. There is at most one per event (EventKey):
// the same answer is never texted twice. The phone number is not kept here;
// it is read from the case (sealed at rest) at the moment of sending.
type SMSMessage struct {
	ID       int64  `json:"id"`
	EventKey string `json:"event_key"`
	CaseID   int64  `json:"case_id"`
	// OutboxID is the chat message this text stands in for.
	OutboxID int64   `json:"outbox_id"`
	Urgent   Urgency `json:"urgent"`
	// Params fill the bureau's SMS template in order (sealed at rest).
	Params []string `json:"params"`

	Status        SMSStatus  `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	LastError     string     `json:"last_error,omitempty"`
	ProviderID    string     `json:"provider_id,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
}

// SMSStore keeps the texts owed by SMS. The SQL store implements it, also
// inside a transaction (the Repo that InTx passes).
type SMSStore interface {
	// EnqueueSMS stores m and sets its ID, or returns ErrDuplicate when a text
	// for m.EventKey exists already.
	EnqueueSMS(ctx context.Context, m *SMSMessage) error
	// DueSMS returns texts in status whose NextAttemptAt is not after before,
	// oldest first.
	DueSMS(ctx context.Context, status SMSStatus, before time.Time, limit int) ([]*SMSMessage, error)
	// UpdateSMS saves m (found by ID), or returns ErrNotFound.
	UpdateSMS(ctx context.Context, m *SMSMessage) error
	// CaseSMS returns a case's texts, oldest first.
	CaseSMS(ctx context.Context, caseID int64) ([]*SMSMessage, error)
}
