package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The conversation's context: right after the bot spoke about a case (its
// reopening, a material request, a case list, a supplement), what the
// citizen writes next most likely belongs to that case. Said at once, it goes
// there; said later, the bot asks once ("是补充到 BC… 吗？") rather than
// starting a new report by default. Words that clearly start something new
// ("另外还有一件事") start a report.

// aboutFresh is how long after the bot spoke about a case the citizen's
// words are taken as possibly about it.
const aboutFresh = 48 * time.Hour

var aboutOptions = []string{
	"是，补充到这件|是|是的|对|对的|嗯|补充|是这件",
	"不是，是另一件事|不是|新的|另一件|别的事|新的事|不对",
}

// newMatterWords open a new matter rather than continue the last one.
var newMatterWords = []string{"另外", "还有一件", "还有个事", "还有一个事", "还有件事", "另一件", "新的问题", "别的事", "再反映"}

// spoke records that the bot just spoke to the citizen about case number.
func (t *turn) spoke(number string) {
	t.s.About, t.s.AboutAt = number, t.now
}

// aboutCase reports the case the bot spoke about lately, if any.
func (t *turn) aboutCase() (string, time.Duration, bool) {
	s := t.s
	if s.About == "" || s.AboutAt.IsZero() {
		return "", 0, false
	}
	since := t.now.Sub(s.AboutAt)
	return s.About, since, since < aboutFresh
}

// startsNew reports whether words clearly start a new matter.
func startsNew(text string) bool {
	for _, w := range newMatterWords {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}

// continueCase takes words said when nothing is in progress as belonging to
// the case the bot spoke about: at once when it just did, after one short
// question otherwise. done is false when there is no such case or the words
// start something new.
func (t *turn) continueCase(ctx context.Context, text string) (done bool, err error) {
	number, since, ok := t.aboutCase()
	if !ok || t.in.MenuID != "" || startsNew(text) || !looksLikeStory(text, 5) || t.s.hasDraft() {
		return false, nil
	}
	s := t.s
	s.History, s.Choices, s.Held = nil, nil, nil
	if since < menuFresh {
		err := t.desk.Supplement(ctx, number, t.in.ExternalUserID, text, nil)
		if _, refused := refusal(err); refused {
			// That case is finished or gone: the words start afresh.
			s.About = ""
			return false, nil
		}
		if err != nil {
			return true, fmt.Errorf("supplement case: %w", err)
		}
		s.Target, s.Step = number, stepSuppCollect
		t.sayHere(fmt.Sprintf(textMaterialAck, number))
		return true, nil
	}
	s.Held = []string{text}
	s.Step = stepAboutAsk
	t.ask()
	return true, nil
}

// aboutText answers "是补充到 BC… 吗？".
func (t *turn) aboutText(ctx context.Context, text string) error {
	s := t.s
	i, ok := t.choose(aboutOptions)
	if !ok {
		t.notUnderstood(text)
		return nil
	}
	held := s.Held
	s.Held = nil
	if i == 1 {
		s.About, s.Step = "", stepMenu
		for _, h := range held {
			s.Parts = append(s.Parts, part{Text: h})
			t.takeStory(h)
		}
		t.note(textKeptFirst)
		t.startReport()
		return nil
	}
	s.Target = s.About
	s.Held = held
	if done, err := t.flushPending(ctx); err != nil || done {
		return err
	}
	s.Step = stepSuppCollect
	t.sayHere(fmt.Sprintf(textMaterialAck, s.Target))
	return nil
}
