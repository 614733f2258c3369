package bot

import "strings"

// Words typed on the summary instead of a choice are read for what they say.

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
