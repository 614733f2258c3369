package cases

import (
	"context"
	"time"
)

// Inbound is a WeCom callback as received, stored before the callback is
// answered so that nothing WeCom brings is lost if the process dies.
type Inbound struct {
	ID int64 `json:"id"`
	// Key identifies a repeat: kf events by OpenKfId+Token, app messages by
	// MsgId, app events by FromUserName+CreateTime+Event.
	Key        string     `json:"key"`
	Kind       string     `json:"kind"` // see InboundKf, InboundAppMessage, InboundAppEvent
	Body       string     `json:"-"`    // decrypted XML; sealed at rest
	ReceivedAt time.Time  `json:"received_at"`
	DoneAt     *time.Time `json:"done_at,omitempty"`
	Attempts   int        `json:"attempts"`
	// Failures counts the attempts that failed for the callback's own
	// reasons; an attempt that could not be made (a kf pull while WeCom is
	// away) is not one. They alone give a callback up.
	Failures  int    `json:"failures"`
	LastError string `json:"last_error,omitempty"`
	// TriedAt is the time of the last attempt that counted; the wait before
	// the next one runs from it. Nil until it is tried.
	TriedAt *time.Time `json:"tried_at,omitempty"`
}

// Inbound kinds.
const (
	InboundKf         = "kf_event"
	InboundAppMessage = "app_message"
	InboundAppEvent   = "app_event"
)

// KfMessage is one message or event pulled from kf sync_msg, stored (deduplicated
// by MsgID) together with the cursor that follows it, then handled in order.
type KfMessage struct {
	ID             int64      `json:"id"`
	MsgID          string     `json:"msgid"`
	OpenKfID       string     `json:"open_kfid"`
	ExternalUserID string     `json:"external_userid"`
	Origin         int        `json:"origin"` // 3 citizen, 4 system event, 5 servicer
	MsgType        string     `json:"msgtype"`
	SendTime       time.Time  `json:"send_time"`
	Raw            string     `json:"-"` // the sync_msg item as JSON; sealed at rest
	ReceivedAt     time.Time  `json:"received_at"`
	DoneAt         *time.Time `json:"done_at,omitempty"`
	Attempts       int        `json:"attempts"`
	LastError      string     `json:"last_error,omitempty"`
	// TriedAt is when the last attempt was counted, nil before the first:
	// the wait for the next one runs from it.
	TriedAt *time.Time `json:"tried_at,omitempty"`
}

// Filter selects cases for lists. Zero fields do not filter. Paging is by
// keyset: AfterID returns cases with a smaller id (newest first).
type Filter struct {
	Status     []Status
	Light      Light
	Dept       string // lead or co-handling department
	Category   string
	Assignee   string
	ReporterID string
	Number     string
	// NumberSuffix matches cases whose number ends with it (staff type the
	// last digits).
	NumberSuffix string
	// MergedInto finds the cases merged into this case number.
	MergedInto string
	Phone      string // matches the contact or affected person's phone exactly
	From, To   time.Time
	AfterID    int64
	Limit      int
}

// CaseStore keeps cases, their timelines and attachments.
type CaseStore interface {
	// NextNumber allocates the next case number for the day of now, e.g.
	// BC2611280007.
	NextNumber(ctx context.Context, now time.Time) (string, error)
	CreateCase(ctx context.Context, c *Case) error
	GetCase(ctx context.Context, number string) (*Case, error)
	GetCaseByID(ctx context.Context, id int64) (*Case, error)
	// UpdateCase saves c if nobody changed it since it was read (c.Version), and
	// increments c.Version; otherwise ErrConflict.
	UpdateCase(ctx context.Context, c *Case) error
	ListCases(ctx context.Context, f Filter) ([]*Case, error)

	AppendEvent(ctx context.Context, e *Event) error
	Timeline(ctx context.Context, caseID int64) ([]Event, error)

	AddAttachment(ctx context.Context, a *Attachment) error
	// Attachments lists a case's attachments without their bytes.
	Attachments(ctx context.Context, caseID int64) ([]Attachment, error)
	GetAttachment(ctx context.Context, id int64) (*Attachment, error)
}

// OutboxStore keeps the messages the bureau owes and the citizens' kf windows.
type OutboxStore interface {
	Enqueue(ctx context.Context, m *OutboxMessage) error
	// EnqueueMany stores ms as Enqueue would, in one statement, their ids
	// ascending in the order given; it does not set the ids.
	EnqueueMany(ctx context.Context, ms []*OutboxMessage) error
	// DueOutbox returns pending messages whose NextAttemptAt is not after now,
	// oldest first.
	DueOutbox(ctx context.Context, now time.Time, limit int) ([]*OutboxMessage, error)
	// DueOutboxExcept is DueOutbox without the messages of channel skip.
	DueOutboxExcept(ctx context.Context, now time.Time, skip Channel, limit int) ([]*OutboxMessage, error)
	// HeldOutbox returns the held messages for one citizen, oldest first.
	HeldOutbox(ctx context.Context, openKfID, externalUserID string) ([]*OutboxMessage, error)
	CaseOutbox(ctx context.Context, caseID int64) ([]*OutboxMessage, error)
	// UpdateOutbox saves the state of m (all but its message, recipient and
	// creation time) if the stored row is still at m.Version; otherwise
	// ErrConflict.
	UpdateOutbox(ctx context.Context, m *OutboxMessage) error
	// UpdateOutboxMessage is UpdateOutbox that saves m's message too.
	UpdateOutboxMessage(ctx context.Context, m *OutboxMessage) error

	// GetContact returns ErrNotFound for a citizen never seen.
	GetContact(ctx context.Context, openKfID, externalUserID string) (*Contact, error)
	// SaveContact inserts or replaces a citizen's conversation state, its
	// window opened at LastInboundAt with SentInWindow counted apart from
	// the outbox: a contact read and saved back would count its window's
	// messages twice, so the product changes contacts in place.
	SaveContact(ctx context.Context, c *Contact) error
	// LockContact locks a citizen's conversation state until the transaction
	// ends, so that a decision taken on it (to hold a message) cannot cross
	// a message the citizen is sending: that transaction waits, or this one
	// sees it.
	LockContact(ctx context.Context, openKfID, externalUserID string) error
	// SetServiceState changes only a citizen's kf session state, leaving
	// their window (written by every message they send) as it is now.
	SetServiceState(ctx context.Context, openKfID, externalUserID string, state ServiceState, at time.Time) error
	// OpenWindow records, in place, one or more messages from the citizen
	// (handled in order in one transaction), the last of which they sent at
	// sentAt and reached us at receivedAt: InboundSeq goes up by messages,
	// LastInboundAt moves forward to sentAt (never back), an ended session
	// is new again, and SentInWindow counts from now on the kf messages WeCom
	// accepted for them after receivedAt or written down as sent after this
	// (UpdateOutboxSent), unless the window is marked used up (ExhaustWindow). It returns the contact as it is
	// now (a citizen never seen is created) and whether any message to them
	// is held. The contact is locked before anything is read (see
	// LockContact).
	OpenWindow(ctx context.Context, openKfID, externalUserID string, messages int, sentAt, receivedAt, now time.Time) (c *Contact, held bool, err error)
}

// PlanStore is what the lifecycle loop needs beyond the outbox: the scheduler
// and the message-budget planner find notifications WeCom reports on, held
// messages waiting too long, citizens whose window is about to close, and
// record that something fired once so that it never fires twice.
type PlanStore interface {
	// OutboxByWeComMsgID returns the message WeCom accepted under msgID, or
	// ErrNotFound.
	OutboxByWeComMsgID(ctx context.Context, msgID string) (*OutboxMessage, error)
	// OutboxReported returns, in one read, the message WeCom accepted
	// under msgID, or else the pending kf message to the citizen sent under
	// msgID (its send key) and not written down yet; ErrNotFound when there
	// is neither.
	OutboxReported(ctx context.Context, openKfID, externalUserID, msgID string) (*OutboxMessage, error)
	// HeldOutboxSince returns held messages of at least priority min whose
	// NextAttemptAt (the time they were held) is not after before, oldest first.
	HeldOutboxSince(ctx context.Context, before time.Time, min Priority, limit int) ([]*OutboxMessage, error)
	// ContactsClosing returns contacts whose last message from the citizen
	// came at or after from and before to, oldest first.
	ContactsClosing(ctx context.Context, from, to time.Time, limit int) ([]*Contact, error)
	// MarkOnce records key at the given time unless it is recorded already; it
	// reports whether this call recorded it.
	MarkOnce(ctx context.Context, key string, at time.Time) (bool, error)
	// MarkedAt returns when key was recorded, or ErrNotFound.
	MarkedAt(ctx context.Context, key string) (time.Time, error)
	// UpdateOutboxes saves the state of several messages, as UpdateOutbox
	// saves one: all of them, each at the version read, or none
	// (ErrConflict).
	UpdateOutboxes(ctx context.Context, ms []*OutboxMessage) error
	// ClaimOutboxes claims messages as read (each at its version) for their
	// sender: one attempt more each, due again at until; all or none
	// (ErrConflict), and on success their Attempts, NextAttemptAt and
	// Version are moved in memory.
	ClaimOutboxes(ctx context.Context, ms []*OutboxMessage, until time.Time) error
	// UpdateOutboxSent saves the state of kf messages to one citizen that
	// WeCom took, each at the version read, in one statement (ErrConflict
	// when any changed since it was read). Each counts in the citizen's
	// window by its own state: no contact is written. Inside a transaction
	// it is all or nothing as the transaction is; outside one, the messages
	// that had not changed are written even when others had, and no
	// version moves in memory.
	UpdateOutboxSent(ctx context.Context, ms []*OutboxMessage) error
	// ResumeKfRetries makes due at now the kf messages waiting out a backoff
	// after a failed send (pending, tried, an error recorded) whose next try
	// is after after, and reports how many: WeCom takes messages again. A
	// message claimed by its sender is due again when its claim runs out,
	// which the caller keeps before after, so it is left alone. No version
	// moves: only when the message is due changes.
	ResumeKfRetries(ctx context.Context, now, after time.Time) (int64, error)
	// NextKfRetry returns, of the messages ResumeKfRetries would make due,
	// the one whose next try comes soonest, or ErrNotFound.
	NextKfRetry(ctx context.Context, after time.Time) (*OutboxMessage, error)
	// ExhaustWindow marks the citizen's window used up if it is still the one
	// their message number seq (sent at at) opened; it reports whether it was.
	ExhaustWindow(ctx context.Context, openKfID, externalUserID string, at time.Time, seq int64, now time.Time) (bool, error)
}

// InboxStore keeps what WeCom sent us until it has been handled.
type InboxStore interface {
	// SaveInbound stores in unless a callback with the same Key is stored
	// already; it reports whether in was new.
	SaveInbound(ctx context.Context, in *Inbound) (bool, error)
	// SaveInbounds stores callbacks in one transaction, skipping those
	// whose Key is stored already or comes earlier in ins, and reports which
	// were new, in order; on an error none is stored. IDs are not set.
	SaveInbounds(ctx context.Context, ins []*Inbound) ([]bool, error)
	// PendingInbound returns up to limit unhandled callbacks, the least
	// tried first (a new one is never left out for those waiting to be
	// tried again), each number of attempts oldest first.
	PendingInbound(ctx context.Context, limit int) ([]*Inbound, error)
	UpdateInbound(ctx context.Context, in *Inbound) error
	// NewestInbound returns the id of the newest callback stored (0: none).
	// Every callback with an id no greater was stored before the call (its
	// id given out, if not yet committed).
	NewestInbound(ctx context.Context) (int64, error)
	// MarkInboundDone marks callbacks handled at at, those handled already
	// left as they are; it reports how many it marked.
	MarkInboundDone(ctx context.Context, ids []int64, at time.Time) (int, error)

	// InsertKfMessage stores m unless its MsgID is stored already; it reports
	// whether m was new.
	InsertKfMessage(ctx context.Context, m *KfMessage) (bool, error)
	// MarkKfMessagesDone marks kf messages handled at at, one more attempt
	// each, in one statement; those handled already are left as they are.
	// It reports how many it marked.
	MarkKfMessagesDone(ctx context.Context, ids []int64, at time.Time) (int, error)
	// InsertKfMessages stores a page of messages, skipping those whose MsgID
	// is stored already, and reports how many were new.
	InsertKfMessages(ctx context.Context, ms []*KfMessage) (int, error)
	// PendingKfMessages returns unhandled messages in the order they were stored.
	PendingKfMessages(ctx context.Context, limit int) ([]*KfMessage, error)
	// PendingKfMessagesOf returns one citizen's unhandled messages in the
	// order they were stored.
	PendingKfMessagesOf(ctx context.Context, openKfID, externalUserID string, limit int) ([]*KfMessage, error)
	// PendingKfCitizens returns the oldest unhandled message (without Raw)
	// of each citizen who has any, oldest first, if its ID is above after.
	PendingKfCitizens(ctx context.Context, after int64, limit int) ([]*KfMessage, error)
	UpdateKfMessage(ctx context.Context, m *KfMessage) error

	// Cursor returns "" for a kf account never synced.
	Cursor(ctx context.Context, openKfID string) (string, error)
	SaveCursor(ctx context.Context, openKfID, cursor string) error
}

// SessionStore keeps dialog sessions as opaque bytes. It lives beside the cases
// so that a message, the session it advances and the case it changes commit
// together.
type SessionStore interface {
	// LoadSession returns ErrNotFound when there is none.
	LoadSession(ctx context.Context, key string) ([]byte, error)
	SaveSession(ctx context.Context, key string, data []byte) error
	DeleteSession(ctx context.Context, key string) error

	// SaveDraftMedia keeps a file received in the dialog session sessionKey
	// before its case exists, so that the session holds only the returned id
	// and never the bytes (a few photos would make it too large to save).
	SaveDraftMedia(ctx context.Context, sessionKey string, a *Attachment) (id int64, err error)
	// DraftMedia returns a kept file with its bytes, or ErrNotFound.
	DraftMedia(ctx context.Context, id int64) (*Attachment, error)
	// DeleteDraftMedia removes the files kept for sessionKey except those
	// whose ids are in keep; removing none is not an error.
	DeleteDraftMedia(ctx context.Context, sessionKey string, keep []int64) error
}

// Housekeeping removes what nobody will come back for.
type Housekeeping interface {
	// PurgeStale deletes dialog sessions (and card codes) not written for
	// olderThan, with the draft files of those sessions and any draft file
	// whose session is gone. The cut-off is taken on the clock that stamped
	// the rows. It reports how many sessions went.
	PurgeStale(ctx context.Context, olderThan time.Duration) (int, error)
}

// Repo is everything the product keeps in its database. InTx runs fn with a
// Repo bound to one transaction; calling InTx on that Repo runs fn in the same
// transaction.
type Repo interface {
	CaseStore
	OutboxStore
	PlanStore
	InboxStore
	SessionStore
	Housekeeping
	AsideStore
	InTx(ctx context.Context, fn func(Repo) error) error
	Ping(ctx context.Context) error
	Close() error
}
