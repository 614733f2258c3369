package bot

import (
	"strconv"
	"strings"
	"unicode"
)

// fold turns full-width ASCII (what Chinese input methods often produce) into
// ASCII, the ideographic space into a space, and trims the result.
func fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '！' && r <= '～':
			b.WriteRune(r - 0xFEE0)
		case r == '\u3000':
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// trailingPunct is what people put at the end of a short answer.
const trailingPunct = " .。,，、!！?？~～;；:：…\"'“”‘’"

// clean folds s, lower-cases it and removes surrounding punctuation and
// spaces, the form in which short answers and command words are compared.
func clean(s string) string {
	s = strings.ToLower(fold(s))
	s = strings.Trim(s, trailingPunct)
	return strings.TrimSpace(s)
}

// squeeze removes all white space.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// runeLen counts characters rather than bytes.
func runeLen(s string) int { return len([]rune(s)) }

// cnDigits are the Chinese numerals read as single digits.
var cnDigits = map[rune]int{
	'零': 0, '〇': 0, 'Ｏ': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4,
	'五': 5, '六': 6, '七': 7, '八': 8, '九': 9,
}

// isCnNumeral reports whether r may be part of a Chinese number.
func isCnNumeral(r rune) bool {
	_, ok := cnDigits[r]
	return ok || r == '十'
}

// cnNumber reads a Chinese number: "七", "十二", "二十三", "两", or a year
// written digit by digit such as "一九六一".
func cnNumber(s string) (int, bool) {
	rs := []rune(s)
	if len(rs) == 0 {
		return 0, false
	}
	for _, r := range rs {
		if !isCnNumeral(r) {
			return 0, false
		}
	}
	if !strings.ContainsRune(s, '十') {
		n := 0
		for _, r := range rs {
			n = n*10 + cnDigits[r]
		}
		return n, true
	}
	// Forms with 十: 十, 十X, X十, X十Y.
	tens, ones := 1, 0
	before, after, _ := strings.Cut(s, "十")
	if before != "" {
		b := []rune(before)
		if len(b) != 1 {
			return 0, false
		}
		tens = cnDigits[b[0]]
	}
	if after != "" {
		a := []rune(after)
		if len(a) != 1 || a[0] == '十' {
			return 0, false
		}
		ones = cnDigits[a[0]]
	}
	return tens*10 + ones, true
}

// arabize rewrites every run of Chinese numerals in s as Arabic digits, so
// that "一九六一年七月" and "1961年7月" read the same.
func arabize(s string) string {
	var b, run strings.Builder
	flush := func() {
		if run.Len() == 0 {
			return
		}
		if n, ok := cnNumber(run.String()); ok {
			b.WriteString(strconv.Itoa(n))
		} else {
			b.WriteString(run.String())
		}
		run.Reset()
	}
	for _, r := range s {
		if isCnNumeral(r) {
			run.WriteRune(r)
			continue
		}
		flush()
		b.WriteRune(r)
	}
	flush()
	return b.String()
}

// atoi reads a short run of ASCII digits; ok is false for anything else.
func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, true
}
