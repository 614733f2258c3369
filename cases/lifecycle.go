package cases

import (
	"errors"
	"fmt"
	"time"
)

// The lifecycle, adapted from the 12345 hotline loop (docs/architecture.md,
// "Case lifecycle"):
//
//	submitted ─accept→ accepted ─assign→ assigned ─start→ in_progress ─resolve→ resolved
//	resolved ─rate 1–3 / close / followup→ closed
//	resolved, closed ─reopen (重办)→ assigned
//	assigned, in_progress ─return (退单)→ accepted
//	submitted … in_progress ─withdraw→ withdrawn, ─merge→ merged
//
// Decisions worth knowing:
//   - A closed case can be reopened, as 12345 does when a citizen later shows the
//     answer was not carried out; withdrawn and merged cases cannot (the citizen
//     writes again, the merged case lives on in its target).
//   - A resolved case cannot be withdrawn or merged: it has its own answer and
//     its follow-up is owed.
//   - resolve is allowed straight from assigned: a department that can answer at
//     once need not "start" first.
//   - assign from assigned re-dispatches (改派) before work has started; once in
//     progress, a department that is the wrong one returns the case (退单).
//   - A rating of 4 or 5 does not close: the caller moves with reopen instead
//     (rate with 4–5 is refused, saying so).
//   - submit is not a move: a case starts life through NewCase.
//   - extend, note, reply, ask_material, supplement, accountability, common and
//     view leave the status as it is.

// transitions is THE table: for each status, the actions allowed in it and the
// status each leads to. Anything not here is refused.
var transitions = map[Status]map[Action]Status{
	StatusSubmitted: {
		ActionAccept:         StatusAccepted,
		ActionWithdraw:       StatusWithdrawn,
		ActionMerge:          StatusMerged,
		ActionAskMaterial:    StatusSubmitted,
		ActionSupplement:     StatusSubmitted,
		ActionReply:          StatusSubmitted,
		ActionNote:           StatusSubmitted,
		ActionView:           StatusSubmitted,
		ActionAccountability: StatusSubmitted,
		ActionCommon:         StatusSubmitted,
	},
	StatusAccepted: {
		ActionAssign:         StatusAssigned,
		ActionWithdraw:       StatusWithdrawn,
		ActionMerge:          StatusMerged,
		ActionAskMaterial:    StatusAccepted,
		ActionSupplement:     StatusAccepted,
		ActionReply:          StatusAccepted,
		ActionNote:           StatusAccepted,
		ActionView:           StatusAccepted,
		ActionAccountability: StatusAccepted,
		ActionCommon:         StatusAccepted,
	},
	StatusAssigned: {
		ActionAssign:         StatusAssigned,
		ActionStart:          StatusInProgress,
		ActionResolve:        StatusResolved,
		ActionExtend:         StatusAssigned,
		ActionReturn:         StatusAccepted,
		ActionWithdraw:       StatusWithdrawn,
		ActionMerge:          StatusMerged,
		ActionAskMaterial:    StatusAssigned,
		ActionSupplement:     StatusAssigned,
		ActionReply:          StatusAssigned,
		ActionNote:           StatusAssigned,
		ActionView:           StatusAssigned,
		ActionAccountability: StatusAssigned,
		ActionCommon:         StatusAssigned,
	},
	StatusInProgress: {
		ActionResolve:        StatusResolved,
		ActionExtend:         StatusInProgress,
		ActionReturn:         StatusAccepted,
		ActionWithdraw:       StatusWithdrawn,
		ActionMerge:          StatusMerged,
		ActionAskMaterial:    StatusInProgress,
		ActionSupplement:     StatusInProgress,
		ActionReply:          StatusInProgress,
		ActionNote:           StatusInProgress,
		ActionView:           StatusInProgress,
		ActionAccountability: StatusInProgress,
		ActionCommon:         StatusInProgress,
	},
	StatusResolved: {
		ActionRate:           StatusClosed,
		ActionFollowUpResult: StatusClosed,
		ActionClose:          StatusClosed,
		ActionReopen:         StatusAssigned,
		ActionSupplement:     StatusResolved,
		ActionReply:          StatusResolved,
		ActionNote:           StatusResolved,
		ActionView:           StatusResolved,
		ActionAccountability: StatusResolved,
		ActionCommon:         StatusResolved,
	},
	StatusClosed: {
		ActionReopen: StatusAssigned,
		ActionNote:   StatusClosed,
		ActionView:   StatusClosed,
	},
	StatusWithdrawn: {
		ActionNote: StatusWithdrawn,
		ActionView: StatusWithdrawn,
	},
	StatusMerged: {
		ActionNote: StatusMerged,
		ActionView: StatusMerged,
	},
}

// Statuses lists every status in lifecycle order.
func Statuses() []Status {
	return []Status{
		StatusSubmitted, StatusAccepted, StatusAssigned, StatusInProgress,
		StatusResolved, StatusClosed, StatusWithdrawn, StatusMerged,
	}
}

// actionOrder lists every action in the order staff meet them; refusal
// messages list what is possible in this order.
var actionOrder = []Action{
	ActionSubmit, ActionAccept, ActionAssign, ActionStart, ActionExtend,
	ActionReturn, ActionResolve, ActionRate, ActionFollowUpResult, ActionClose,
	ActionReopen, ActionWithdraw, ActionMerge, ActionReply, ActionAskMaterial,
	ActionSupplement, ActionAccountability, ActionCommon, ActionNote, ActionView,
}

// Actions lists every action, in the order staff meet them.
func Actions() []Action { return append([]Action(nil), actionOrder...) }

// Allowed reports whether action a may be taken on a case in status from, and
// the status the case is in afterwards (from itself for actions that do not
// move it).
func Allowed(from Status, a Action) (to Status, ok bool) {
	to, ok = transitions[from][a]
	return to, ok
}

// MoveError is a move refused by the lifecycle: the case's status does not
// allow the action, or the move lacks detail the action needs. It carries the
// reason, not a sentence; Text words it for the person who tried it.
type MoveError struct {
	From   Status
	Action Action
	Reason MoveReason
}

// MoveReason says why the lifecycle refused a move.
type MoveReason string

// Reasons the lifecycle refuses a move for. All but MoveNotAllowed name the
// detail that is missing or wrong; which action lacked it is in
// MoveError.Action.
const (
	MoveNotAllowed   MoveReason = "not_allowed"   // the status does not allow the action
	MoveNeedsDept    MoveReason = "needs_dept"    // assign: no lead department
	MoveNeedsDays    MoveReason = "needs_days"    // extend: no working days, or no reason
	MoveNeedsReason  MoveReason = "needs_reason"  // return, reopen: no reason
	MoveNeedsWindow  MoveReason = "needs_window"  // accountability: no window, or no reason
	MoveNeedsTarget  MoveReason = "needs_target"  // merge: no case to merge into
	MoveIntoItself   MoveReason = "into_itself"   // merge: into the case itself
	MoveNeedsAnswer  MoveReason = "needs_answer"  // resolve: no answer for the citizen
	MoveNeedsTag     MoveReason = "needs_tag"     // common: no tag
	MoveBadRating    MoveReason = "bad_rating"    // rate, reopen, followup: a rating outside 1–5
	MoveDissatisfied MoveReason = "dissatisfied"  // rate, followup: rated 4 or 5, which reopens instead
	MoveNeedsOutcome MoveReason = "needs_outcome" // followup: no outcome
	MoveNeedsText    MoveReason = "needs_text"    // note, reply, ask_material: no words
)

// Error describes the refusal for logs; Text words it for people.
func (e *MoveError) Error() string {
	return fmt.Sprintf("%s on a %s case refused: %s", e.Action, e.From, e.Reason)
}

// IsMoveError reports whether err is (or wraps) a refused move, and returns it.
func IsMoveError(err error) (*MoveError, bool) {
	var me *MoveError
	ok := errors.As(err, &me)
	return me, ok
}

// NewCase starts the lifecycle of a case the citizen has just confirmed: status
// submitted, the category's department as lead and its time limit, the deadline
// counted in working days from now (see Calendar.AddWorkdays: the day of
// submission does not count), timestamps and light. It returns the first
// timeline event. The clock runs from submission, not from acceptance: the
// citizen has waited since they wrote.
func NewCase(c *Case, cat Category, now time.Time, cal *Calendar) (Event, error) {
	if cat.LimitDays <= 0 {
		return Event{}, fmt.Errorf("new case: category %q has no time limit", cat.Key)
	}
	c.Status = StatusSubmitted
	c.Category = cat.Key
	if c.LeadDept == "" {
		c.LeadDept = cat.Dept
	}
	c.LimitDays = cat.LimitDays
	c.Deadline = cal.AddWorkdays(now, cat.LimitDays)
	c.CreatedAt = now
	c.UpdatedAt = now
	c.Light = LightAt(c, now, cal)
	return Event{
		CaseID: c.ID,
		At:     now,
		Actor:  CitizenActor(c.ReporterID),
		Kind:   EventSubmitted,
		Body:   submittedBody(c, cat),
		Data: EventData(MoveData{
			Action:    ActionSubmit,
			To:        StatusSubmitted,
			Dept:      c.LeadDept,
			LimitDays: c.LimitDays,
			Deadline:  &c.Deadline,
		}),
	}, nil
}
