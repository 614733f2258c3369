package cases

import "time"

// Channel is the way a message leaves the bureau.
type Channel string

// Channels: kf reaches a citizen in personal WeChat through 微信客服; app reaches
// a staff member in the WeCom client through the self-built app.
const (
	ChannelKf  Channel = "kf"
	ChannelApp Channel = "app"
)

// OutboxStatus is the fate of a message the bureau owes somebody.
type OutboxStatus string

// Outbox fates. Every one of them is visible on the case's timeline.
const (
	OutboxPending   OutboxStatus = "pending"    // to be sent when due
	OutboxSent      OutboxStatus = "sent"       // WeCom accepted it
	OutboxHeld      OutboxStatus = "held"       // outside the citizen's 48 h / 5-message window; goes out when they write again
	OutboxPhoneTask OutboxStatus = "phone_task" // could not reach the citizen; staff must phone them
	OutboxFailed    OutboxStatus = "failed"     // given up on, with LastError saying why
	OutboxMerged    OutboxStatus = "merged"     // bundled into another message (MergedInto)
	OutboxSMS       OutboxStatus = "sms"        // WeChat could not carry it in time; it went on by SMS (see SMSMessage)
)

// Message is what is said, independent of how WeCom encodes it.
type Message struct {
	Text string `json:"text,omitempty"`
	// Menu, when set, is sent as a kf msgmenu with tappable choices; Text is then
	// its head. The typed fallback ("回复 1") must be in the items' wording.
	Menu []MenuItem `json:"menu,omitempty"`
	// MenuTail is shown under the menu items.
	MenuTail string `json:"menu_tail,omitempty"`
	// Card, for staff, is a template card with buttons.
	Card *Card `json:"card,omitempty"`
	// CardUpdate, for staff, changes a card sent earlier instead of sending
	// a new message.
	CardUpdate *CardUpdate `json:"card_update,omitempty"`
	// Handover, for a citizen, is no message: it hands the chat to the kf
	// account's human servicers (the waiting pool) once what was queued
	// before it has gone out, so the citizen is told before the bot leaves.
	Handover bool `json:"handover,omitempty"`
	// Urgent, on a message to a citizen, says it cannot wait for them to
	// write again: when their chat window is closed it goes by SMS.
	Urgent Urgency `json:"urgent,omitempty"`
}

// CardUpdate replaces a card's buttons with one line (e.g. "已由 张三 受理")
// for the members who got it. ResponseCode is WeCom's single-use code from
// sending the card or from a click on it.
type CardUpdate struct {
	ResponseCode string   `json:"response_code"`
	ReplaceText  string   `json:"replace_text"`
	UserIDs      []string `json:"userids"`
}

// MenuItem is one tappable choice; ID comes back as the text message's menu_id.
type MenuItem struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Card is a staff notification with buttons (a WeCom button_interaction
// template card). TaskID ties clicks to the card so it can be updated.
type Card struct {
	TaskID  string       `json:"task_id"`
	Title   string       `json:"title"`
	Desc    string       `json:"desc"`
	Fields  []CardField  `json:"fields,omitempty"`
	Buttons []CardButton `json:"buttons,omitempty"`
	URL     string       `json:"url,omitempty"`
}

// CardField is a key/value line on a card.
type CardField struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// CardButton is a button on a card; Key comes back as the click's EventKey.
type CardButton struct {
	Key  string `json:"key"`
	Text string `json:"text"`
}

// Priority orders what the citizen's scarce kf messages are spent on.
type Priority int

// Priorities. PriorityCritical messages (the answer, the follow-up) may use the
// last message of a citizen's window; others leave it in reserve.
const (
	PriorityLow      Priority = 0 // progress updates that may be bundled
	PriorityNormal   Priority = 1 // replies in a live conversation
	PriorityCritical Priority = 2 // the resolution and the follow-up question
)

// OutboxMessage is one message the bureau owes somebody, persisted in the same
// transaction as the change that caused it and retried until its fate is known.
type OutboxMessage struct {
	ID        int64    `json:"id"`
	CaseID    int64    `json:"case_id,omitempty"` // 0 when not about a case
	Channel   Channel  `json:"channel"`
	OpenKfID  string   `json:"open_kfid,omitempty"`
	Recipient string   `json:"recipient"` // external_userid (kf) or staff user id (app)
	Message   Message  `json:"message"`
	Priority  Priority `json:"priority"`

	Status        OutboxStatus `json:"status"`
	Attempts      int          `json:"attempts"`
	NextAttemptAt time.Time    `json:"next_attempt_at"`
	LastError     string       `json:"last_error,omitempty"`
	WeComMsgID    string       `json:"wecom_msgid,omitempty"`
	MergedInto    int64        `json:"merged_into,omitempty"`
	CreatedAt     time.Time    `json:"created_at"`
	SentAt        *time.Time   `json:"sent_at,omitempty"`

	// SendKey is the message's idempotency key (kf send_msg's msgid): set
	// when it is queued, the same on every retry, so WeCom can tell a repeat
	// from a new message.
	SendKey string `json:"-"`
	// Purpose says what the message is for where its fate depends on it.
	Purpose Purpose `json:"purpose,omitempty"`
	// ReplyTo is the Contact.InboundSeq of the citizen message this message
	// answers; 0 when it answers none (an update, a notice).
	ReplyTo int64 `json:"reply_to,omitempty"`
	// Version is the stored row's version: every update is conditional on
	// it, so a stale copy is refused (ErrConflict) instead of written back.
	Version int64 `json:"-"`
}

// Purpose marks an outbox message whose fate differs from its priority's.
type Purpose string

// Purposes. A nudge is critical (it may spend the window's last message) but
// is only an invitation to reply: undeliverable, it is dropped, never turned
// into a phone task.
const (
	PurposeNone  Purpose = ""
	PurposeNudge Purpose = "nudge"
)

// MustReach reports whether m, undeliverable for good, becomes a phone task
// for staff: an urgent message to a citizen about a case (Message.Urgent:
// the answer, a material request, the rating question), never a nudge.
func (m *OutboxMessage) MustReach() bool {
	return m.Channel == ChannelKf && m.CaseID != 0 && m.Message.Urgent != "" && m.Purpose != PurposeNudge
}

// Contact is the state of one citizen's kf conversation that the message budget
// depends on: WeCom allows 5 messages within 48 hours after the citizen's last
// message, and each new message from them resets both.
type Contact struct {
	OpenKfID       string    `json:"open_kfid"`
	ExternalUserID string    `json:"external_userid"`
	LastInboundAt  time.Time `json:"last_inbound_at"`
	SentInWindow   int       `json:"sent_in_window"`
	// ServiceState mirrors kf's session state as last seen.
	ServiceState ServiceState `json:"service_state"`
	UpdatedAt    time.Time    `json:"updated_at"`
	// InboundSeq counts the citizen's messages: each opens a new window, even
	// one in the same second as the last (LastInboundAt has whole seconds).
	InboundSeq int64 `json:"inbound_seq"`
}

// KfWindow and KfWindowMessages are WeCom's limits on messages to a citizen.
const (
	KfWindow         = 48 * time.Hour
	KfWindowMessages = 5
)

// WindowOpen reports whether a kf message may still be sent to the contact at now.
func (c *Contact) WindowOpen(now time.Time) bool {
	return !c.LastInboundAt.IsZero() && now.Before(c.LastInboundAt.Add(KfWindow)) && c.SentInWindow < KfWindowMessages
}

// Remaining is how many kf messages may still be sent in the current window.
func (c *Contact) Remaining(now time.Time) int {
	if c.LastInboundAt.IsZero() || !now.Before(c.LastInboundAt.Add(KfWindow)) {
		return 0
	}
	if r := KfWindowMessages - c.SentInWindow; r > 0 {
		return r
	}
	return 0
}
