package cases

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// holidayCalendar is the calendar the product ships (configs/holidays-cn.yaml).
func holidayCalendar(t *testing.T) *Calendar {
	t.Helper()
	data, err := os.ReadFile("../configs/holidays-cn.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ParseCalendar(data)
	if err != nil {
		t.Fatalf("configs/holidays-cn.yaml: %v", err)
	}
	return cal
}

// sh is a Shanghai time for "2006-01-02 15:04".
func sh(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestHolidayFileIsWorkday(t *testing.T) {
	cal := holidayCalendar(t)
	// Days straight from the State Council's notices for 2025 and 2026.
	days := map[string]bool{
		// Spring Festival 2025: 1.28–2.4 off, 1.26 (Sun) and 2.8 (Sat) on.
		"2025-01-25": false, "2025-01-26": true, "2025-01-27": true, "2025-01-28": false,
		"2025-01-31": false, "2025-02-04": false, "2025-02-05": true, "2025-02-08": true, "2025-02-09": false,
		// Labour Day 2025: 5.1–5.5 off, 4.27 (Sun) on.
		"2025-04-27": true, "2025-05-05": false, "2025-05-06": true,
		// National Day 2025: 10.1–10.8 off, 9.28 (Sun) and 10.11 (Sat) on.
		"2025-09-27": false, "2025-09-28": true, "2025-09-30": true, "2025-10-01": false,
		"2025-10-08": false, "2025-10-09": true, "2025-10-11": true, "2025-10-12": false,
		// 2026: New Year 1.1–1.3 off, 1.4 (Sun) on; Spring Festival 2.15–2.23 off, 2.14 and 2.28 (Sat) on.
		"2026-01-02": false, "2026-01-04": true, "2026-02-13": true, "2026-02-14": true, "2026-02-15": false,
		"2026-02-23": false, "2026-02-24": true, "2026-02-28": true, "2026-03-01": false,
		// National Day 2026: 10.1–10.7 off, 9.20 (Sun) and 10.10 (Sat) on.
		"2026-09-20": true, "2026-09-25": false, "2026-10-07": false, "2026-10-08": true, "2026-10-10": true,
		// An ordinary week.
		"2026-11-27": true, "2026-11-28": false, "2026-11-29": false, "2026-11-30": true,
		// 2027: Spring Festival 2.5–2.13 off, 1.31 and 2.14 (Sun) on.
		"2027-01-31": true, "2027-02-05": false, "2027-02-08": false, "2027-02-13": false, "2027-02-14": true, "2027-02-15": true,
		// 2028 is not covered: Monday to Friday.
		"2028-01-01": false, "2028-01-03": true,
	}
	for day, want := range days {
		at := sh(t, day+" 12:00")
		if got := cal.IsWorkday(at); got != want {
			t.Errorf("IsWorkday(%s) = %v, want %v", day, got, want)
		}
	}
	// The Shanghai day counts, not the UTC one: 2025-09-30 17:00 UTC is 1 October in Shanghai.
	if cal.IsWorkday(time.Date(2025, 9, 30, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("IsWorkday(2025-09-30T17:00Z) = true, want false (1 October in Shanghai)")
	}
	if got, want := cal.HolidayName(sh(t, "2025-10-11 09:00")), "国庆节、中秋节"; got != want {
		t.Errorf("HolidayName(2025-10-11) = %q, want %q", got, want)
	}
}

func TestCovers(t *testing.T) {
	cal := holidayCalendar(t)
	tests := []struct {
		day                 string
		covers, provisional bool
	}{
		{day: "2024-12-31"},
		{day: "2025-01-01", covers: true},
		{day: "2026-11-28", covers: true},
		{day: "2027-06-01", covers: true},
		{day: "2028-01-01"},
	}
	for _, tt := range tests {
		at := sh(t, tt.day+" 08:00")
		if got := cal.Covers(at); got != tt.covers {
			t.Errorf("Covers(%s) = %v, want %v", tt.day, got, tt.covers)
		}
		if got := cal.Provisional(at); got != tt.provisional {
			t.Errorf("Provisional(%s) = %v, want %v", tt.day, got, tt.provisional)
		}
		if WeekdayCalendar().Covers(at) || (*Calendar)(nil).Covers(at) {
			t.Errorf("a calendar without holidays claims to cover %s", tt.day)
		}
	}
	if got, want := cal.String(), "holidays 2025, 2026, 2027"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// A year listed before the State Council's notice is covered, but provisionally.
func TestProvisionalYear(t *testing.T) {
	cal, err := ParseCalendar([]byte(`
years:
  - year: 2028
    provisional: true
    holidays:
      - {name: 元旦, date: 2028-01-01}
`))
	if err != nil {
		t.Fatal(err)
	}
	at := sh(t, "2028-03-01 08:00")
	if !cal.Covers(at) || !cal.Provisional(at) {
		t.Errorf("Covers, Provisional = %v, %v; want true, true", cal.Covers(at), cal.Provisional(at))
	}
	if got, want := cal.String(), "holidays 2028 (provisional)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestAddWorkdays(t *testing.T) {
	cal := holidayCalendar(t)
	tests := []struct {
		name  string
		cal   *Calendar
		start time.Time
		n     int
		want  string // the deadline, a Shanghai midnight
	}{
		{"Friday, next day counted is a make-up Sunday", cal, sh(t, "2025-09-26 10:00"), 1, "2025-09-29 00:00"},
		{"into National Day 2025", cal, sh(t, "2025-09-26 10:00"), 3, "2025-10-01 00:00"},
		{"across National Day 2025", cal, sh(t, "2025-09-26 10:00"), 4, "2025-10-10 00:00"},
		{"National Day 2025 and the make-up Saturday", cal, sh(t, "2025-09-30 15:00"), 3, "2025-10-12 00:00"},
		{"submitted during the holiday starts on the next working day", cal, sh(t, "2025-10-03 09:00"), 1, "2025-10-10 00:00"},
		{"start at midnight counts that day", cal, sh(t, "2025-10-09 00:00"), 1, "2025-10-10 00:00"},
		{"start one minute after midnight does not", cal, sh(t, "2025-10-09 00:01"), 1, "2025-10-11 00:00"},
		{"UTC start is read in Shanghai", cal, time.Date(2025, 9, 30, 16, 30, 0, 0, time.UTC), 1, "2025-10-10 00:00"},
		{"Spring Festival 2025 make-up Sunday", cal, sh(t, "2025-01-24 16:00"), 2, "2025-01-28 00:00"},
		{"across Spring Festival 2025", cal, sh(t, "2025-01-24 16:00"), 3, "2025-02-06 00:00"},
		{"Spring Festival 2025 make-up Saturday", cal, sh(t, "2025-01-24 16:00"), 6, "2025-02-09 00:00"},
		{"Spring Festival 2026 make-up Saturday first", cal, sh(t, "2026-02-13 10:00"), 1, "2026-02-15 00:00"},
		{"across Spring Festival 2026", cal, sh(t, "2026-02-13 10:00"), 2, "2026-02-25 00:00"},
		{"across National Day 2026", cal, sh(t, "2026-09-30 10:00"), 3, "2026-10-11 00:00"},
		{"ten days in an ordinary fortnight", cal, sh(t, "2026-11-16 09:30"), 10, "2026-12-01 00:00"},
		{"uncovered year falls back to Monday to Friday", cal, sh(t, "2028-01-07 10:00"), 1, "2028-01-11 00:00"},
		{"weekday calendar ignores holidays", WeekdayCalendar(), sh(t, "2025-10-03 10:00"), 1, "2025-10-07 00:00"},
		{"nil calendar is the weekday calendar", nil, sh(t, "2025-10-03 10:00"), 1, "2025-10-07 00:00"},
		{"zero days is where counting starts", cal, sh(t, "2025-10-03 10:00"), 0, "2025-10-04 00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.AddWorkdays(tt.start, tt.n)
			if diff := cmp.Diff(sh(t, tt.want), got); diff != "" {
				t.Errorf("AddWorkdays(%v, %d) (-want +got):\n%s", tt.start, tt.n, diff)
			}
			if got.Location() != Shanghai {
				t.Errorf("deadline in %v, want Shanghai", got.Location())
			}
		})
	}
}

// An extension adds to the deadline exactly what a longer limit would have.
func TestAddWorkdaysExtends(t *testing.T) {
	cal := holidayCalendar(t)
	for _, start := range []string{"2025-01-20 11:00", "2025-09-25 17:45", "2026-02-10 08:00", "2026-09-18 23:59"} {
		s := sh(t, start)
		for a := 0; a <= 12; a++ {
			for b := 0; b <= 12; b++ {
				if got, want := cal.AddWorkdays(cal.AddWorkdays(s, a), b), cal.AddWorkdays(s, a+b); !got.Equal(want) {
					t.Fatalf("from %s: %d then %d days = %v, %d days = %v", start, a, b, got, a+b, want)
				}
			}
		}
	}
}

func TestWorkingTime(t *testing.T) {
	cal := holidayCalendar(t)
	tests := []struct {
		name string
		a, b string
		want time.Duration
	}{
		{"half a day", "2026-11-30 12:00", "2026-12-01 00:00", 12 * time.Hour},
		{"over a weekend", "2026-11-27 18:00", "2026-11-30 06:00", 12 * time.Hour},
		{"National Day 2025 counts nothing", "2025-10-01 00:00", "2025-10-09 00:00", 0},
		{"across National Day 2025", "2025-09-30 12:00", "2025-10-09 12:00", Day},
		{"make-up Sunday counts", "2025-09-27 00:00", "2025-09-29 00:00", Day},
		{"Spring Festival 2026", "2026-02-13 00:00", "2026-02-25 00:00", 3 * Day},
		{"backwards is nothing", "2026-12-01 00:00", "2026-11-30 00:00", 0},
		{"same instant", "2026-12-01 10:00", "2026-12-01 10:00", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.WorkingTime(sh(t, tt.a), sh(t, tt.b))
			if got != tt.want {
				t.Errorf("WorkingTime(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if days := cal.WorkdaysBetween(sh(t, tt.a), sh(t, tt.b)); days != float64(tt.want)/float64(Day) {
				t.Errorf("WorkdaysBetween = %v, want %v", days, float64(tt.want)/float64(Day))
			}
		})
	}
}

func TestParseCalendarProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "every problem at once",
			yaml: `
years:
  - year: 2025
    holidays:
      - {name: 元旦, date: 2025-13-01}
      - {name: 春节, from: 2025-02-04, to: 2025-01-28}
      - {name: "", date: 2025-05-01}
      - {name: 国庆节, date: 2025-10-01, from: 2025-10-01, to: 2025-10-08}
      - {name: 端午节, from: 2025-05-31}
      - {name: 长假, from: 2025-07-01, to: 2025-07-31}
      - {name: 国庆节, date: 2025-10-11}
      - {name: 远方, date: 2027-01-01}
    workdays:
      - {name: 国庆节, date: 2025-10-10}
      - {name: 国庆节, date: 2025-10-11}
  - year: 2025
  - year: 1999
`,
			want: []string{
				`year 2025 holidays[0]: "2025-13-01" is not a date like 2025-10-01`,
				"year 2025 holidays[1]: from 2025-02-04 is after to 2025-01-28",
				"year 2025 holidays[2]: name missing",
				"year 2025 holidays[3]: give either date or from/to, not both",
				"year 2025 holidays[4]: date, or from and to, missing",
				"year 2025 holidays[5]: 2025-07-01 to 2025-07-31 is 31 days, longer than any break",
				"year 2025 holidays[7]: 2027-01-01 is too far from 2025",
				"year 2025 workdays[0]: 2025-10-10 is a Friday, already a working day",
				"year 2025 workdays[1]: 2025-10-11 already listed in year 2025 holidays[6]",
				"year 2025: listed twice",
				"years[2]: year 1999 is not between 2000 and 2100",
			},
		},
		{name: "empty", yaml: "", want: []string{"empty file: no years"}},
		{name: "no years", yaml: "years: []\n", want: []string{"no years"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal, err := ParseCalendar([]byte(tt.yaml))
			var ce *CalendarError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseCalendar = %v, %v; want a *CalendarError", cal, err)
			}
			if diff := cmp.Diff(tt.want, ce.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCalendarRejectsMalformedYAML(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown key": "years:\n  - year: 2025\n    holiday: []\n",
		"not yaml":    "years: [\n",
		"wrong type":  "years:\n  - year: twenty\n",
	} {
		if cal, err := ParseCalendar([]byte(doc)); err == nil {
			t.Errorf("%s: ParseCalendar = %v, nil; want an error", name, cal)
		}
	}
}
