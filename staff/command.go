package staff

import (
	"slices"
	"strings"
	"unicode"

	"banchengshi/cases"
)

// Command is one thing a staff member typed to the app, parsed. Which fields
// are set depends on the verb; the rest stay zero.
type Command struct {
	// Verb is the canonical Chinese verb (受理, 派单, …, 帮助) whatever synonym
	// was typed.
	Verb string
	// Action is the case action; empty for lists and help.
	Action cases.Action
	// CaseRef is the case as typed: a full number (upper-cased) or its last
	// digits; ResolveRef turns it into a number.
	CaseRef string
	// Dept is the lead department as typed (派单); resolve it with
	// Directory.ResolveDepartment. Empty for 协办, which only adds co-handlers.
	Dept string
	// CoDepts are co-handling departments as typed, each once.
	CoDepts []string
	// Days is the extension in working days (延期).
	Days int
	// Text is the free text, exactly as typed: the reply, note, material asked
	// for, reason, answer, accountability reason, common-problem tag or
	// follow-up note.
	Text string
	// Target is the case to merge into (并案) or the normal window held
	// accountable (追责).
	Target string
	// Rating is the phone follow-up's rating, 1 非常满意 … 5 非常不满意 (回访).
	Rating int
	// List is ListMine, ListOverdue or ListToday for the list verbs.
	List string
}

// List names for Command.List.
const (
	ListMine    = "mine"
	ListOverdue = "overdue"
	ListToday   = "today"
)

// Canonical verbs other packages name.
const (
	// VerbHelp is the Verb of the help command.
	VerbHelp = "帮助"
	// VerbAssign is the Verb of assigning a lead department (派单).
	VerbAssign = "派单"
)

// Limits on what staff type.
const (
	// MaxRelayedRunes bounds text relayed to a citizen: a kf text message holds
	// 2048 bytes, and the product adds a line of its own.
	MaxRelayedRunes = 600
	// MaxExtendDays bounds one extension.
	MaxExtendDays = 60
)

// argKind is the shape of what follows a verb and its case.
type argKind int

const (
	argNone     argKind = iota // nothing more
	argText                    // required free text
	argRelayed                 // required free text relayed to the citizen
	argAssign                  // lead department and co-handlers
	argCoAssign                // co-handlers only
	argExtend                  // days and reason
	argAccount                 // window and reason
	argMerge                   // target case
	argFollowUp                // rating and optional note
	argList                    // a list; no case
	argHelp                    // help; no case
)

// verbSpec describes one verb: the words that mean it, what it does and the
// line that tells staff how to type it. The table is in text.go.
type verbSpec struct {
	verb    string
	words   []string
	action  cases.Action
	list    string
	args    argKind
	example string // a complete command, e.g. "延期 0007 5 等待外省回函"
	usage   string // what is missing, before the example
}

func (v *verbSpec) needsCase() bool { return v.args != argList && v.args != argHelp }

// refuse is a *CommandError about this verb.
func (v *verbSpec) refuse(reason CommandReason) error {
	return &CommandError{Reason: reason, Verb: v.verb}
}

// verbWord is one word that means a verb.
type verbWord struct {
	word []rune
	spec *verbSpec
}

// verbWords lists every verb word, longest first, so that 查询 is not read as
// 查 followed by 询.
var verbWords = func() []verbWord {
	var out []verbWord
	for i := range verbs {
		for _, w := range verbs[i].words {
			out = append(out, verbWord{[]rune(w), &verbs[i]})
		}
	}
	slices.SortStableFunc(out, func(a, b verbWord) int { return len(b.word) - len(a.word) })
	return out
}()

// ParseCommand parses what a staff member typed. The case may come before or
// after the verb ("0007 受理", "受理 0007"); full-width spaces, digits and
// colons, "办结：" and extra spaces are fine. A number on its own shows that
// case. A line that is not a command is a *CommandError, whose Text says
// what to type instead.
func ParseCommand(s string) (Command, error) {
	sc := newScanner(s)
	sc.skip()
	if sc.done() {
		return Command{}, &CommandError{Reason: CommandEmpty}
	}
	ref := sc.ref(false) // "0007受理": a verb may follow directly
	sc.skip()
	if ref != "" && sc.done() {
		return Command{Verb: verbView, Action: cases.ActionView, CaseRef: ref}, nil
	}
	spec := sc.verb()
	if spec == nil {
		return Command{}, &CommandError{Reason: CommandUnknownVerb}
	}
	cmd := Command{Verb: spec.verb, Action: spec.action, List: spec.list}
	if !spec.needsCase() {
		return cmd, nil
	}
	sc.skip()
	if ref == "" {
		ref = sc.ref(true)
		sc.skip()
	}
	if ref == "" {
		return Command{}, spec.refuse(CommandNeedCase)
	}
	cmd.CaseRef = ref
	if err := parseArgs(spec, sc, &cmd); err != nil {
		return Command{}, err
	}
	return cmd, nil
}

// parseArgs reads what follows the verb and the case.
func parseArgs(spec *verbSpec, sc *scanner, cmd *Command) error {
	switch spec.args {
	case argText, argRelayed:
		cmd.Text = sc.rest()
		if cmd.Text == "" {
			return spec.refuse(CommandUsage)
		}
		if spec.args == argRelayed {
			return spec.checkRelayed(cmd.Text)
		}
	case argAssign, argCoAssign:
		lead, co := splitDepts(sc.restNorm(), spec.args == argCoAssign)
		if spec.args == argAssign && lead == "" || spec.args == argCoAssign && len(co) == 0 {
			return spec.refuse(CommandUsage)
		}
		cmd.Dept, cmd.CoDepts = lead, co
	case argExtend:
		return parseExtend(spec, sc, cmd)
	case argAccount:
		cmd.Target = sc.word()
		sc.skip()
		cmd.Text = sc.rest()
		if cmd.Target == "" || cmd.Text == "" {
			return spec.refuse(CommandUsage)
		}
	case argMerge:
		sc.skipWord(textMergeInto...)
		sc.skip()
		cmd.Target = sc.ref(true)
		if cmd.Target == "" {
			return spec.refuse(CommandUsage)
		}
		if cmd.Target == cmd.CaseRef {
			return spec.refuse(CommandMergeSelf)
		}
	case argFollowUp:
		r, ok := sc.rating()
		if !ok {
			return spec.refuse(CommandUsage)
		}
		cmd.Rating = r
		sc.skip()
		cmd.Text = sc.rest()
	}
	return nil
}

// parseExtend reads an extension, "5天 等待外省回函": the working days and the
// reason, which is relayed to the citizen. A command missing either part gets
// the usage line before its days or its reason are judged.
func parseExtend(spec *verbSpec, sc *scanner, cmd *Command) error {
	days, ok := sc.number()
	if !ok {
		return spec.refuse(CommandUsage)
	}
	sc.skipWord(textDaySuffixes...)
	sc.skip()
	cmd.Text = sc.rest()
	if cmd.Text == "" {
		return spec.refuse(CommandUsage)
	}
	if days < 1 || days > MaxExtendDays {
		return &CommandError{Reason: CommandBadDays, Verb: spec.verb, Limit: MaxExtendDays}
	}
	if err := spec.checkRelayed(cmd.Text); err != nil {
		return err
	}
	cmd.Days = days
	return nil
}

// checkRelayed refuses a text the citizen is to read that is longer than one
// relayed message may be (MaxRelayedRunes).
func (v *verbSpec) checkRelayed(text string) error {
	if len([]rune(text)) > MaxRelayedRunes {
		return &CommandError{Reason: CommandTooLong, Verb: v.verb, Limit: MaxRelayedRunes}
	}
	return nil
}

// splitDepts reads "社保中心 协办 档案馆、就业" into a lead and co-handlers.
// Without the word 协办, names after the first are co-handlers too; with
// coOnly every name is a co-handler.
func splitDepts(s string, coOnly bool) (lead string, co []string) {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",、;；/", r)
	})
	for _, f := range fields {
		f = strings.TrimPrefix(f, textLeadPrefix)
		if strings.HasPrefix(f, textCoPrefix) {
			coOnly = true
			f = strings.TrimPrefix(f, textCoPrefix)
		}
		switch {
		case f == "":
		case lead == "" && !coOnly:
			lead = f
		case f != lead && !slices.Contains(co, f):
			co = append(co, f)
		}
	}
	return lead, co
}

// ResolveRef finds the case a staff member means among candidate numbers: the
// number itself, or the one number ending in the digits typed. When nothing
// matches, or several do, the error is a *LookupError (listing them, so a
// longer ref can be typed); an empty ref is a *CommandError.
func ResolveRef(ref string, candidates []string) (string, error) {
	want := strings.ToUpper(normKey(ref))
	want = strings.TrimSuffix(strings.TrimPrefix(want, "#"), "号")
	if want == "" {
		return "", &CommandError{Reason: CommandNeedCase, Verb: verbView}
	}
	var found []string
	for _, c := range candidates {
		n := strings.ToUpper(c)
		if n == want {
			return c, nil
		}
		if strings.HasSuffix(n, want) && !slices.Contains(found, c) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 0:
		return "", &LookupError{Reason: LookupNoSuchCase, Typed: ref}
	case 1:
		return found[0], nil
	}
	slices.Sort(found)
	return "", &LookupError{Reason: LookupSeveralCases, Typed: ref, Matches: found}
}

// HelpText is the answer to 帮助: every command with an example.
func HelpText() string { return helpText }

// scanner walks a typed line. norm is the line with full-width characters
// folded to ASCII, rune for rune, so positions found in norm cut the original:
// free text keeps exactly what was typed.
type scanner struct {
	orig, norm []rune
	pos        int
}

func newScanner(s string) *scanner {
	orig := []rune(s)
	norm := make([]rune, len(orig))
	for i, r := range orig {
		norm[i] = foldWidth(r)
	}
	return &scanner{orig: orig, norm: norm}
}

func (s *scanner) done() bool { return s.pos >= len(s.norm) }

// skip passes spaces and colons.
func (s *scanner) skip() {
	for !s.done() && (unicode.IsSpace(s.norm[s.pos]) || s.norm[s.pos] == ':') {
		s.pos++
	}
}

// rest returns the remaining original text, trimmed.
func (s *scanner) rest() string {
	return strings.TrimSpace(strings.TrimLeft(string(s.orig[s.pos:]), " \t\u3000:："))
}

// restNorm returns the remaining folded text.
func (s *scanner) restNorm() string { return strings.TrimSpace(string(s.norm[s.pos:])) }

// ref reads a case reference: optional "#", optional "BC", digits, optional
// "号". When bounded, it must end the line or be followed by a space or
// punctuation. It returns "" and does not move when there is none.
func (s *scanner) ref(bounded bool) string {
	i := s.pos
	if i < len(s.norm) && s.norm[i] == '#' {
		i++
	}
	prefix := ""
	if i+1 < len(s.norm) && unicode.ToUpper(s.norm[i]) == 'B' && unicode.ToUpper(s.norm[i+1]) == 'C' {
		prefix, i = "BC", i+2
	}
	start := i
	for i < len(s.norm) && s.norm[i] >= '0' && s.norm[i] <= '9' {
		i++
	}
	if i == start {
		return ""
	}
	digits := string(s.norm[start:i])
	if i < len(s.norm) && s.norm[i] == '号' {
		i++
	} else if bounded && i < len(s.norm) && !unicode.IsSpace(s.norm[i]) && !strings.ContainsRune(":,、;", s.norm[i]) {
		// "回复 8点前回电" is text, not case 8.
		return ""
	}
	s.pos = i
	return prefix + digits
}

// verb reads the longest verb word at the current position.
func (s *scanner) verb() *verbSpec {
	for _, vw := range verbWords {
		if s.hasPrefix(vw.word) {
			s.pos += len(vw.word)
			return vw.spec
		}
	}
	return nil
}

func (s *scanner) hasPrefix(w []rune) bool {
	if len(s.norm)-s.pos < len(w) {
		return false
	}
	for i, r := range w {
		if unicode.ToLower(s.norm[s.pos+i]) != r {
			return false
		}
	}
	return true
}

// skipWord passes the first of words found at the current position.
func (s *scanner) skipWord(words ...string) {
	for _, w := range words {
		if rw := []rune(w); s.hasPrefix(rw) {
			s.pos += len(rw)
			return
		}
	}
}

// number reads ASCII digits (full-width already folded).
func (s *scanner) number() (int, bool) {
	n, i := 0, s.pos
	for i < len(s.norm) && s.norm[i] >= '0' && s.norm[i] <= '9' && i-s.pos < 6 {
		n = n*10 + int(s.norm[i]-'0')
		i++
	}
	if i == s.pos {
		return 0, false
	}
	s.pos = i
	return n, true
}

// rating reads one rating 1–5 as a digit or 一…五, not followed by a digit.
func (s *scanner) rating() (int, bool) {
	if s.done() {
		return 0, false
	}
	r := s.norm[s.pos]
	n := strings.IndexRune(textRatingDigits, r)
	switch {
	case r >= '1' && r <= '5':
		n = int(r - '0')
	case n >= 0:
		n = len([]rune(textRatingDigits[:n])) + 1
	default:
		return 0, false
	}
	if s.pos+1 < len(s.norm) && s.norm[s.pos+1] >= '0' && s.norm[s.pos+1] <= '9' {
		return 0, false
	}
	s.pos++
	return n, true
}

// word reads up to the next space, comma or colon.
func (s *scanner) word() string {
	start := s.pos
	for !s.done() && !unicode.IsSpace(s.norm[s.pos]) && !strings.ContainsRune(":,、;", s.norm[s.pos]) {
		s.pos++
	}
	w := string(s.orig[start:s.pos])
	for !s.done() && strings.ContainsRune(",、;", s.norm[s.pos]) {
		s.pos++
	}
	return w
}
