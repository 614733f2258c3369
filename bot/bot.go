// Package bot is the citizen's side of 办成事: the dialog that turns what a
// person writes in WeChat into a case, answers where a case stands, takes
// supplements and withdrawals, and hands the chat to a person on request.
//
// It is pure logic over small interfaces: the pipeline calls Engine.Handle for
// each citizen kf message inside one database transaction, with a session store
// and a cases.Desk bound to that transaction, and enqueues the replies it
// returns.
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
	"errors"
	"time"

	"banchengshi/cases"
)

// Message kinds an Incoming may carry.
const (
	KindText         = "text"
	KindImage        = cases.MediaImage
	KindVoice        = cases.MediaVoice
	KindVideo        = cases.MediaVideo
	KindFile         = cases.MediaFile
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

// refusal reports whether err is a domain refusal the citizen should be told
// about kindly, and the sentence to tell them.
func refusal(err error) (string, bool) {
	switch {
	case errors.Is(err, cases.ErrNotFound):
		return textCaseNotFound, true
	case errors.Is(err, cases.ErrNotOpen):
		return textCaseNotOpen, true
	case errors.Is(err, cases.ErrRefused):
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
