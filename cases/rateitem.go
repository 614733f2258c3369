package cases

import (
	"strconv"
	"strings"
)

// RateItem is an item of the follow-up (回访) menu the desk sends when a case
// is resolved and the dialog reads back when the citizen taps it. Its id
// names the case, so a tap rates the right one even when several wait:
// "rate:<number>:<n>", n 1–5 on the government service scale and 0 for "the
// problem is not solved". Menus sent before the ids named a case carry
// "followup:<n>" (1–5, 6 for "not solved"); those are still read, never
// written.
type RateItem struct {
	Number string // the case; "" for an item of the older followup: form
	Rating int    // 1–5, or RatingNotSolved
}

// RatingNotSolved is the Rating of the item "问题没解决".
const RatingNotSolved = 0

const (
	rateItemPrefix     = "rate:"
	followUpItemPrefix = "followup:"
	followUpNotSolved  = 6 // "not solved" in the older followup:<n> form
)

// ID is the menu item id of r.
func (r RateItem) ID() string {
	return rateItemPrefix + r.Number + ":" + strconv.Itoa(r.Rating)
}

// IsRateItem reports whether a menu id belongs to the follow-up menu, well
// formed or not: a tap on a damaged follow-up item is still a follow-up
// answer, to be refused as one rather than read as something else.
func IsRateItem(id string) bool {
	return strings.HasPrefix(id, rateItemPrefix) || strings.HasPrefix(id, followUpItemPrefix)
}

// ParseRateItem reads a follow-up menu item id of either form. ok is false
// for any other id, a rate: id without a case number, and a rating off the
// scale.
func ParseRateItem(id string) (r RateItem, ok bool) {
	if rest, found := strings.CutPrefix(id, followUpItemPrefix); found {
		n, err := strconv.Atoi(rest)
		switch {
		case err != nil:
		case n >= 1 && n <= 5:
			return RateItem{Rating: n}, true
		case n == followUpNotSolved:
			return RateItem{Rating: RatingNotSolved}, true
		}
		return RateItem{}, false
	}
	rest, found := strings.CutPrefix(id, rateItemPrefix)
	if !found {
		return RateItem{}, false
	}
	// The rating is after the last colon, so a number holding one still reads.
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return RateItem{}, false
	}
	n, err := strconv.Atoi(rest[i+1:])
	if err != nil || n < 0 || n > 5 {
		return RateItem{}, false
	}
	return RateItem{Number: rest[:i], Rating: n}, true
}
