package cases

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
	"github.com/google/go-cmp/cmp"
)

// lunarWorkday is github.com/6tail/lunar-go's view of a day: a holiday it lists
// is off, a make-up day it lists is on, any other day follows Monday to Friday.
func lunarWorkday(d civilDate) bool {
	if h := HolidayUtil.GetHolidayByYmd(d.year, int(d.month), d.day); h != nil {
		return h.IsWork()
	}
	wd := d.start().Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// lunarYears lists the years from first on for which lunar-go has the State
// Council's arrangement.
func lunarYears(first int) []int {
	var years []int
	for y := first; y <= 2100; y++ {
		if HolidayUtil.GetHolidaysByYear(y).Len() > 0 {
			years = append(years, y)
		}
	}
	return years
}

// The built-in calendar and lunar-go agree on every day of every year the
// calendar lists, and the calendar lists (not provisionally) every year the
// library knows from the calendar's first year on. When the library is bumped
// with a new year's notice, this fails until configs/holidays-cn.yaml has it.
func TestCalendarAgreesWithLunarGo(t *testing.T) {
	cal := holidayCalendar(t)
	var listed []int
	for y := range cal.years {
		listed = append(listed, y)
	}
	slices.Sort(listed)
	for _, y := range lunarYears(listed[0]) {
		if provisional, ok := cal.years[y]; !ok || provisional {
			t.Errorf("lunar-go has the %d arrangement; configs/holidays-cn.yaml lists it: %v, provisional: %v", y, ok, provisional)
		}
	}
	for _, y := range listed {
		t.Run(fmt.Sprint(y), func(t *testing.T) {
			var disagree []string
			for day := (civilDate{y, time.January, 1}).start(); day.Year() == y; day = day.AddDate(0, 0, 1) {
				d := dateOf(day)
				if got, want := cal.isWorkday(d), lunarWorkday(d); got != want {
					disagree = append(disagree, fmt.Sprintf("%s: calendar working day %v, lunar-go %v", d, got, want))
				}
			}
			if len(disagree) > 0 {
				t.Errorf("configs/holidays-cn.yaml and lunar-go disagree on %d days of %d:\n%v", len(disagree), y, disagree)
			}
		})
	}
}

// 2027 pinned: every day off and every make-up working day of the State
// Council's notice for 2027, and nothing else.
func TestCalendar2027(t *testing.T) {
	cal := holidayCalendar(t)
	wantOff := []string{
		"2027-01-01", "2027-01-02", "2027-01-03", // 元旦
		"2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", // 春节
		"2027-02-10", "2027-02-11", "2027-02-12", "2027-02-13",
		"2027-04-03", "2027-04-04", "2027-04-05", // 清明节
		"2027-05-01", "2027-05-02", "2027-05-03", "2027-05-04", "2027-05-05", // 劳动节
		"2027-06-09",                                                                                     // 端午节
		"2027-09-15",                                                                                     // 中秋节
		"2027-10-01", "2027-10-02", "2027-10-03", "2027-10-04", "2027-10-05", "2027-10-06", "2027-10-07", // 国庆节
	}
	wantOn := []string{"2027-01-31", "2027-02-14", "2027-05-08", "2027-09-26", "2027-10-09"}

	var gotOff, gotOn []string
	for d := range cal.holidays {
		if d.year == 2027 {
			gotOff = append(gotOff, d.String())
		}
	}
	for d := range cal.makeUpDays {
		if d.year == 2027 {
			gotOn = append(gotOn, d.String())
		}
	}
	slices.Sort(gotOff)
	slices.Sort(gotOn)
	if diff := cmp.Diff(wantOff, gotOff); diff != "" {
		t.Errorf("2027 days off (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantOn, gotOn); diff != "" {
		t.Errorf("2027 make-up working days (-want +got):\n%s", diff)
	}
	for _, day := range wantOff {
		if d, _ := parseCivil(day); cal.isWorkday(d) || lunarWorkday(d) {
			t.Errorf("%s: calendar %v, lunar-go %v; want a day off in both", day, cal.isWorkday(d), lunarWorkday(d))
		}
	}
	for _, day := range wantOn {
		if d, _ := parseCivil(day); !cal.isWorkday(d) || !lunarWorkday(d) {
			t.Errorf("%s: calendar %v, lunar-go %v; want a working day in both", day, cal.isWorkday(d), lunarWorkday(d))
		}
	}
	// A deadline across the Spring Festival: submitted Thursday 4 February,
	// counting starts Friday 5 (a holiday); the make-up Sunday 14 is the first
	// working day, Monday 15 the second.
	if got, want := cal.AddWorkdays(sh(t, "2027-02-04 10:00"), 2), sh(t, "2027-02-16 00:00"); !got.Equal(want) {
		t.Errorf("AddWorkdays(2027-02-04, 2) = %v, want %v", got, want)
	}
	if cal.Provisional(sh(t, "2027-06-01 00:00")) {
		t.Error("2027 is still provisional")
	}
}
