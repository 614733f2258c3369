package cases

import (
	"context"
	"errors"
	"time"
)

// The citizen dialog's contract with the bureau's side. The dialog (package
// bot) talks to citizens and the desk (package desk) writes cases and
// timelines; both depend on this contract and neither on the other, so the
// desk can change how it stores a case without the dialog noticing, and the
// dialog can be tested against an in-memory desk.

// CaseView is one of a reporter's cases as the citizen sees it. StatusText and
// LastUpdate are citizen-facing Chinese sentences supplied by the desk.
type CaseView struct {
	Number, Category, StatusText, LastUpdate string
	// Working is the case's Status.Working: the bureau still works on it. A
	// resolved case waiting for the follow-up is not working.
	Working  bool
	Deadline time.Time
	// AffectedName and Relation are the affected person's name and their
	// relation to the reporter ("本人" when the reporter is the affected
	// person), so that a reporter writing for somebody else is asked about
	// that person by name.
	AffectedName, Relation string
}

// Desk is what the dialog needs from the bureau's side, implemented by the
// desk over the database (inside the message's transaction).
//
// Supplement, Withdraw and Rate report domain refusals by returning an error that
// wraps ErrNotFound (no such case of this reporter), ErrNotOpen (the case is
// finished) or ErrRefused (any other reason the bureau cannot do it now); the
// dialog turns those into a kind answer. Any other error is an infrastructure
// failure: the dialog returns it, so the message is retried.
type Desk interface {
	// Categories lists the kinds of problems the window takes, in menu order.
	Categories() []Category
	// Submit stores a new case built from the dialog (it sets Number, Deadline,
	// LimitDays, LeadDept, Status, and notifies staff) together with its
	// attachments and the description messages as timeline events.
	Submit(ctx context.Context, c *Case, atts []*Attachment, said []string) error
	// ReporterCases lists the reporter's cases, newest first, with the last
	// thing that happened on each.
	ReporterCases(ctx context.Context, openKfID, reporterID string) ([]CaseView, error)
	// Supplement adds text or an attachment (either may be empty) to an open
	// case of the reporter and tells its handler.
	Supplement(ctx context.Context, number, reporterID string, text string, att *Attachment) error
	// MaterialRequests lists the reporter's open cases on which a handler
	// asked for material (补充) that the citizen has not sent since, the
	// newest request first. The dialog takes what the citizen sends next as
	// that material, without waiting for them to type "补充".
	MaterialRequests(ctx context.Context, openKfID, reporterID string) ([]CaseView, error)
	// Withdraw withdraws an open case of the reporter.
	Withdraw(ctx context.Context, number, reporterID, reason string) error
	// Handover records that the citizen asked for a person, on the case when
	// number is set, otherwise as a contact.
	Handover(ctx context.Context, openKfID, reporterID, number string) error
	// FollowUps lists the reporter's resolved cases that wait for the
	// citizen's follow-up answer (回访), newest first.
	FollowUps(ctx context.Context, openKfID, reporterID string) ([]CaseView, error)
	// Rate records the follow-up answer for the reporter's case: rating 1–5
	// on the government service scale (1 非常满意 … 5 非常不满意), or 0 when
	// the citizen only said the problem is not solved. solved false or a
	// rating of 4–5 reopens the case (重办) with why as the reason (may be
	// empty). It returns what the answer did to the case; the dialog words
	// it for the citizen.
	Rate(ctx context.Context, number, reporterID string, rating int, solved bool, why string) (Rated, error)
}

// Rated is what a follow-up answer did to the case (Desk.Rate).
type Rated int

// Outcomes of a follow-up answer.
const (
	// RatedClosed: the citizen is satisfied and the case is closed.
	RatedClosed Rated = iota + 1
	// RatedReopened: the case is handled again (重办), and the people
	// responsible for it have been told.
	RatedReopened
)

// Refusals a Desk may return (wrapped) besides ErrNotFound; see Desk.
var (
	ErrNotOpen = errors.New("case is no longer open")
	ErrRefused = errors.New("refused by the bureau")
)
