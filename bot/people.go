package bot

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"banchengshi/pii"
)

// Who is affected and who writes: the answers about people on the report
// form, read in the words people use (see lexicon.go) and checked to be what
// was asked (a name looks like a name, a relation like a relation).

// personName reads the reporter's name (their own matter) or how to address
// them (somebody else's). Both may be skipped: staff ask on the phone. A
// number typed here is refused without being repeated.
func (t *turn) personName(text string) error {
	s, d := t.s, &t.s.Draft
	name := nameAnswer(text)
	switch {
	case text == voiceAnswer:
		name = text
	case is(text, wordsSkip) || is(text, wordsNoName):
		name = ""
		if s.Step == stepSelfName {
			t.note(textNameLater)
		} else {
			t.note(textSkipped)
		}
	case reLongNumber.MatchString(fold(text)) || name != "" && !strings.ContainsFunc(name, unicode.IsLetter):
		t.note(textNotAName)
		t.ask()
		return nil
	case name == "" || is(text, wordsAck):
		t.notUnderstood(text)
		return nil
	case runeLen(name) > 20 || strings.ContainsAny(name, "，。！？,!?；;"):
		// A sentence rather than a name: kept as description if it reads
		// like one.
		if !t.aside(text) {
			t.note(textNameLong)
		}
		t.ask()
		return nil
	case !looksLikeName(name):
		// "我要反映问题", "她知道": words, but no name.
		if s.Step == stepSelfName {
			t.again(textSelfNameWanted, textNameWanted2)
		} else {
			t.again(textReporterWanted, textNameWanted2)
		}
		return nil
	}
	if s.Step == stepSelfName {
		d.Name = name
	} else {
		d.Reporter = name
	}
	t.advance()
	return nil
}

// nameAnswer is a name as typed, without "我叫" or "就行" around it.
func nameAnswer(text string) string {
	name := strings.Trim(fold(text), trailingPunct)
	for _, p := range namePrefixes {
		name = strings.TrimPrefix(name, p)
	}
	for _, p := range nameSuffixes {
		name = strings.TrimSuffix(name, p)
	}
	return strings.TrimSpace(strings.Trim(name, trailingPunct))
}

// answerWho reads who is affected; a change between the reporter's own
// matter and somebody else's forgets the answers about the other side.
func (t *turn) answerWho(text string) error {
	d := &t.s.Draft
	who, relation, name, ok := t.whoAnswer(text)
	if !ok {
		t.notUnderstood(text)
		return nil
	}
	if who != d.Who && (who == whoSelf || d.Who == whoSelf) {
		// The name given belongs to the other side of the change.
		d.Name, d.Relation, d.Consent, d.PhoneWhose, d.Reporter = "", "", "", "", ""
	}
	d.Who = who
	if relation != "" {
		d.Relation = relation
	}
	if name != "" {
		d.Name = name
	}
	t.advance()
	return nil
}

// whoAnswer reads the answer to "这件事是谁遇到的？": a menu choice, or the
// words people use ("我妈", "替我姥姥问问", "是俺爹的事", "我公公张德福"), which
// also give the relation and perhaps the name.
func (t *turn) whoAnswer(text string) (who, relation, name string, ok bool) {
	groups := []string{whoSelf, whoFamily, whoNeighbour, whoOther}
	if t.in.MenuID == "" {
		if isSelf(text) {
			return whoSelf, "", "", true
		}
		if k, found := parseRelation(text); found {
			return k.who, k.relation, "", true
		}
		for i, o := range whoOptions {
			if slices.Contains(optionWords(o), squeeze(clean(text))) {
				return groups[i], "", "", true // the menu's words: a group, no relation
			}
		}
		if k, n := kinIn(text); k != nil && runeLen(text) <= 20 {
			return k.who, k.relation, n, true
		}
	}
	i, ok := t.choose(whoOptions)
	if !ok {
		return "", "", "", false
	}
	return groups[i], "", "", true
}

// affectedName reads the affected person's name: "王秀兰", or "我妈王秀兰",
// which also gives the relation. What cannot be a name ("她知道") is asked
// again, saying what is wanted.
func (t *turn) affectedName(text string) error {
	if !t.couldName(text) {
		return nil
	}
	d := &t.s.Draft
	if text == voiceAnswer {
		d.Name = text
		t.advance()
		return nil
	}
	name := nameAnswer(text)
	if k, n := kinIn(text); k != nil && n != "" {
		name = n
		if d.Relation == "" {
			d.Relation = k.relation
		}
	}
	if is(text, wordsSkip) || is(text, wordsNoName) {
		d.Name = ""
		t.note(textSkipped)
		t.advance()
		return nil
	}
	if !looksLikeName(name) {
		t.again(textNameWanted, textNameWanted2)
		return nil
	}
	d.Name = name
	t.advance()
	return nil
}

// relation reads how the affected person is related to the reporter, kept
// in the lexicon's word ("我妈" is 母亲); an unknown short word is kept as
// typed, anything that cannot be a relation is asked again.
func (t *turn) relation(text string) error {
	if !t.couldName(text) {
		return nil
	}
	d := &t.s.Draft
	switch k, ok := parseRelation(text); {
	case text == voiceAnswer:
		d.Relation = text
	case ok && k.relation != "":
		d.Relation = k.relation
	case !isIntent(text) && looksLikeName(text) && runeLen(squeeze(clean(text))) <= 6:
		d.Relation = squeeze(clean(text))
	default:
		t.again(fmt.Sprintf(textRelationWanted, affectedName(*d)), textRelationWanted2)
		return nil
	}
	t.advance()
	return nil
}

// couldName reports whether words could name the affected person or the
// relation; when not, the citizen has been answered: a story is kept as
// description, a number refused without being repeated.
func (t *turn) couldName(text string) bool {
	if runeLen(text) > 30 {
		t.notUnderstood(text) // a story rather than a name: kept as description
		return false
	}
	if text != pii.MaskText(text) {
		t.note(textNotAName)
		t.ask()
		return false
	}
	return true
}
