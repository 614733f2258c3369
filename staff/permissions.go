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

// Refusal is a refused action; its message is one polite Chinese line that can
// be sent to the staff member as it is.
type Refusal struct{ Msg string }

// Error is the Chinese line for the staff member.
func (r *Refusal) Error() string { return r.Msg }

// Unwrap makes errors.Is(err, ErrForbidden) hold.
func (r *Refusal) Unwrap() error { return ErrForbidden }

func refuse(format string, args ...any) error { return &Refusal{Msg: fmt.Sprintf(format, args...)} }

// Can reports whether m may take action a on case c: nil, or a *Refusal. m is
// nil for somebody not in the directory. A nil c asks whether m may take the
// action on some case at all (a check before the case is loaded). A member
// holding several roles may do what any of them allows.
func Can(m *Member, a cases.Action, c *cases.Case) error {
	if m == nil {
		return refuse(textNotMember)
	}
	row, ok := matrix[a]
	if !ok {
		return refuse(textNotStaffAction, actionName(a))
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
		return refuse(textLeadOnly, actionName(a))
	case best != never:
		return refuse(textNotYourDept, actionName(a))
	}
	return refuse(textNoPermission, actionName(a))
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
