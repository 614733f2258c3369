// Package cases is the domain of 办成事: a citizen's case, its timeline, the
// messages the bureau owes people (the outbox), and the small interfaces the
// domain needs from storage. It imports no other package of the product.
package cases

import (
	"errors"
	"slices"
	"time"
)

// Status is where a case stands in its lifecycle.
type Status string

// The lifecycle states (see docs/architecture.md, "Case lifecycle").
const (
	StatusSubmitted  Status = "submitted"   // 待受理
	StatusAccepted   Status = "accepted"    // 已受理
	StatusAssigned   Status = "assigned"    // 已派单
	StatusInProgress Status = "in_progress" // 办理中
	StatusResolved   Status = "resolved"    // 已办结, waiting for the follow-up
	StatusClosed     Status = "closed"      // 已结案
	StatusWithdrawn  Status = "withdrawn"   // 已撤回
	StatusMerged     Status = "merged"      // 已并案
)

// Working reports whether the bureau is still working on a case in this
// status: submitted, accepted, assigned or in progress. A resolved case is not
// working: it waits for the citizen's follow-up answer.
func (s Status) Working() bool { return slices.Contains(WorkingStatuses(), s) }

// Unfinished reports whether a case in this status may still change: it is
// working, or resolved and waiting for the follow-up. Closed, withdrawn and
// merged cases are finished.
func (s Status) Unfinished() bool { return slices.Contains(UnfinishedStatuses(), s) }

// WorkingStatuses lists the working statuses in lifecycle order (see
// Status.Working). The slice is the caller's own.
func WorkingStatuses() []Status {
	return []Status{StatusSubmitted, StatusAccepted, StatusAssigned, StatusInProgress}
}

// UnfinishedStatuses lists the unfinished statuses in lifecycle order: the
// working ones and resolved (see Status.Unfinished). The slice is the
// caller's own.
func UnfinishedStatuses() []Status { return append(WorkingStatuses(), StatusResolved) }

// Light is the panoramic monitor's signal for a case's time limit.
type Light string

// Lights: green while at least 30% of the limit remains, yellow below that, red
// when overdue.
const (
	LightGreen  Light = "green"
	LightYellow Light = "yellow"
	LightRed    Light = "red"
)

// Person is somebody a case is about or who can be reached for it. IDNumber and
// Phone are personal data: storage encrypts them and every display masks them.
type Person struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number,omitempty"`
	Phone    string `json:"phone,omitempty"`
}

// Case is one problem brought to the window.
type Case struct {
	ID     int64  `json:"id"`
	Number string `json:"number"` // e.g. BC2611280007, readable aloud

	// Source is the channel the case came in by (微信客服, Open311).
	Source Source `json:"source"`
	// Channel: which 微信客服 account the citizen wrote to (for other sources,
	// the window that received the case), and who wrote.
	OpenKfID     string `json:"open_kfid"`
	ReporterID   string `json:"reporter_id"` // WeCom external_userid
	ReporterName string `json:"reporter_name"`

	// The affected person may differ from the reporter (a neighbour reporting for
	// a sick man). Relation is the affected person's relation to the reporter
	// ("本人" when they are the same); Consent records whether they know and agree.
	Affected Person `json:"affected"`
	Relation string `json:"relation"`
	Consent  string `json:"consent"`
	// ContactPhone is the number staff call back (reporter's or affected person's).
	ContactPhone string `json:"contact_phone,omitempty"`

	Category string `json:"category"`

	// What the citizen already tried: which window, when, what they were told.
	TriedWindow string `json:"tried_window"`
	TriedWhen   string `json:"tried_when"`
	TriedAnswer string `json:"tried_answer"`

	Description string `json:"description"`

	LeadDept string   `json:"lead_dept"`
	CoDepts  []string `json:"co_depts"`
	Assignee string   `json:"assignee"`

	Status   Status    `json:"status"`
	Deadline time.Time `json:"deadline"`
	// LimitDays is the time limit in working days, extensions included.
	LimitDays int   `json:"limit_days"`
	Light     Light `json:"light"`

	Accountability string `json:"accountability,omitempty"` // which normal window should have handled it, and why
	CommonTag      string `json:"common_tag,omitempty"`     // 共性问题 tag
	MergedInto     string `json:"merged_into,omitempty"`
	Resolution     string `json:"resolution,omitempty"` // the answer the citizen receives
	Satisfaction   int    `json:"satisfaction,omitempty"`
	Reopened       int    `json:"reopened,omitempty"`

	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`

	// Version increases with every update; storage refuses an update made from a
	// stale copy (ErrConflict), so two staff cannot both take the same case.
	Version int `json:"version"`
}

// Event is one entry of a case's append-only timeline.
type Event struct {
	ID     int64     `json:"id"`
	CaseID int64     `json:"case_id"`
	At     time.Time `json:"at"`
	Actor  Actor     `json:"actor"`
	Kind   EventKind `json:"kind"`
	// Body is human-readable text (Chinese when it is what the citizen said or
	// was told). Data carries structured detail as JSON, may be empty.
	Body string `json:"body"`
	Data string `json:"data,omitempty"`
}

// EventKind names what happened on a timeline.
type EventKind string

// Timeline event kinds.
const (
	EventSubmitted    EventKind = "submitted"
	EventStatus       EventKind = "status"       // a lifecycle move
	EventMessageIn    EventKind = "message_in"   // the citizen wrote
	EventMessageOut   EventKind = "message_out"  // the bot or staff wrote to the citizen
	EventServicerMsg  EventKind = "servicer_msg" // a human servicer typed in the WeCom client (kf origin 5)
	EventAttachment   EventKind = "attachment"
	EventNote         EventKind = "note" // internal, never shown to the citizen
	EventNotification EventKind = "notification"
	EventReminder     EventKind = "reminder"
	EventRating       EventKind = "rating"
	EventHandover     EventKind = "handover" // chat handed to a human servicer
	EventPIIViewed    EventKind = "pii_viewed"
)

// Attachment is a voice message, photo, video or file kept with a case. WeCom's
// media ids live three days, so the bytes are downloaded and kept.
type Attachment struct {
	ID          int64     `json:"id"`
	CaseID      int64     `json:"case_id"`
	Kind        string    `json:"kind"` // voice, image, video, file
	MediaID     string    `json:"media_id,omitempty"`
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Data        []byte    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
}

// Sentinel errors that storage maps driver errors to.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("duplicate")
	ErrConflict  = errors.New("changed by someone else")
	// ErrDone means a message was handled already (by another worker whose
	// lock outlived ours): its effects must not be applied a second time.
	ErrDone = errors.New("handled already")
)

// Category is a kind of problem the window takes, with the department that
// handles it by default and its time limit in working days. Categories come from
// configuration: the bureau changes them without a release.
type Category struct {
	Key     string   `json:"key" yaml:"key"`
	Name    string   `json:"name" yaml:"name"`
	Aliases []string `json:"aliases,omitempty" yaml:"aliases"`
	// Keywords are words of a citizen's story that point to this category
	// ("转到", "停发"); the dialog infers the category from them.
	Keywords  []string `json:"keywords,omitempty" yaml:"keywords"`
	Dept      string   `json:"dept" yaml:"dept"`
	LimitDays int      `json:"limit_days" yaml:"limit_days"`
}
