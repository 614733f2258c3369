package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"banchengshi/cases"
)

// sessionVersion is the current session format. Older formats are upgraded
// when loaded, so a deploy never strands a half-written report. Version 2
// keeps received files in the store's draft media (the session holds their
// ids); version 1 carried the bytes in the session itself. Steps and fields
// added since (self_name, reporter; about_ask, about, missed) need no new
// version: a session without them continues where it was, and an older
// release shows the menu for a step it does not know, keeping the answers.
const sessionVersion = 2

// Who is affected, as stored in a draft.
const (
	whoSelf      = "self"
	whoFamily    = "family"
	whoNeighbour = "neighbour"
	whoOther     = "other"
)

// Whose phone the contact number is.
const (
	phoneReporter = "reporter"
	phoneAffected = "affected"
)

// session is one citizen's dialog state, stored as JSON between messages.
type session struct {
	Version int    `json:"version"`
	Step    Step   `json:"step"`
	History []Step `json:"history,omitempty"`
	// Editing is the summary item being changed; when its steps are answered
	// the dialog returns to the summary.
	Editing string `json:"editing,omitempty"`
	// ResumeStep is where to continue after stepResume.
	ResumeStep Step `json:"resume_step,omitempty"`

	Draft draft `json:"draft"`
	// Parts are the description messages in order; Atts every file received
	// for the report (the bytes wait in the store's draft media until Submit).
	Parts []part       `json:"parts,omitempty"`
	Atts  []attachment `json:"atts,omitempty"`

	IDTries   int `json:"id_tries,omitempty"`
	WhenTries int `json:"when_tries,omitempty"`

	// Target is the case a supplement or withdrawal is about; Choices the
	// case numbers offered when picking one; Reason the withdrawal reason.
	Target  string   `json:"target,omitempty"`
	Choices []string `json:"choices,omitempty"`
	Reason  string   `json:"reason,omitempty"`
	// Held are words sent as material while the case they are for is being
	// chosen, or that the chosen case refused; they reach a case once one
	// takes them, or become a new report (files wait in Atts).
	Held []string `json:"held,omitempty"`

	// Rate is a follow-up answer waiting for its case or its reason.
	Rate *pendingRating `json:"rate,omitempty"`
	// MenuAt is when the main menu was last shown: a digit typed soon after
	// picks from it rather than answering a follow-up.
	MenuAt time.Time `json:"menu_at,omitzero"`

	// About is the case the bot last spoke about (a reopening, a material
	// request, a case list, a supplement) and AboutAt when: the citizen's
	// next words likely belong to it.
	About   string    `json:"about,omitempty"`
	AboutAt time.Time `json:"about_at,omitzero"`
	// Missed counts answers not understood in a row on the current step, so
	// the same misunderstanding is never said twice.
	Missed int `json:"missed,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// draft is everything answered for the case being reported. Name is the
// affected person's name: the reporter's own when Who is whoSelf. Reporter
// is how to address somebody reporting for another.
type draft struct {
	Who         string `json:"who,omitempty"`
	Name        string `json:"name,omitempty"`
	Relation    string `json:"relation,omitempty"`
	Consent     string `json:"consent,omitempty"`
	Reporter    string `json:"reporter,omitempty"`
	IDNumber    string `json:"id_number,omitempty"`
	IDAsked     bool   `json:"id_asked,omitempty"` // answered, possibly with 不知道
	PhoneWhose  string `json:"phone_whose,omitempty"`
	Phone       string `json:"phone,omitempty"`
	PhoneAsked  bool   `json:"phone_asked,omitempty"`
	Category    string `json:"category,omitempty"`
	TriedWindow string `json:"tried_window,omitempty"`
	TriedWhen   string `json:"tried_when,omitempty"`
	TriedAnswer string `json:"tried_answer,omitempty"`
}

// part is one description message: text, or a reference to Atts (1-based).
type part struct {
	Text string `json:"text,omitempty"`
	Att  int    `json:"att,omitempty"`
	// About is the case a follow-up reason was about, when the reason joined
	// this report because that case no longer took it (keepReason): it is
	// labelled with the case, and it does not tell this report's problem.
	About string `json:"about,omitempty"`
}

// said is the part as the case shows it: its words, labelled when they are
// a reason about another case; "" for a file without a label.
func (p part) said() string {
	switch {
	case p.About != "" && p.Text != "":
		return fmt.Sprintf(textReasonAbout, p.About) + p.Text
	case p.About != "":
		return fmt.Sprintf(textReasonFileAbout, p.About)
	}
	return p.Text
}

// attachment is a received file waiting for its case: its bytes are in the
// store's draft media under Media. Data is only set in a version 1 session,
// which carried the bytes itself, until the upgrade moves them out.
type attachment struct {
	Kind        string    `json:"kind"`
	MediaID     string    `json:"media_id,omitempty"`
	FileName    string    `json:"file_name,omitempty"`
	ContentType string    `json:"content_type,omitempty"`
	Media       int64     `json:"media,omitempty"`
	Data        []byte    `json:"data,omitempty"`
	At          time.Time `json:"at"`
}

func newSession(now time.Time) *session {
	return &session{Version: sessionVersion, Step: stepMenu, CreatedAt: now, UpdatedAt: now}
}

// inFlow reports whether the citizen is in the middle of something.
func (s *session) inFlow() bool { return s.Step != stepMenu }

// hasDraft reports whether anything was answered for a report.
func (s *session) hasDraft() bool {
	return s.Draft != (draft{}) || len(s.Parts) > 0 || len(s.Atts) > 0
}

// holding reports whether the session keeps files or words for a case not
// yet chosen.
func (s *session) holding() bool { return len(s.Atts) > 0 || len(s.Held) > 0 }

// loadSession returns the stored session, or nil when there is none. A
// session that cannot be read is reported as corrupt so the dialog can start
// over instead of failing the citizen's every message. The files of a
// version 1 session move to the store's draft media here.
func loadSession(ctx context.Context, store cases.SessionStore, key string) (s *session, corrupt bool, err error) {
	data, err := store.LoadSession(ctx, key)
	if errors.Is(err, cases.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("load dialog session: %w", err)
	}
	s = new(session)
	if err := json.Unmarshal(data, s); err != nil {
		return nil, true, nil
	}
	old := s.Version
	if !s.upgrade() {
		return nil, true, nil
	}
	if old < 2 {
		for i := range s.Atts {
			a := &s.Atts[i]
			id, err := store.SaveDraftMedia(ctx, key, a.draft())
			if err != nil {
				return nil, false, fmt.Errorf("move a file out of the dialog session: %w", err)
			}
			a.Media, a.Data = id, nil
		}
	}
	return s, false, nil
}

// upgrade brings an older session format to the current one; it reports
// false for a format it does not know (written by a newer release).
// loadSession moves a version 1 session's files out of it.
func (s *session) upgrade() bool {
	switch s.Version {
	case 0, 1: // 0 was written before versioning, with the fields of 1
		s.Version = sessionVersion
	case sessionVersion:
	default:
		return false
	}
	if !s.Step.known() || s.Step.in(actRate) && (s.Rate == nil || s.Rate.Return.in(actRate)) {
		// A step this release does not have: answers are kept, the
		// citizen is shown the menu.
		s.Step, s.History, s.Editing, s.Rate = stepMenu, nil, "", nil
	}
	if s.Rate != nil && !s.Rate.Return.known() {
		s.Rate.Return = stepMenu
	}
	if s.Step == stepResume && !s.ResumeStep.known() {
		s.ResumeStep = stepWho
	}
	return true
}

// draft is the file as the store keeps it: a version 1 session's bytes.
func (a attachment) draft() *cases.Attachment {
	return &cases.Attachment{Kind: a.Kind, MediaID: a.MediaID, FileName: a.FileName, ContentType: a.ContentType,
		Size: int64(len(a.Data)), Data: a.Data, CreatedAt: a.At}
}

// mediaIDs lists the draft media the session refers to.
func (s *session) mediaIDs() []int64 {
	var out []int64
	for _, a := range s.Atts {
		if a.Media != 0 {
			out = append(out, a.Media)
		}
	}
	return out
}

func saveSession(ctx context.Context, store cases.SessionStore, key string, s *session) error {
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode dialog session: %w", err)
	}
	if err := store.SaveSession(ctx, key, data); err != nil {
		return fmt.Errorf("save dialog session: %w", err)
	}
	return nil
}
