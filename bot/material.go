package bot

import (
	"context"
	"fmt"

	"banchengshi/cases"
)

// Material a handler asked for (补充): the desk tells the citizen what is
// needed and to reply "补充" first, but an elderly citizen usually just sends
// the photo or types the answer. When nothing else is in progress, such a
// message goes to the case that waits for material; with several waiting,
// the citizen is asked which one, and the message is kept meanwhile.

// answerRequest takes a message sent when nothing is in progress (text, or
// the file m) as material a handler asked for. done is false when no report
// is half-filled and no case waits for material: the message then means
// what it always meant.
func (t *turn) answerRequest(ctx context.Context, text string, m *Media) (done bool, err error) {
	s := t.s
	if s.Step != stepMenu || s.hasDraft() {
		return false, nil
	}
	views, err := t.desk.MaterialRequests(ctx, t.in.OpenKfID, t.in.ExternalUserID)
	if err != nil {
		return false, fmt.Errorf("list material requests: %w", err)
	}
	if len(views) == 0 {
		return false, nil
	}
	// "好的" to the request is no material: the next message will be.
	ack := m == nil && is(text, wordsAck)
	s.History, s.Choices, s.Target, s.Held = nil, nil, "", nil
	if len(views) == 1 {
		s.Target, s.Step = views[0].Number, stepSuppCollect
		if ack {
			t.ask()
			return true, nil
		}
		var att *cases.Attachment
		if m != nil {
			att = t.received(m)
		}
		refused, err := t.supplement(ctx, text, att)
		if err != nil {
			return true, err
		}
		if refused != "" {
			if m != nil {
				if _, err := t.keep(ctx, m); err != nil {
					return true, err
				}
			} else {
				s.Held = append(s.Held, text)
			}
			return true, t.rehome(ctx, refused)
		}
		t.sayHere(fmt.Sprintf(textMaterialAck, s.Target))
		return true, nil
	}
	for _, v := range views {
		s.Choices = append(s.Choices, caseOption(v))
	}
	s.Step = stepSuppPick
	switch {
	case m != nil:
		if _, err := t.keep(ctx, m); err != nil {
			return true, err
		}
		t.note(textMaterialHeld)
	case !ack:
		s.Held = append(s.Held, text)
		t.note(textMaterialHeld)
	}
	t.note(fmt.Sprintf(textMaterialWaiting, len(views)))
	t.ask()
	return true, nil
}

// meansMenu reports whether a typed choice of the main menu is meant as one:
// its words always are, a number only while the menu is fresh (later it is
// more likely an answer to what a handler asked).
func (t *turn) meansMenu(text string) bool {
	_, isNum := ordinal(clean(text))
	return !isNum || t.menuIsFresh()
}
