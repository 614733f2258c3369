package pii

import (
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// phoneSeparators are what people write between the digits of a phone
// number, once full-width forms are folded to ASCII.
var phoneSeparators = strings.NewReplacer("-", "", "—", "", "(", "", ")", "", ".", "")

// ParsePhone reads a contact phone number: a mobile number (11 digits
// starting with 1), a landline with its area code (010 12345678,
// 0571-8888888) or a local landline of 7 or 8 digits. Spaces, dashes,
// brackets, full-width digits and a +86 prefix are tolerated; norm keeps only
// the digits.
func ParsePhone(s string) (norm string, ok bool) {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, width.Narrow.String(s))
	s = phoneSeparators.Replace(s)
	if rest, found := strings.CutPrefix(s, "+86"); found {
		s = rest
	} else if rest, found := strings.CutPrefix(s, "0086"); found {
		s = rest
	} else if len(s) == 13 && strings.HasPrefix(s, "861") {
		s = s[2:]
	}
	if s == "" {
		return "", false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	switch {
	case len(s) == 11 && s[0] == '1' && s[1] >= '3' && s[1] <= '9':
		return s, true // mobile
	case len(s) >= 10 && len(s) <= 12 && s[0] == '0' && s[1] != '0':
		return s, true // landline with area code
	case (len(s) == 7 || len(s) == 8) && s[0] != '0' && s[0] != '1':
		return s, true // local landline
	}
	return "", false
}
