package bot

import (
	"context"
	"strings"
)

// The summary to confirm: submitting, changing one item, and words typed on
// it instead of a choice, which are read for what they say.

// answerConfirm reads the answer to the summary: submit, change an item,
// cancel, or words about it.
func (t *turn) answerConfirm(ctx context.Context, text string) error {
	i, ok := t.choose(confirmOptions)
	switch {
	case !ok && t.in.MenuID == "" && is(text, wordsDone):
		t.ask() // "说完了" after the story: here is the summary
	case !ok && t.in.MenuID == "":
		return t.confirmWords(text)
	case !ok:
		t.notUnderstood(text)
	case i == 0:
		return t.submit(ctx)
	case i == 1:
		t.goTo(stepEdit)
	default:
		t.cancel()
	}
	return nil
}

// answerEdit reads which summary item to change.
func (t *turn) answerEdit(text string) error {
	i, ok := t.choose(editOptions)
	if !ok {
		t.notUnderstood(text)
		return nil
	}
	t.edit(editGroups[i])
	return nil
}

// edit starts changing one summary item.
func (t *turn) edit(g string) {
	s := t.s
	s.Editing = g
	switch g {
	case "who":
		t.goTo(stepWho)
	case "id":
		s.IDTries = 0
		t.goTo(stepID)
	case "phone":
		if s.Draft.Who == whoSelf {
			t.goTo(stepPhone)
		} else {
			t.goTo(stepPhoneWhose)
		}
	case "category":
		if len(t.desk.Categories()) == 0 {
			s.Editing = ""
			t.ask()
			return
		}
		t.goTo(stepCategory)
	case "tried":
		t.goTo(stepTriedWindow)
	default:
		t.goTo(stepDesc)
	}
}

// confirmWords answers words on the summary that are no choice: "电话不对，
// 是139…" changes that item at once, "电话不对" asks for it, and more of the
// problem (four characters or more) joins the description.
func (t *turn) confirmWords(text string) error {
	s, d := t.s, &t.s.Draft
	w := squeeze(clean(text))
	wrong := strings.ContainsAny(w, "错改换") || strings.Contains(w, "不对")
	if wrong {
		item := strings.NewReplacer("不对", "", "错了", "", "错", "", "改成", "", "改", "", "换成", "", "换", "", "是", "", "应该", "",
			",", "", "，", "", ":", "", "：", "", "。", "", ".", "").Replace(reLongNumber.ReplaceAllString(w, ""))
		if i, ok := ParseChoice(item, editOptions); ok {
			g := editGroups[i]
			if p := phoneIn(text); g == "phone" && p != "" {
				d.Phone, d.PhoneAsked = p, true
				t.note(textChanged)
				t.ask()
				return nil
			}
			if id := idIn(text); g == "id" && id != "" {
				d.IDNumber, d.IDAsked = id, true
				t.note(textChanged)
				t.ask()
				return nil
			}
			t.edit(g)
			return nil
		}
	}
	if !wrong && runeLen(w) >= 4 && hasHan(w) && !isIntent(w) {
		s.Parts = append(s.Parts, part{Text: text})
		t.note(textGotStory)
		t.ask()
		return nil
	}
	t.notUnderstood(text)
	return nil
}
