package bot

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// DontRemember is the normalised answer of a citizen who does not remember a date.
const DontRemember = "不记得"

var (
	dateForgot   = []string{"不记得", "记不得", "记不清", "记不住", "忘了", "忘记了", "不清楚", "不知道", "想不起来", "说不清"}
	dateHedgePre = []string{"大概是", "大概", "大约是", "大约", "差不多是", "差不多", "好像是", "应该是", "可能是", "估计是", "约"}
	dateHedgeSuf = []string{"左右", "前后", "的时候", "时候", "那会儿", "那时", "吧"}

	reYearsAgo  = regexp.MustCompile(`^(\d{1,2})年多?(?:以前|之前|前)$`)
	reMonthsAgo = regexp.MustCompile(`^(\d{1,2})个多?月(?:以前|之前|前)$`)
	reDaysAgo   = regexp.MustCompile(`^(\d{1,2})(?:天|日)(?:以前|之前|前)$`)
	reRelYear   = regexp.MustCompile(`^(今年|去年|前年|大前年)(?:(\d{1,2})月(?:(\d{1,2})[日号])?)?(?:底|初|中|上旬|中旬|下旬)?$`)
	reCnDate    = regexp.MustCompile(`^(\d{2}|\d{4})年(?:(\d{1,2})月(?:(\d{1,2})[日号])?)?(?:底|初|中|上旬|中旬|下旬|上半年|下半年)?$`)
	reDotDate   = regexp.MustCompile(`^(\d{4})[./-](\d{1,2})(?:[./-](\d{1,2}))?$`)
	reCompact   = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})?$`)
	reYearOnly  = regexp.MustCompile(`^(\d{4})$`)
)

// ParseDate reads when something happened, as elderly citizens say it:
// "1961年7月", "1961.7", "一九六一年七月", "去年6月", "两年前", "上个月",
// "大概2020年", "不记得". text is normalised: "2024年6月", "2024年6月3日",
// "约2024年" for approximate answers, DontRemember when they do not know. A
// date after now is refused.
func ParseDate(s string, now time.Time) (text string, ok bool) {
	s = squeeze(clean(s))
	for _, f := range dateForgot {
		if strings.Contains(s, f) {
			return DontRemember, true
		}
	}
	approx := false
	for _, p := range dateHedgePre {
		if rest, found := strings.CutPrefix(s, p); found {
			s, approx = rest, true
			break
		}
	}
	for _, p := range dateHedgeSuf {
		if rest, found := strings.CutSuffix(s, p); found {
			s, approx = rest, true
		}
	}
	s = strings.TrimSuffix(arabize(s), "份") // 六月份 is 六月
	if s == "" {
		return "", false
	}
	text, exact, ok := parseDate(s, now)
	if !ok {
		return "", false
	}
	if approx || !exact {
		text = "约" + text
	}
	return text, true
}

// parseDate handles the forms after hedges are removed; exact is false for
// relative spans such as "两年前". The first form that s is said in decides.
func parseDate(s string, now time.Time) (text string, exact, ok bool) {
	for _, form := range []dateForm{dayWord, spanAgo, writtenDate, numericDate} {
		if text, exact, ok, said := form(s, now); said {
			return text, exact, ok
		}
	}
	return "", false, false
}

// A dateForm is one way of saying a date. said reports whether s is in that
// form at all; only then do text, exact and ok mean anything, ok being false
// for a date that cannot be or lies after now.
type dateForm func(s string, now time.Time) (text string, exact, ok, said bool)

// dayWord reads the days and months named by a word relative to today:
// "昨天", "上个月", and the rough "上周" and "半年前".
func dayWord(s string, now time.Time) (text string, exact, ok, said bool) {
	y, m, d := now.Date()
	switch s {
	case "今天":
		text, exact, ok = ymd(y, int(m), d, now)
	case "昨天":
		t := now.AddDate(0, 0, -1)
		text, exact, ok = ymd(t.Year(), int(t.Month()), t.Day(), now)
	case "前天":
		t := now.AddDate(0, 0, -2)
		text, exact, ok = ymd(t.Year(), int(t.Month()), t.Day(), now)
	case "这个月", "本月", "这月":
		text, exact, ok = ymd(y, int(m), 0, now)
	case "上个月", "上月":
		t := time.Date(y, m-1, 1, 0, 0, 0, 0, now.Location())
		text, exact, ok = ymd(t.Year(), int(t.Month()), 0, now)
	case "上周", "上个星期", "上星期", "上个礼拜", "上礼拜", "前几天":
		t := now.AddDate(0, 0, -7)
		text, _, ok = ymd(t.Year(), int(t.Month()), 0, now)
	case "半年前", "半年以前", "半年之前":
		t := now.AddDate(0, -6, 0)
		text, _, ok = ymd(t.Year(), int(t.Month()), 0, now)
	default:
		return "", false, false, false
	}
	return text, exact, ok, true
}

// spanAgo reads a span counted back from now, "两年前", "3个月以前", "5天前":
// never exact, and refused when the span is zero.
func spanAgo(s string, now time.Time) (text string, exact, ok, said bool) {
	y, m, _ := now.Date()
	if g := reYearsAgo.FindStringSubmatch(s); g != nil {
		n, _ := atoi(g[1])
		text, _, ok := ymd(y-n, 0, 0, now)
		return text, false, ok && n > 0, true
	}
	if g := reMonthsAgo.FindStringSubmatch(s); g != nil {
		n, _ := atoi(g[1])
		t := time.Date(y, m-time.Month(n), 1, 0, 0, 0, 0, now.Location())
		text, _, ok := ymd(t.Year(), int(t.Month()), 0, now)
		return text, false, ok && n > 0, true
	}
	if g := reDaysAgo.FindStringSubmatch(s); g != nil {
		n, _ := atoi(g[1])
		t := now.AddDate(0, 0, -n)
		text, _, ok := ymd(t.Year(), int(t.Month()), t.Day(), now)
		return text, false, ok && n > 0, true
	}
	return "", false, false, false
}

// writtenDate reads a date written with 年, 月 and 日: "1961年7月", "61年",
// "去年6月3号", where a two-digit year is the latest such year so far.
func writtenDate(s string, now time.Time) (text string, exact, ok, said bool) {
	if g := reRelYear.FindStringSubmatch(s); g != nil {
		year := now.Year() - map[string]int{"今年": 0, "去年": 1, "前年": 2, "大前年": 3}[g[1]]
		mo, _ := atoi(g[2])
		day, _ := atoi(g[3])
		text, exact, ok = ymd(year, mo, day, now)
		return text, exact, ok, true
	}
	if g := reCnDate.FindStringSubmatch(s); g != nil {
		year, _ := atoi(g[1])
		if len(g[1]) == 2 {
			year = fullYear(year, now.Year())
		}
		mo, _ := atoi(g[2])
		day, _ := atoi(g[3])
		text, exact, ok = ymd(year, mo, day, now)
		return text, exact, ok, true
	}
	return "", false, false, false
}

// numericDate reads a date in digits alone: "1961.7", "2024-06-03",
// "20240603", "1961". Written with separators or run together, it must name
// a month.
func numericDate(s string, now time.Time) (text string, exact, ok, said bool) {
	for _, re := range []*regexp.Regexp{reDotDate, reCompact} {
		if g := re.FindStringSubmatch(s); g != nil {
			year, _ := atoi(g[1])
			mo, _ := atoi(g[2])
			day, _ := atoi(g[3])
			if mo == 0 {
				return "", false, false, true
			}
			text, exact, ok = ymd(year, mo, day, now)
			return text, exact, ok, true
		}
	}
	if g := reYearOnly.FindStringSubmatch(s); g != nil {
		year, _ := atoi(g[1])
		text, exact, ok = ymd(year, 0, 0, now)
		return text, exact, ok, true
	}
	return "", false, false, false
}

// fullYear reads a two-digit year as the latest such year not after thisYear.
func fullYear(yy, thisYear int) int {
	y := thisYear - thisYear%100 + yy
	if y > thisYear {
		y -= 100
	}
	return y
}

// ymd formats a year, optional month (0 = none) and optional day, refusing
// impossible dates and dates after now.
func ymd(year, month, day int, now time.Time) (text string, exact, ok bool) {
	if year < 1900 || year > now.Year() || month < 0 || month > 12 || day < 0 || (day > 0 && month == 0) {
		return "", false, false
	}
	if month == 0 {
		return fmt.Sprintf("%d年", year), true, true
	}
	first := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, now.Location())
	if first.After(now) {
		return "", false, false
	}
	if day == 0 {
		return fmt.Sprintf("%d年%d月", year, month), true, true
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, now.Location())
	if t.Day() != day || t.After(now) {
		return "", false, false
	}
	return fmt.Sprintf("%d年%d月%d日", year, month, day), true, true
}
