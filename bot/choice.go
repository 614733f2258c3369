package bot

import "strings"

// circled are the circled digits some input methods offer.
var circled = []rune("①②③④⑤⑥⑦⑧⑨⑩")

// ParseChoice reads which of options the citizen chose and returns its
// 0-based index. An option may list synonyms separated by "|"; the first is
// the wording shown. Accepted: "1", "１", "一", "第一个", "1.", "①", "选1",
// the option's words ("本人"), a short sentence containing them ("是我本人"),
// or a part of them ("邻居" for "邻居或朋友") when that points to one option.
func ParseChoice(input string, options []string) (index int, ok bool) {
	s := clean(input)
	if s == "" || len(options) == 0 {
		return 0, false
	}
	if n, isNum := ordinal(s); isNum {
		if n >= 1 && n <= len(options) {
			return n - 1, true
		}
		return 0, false
	}
	ss := squeeze(s)
	for i, o := range options {
		for _, w := range optionWords(o) {
			if ss == w {
				return i, true
			}
		}
	}
	negated := strings.Contains(ss, "不是") || strings.HasPrefix(ss, "不") || strings.HasPrefix(ss, "没")
	found := -1
	for i, o := range options {
		for _, w := range optionWords(o) {
			if negated && !strings.ContainsAny(w, "不没") {
				continue
			}
			hit := runeLen(w) >= 2 && strings.Contains(ss, w) && runeLen(ss) <= runeLen(w)+6
			hit = hit || (runeLen(ss) >= 2 && strings.Contains(w, ss))
			if !hit {
				continue
			}
			if found >= 0 && found != i {
				return 0, false // ambiguous
			}
			found = i
		}
	}
	if found < 0 {
		return 0, false
	}
	return found, true
}

// optionWords returns an option's wording and synonyms in comparable form.
func optionWords(option string) []string {
	parts := strings.Split(option, "|")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if w := squeeze(clean(p)); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// optionLabel is the wording shown for an option (its first synonym).
func optionLabel(option string) string {
	label, _, _ := strings.Cut(option, "|")
	return label
}

// ordinal reads s as a position: "1", "一", "第一个", "1.", "1、本人",
// "①", "选2". isNum reports that s is meant as a number at all, so that an
// out-of-range number is refused rather than matched as words.
func ordinal(s string) (n int, isNum bool) {
	s = squeeze(s)
	for _, p := range []string{"我选", "选择", "选", "第"} {
		s = strings.TrimPrefix(s, p)
	}
	for _, suf := range []string{"个", "项", "条", "号", "种", "位"} {
		s = strings.TrimSuffix(s, suf)
	}
	rs := []rune(s)
	if len(rs) == 0 {
		return 0, false
	}
	for i, c := range circled {
		if rs[0] == c && len(rs) == 1 {
			return i + 1, true
		}
	}
	// Leading ASCII digits, alone or followed by a separator and the
	// option's words as the menu shows them ("1. 本人").
	end := 0
	for end < len(rs) && rs[end] >= '0' && rs[end] <= '9' {
		end++
	}
	if end > 0 {
		if rs[0] == '0' {
			return 0, false // "0007" is the end of a case number, not a position
		}
		if end < len(rs) && !strings.ContainsRune(".、)）:：-", rs[end]) {
			return 0, false
		}
		v, ok := atoi(string(rs[:end]))
		if !ok {
			return 0, true
		}
		return v, true
	}
	if v, ok := cnNumber(s); ok && runeLen(s) <= 3 {
		return v, true
	}
	return 0, false
}
