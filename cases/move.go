package cases

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// Move is one action on a case with its detail. Which fields matter depends on
// the action; Apply refuses a move whose required detail is missing.
type Move struct {
	Action    Action
	Actor     Actor
	ActorName string // shown on the timeline, e.g. "张三"
	At        time.Time

	Reason string // extend, return, reopen, accountability (why), withdraw, merge, close
	Text   string // resolve (the answer), note, reply, ask_material, supplement, followup

	Dept     string   // assign: the lead department
	CoDepts  []string // assign: co-handling departments
	Assignee string   // assign, start: the handler

	ExtendDays int    // extend: working days added to the limit
	MergeInto  string // merge: number of the case that carries on
	Rating     int    // rate (1–3), reopen (optional, 1–5), followup (optional, 1–3)
	Window     string // accountability: the normal window that should have handled it
	Tag        string // common: the common-problem tag

	// DeptName and MemberName, when set, turn department and staff ids into
	// the names the timeline shows (the directory is data the domain does not
	// hold); without them the ids are shown.
	DeptName   func(id string) string
	MemberName func(id string) string
}

func (m Move) dept(id string) string {
	if m.DeptName == nil || id == "" {
		return id
	}
	return m.DeptName(id)
}

func (m Move) member(id string) string {
	if m.MemberName == nil || id == "" {
		return id
	}
	return m.MemberName(id)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// payloads hold only strings, numbers and times: this cannot happen.
		panic(err)
	}
	return string(b)
}

// Apply makes move m on c if the lifecycle allows it and m has the detail the
// action needs. It updates c (status, departments, deadline, answer, rating,
// timestamps, light) and returns the timeline events to append, in order. A
// refused move returns a *MoveError and leaves c untouched. view changes
// nothing and returns no event.
//
// What each action changes:
//   - assign: LeadDept, CoDepts, Assignee (cleared when not given).
//   - start: Assignee when given.
//   - extend: LimitDays += ExtendDays; the deadline moves by as many working days.
//   - return: clears the departments and assignee; the window assigns again.
//   - resolve: Resolution, ResolvedAt (the light stops there).
//   - rate, close, followup: ClosedAt; Satisfaction when rated.
//   - withdraw, merge: ClosedAt (the light stops there); MergedInto.
//   - reopen: Reopened++, Satisfaction when rated, Resolution, ResolvedAt and
//     ClosedAt cleared, and a new deadline of LimitDays working days from now
//     (重办 gets a full time limit again); the lead department keeps the case.
//   - accountability, common: Accountability ("window：why"), CommonTag.
func Apply(c *Case, m Move, cal *Calendar) ([]Event, error) {
	to, err := guard(c, m)
	if err != nil {
		return nil, err
	}
	if m.Action == ActionView {
		return nil, nil
	}
	n, data := transition(c, m, to, cal)
	events := timelineEvents(c, n, m, data)
	*c = *n
	return events, nil
}

// guard decides whether m may be made on c: the lifecycle allows the action
// from c's status and m has the detail it needs. It returns the status m
// leads to.
func guard(c *Case, m Move) (Status, error) {
	if c == nil {
		return "", errors.New("apply move: nil case")
	}
	if m.At.IsZero() || m.Actor == "" {
		return "", errors.New("apply move: actor and time are required")
	}
	to, ok := Allowed(c.Status, m.Action)
	if !ok {
		return "", &MoveError{From: c.Status, Action: m.Action, Reason: MoveNotAllowed}
	}
	if reason := missingDetail(c, m); reason != "" {
		return "", &MoveError{From: c.Status, Action: m.Action, Reason: reason}
	}
	return to, nil
}

// transition is a copy of c after m, in status to (Apply lists what each
// action changes), and the detail the move's timeline event records.
func transition(c *Case, m Move, to Status, cal *Calendar) (*Case, MoveData) {
	n := *c
	n.CoDepts = slices.Clone(c.CoDepts)
	at := m.At
	data := MoveData{Action: m.Action, Reason: m.Reason, Text: m.Text}
	if to != c.Status {
		data.From, data.To = c.Status, to
	}
	switch m.Action {
	case ActionAssign:
		n.LeadDept, n.CoDepts, n.Assignee = m.Dept, slices.Clone(m.CoDepts), m.Assignee
		data.Dept, data.CoDepts, data.Assignee = n.LeadDept, n.CoDepts, n.Assignee
	case ActionStart:
		if m.Assignee != "" {
			n.Assignee = m.Assignee
		}
		data.Assignee = n.Assignee
	case ActionExtend:
		n.LimitDays += m.ExtendDays
		n.Deadline = cal.AddWorkdays(c.Deadline, m.ExtendDays)
		data.ExtendDays, data.LimitDays, data.Deadline = m.ExtendDays, n.LimitDays, &n.Deadline
	case ActionReturn:
		data.Dept, data.CoDepts, data.Assignee = c.LeadDept, c.CoDepts, c.Assignee
		n.LeadDept, n.CoDepts, n.Assignee = "", nil, ""
	case ActionResolve:
		n.Resolution = m.Text
		n.ResolvedAt = &at
	case ActionRate, ActionFollowUpResult, ActionClose:
		if m.Rating != 0 {
			n.Satisfaction = m.Rating
			data.Rating = m.Rating
		}
		n.ClosedAt = &at
	case ActionWithdraw:
		n.ClosedAt = &at
	case ActionMerge:
		n.MergedInto = m.MergeInto
		n.ClosedAt = &at
		data.MergeInto = m.MergeInto
	case ActionReopen:
		n.Reopened++
		if m.Rating != 0 {
			n.Satisfaction = m.Rating
			data.Rating = m.Rating
		}
		n.Resolution, n.ResolvedAt, n.ClosedAt = "", nil, nil
		n.Deadline = cal.AddWorkdays(at, n.LimitDays)
		data.Dept, data.LimitDays, data.Deadline, data.Reopened = n.LeadDept, n.LimitDays, &n.Deadline, n.Reopened
	case ActionAccountability:
		n.Accountability = m.Window + "：" + m.Reason
		data.Window = m.Window
	case ActionCommon:
		n.CommonTag = m.Tag
		data.Tag = m.Tag
	}
	n.Status = to
	n.UpdatedAt = at
	n.Light = LightAt(&n, at, cal)
	return &n, data
}

// timelineEvents are what m, taking old to n, adds to the timeline, in
// order: the citizen's rating when m carries one, then the move itself.
func timelineEvents(old, n *Case, m Move, data MoveData) []Event {
	ev := func(kind EventKind, body string, d Payload) Event {
		return Event{CaseID: old.ID, At: m.At, Actor: m.Actor, Kind: kind, Body: body, Data: EventData(d)}
	}
	var events []Event
	rated := m.Rating != 0 && (m.Action == ActionRate || m.Action == ActionReopen || m.Action == ActionFollowUpResult)
	if rated {
		events = append(events, ev(EventRating, ratingBody(m), RatingData{m.Rating, RatingText(m.Rating)}))
	}
	return append(events, ev(eventKind(m.Action), moveBody(old.Status, n, m), data))
}

// eventKind is the timeline kind of an action's main event.
func eventKind(a Action) EventKind {
	switch a {
	case ActionNote, ActionAccountability, ActionCommon:
		return EventNote // internal: never shown to the citizen
	case ActionReply, ActionAskMaterial:
		return EventMessageOut
	case ActionSupplement:
		return EventMessageIn
	}
	return EventStatus
}

// missingDetail returns the refusal reason when m lacks what its action
// needs, and "" when it lacks nothing.
func missingDetail(c *Case, m Move) MoveReason {
	for _, d := range requiredDetails[m.Action] {
		if d.lacks(c, m) {
			return d.reason
		}
	}
	return ""
}

// A detailCheck is one thing an action's move must carry: lacks reports that
// it is missing or wrong, and reason is what the move is refused with then.
type detailCheck struct {
	lacks  func(c *Case, m Move) bool
	reason MoveReason
}

// requiredDetails are, per action, the checks of its move's detail in the
// order they are made: the first that fails gives the refusal. An action not
// listed needs no detail.
var requiredDetails = map[Action][]detailCheck{
	ActionAssign:         {{noDept, MoveNeedsDept}},
	ActionExtend:         {{noDaysOrReason, MoveNeedsDays}},
	ActionReturn:         {{noReason, MoveNeedsReason}},
	ActionReopen:         {{noReason, MoveNeedsReason}, {badOptionalRating, MoveBadRating}},
	ActionAccountability: {{noWindowOrReason, MoveNeedsWindow}},
	ActionMerge:          {{noMergeTarget, MoveNeedsTarget}, {mergeIntoItself, MoveIntoItself}},
	ActionResolve:        {{noText, MoveNeedsAnswer}},
	ActionCommon:         {{noTag, MoveNeedsTag}},
	ActionRate:           {{badRating, MoveBadRating}, {dissatisfied, MoveDissatisfied}},
	ActionFollowUpResult: {{noText, MoveNeedsOutcome}, {badOptionalRating, MoveBadRating}, {dissatisfied, MoveDissatisfied}},
	ActionNote:           {{noText, MoveNeedsText}},
	ActionReply:          {{noText, MoveNeedsText}},
	ActionAskMaterial:    {{noText, MoveNeedsText}},
}

// blank is a detail left empty or only spaces.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

func noDept(_ *Case, m Move) bool           { return blank(m.Dept) }
func noReason(_ *Case, m Move) bool         { return blank(m.Reason) }
func noText(_ *Case, m Move) bool           { return blank(m.Text) }
func noTag(_ *Case, m Move) bool            { return blank(m.Tag) }
func noMergeTarget(_ *Case, m Move) bool    { return blank(m.MergeInto) }
func mergeIntoItself(c *Case, m Move) bool  { return m.MergeInto == c.Number }
func noDaysOrReason(_ *Case, m Move) bool   { return m.ExtendDays <= 0 || blank(m.Reason) }
func noWindowOrReason(_ *Case, m Move) bool { return blank(m.Window) || blank(m.Reason) }

// badRating is a rating off the 1–5 scale, where a rating is required.
func badRating(_ *Case, m Move) bool { return m.Rating < 1 || m.Rating > 5 }

// badOptionalRating is a rating off the scale where 0 means none was given.
func badOptionalRating(_ *Case, m Move) bool { return m.Rating < 0 || m.Rating > 5 }

// dissatisfied is a rating of 4 or 5 (不满意, 非常不满意), which reopens the
// case rather than rating or closing it.
func dissatisfied(_ *Case, m Move) bool { return m.Rating >= 4 }
