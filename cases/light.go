package cases

import "time"

// A light turns yellow when less than yellowNumerator/yellowDenominator (30%)
// of the time limit remains. Exactly 30% is still green.
const (
	yellowNumerator   = 3
	yellowDenominator = 10
)

// stoppedAt is when a case's clock stopped, or the zero time while it runs. The
// clock stops when the bureau has answered (ResolvedAt) or the case left the
// open states without an answer (ClosedAt for withdrawn, merged, or closed
// without ResolvedAt). Reopening clears both, so the clock runs again.
func stoppedAt(c *Case) time.Time {
	switch c.Status {
	case StatusResolved, StatusClosed, StatusWithdrawn, StatusMerged:
		if c.ResolvedAt != nil {
			return *c.ResolvedAt
		}
		if c.ClosedAt != nil {
			return *c.ClosedAt
		}
	}
	return time.Time{}
}

// remaining is the working time left before the deadline at now, and the whole
// limit, both measured by cal.WorkingTime so that every caller counts alike.
// A case stopped (see stoppedAt) is measured at the moment it stopped.
func remaining(c *Case, now time.Time, cal *Calendar) (left, limit time.Duration) {
	if t := stoppedAt(c); !t.IsZero() {
		now = t
	}
	return cal.WorkingTime(now, c.Deadline), time.Duration(c.LimitDays) * Day
}

// RemainingFraction is the share of c's time limit still left at now, between 0
// (deadline reached or passed) and 1, measured in working time: the working
// time from now to the deadline divided by LimitDays working days. Before
// counting has started (the day of submission) it is 1. For a resolved, closed,
// withdrawn or merged case it is frozen at the moment the clock stopped. A case
// without a deadline has its whole limit left.
func RemainingFraction(c *Case, now time.Time, cal *Calendar) float64 {
	if c.Deadline.IsZero() || c.LimitDays <= 0 {
		return 1
	}
	left, limit := remaining(c, now, cal)
	if left >= limit {
		return 1
	}
	return float64(left) / float64(limit)
}

// LightAt is c's light at now: red once now is after the deadline, yellow when
// less than 30% of the time limit remains (in working time, as
// RemainingFraction), green otherwise. The light of a resolved, closed,
// withdrawn or merged case is frozen at the moment its clock stopped: a case
// answered in time stays green or yellow for good, one answered late stays red.
// A case without a deadline is green.
//
// The comparison is made on exact durations, not on the float of
// RemainingFraction, so the 30% boundary does not depend on rounding.
func LightAt(c *Case, now time.Time, cal *Calendar) Light {
	if c.Deadline.IsZero() || c.LimitDays <= 0 {
		return LightGreen
	}
	at := now
	if t := stoppedAt(c); !t.IsZero() {
		at = t
	}
	if at.After(c.Deadline) {
		return LightRed
	}
	left, limit := remaining(c, now, cal)
	if left*yellowDenominator < limit*yellowNumerator {
		return LightYellow
	}
	return LightGreen
}
