package cases

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Shanghai is the bureau's time zone. China has had no daylight saving time since
// 1991, so a fixed offset is exact and needs no tzdata on the host.
var Shanghai = time.FixedZone("CST", 8*60*60)

// Day is one working day in working-time arithmetic.
const Day = 24 * time.Hour

// Calendar knows which days are working days: Monday to Friday, except the public
// holidays, plus the weekend days made working days by 调休. It is built from the
// State Council's yearly notices (configs/holidays-cn.yaml, see ParseCalendar).
// Days in a year the calendar does not cover follow Monday to Friday; Covers
// tells which years are known.
//
// A nil *Calendar is valid and behaves like WeekdayCalendar. A Calendar is
// immutable once built and safe for concurrent use.
type Calendar struct {
	years       map[int]bool // year → provisional
	holidays    map[civilDate]string
	makeUpDays  map[civilDate]string
	description string
}

// civilDate is a day in Shanghai, without a time.
type civilDate struct {
	year  int
	month time.Month
	day   int
}

func dateOf(t time.Time) civilDate {
	y, m, d := t.In(Shanghai).Date()
	return civilDate{y, m, d}
}

func (d civilDate) start() time.Time { return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, Shanghai) }

func (d civilDate) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.year, d.month, d.day) }

// WeekdayCalendar is a calendar without holidays: Monday to Friday are working
// days. It is what a year outside the holiday file falls back to, and what tests
// use when holidays are beside the point.
func WeekdayCalendar() *Calendar {
	return &Calendar{description: "Monday to Friday"}
}

// IsWorkday reports whether the Shanghai day containing t is a working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	return c.isWorkday(dateOf(t))
}

func (c *Calendar) isWorkday(d civilDate) bool {
	if c != nil {
		if _, ok := c.makeUpDays[d]; ok {
			return true
		}
		if _, ok := c.holidays[d]; ok {
			return false
		}
	}
	switch d.start().Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return true
}

// HolidayName returns the name of the holiday or make-up working day on t's
// Shanghai day ("国庆节"), or "" for an ordinary day.
func (c *Calendar) HolidayName(t time.Time) string {
	if c == nil {
		return ""
	}
	d := dateOf(t)
	if n, ok := c.holidays[d]; ok {
		return n
	}
	return c.makeUpDays[d]
}

// Covers reports whether the calendar has the holiday arrangement for t's year.
// Outside it, working days are Monday to Friday and deadlines may be off by the
// holidays of that year. A provisional year is covered; see Provisional.
func (c *Calendar) Covers(t time.Time) bool {
	if c == nil {
		return false
	}
	_, ok := c.years[dateOf(t).year]
	return ok
}

// Provisional reports whether t's year is covered only provisionally: listed
// before the State Council's notice, with the statutory days alone.
func (c *Calendar) Provisional(t time.Time) bool {
	return c != nil && c.years[dateOf(t).year]
}

// countStart is the moment from which working days are counted for something
// that starts at t: the next Shanghai midnight, or t itself when t is a midnight.
// The day already begun never counts, as administrative time limits are counted
// from the day after (自次日起计算).
func countStart(t time.Time) time.Time {
	d := dateOf(t).start()
	if d.Equal(t) {
		return d
	}
	return d.AddDate(0, 0, 1)
}

// AddWorkdays returns the deadline n working days after start: the end (the
// following midnight, Shanghai time) of the n-th working day counted from the
// day after start. The day of start never counts, so a case submitted on a
// Friday evening, on a weekend or during a holiday starts counting on the next
// working day, and one submitted on Monday afternoon starts on Tuesday. When
// start is exactly a midnight, counting starts on that day; so extending a
// deadline by k days is AddWorkdays(deadline, k), and
// AddWorkdays(AddWorkdays(s, a), b) == AddWorkdays(s, a+b).
// n ≤ 0 returns the moment counting would start.
//
// The deadline is a midnight; the last working day is the day before it
// (LastDay), which is what people should be shown.
func (c *Calendar) AddWorkdays(start time.Time, n int) time.Time {
	day := countStart(start)
	for counted := 0; counted < n; day = day.AddDate(0, 0, 1) {
		if c.isWorkday(dateOf(day)) {
			counted++
		}
	}
	return day
}

// LastDay is the last working day before a deadline made by AddWorkdays, at
// midnight Shanghai time: the day to show as "办理期限".
func LastDay(deadline time.Time) time.Time {
	return dateOf(deadline.Add(-time.Nanosecond)).start()
}

// WorkingTime is how much working time lies between a and b: the parts of
// working days (whole Shanghai days, midnight to midnight) inside [a, b). It is
// zero when b is not after a. Time limits and lights are measured with it.
func (c *Calendar) WorkingTime(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	var total time.Duration
	for d := dateOf(a); ; {
		from, to := d.start(), d.start().AddDate(0, 0, 1)
		if !from.Before(b) {
			break
		}
		if c.isWorkday(d) {
			lo, hi := from, to
			if a.After(lo) {
				lo = a
			}
			if b.Before(hi) {
				hi = b
			}
			total += hi.Sub(lo)
		}
		d = dateOf(to)
	}
	return total
}

// WorkdaysBetween is WorkingTime in working days, with fractions: from Monday
// 12:00 to Tuesday 00:00 is half a working day.
func (c *Calendar) WorkdaysBetween(a, b time.Time) float64 {
	return float64(c.WorkingTime(a, b)) / float64(Day)
}

// String describes the calendar for logs and the admin page, e.g.
// "holidays 2025, 2026, 2027 (provisional)".
func (c *Calendar) String() string {
	if c == nil || len(c.years) == 0 {
		return "Monday to Friday"
	}
	return c.description
}

// calendarFile is the layout of configs/holidays-cn.yaml.
type calendarFile struct {
	Years []calendarYear `yaml:"years"`
}

type calendarYear struct {
	Year        int            `yaml:"year"`
	Provisional bool           `yaml:"provisional"`
	Source      string         `yaml:"source"`
	Holidays    []calendarDays `yaml:"holidays"`
	Workdays    []calendarDays `yaml:"workdays"`
}

// calendarDays is one date or a from/to range, both ends included.
type calendarDays struct {
	Name string `yaml:"name"`
	Date string `yaml:"date"`
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// CalendarError lists every problem found in a holiday file.
type CalendarError struct {
	Problems []string
}

// Error lists the problems on one line.
func (e *CalendarError) Error() string {
	return "holiday calendar: " + strings.Join(e.Problems, "; ")
}

// longestBreak bounds a holiday range; the longest break so far was 9 days.
const longestBreak = 16

// ParseCalendar reads a holiday file (see configs/holidays-cn.yaml). It refuses
// the whole file if anything is wrong, with a *CalendarError that lists every
// problem: an unreadable date, a range backwards or longer than 16 days, a date
// outside its year (a break may reach one month into the neighbouring year, as
// New Year breaks do), a make-up working day that is not a Saturday or Sunday, a
// day listed twice or both as holiday and working day, a year listed twice or
// outside 2000–2100, and unknown keys.
func ParseCalendar(yamlData []byte) (*Calendar, error) {
	var f calendarFile
	dec := yaml.NewDecoder(bytes.NewReader(yamlData))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &CalendarError{Problems: []string{"empty file: no years"}}
		}
		return nil, fmt.Errorf("holiday calendar: %w", err)
	}
	b := &calendarBuilder{
		cal: &Calendar{
			years:      map[int]bool{},
			holidays:   map[civilDate]string{},
			makeUpDays: map[civilDate]string{},
		},
		listed: map[civilDate]string{},
	}
	if len(f.Years) == 0 {
		b.bad("no years")
	}
	for i, y := range f.Years {
		b.addYear(i, y)
	}
	if len(b.problems) > 0 {
		return nil, &CalendarError{Problems: b.problems}
	}
	b.cal.description = "holidays " + strings.Join(b.names, ", ")
	return b.cal, nil
}

// calendarBuilder fills a Calendar from the file's years and collects every
// problem it finds on the way.
type calendarBuilder struct {
	cal      *Calendar
	listed   map[civilDate]string // where each day was listed, for duplicates
	names    []string             // the years, for the description
	problems []string
}

func (b *calendarBuilder) bad(format string, args ...any) {
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

// addYear adds the i-th year of the file.
func (b *calendarBuilder) addYear(i int, y calendarYear) {
	if y.Year < 2000 || y.Year > 2100 {
		b.bad("years[%d]: year %d is not between 2000 and 2100", i, y.Year)
		return
	}
	where := fmt.Sprintf("year %d", y.Year)
	if _, dup := b.cal.years[y.Year]; dup {
		b.bad("%s: listed twice", where)
		return
	}
	b.cal.years[y.Year] = y.Provisional
	name := fmt.Sprint(y.Year)
	if y.Provisional {
		name += " (provisional)"
	}
	b.names = append(b.names, name)
	b.addDays(where, "holidays", y.Year, y.Holidays, b.cal.holidays)
	b.addDays(where, "workdays", y.Year, y.Workdays, b.cal.makeUpDays)
}

// addDays adds one year's list of holidays or make-up working days (kind)
// to into. A day must lie near its year, be listed once in the whole file,
// and a make-up working day must fall on a weekend.
func (b *calendarBuilder) addDays(where, kind string, year int, list []calendarDays, into map[civilDate]string) {
	lo := civilDate{year - 1, time.December, 1}.start()
	hi := civilDate{year + 1, time.February, 1}.start()
	for j, e := range list {
		at := fmt.Sprintf("%s %s[%d]", where, kind, j)
		days, msg := e.expand()
		if msg != "" {
			b.bad("%s: %s", at, msg)
			continue
		}
		for _, d := range days {
			if t := d.start(); t.Before(lo) || !t.Before(hi) {
				b.bad("%s: %s is too far from %d", at, d, year)
				continue
			}
			if kind == "workdays" {
				if wd := d.start().Weekday(); wd != time.Saturday && wd != time.Sunday {
					b.bad("%s: %s is a %s, already a working day", at, d, wd)
					continue
				}
			}
			if prev, dup := b.listed[d]; dup {
				b.bad("%s: %s already listed in %s", at, d, prev)
				continue
			}
			b.listed[d] = at
			into[d] = e.Name
		}
	}
}

// expand returns the days of one entry, or a problem.
func (e calendarDays) expand() ([]civilDate, string) {
	if strings.TrimSpace(e.Name) == "" {
		return nil, "name missing"
	}
	switch {
	case e.Date != "" && (e.From != "" || e.To != ""):
		return nil, "give either date or from/to, not both"
	case e.Date != "":
		d, err := parseCivil(e.Date)
		if err != nil {
			return nil, err.Error()
		}
		return []civilDate{d}, ""
	case e.From == "" || e.To == "":
		return nil, "date, or from and to, missing"
	}
	from, err1 := parseCivil(e.From)
	to, err2 := parseCivil(e.To)
	if err := errors.Join(err1, err2); err != nil {
		return nil, strings.ReplaceAll(err.Error(), "\n", ", ")
	}
	if to.start().Before(from.start()) {
		return nil, fmt.Sprintf("from %s is after to %s", from, to)
	}
	var days []civilDate
	for t := from.start(); !t.After(to.start()); t = t.AddDate(0, 0, 1) {
		days = append(days, dateOf(t))
	}
	if len(days) > longestBreak {
		return nil, fmt.Sprintf("%s to %s is %d days, longer than any break", from, to, len(days))
	}
	return days, ""
}

func parseCivil(s string) (civilDate, error) {
	t, err := time.ParseInLocation("2006-01-02", s, Shanghai)
	if err != nil {
		return civilDate{}, fmt.Errorf("%q is not a date like 2025-10-01", s)
	}
	return dateOf(t), nil
}
