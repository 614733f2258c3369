// Package bot is the citizen's side of 办成事: the dialog that turns what a
// person writes in WeChat into a case, answers where a case stands, takes
// supplements and withdrawals, and hands the chat to a person on request.
//
// It is pure logic over small interfaces: the pipeline calls Engine.Handle for
// each citizen kf message inside one database transaction, with a session store
// and a Desk bound to that transaction, and enqueues the replies it returns.
//
// # How to add a dialog step
//
// Everything the dialog knows about a step is its entry in the step table,
// steps.go. A new step touches:
//
//   - steps.go: a Step constant (its name is stored in sessions: never
//     rename one) and its table entry: the activity it belongs to, its
//     question and its answer, whether it is answered by a choice or may be
//     answered by voice, and media when a file sent on it means more than a
//     file kept. A step of the report form also names its summary group, when
//     it is filled already, and the step after it; the step before it then
//     names the new one as its next.
//   - questions.go: its question, when it is more than fixed words or fixed
//     options; text.go: its words, and its one-tap answer in quickAnswers if it
//     has one.
//   - its answer, beside those of its activity: report.go for the form
//     (people.go for who is affected, confirm.go for the summary),
//     service.go for supplements and withdrawals, followup.go for the
//     follow-up.
//   - steps_test.go: the name in storedSteps, with words of its question;
//     and a conversation through it in conversations_test.go.
//
// A step that asks for something new also adds it to the draft (session.go),
// to the summary and its change menu (summary, editOptions and editGroups in
// text.go, edit in confirm.go), to the case submitted (draftCase in report.go)
// and to the steps that may change it in fuzz_test.go (owners).
package bot

import (
	"context"
	"errors"
	"time"

	"banchengshi/cases"
)

// Message kinds an Incoming may carry.
const (
	KindText         = "text"
	KindImage        = "image"
	KindVoice        = "voice"
	KindVideo        = "video"
	KindFile         = "file"
	KindLocation     = "location"
	KindLink         = "link"
	KindBusinessCard = "business_card"
	KindMiniProgram  = "miniprogram"
	KindEnterSession = "enter_session" // the citizen opened the chat
	KindOther        = "other"
)

// Incoming is one message or event from a citizen, as the pipeline read it
// from kf sync_msg.
type Incoming struct {
	MsgID, OpenKfID, ExternalUserID string
	// Kind is one of the Kind constants.
	Kind string
	// Text is the text content; for a tapped menu item, the item's text.
	Text string
	// MenuID is set when a kf msgmenu item was tapped.
	MenuID string
	// Media is set for image, voice, video and file messages once the pipeline
	// has downloaded them; nil when the download failed.
	Media *Media
	At    time.Time
}

// Media is a downloaded voice message, photo, video or file.
type Media struct {
	Kind, FileName, ContentType string
	Data                        []byte
	MediaID                     string
}

// Result is what the dialog answers to one Incoming.
type Result struct {
	// Replies go to the citizen, in order; usually one, each with at most one
	// question.
	Replies []cases.Message
	// Handover means the citizen asked for a person: the pipeline moves the kf
	// session to state 3 (human servicer).
	Handover bool
}

// CaseView is one of a reporter's cases as the citizen sees it. StatusText and
// LastUpdate are citizen-facing Chinese sentences supplied by the desk.
type CaseView struct {
	Number, Category, StatusText, LastUpdate string
	Open                                     bool
	Deadline                                 time.Time
	// AffectedName and Relation are the affected person's name and their
	// relation to the reporter ("本人" when the reporter is the affected
	// person), so that a reporter writing for somebody else is asked about
	// that person by name.
	AffectedName, Relation string
}

// Desk is what the dialog needs from the bureau's side, implemented by the
// pipeline over the database (inside the message's transaction).
//
// Supplement, Withdraw and Rate report domain refusals by returning an error that
// wraps cases.ErrNotFound (no such case of this reporter), ErrNotOpen (the case
// is finished) or ErrRefused (any other reason the bureau cannot do it now);
// the dialog turns those into a kind answer. Any other error is treated as an
// infrastructure failure and returned from Handle, so the message is retried.
type Desk interface {
	// Categories lists the kinds of problems the window takes, in menu order.
	Categories() []cases.Category
	// Submit stores a new case built from the dialog (it sets Number, Deadline,
	// LimitDays, LeadDept, Status, and notifies staff) together with its
	// attachments and the description messages as timeline events.
	Submit(ctx context.Context, c *cases.Case, atts []*cases.Attachment, said []string) error
	// ReporterCases lists the reporter's cases, newest first, with the last
	// thing that happened on each.
	ReporterCases(ctx context.Context, openKfID, reporterID string) ([]CaseView, error)
	// Supplement adds text or an attachment (either may be empty) to an open
	// case of the reporter and tells its handler.
	Supplement(ctx context.Context, number, reporterID string, text string, att *cases.Attachment) error
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
	// empty). It returns the line to tell the citizen, in Chinese.
	Rate(ctx context.Context, number, reporterID string, rating int, solved bool, why string) (reply string, err error)
}

// Domain refusals a Desk may return (wrapped); see Desk.
var (
	ErrNotOpen = errors.New("case is no longer open")
	ErrRefused = errors.New("refused by the bureau")
)

// refusal reports whether err is a domain refusal the citizen should be told
// about kindly, and the sentence to tell them.
func refusal(err error) (string, bool) {
	switch {
	case errors.Is(err, cases.ErrNotFound):
		return textCaseNotFound, true
	case errors.Is(err, ErrNotOpen):
		return textCaseNotOpen, true
	case errors.Is(err, ErrRefused):
		return textCaseRefused, true
	}
	return "", false
}

// Config tunes the dialog. Zero values take the defaults.
type Config struct {
	// DraftTTL is how long an unfinished report is kept (default 7 days).
	DraftTTL time.Duration
	// ResumeAfter is the silence after which a returning citizen is offered to
	// continue or start over (default 12 hours).
	ResumeAfter time.Duration
	// Now is the clock, for messages without a time (default time.Now).
	Now func() time.Time
}

// Engine runs the citizen dialog. It keeps no state of its own: everything
// lives in the session store, so any replica may handle any message.
type Engine struct {
	cfg Config
}

// New returns an Engine with cfg's zero fields set to their defaults.
func New(cfg Config) *Engine {
	if cfg.DraftTTL <= 0 {
		cfg.DraftTTL = 7 * 24 * time.Hour
	}
	if cfg.ResumeAfter <= 0 {
		cfg.ResumeAfter = 12 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Engine{cfg: cfg}
}

// SessionKey is the key under which a citizen's dialog session is stored.
func SessionKey(openKfID, externalUserID string) string {
	return openKfID + ":" + externalUserID
}
