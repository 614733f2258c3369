package desk

import (
	"errors"
	"fmt"

	"banchengshi/cases"
	"banchengshi/staff"
)

// Refusal is a staff member's request that the desk cannot do as asked: an
// answer to them, not a failure. It says why and about which case; Text
// words it for the staff member, from this package's text.
type Refusal struct {
	Reason Reason
	// Case is the case the refusal is about, as the member named it when
	// there is no such case.
	Case string
	// Via is the case the member named when a chain of merges led on to
	// Case (ReasonMergedHere, ReasonMergeChainHidden).
	Via string
	// By is the name of whoever accepted Case first (ReasonTaken).
	By string
	// Status is Case's status now, when known (ReasonTaken, ReasonChanged,
	// ReasonMergeTargetClosed).
	Status cases.Status
	// Err is the refusal the desk passes on from the permission check
	// (ReasonForbidden: a *staff.Refusal), the lifecycle (ReasonLifecycle: a
	// *cases.MoveError) or the staff side's lookups (ReasonCaseRef,
	// ReasonDeptName: a *staff.LookupError, or a *staff.CommandError).
	Err error

	// conflict is the case somebody else changed first; see Explain.
	conflict string
}

// Reason says why the desk refused a staff member's request.
type Reason string

// Reasons the desk refuses a staff member's request for.
const (
	ReasonNotStaff          Reason = "not_staff"           // not in the directory
	ReasonNeedCase          Reason = "need_case"           // no case named
	ReasonNoSuchCase        Reason = "no_such_case"        // the full number names no case
	ReasonCaseRef           Reason = "case_ref"            // the last digits name no case, or several
	ReasonForbidden         Reason = "forbidden"           // the member may not do this to this case
	ReasonLifecycle         Reason = "lifecycle"           // the case's status does not allow it, or detail is missing
	ReasonTaken             Reason = "taken"               // somebody else accepted the case first
	ReasonChanged           Reason = "changed"             // somebody else changed the case meanwhile
	ReasonNeedDept          Reason = "need_dept"           // an assignment without a lead department
	ReasonDeptName          Reason = "dept_name"           // a department name names none, or several
	ReasonMergeSelf         Reason = "merge_self"          // a case merged into itself
	ReasonMergeHidden       Reason = "merge_hidden"        // the merge target is outside what the member may see
	ReasonMergeChainHidden  Reason = "merge_chain_hidden"  // where the target's merges lead is outside it
	ReasonMergeChainBroken  Reason = "merge_chain_broken"  // the target's merges lead nowhere
	ReasonMergedHere        Reason = "merged_here"         // the target was merged into this case
	ReasonMergeTargetClosed Reason = "merge_target_closed" // the target is no longer worked on
	ReasonNoPII             Reason = "no_pii"              // the member may not see the personal data in full
	ReasonNoAttachment      Reason = "no_attachment"       // no such attachment, or not one the member may see
)

// Error describes the refusal for logs; Text words it for the staff member.
func (r *Refusal) Error() string {
	s := "refused: " + string(r.Reason)
	if r.Case != "" {
		s += " (case " + r.Case + ")"
	}
	if r.Err != nil {
		s += ": " + r.Err.Error()
	}
	return s
}

// Unwrap returns the refusal passed on, if any.
func (r *Refusal) Unwrap() error { return r.Err }

// Text is the refusal as one Chinese line for the staff member, saying what
// to do instead.
func (r *Refusal) Text() string {
	switch r.Reason {
	case ReasonNotStaff:
		return (&staff.Refusal{Reason: staff.ReasonNotMember}).Text()
	case ReasonNeedCase:
		return (&staff.CommandError{Reason: staff.CommandNeedCase}).Text()
	case ReasonNoSuchCase:
		return (&staff.LookupError{Reason: staff.LookupNoSuchCase, Typed: r.Case}).Text()
	case ReasonTaken:
		return fmt.Sprintf(textTakenBy, r.Case, r.By, cases.StatusText(r.Status))
	case ReasonChanged:
		if r.Status == "" {
			return fmt.Sprintf(textConflict, r.Case)
		}
		return fmt.Sprintf(textConflictState, r.Case, cases.StatusText(r.Status))
	case ReasonNeedDept:
		return (&staff.CommandError{Reason: staff.CommandUsage, Verb: staff.VerbAssign}).Text()
	case ReasonMergeSelf:
		return (&staff.CommandError{Reason: staff.CommandMergeSelf}).Text()
	case ReasonMergeHidden:
		return fmt.Sprintf(textMergeNotVisible, r.Case)
	case ReasonMergeChainHidden:
		return fmt.Sprintf(textMergeChainNotVisible, r.Via, r.Case)
	case ReasonMergeChainBroken:
		return fmt.Sprintf(textMergeChainBroken, r.Case)
	case ReasonMergedHere:
		return fmt.Sprintf(textMergedHereAlready, r.Via, r.Case)
	case ReasonMergeTargetClosed:
		return fmt.Sprintf(textMergeTargetClosed, r.Case, cases.StatusText(r.Status))
	case ReasonNoPII:
		return textNoPII
	case ReasonNoAttachment:
		return textNoAttachment
	case ReasonForbidden, ReasonLifecycle, ReasonCaseRef, ReasonDeptName:
		return passedOnText(r.Err)
	}
	return textRefused
}

// passedOnText words a refusal the desk passes on, as the package that made
// it does.
func passedOnText(err error) string {
	var forbidden *staff.Refusal
	var move *cases.MoveError
	var lookup *staff.LookupError
	var command *staff.CommandError
	switch {
	case errors.As(err, &forbidden):
		return forbidden.Text()
	case errors.As(err, &move):
		return move.Text()
	case errors.As(err, &lookup):
		return lookup.Text()
	case errors.As(err, &command):
		return command.Text()
	}
	return textRefused
}

// refuse is a refusal for reason about case number.
func refuse(reason Reason, number string) *Refusal { return &Refusal{Reason: reason, Case: number} }

// forbidden passes on a refusal of the permission check (staff.Can).
func forbidden(err error) error {
	var ref *staff.Refusal
	if errors.As(err, &ref) {
		return &Refusal{Reason: ReasonForbidden, Err: err}
	}
	return err
}

// moveRefusal passes on a move the lifecycle refuses (cases.Apply).
func moveRefusal(err error) error {
	if _, ok := cases.IsMoveError(err); ok {
		return &Refusal{Reason: ReasonLifecycle, Err: err}
	}
	return err
}
