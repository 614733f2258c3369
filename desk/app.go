package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"banchengshi/cases"
	"banchengshi/staff"
)

// StaffApp handles what staff send to the self-built app: typed commands and
// card clicks. It answers each staff member through the outbox.
type StaffApp struct {
	Desk *Desk
	// Repo reads what is committed outside the callback's transaction, to
	// tell a staff member who changed a case first.
	Repo cases.Repo
}

// HandleApp handles one message to the app inside r's transaction.
func (s *StaffApp) HandleApp(ctx context.Context, r cases.Repo, m cases.AppMessage) error {
	user := m.UserID
	dir := s.Desk.dir.Current()
	if _, ok := dir.Member(user); !ok {
		// Somebody outside the directory: a polite refusal, and a log line
		// without what they wrote.
		s.Desk.log.Warn("app message from outside the directory", "userid", user, "kind", m.Kind)
		return s.answer(ctx, r, user, refuse(ReasonNotStaff, "").Text())
	}
	switch m.Kind {
	case cases.AppText:
		return s.command(ctx, r, user, m.Text)
	case cases.AppCardClick:
		return s.click(ctx, r, user, m)
	case cases.AppEvent:
		return nil // the member opened the app and the like: no answer
	}
	return s.answer(ctx, r, user, textOnlyText)
}

func (s *StaffApp) command(ctx context.Context, r cases.Repo, user, text string) error {
	cmd, err := staff.ParseCommand(text)
	var bad *staff.CommandError
	if errors.As(err, &bad) {
		return s.answer(ctx, r, user, bad.Text())
	}
	if err != nil {
		return err
	}
	return s.act(ctx, r, user, cmd)
}

// act runs a command; a refusal is answered in a transaction of its own so
// that nothing the refused command half-did is kept.
func (s *StaffApp) act(ctx context.Context, r cases.Repo, user string, cmd staff.Command) error {
	var reply string
	err := r.InTx(ctx, func(tx cases.Repo) error {
		var err error
		reply, err = s.Desk.Act(ctx, tx, user, cmd)
		return err
	})
	var ref *Refusal
	if errors.As(err, &ref) {
		if s.Repo != nil {
			ref = s.Desk.Explain(ctx, s.Repo, ref)
		}
		return s.answer(ctx, r, user, ref.Text())
	}
	if err != nil {
		return err
	}
	return s.answer(ctx, r, user, reply)
}

// click handles a template card button. The click's response code updates
// the card for everyone who got it; a second click on a case already taken is
// told who took it.
func (s *StaffApp) click(ctx context.Context, r cases.Repo, user string, m cases.AppMessage) error {
	action, number, ok := staff.ParseCardKey(m.ButtonKey)
	if !ok {
		return s.answer(ctx, r, user, textBadButton)
	}
	if m.ResponseCode != "" {
		if err := saveCardCode(ctx, r, m.TaskID, m.ResponseCode); err != nil {
			return err
		}
	}
	switch action {
	case cases.ActionAccept:
		return s.act(ctx, r, user, staff.Command{Verb: "受理", Action: cases.ActionAccept, CaseRef: number})
	case cases.ActionAssign:
		return s.answer(ctx, r, user, fmt.Sprintf(textHowAssign, number, shortRef(number)))
	case cases.ActionAskMaterial:
		return s.answer(ctx, r, user, fmt.Sprintf(textHowAsk, number, shortRef(number)))
	}
	return s.act(ctx, r, user, staff.Command{Action: action, CaseRef: number})
}

func shortRef(number string) string {
	if len(number) > 4 {
		return number[len(number)-4:]
	}
	return number
}

func (s *StaffApp) answer(ctx context.Context, r cases.Repo, user, text string) error {
	t := &txDesk{Desk: s.Desk, r: r}
	return t.toStaff(ctx, 0, user, cases.Message{Text: text}, cases.PriorityNormal)
}

// cardCode is a card's single-use response code: from sending it, or from
// the latest click on it. Either updates the card for all who got it.
type cardCode struct {
	Code string `json:"code"`
}

func cardKey(taskID string) string { return "card:" + taskID }

func saveCardCode(ctx context.Context, r cases.Repo, taskID, code string) error {
	if taskID == "" || code == "" {
		return nil
	}
	data, _ := json.Marshal(cardCode{Code: code})
	if err := r.SaveSession(ctx, cardKey(taskID), data); err != nil {
		return fmt.Errorf("keep card response code: %w", err)
	}
	return nil
}

// CardSent keeps the response code of a card just sent, so that the card can
// be updated when somebody acts on the case.
func (s *StaffApp) CardSent(ctx context.Context, r cases.Repo, m *cases.OutboxMessage, responseCode string) error {
	return saveCardCode(ctx, r, m.Message.Card.TaskID, responseCode)
}

// updateCards replaces the buttons of the case's new-case card, for every duty
// member who got it, with one line saying who acted.
func (t *txDesk) updateCards(ctx context.Context, c *cases.Case, text string) error {
	dir := t.dir.Current()
	key := cardKey(staff.NewCaseCard(c, dir).Card.TaskID)
	data, err := t.r.LoadSession(ctx, key)
	if errors.Is(err, cases.ErrNotFound) {
		return nil // the card was never sent (no duty staff) or is updated already
	}
	if err != nil {
		return fmt.Errorf("load card code: %w", err)
	}
	var cc cardCode
	if json.Unmarshal(data, &cc) != nil || cc.Code == "" {
		return nil
	}
	if err := t.r.DeleteSession(ctx, key); err != nil {
		return fmt.Errorf("use card code: %w", err)
	}
	users := memberIDs(dir.DutyStaff(c.OpenKfID))
	upd := cases.Message{CardUpdate: &cases.CardUpdate{ResponseCode: cc.Code, ReplaceText: text, UserIDs: users}}
	return t.toStaff(ctx, c.ID, strings.Join(users, "|"), upd, cases.PriorityNormal)
}
