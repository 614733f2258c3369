package pii

import "regexp"

// MaskText masks the ID and phone numbers a person typed into free text,
// wherever it is shown (to the citizen in the chat, to staff on cards and
// pages, in the API, in Open311): any run of at least 7 digits, full-width
// ones and ones grouped with spaces, line breaks or dashes included ("138 1234 5678",
// "0571-88886666", a bank card in groups of four), keeps only its ends.
// 15 or more digits (an ID number, with or without its final X) are shown as
// MaskID shows them, shorter runs as MaskPhone does. A date typed as
// 20240615 is masked too: privacy comes before readability.
//
// Left readable: shorter numbers (amounts, years, "0007"), dates written with
// 年月日 or as 2026-11-28 (the product writes its own deadlines that way, and
// a date alone names nobody), and case numbers (BC and ten digits), which
// staff and citizens quote to each other.
func MaskText(s string) string {
	return maskable.ReplaceAllStringFunc(s, func(m string) string {
		if readable.MatchString(m) {
			return m
		}
		n := Normalize(m)
		switch {
		case len(n) < 7:
			return m
		case len(n) >= 15:
			return MaskID(n)
		}
		return MaskPhone(n)
	})
}

// Patterns of numbers in free text. maskable's alternatives are tried in
// order at each position, so a case number or a dashed date is taken whole
// before its digits could be read as a number.
var (
	caseNumber = `[Bb][Cc][0-9]{10}`
	dashedDate = `(?:19|20)[0-9]{2}[\-－][0-9]{1,2}[\-－][0-9]{1,2}`
	maskable   = regexp.MustCompile(caseNumber + `|` + dashedDate + `|[0-9０-９]+(?:[\s\-－　]+[0-9０-９]+)*[XxＸｘ]?`)
	readable   = regexp.MustCompile(`^(?:` + caseNumber + `|` + dashedDate + `)$`)
)
