package staff

import (
	"errors"
	"fmt"
	"slices"

	"banchengshi/cases"
)

// scope is how far a role's permission for one action reaches.
type scope int

const (
	never    scope = iota
	ownDept        // cases the member's department leads or co-handles
	leadDept       // cases the member's department leads
	anyCase        // every case
)

// matrix is who may do what; one row per staff action, one column per role.
// Choices beyond the brief, and why:
//   - Window duty staff reach every case: the window is the bureau's front door,
//     takes returned cases back (退单 lands with them, and they re-assign with
//     派单) and records phone follow-ups for all of them.
//   - Extending, returning and resolving belong to the lead department only: a
//     co-handling department contributes (notes, replies, material) but cannot
//     give the citizen the final answer or send the whole case back.
//   - Reopening and closing without a rating are supervisor decisions; the
//     ordinary way to reopen is the citizen's rating or a follow-up outcome.
//   - Actions the citizen takes (submit, supplement, withdraw, rate) are not in
//     the table, so no staff member may take them.
//
// The lifecycle decides separately whether an action fits the case's status.
var matrix = map[cases.Action]struct{ window, handler, supervisor scope }{
	cases.ActionAccept:         {anyCase, never, anyCase},
	cases.ActionAssign:         {anyCase, never, anyCase},
	cases.ActionStart:          {never, ownDept, anyCase},
	cases.ActionReply:          {anyCase, ownDept, anyCase},
	cases.ActionNote:           {anyCase, ownDept, anyCase},
	cases.ActionAskMaterial:    {anyCase, ownDept, anyCase},
	cases.ActionExtend:         {never, leadDept, anyCase},
	cases.ActionReturn:         {never, leadDept, anyCase},
	cases.ActionResolve:        {never, leadDept, anyCase},
	cases.ActionAccountability: {anyCase, ownDept, anyCase},
	cases.ActionCommon:         {anyCase, ownDept, anyCase},
	cases.ActionMerge:          {anyCase, never, anyCase},
	cases.ActionView:           {anyCase, ownDept, anyCase},
	cases.ActionFollowUpResult: {anyCase, ownDept, anyCase},
	cases.ActionReopen:         {never, never, anyCase},
	cases.ActionClose:          {never, never, anyCase},
}

// ErrForbidden is what every refusal from Can wraps.
var ErrForbidden = errors.New("forbidden")

// Reason says why Can refused an action.
type Reason string

// Reasons Can refuses an action for.
const (
	ReasonNotMember    Reason = "not_member"    // not in the directory
	ReasonCitizenOnly  Reason = "citizen_only"  // the citizen's own action, or none staff know
	ReasonNoPermission Reason = "no_permission" // none of the member's roles takes it
	ReasonNotYourDept  Reason = "not_your_dept" // not on a case outside the member's departments
	ReasonLeadOnly     Reason = "lead_only"     // the lead department's, and the member's co-handles
)

// Refusal is an action Can refused: why, and which action.
type Refusal struct {
	Reason Reason
	Action cases.Action
}

// Error describes the refusal for logs; Text words it for the staff member.
func (r *Refusal) Error() string { return fmt.Sprintf("%s refused: %s", r.Action, r.Reason) }

// Unwrap makes errors.Is(err, ErrForbidden) hold.
func (r *Refusal) Unwrap() error { return ErrForbidden }

// Text is the refusal as one polite Chinese line for the staff member.
func (r *Refusal) Text() string {
	switch r.Reason {
	case ReasonNotMember:
		return textNotMember
	case ReasonCitizenOnly:
		return fmt.Sprintf(textNotStaffAction, cases.ActionText(r.Action))
	case ReasonNotYourDept:
		return fmt.Sprintf(textNotYourDept, cases.ActionText(r.Action))
	case ReasonLeadOnly:
		return fmt.Sprintf(textLeadOnly, cases.ActionText(r.Action))
	}
	return fmt.Sprintf(textNoPermission, cases.ActionText(r.Action))
}

func refuse(reason Reason, a cases.Action) error { return &Refusal{Reason: reason, Action: a} }

// Can reports whether m may take action a on case c: nil, or a *Refusal. m is
// nil for somebody not in the directory. A nil c asks whether m may take the
// action on some case at all (a check before the case is loaded). A member
// holding several roles may do what any of them allows.
func Can(m *Member, a cases.Action, c *cases.Case) error {
	if m == nil {
		return refuse(ReasonNotMember, a)
	}
	row, ok := matrix[a]
	if !ok {
		return refuse(ReasonCitizenOnly, a)
	}
	var best scope
	for _, r := range m.Roles {
		var s scope
		switch r {
		case RoleWindow:
			s = row.window
		case RoleHandler:
			s = row.handler
		case RoleSupervisor:
			s = row.supervisor
			// A supervisor listed with departments supervises those; only
			// one listed without supervises the whole bureau.
			if s == anyCase && !m.BureauWide() {
				s = ownDept
			}
		}
		if s == never {
			continue
		}
		if c == nil || reaches(m, s, c) {
			return nil
		}
		best = max(best, s)
	}
	switch {
	case best == leadDept && coHandles(m, c):
		return refuse(ReasonLeadOnly, a)
	case best != never:
		return refuse(ReasonNotYourDept, a)
	}
	return refuse(ReasonNoPermission, a)
}

// Visible reports whether m may see the personal data of c in full: the
// handlers and supervisors of its lead and co-handling departments, window
// duty staff and bureau-wide supervisors. Everybody else sees it masked.
func Visible(m *Member, c *cases.Case) bool {
	if m == nil || c == nil {
		return false
	}
	if m.Has(RoleWindow) || m.BureauWide() {
		return true
	}
	return (m.Has(RoleHandler) || m.Has(RoleSupervisor)) && (m.InDept(c.LeadDept) || coHandles(m, c))
}

// reaches reports whether scope s of member m covers case c.
func reaches(m *Member, s scope, c *cases.Case) bool {
	switch s {
	case anyCase:
		return true
	case leadDept:
		return m.InDept(c.LeadDept)
	case ownDept:
		return m.InDept(c.LeadDept) || coHandles(m, c)
	}
	return false
}

// coHandles reports whether one of m's departments co-handles c.
func coHandles(m *Member, c *cases.Case) bool {
	return c != nil && slices.ContainsFunc(c.CoDepts, m.InDept)
}
