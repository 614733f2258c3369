package cases

import (
	"testing"
	"time"
)

func TestLightBoundaries(t *testing.T) {
	week := WeekdayCalendar()
	// Submitted Monday 3 March 2025 09:00 with 10 working days: counting starts
	// Tuesday, the 10th working day is Monday 17 March, the deadline its end.
	c := &Case{Status: StatusInProgress, LimitDays: 10, CreatedAt: sh(t, "2025-03-03 09:00")}
	c.Deadline = week.AddWorkdays(c.CreatedAt, c.LimitDays)
	if want := sh(t, "2025-03-18 00:00"); !c.Deadline.Equal(want) {
		t.Fatalf("deadline %v, want %v", c.Deadline, want)
	}
	thirty := sh(t, "2025-03-13 00:00") // Thursday, Friday and Monday left: exactly 30%
	tests := []struct {
		name     string
		now      time.Time
		light    Light
		fraction float64
	}{
		{"day of submission: nothing counted yet", sh(t, "2025-03-03 09:00"), LightGreen, 1},
		{"first working day half gone", sh(t, "2025-03-04 12:00"), LightGreen, 0.95},
		{"one second more than 30% left", thirty.Add(-time.Second), LightGreen, float64(3*Day+time.Second) / float64(10*Day)},
		{"exactly 30% left is green", thirty, LightGreen, 0.3},
		{"a nanosecond less than 30% is yellow", thirty.Add(time.Nanosecond), LightYellow, float64(3*Day-time.Nanosecond) / float64(10*Day)},
		{"weekend does not use up time", sh(t, "2025-03-16 12:00"), LightYellow, 0.1},
		{"at the deadline: yellow, not yet red", c.Deadline, LightYellow, 0},
		{"a nanosecond after the deadline is red", c.Deadline.Add(time.Nanosecond), LightRed, 0},
		{"long overdue", sh(t, "2025-04-30 10:00"), LightRed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LightAt(c, tt.now, week); got != tt.light {
				t.Errorf("LightAt(%v) = %s, want %s", tt.now, got, tt.light)
			}
			if got := RemainingFraction(c, tt.now, week); got != tt.fraction {
				t.Errorf("RemainingFraction(%v) = %v, want %v", tt.now, got, tt.fraction)
			}
		})
	}
}

// Holidays stop the clock: a case is not yellow because of National Day.
func TestLightAcrossNationalDay(t *testing.T) {
	cal := holidayCalendar(t)
	// 5 working days from Friday 26 September 2025: 9.28 (make-up), 9.29, 9.30,
	// 10.9, 10.10; the deadline is the end of 10 October.
	c := &Case{Status: StatusAssigned, LimitDays: 5, CreatedAt: sh(t, "2025-09-26 10:00")}
	c.Deadline = cal.AddWorkdays(c.CreatedAt, c.LimitDays)
	tests := []struct {
		now   string
		light Light
	}{
		{"2025-10-01 00:00", LightGreen}, // 2 of 5 days left
		{"2025-10-08 23:59", LightGreen}, // still 2: the holiday used nothing
		{"2025-10-09 12:00", LightGreen}, // 1.5 of 5: exactly 30%
		{"2025-10-09 12:01", LightYellow},
		{"2025-10-10 23:59", LightYellow},
		{"2025-10-11 00:01", LightRed}, // the make-up Saturday is after the deadline
	}
	for _, tt := range tests {
		if got := LightAt(c, sh(t, tt.now), cal); got != tt.light {
			t.Errorf("LightAt(%s) = %s, want %s", tt.now, got, tt.light)
		}
	}
}

func TestLightFrozenWhenStopped(t *testing.T) {
	week := WeekdayCalendar()
	created := sh(t, "2025-03-03 09:00")
	deadline := week.AddWorkdays(created, 10) // 2025-03-18 00:00
	at := func(s string) *time.Time { v := sh(t, s); return &v }
	later := sh(t, "2025-06-01 12:00") // long after the deadline
	tests := []struct {
		name  string
		c     Case
		light Light
	}{
		{"resolved in good time stays green", Case{Status: StatusResolved, ResolvedAt: at("2025-03-05 10:00")}, LightGreen},
		{"resolved in the last days stays yellow", Case{Status: StatusResolved, ResolvedAt: at("2025-03-14 10:00")}, LightYellow},
		{"resolved late stays red", Case{Status: StatusResolved, ResolvedAt: at("2025-03-18 09:00")}, LightRed},
		{"closed: frozen when resolved, not when closed", Case{Status: StatusClosed, ResolvedAt: at("2025-03-05 10:00"), ClosedAt: at("2025-05-01 10:00")}, LightGreen},
		{"withdrawn: frozen when withdrawn", Case{Status: StatusWithdrawn, ClosedAt: at("2025-03-14 10:00")}, LightYellow},
		{"merged: frozen when merged", Case{Status: StatusMerged, ClosedAt: at("2025-03-04 10:00")}, LightGreen},
		{"open case keeps running", Case{Status: StatusInProgress, ResolvedAt: at("2025-03-05 10:00")}, LightRed},
		{"no deadline yet", Case{Status: StatusSubmitted}, LightGreen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			if c.Status != StatusSubmitted {
				c.LimitDays, c.Deadline = 10, deadline
			}
			if got := LightAt(&c, later, week); got != tt.light {
				t.Errorf("LightAt = %s, want %s", got, tt.light)
			}
		})
	}
}
