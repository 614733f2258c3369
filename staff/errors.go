package staff

import (
	"fmt"
	"strings"
)

// CommandError is a line ParseCommand cannot read as a command: it says why,
// not in words; Text words it for the staff member, saying what to type
// instead.
type CommandError struct {
	Reason CommandReason
	// Verb is the canonical verb, when one was read: its usage line and
	// example are the ones Text shows.
	Verb string
	// Limit is the bound the command broke: runes relayed to the citizen
	// (CommandTooLong) or working days (CommandBadDays).
	Limit int
}

// CommandReason says why a typed line is not a command.
type CommandReason string

// Reasons ParseCommand and ResolveRef refuse what a staff member typed for.
const (
	CommandEmpty       CommandReason = "empty"        // nothing but spaces
	CommandUnknownVerb CommandReason = "unknown_verb" // no verb the vocabulary knows
	CommandNeedCase    CommandReason = "need_case"    // the verb needs a case, and none was named
	CommandUsage       CommandReason = "usage"        // what the verb needs after the case is missing
	CommandTooLong     CommandReason = "too_long"     // text for the citizen longer than Limit runes
	CommandBadDays     CommandReason = "bad_days"     // an extension outside 1…Limit working days
	CommandMergeSelf   CommandReason = "merge_self"   // a case merged into itself
)

// Error describes the refusal for logs; Text words it for the staff member.
func (e *CommandError) Error() string {
	s := "staff command refused: " + string(e.Reason)
	if e.Limit != 0 {
		s += fmt.Sprintf(" (limit %d)", e.Limit)
	}
	return s
}

// Text is the refusal as one Chinese line saying what to type instead.
func (e *CommandError) Text() string {
	spec := specOf(e.Verb)
	switch e.Reason {
	case CommandEmpty:
		return textEmptyCommand
	case CommandNeedCase:
		example := exampleView
		if spec != nil && spec.example != "" {
			example = spec.example
		}
		return fmt.Sprintf(textNeedCase, example)
	case CommandUsage:
		if spec != nil && spec.usage != "" {
			return fmt.Sprintf(textUsage, spec.usage, spec.example)
		}
	case CommandTooLong:
		return fmt.Sprintf(textTooLong, e.Limit)
	case CommandBadDays:
		return fmt.Sprintf(textBadDays, e.Limit)
	case CommandMergeSelf:
		return textMergeSelf
	}
	return textUnknownCommand
}

// specOf returns the vocabulary's entry for a canonical verb, or nil.
func specOf(verb string) *verbSpec {
	for i := range verbs {
		if verb != "" && verbs[i].verb == verb {
			return &verbs[i]
		}
	}
	return nil
}

// LookupError is a case reference or a department name, as a staff member
// typed it, that names nothing or more than one: why, what was typed and what
// it could mean. Text words it for the staff member.
type LookupError struct {
	Reason LookupReason
	// Typed is what the member typed.
	Typed string
	// Matches are what Typed could mean (LookupSeveralCases: case numbers,
	// sorted; LookupSeveralDepts: department names, in the directory's order).
	Matches []string
}

// LookupReason says why a lookup found no single case or department.
type LookupReason string

// Reasons ResolveRef and Directory.ResolveDepartment refuse a lookup for.
const (
	LookupNoSuchCase   LookupReason = "no_such_case"  // no case ends in the digits typed
	LookupSeveralCases LookupReason = "several_cases" // several do
	LookupNoDeptName   LookupReason = "no_dept_name"  // no department name typed
	LookupNoSuchDept   LookupReason = "no_such_dept"  // no department is called that
	LookupSeveralDepts LookupReason = "several_depts" // several departments' names contain it
)

// Error describes the refusal for logs; Text words it for the staff member.
func (e *LookupError) Error() string {
	s := "staff lookup refused: " + string(e.Reason)
	if len(e.Matches) > 0 {
		s += fmt.Sprintf(" (%d matches)", len(e.Matches))
	}
	return s
}

// maxListedCases is how many of several matching cases a refusal lists.
const maxListedCases = 5

// Text is the refusal as one Chinese line: nothing matches, or what does, so
// that a longer reference or a fuller name can be typed.
func (e *LookupError) Text() string {
	switch e.Reason {
	case LookupNoSuchCase:
		return fmt.Sprintf(textNoSuchCase, e.Typed)
	case LookupSeveralCases:
		shown := e.Matches
		if len(shown) > maxListedCases {
			shown = shown[:maxListedCases]
		}
		list := strings.Join(shown, "、")
		if len(e.Matches) > len(shown) {
			list += fmt.Sprintf(textAndMore, len(e.Matches))
		}
		return fmt.Sprintf(textAmbiguousRef, e.Typed, list)
	case LookupNoDeptName:
		return textNoDeptGiven
	case LookupNoSuchDept:
		return fmt.Sprintf(textDeptNotFound, e.Typed)
	case LookupSeveralDepts:
		return fmt.Sprintf(textDeptAmbiguous, e.Typed, strings.Join(e.Matches, "、"))
	}
	return textUnknownCommand
}
