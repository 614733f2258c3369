package bot

import (
	"strconv"
	"strings"

	"banchengshi/cases"
)

// StepItem is an item of a menu the dialog sends with a question: the step
// the question belongs to and the item's 1-based position among the step's
// options (or 1 for the step's one-tap answer). Its id is "<step>:<n>", as
// in "menu:5" or "who:2". A menu stays in the citizen's chat, so the form
// never changes: an item shown yesterday is read the same when tapped today.
// The follow-up menu the desk sends has ids of its own, cases.RateItem.
type StepItem struct {
	Step Step
	N    int // 1-based
}

// ID is the menu item id of it.
func (it StepItem) ID() string {
	return string(it.Step) + ":" + strconv.Itoa(it.N)
}

// ParseStepItem reads a menu item id. ok is false for a follow-up item
// (cases.RateItem), an id without a step before the colon, and a position
// that is no number from 1 up.
func ParseStepItem(id string) (it StepItem, ok bool) {
	if cases.IsRateItem(id) {
		return StepItem{}, false
	}
	step, n, found := strings.Cut(id, ":")
	if !found || step == "" {
		return StepItem{}, false
	}
	i, err := strconv.Atoi(n)
	if err != nil || i < 1 {
		return StepItem{}, false
	}
	return StepItem{Step: Step(step), N: i}, true
}

// tapped reports whether the message is a tap on the item it.
func (t *turn) tapped(it StepItem) bool {
	got, ok := ParseStepItem(t.in.MenuID)
	return ok && got == it
}
