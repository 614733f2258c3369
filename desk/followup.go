package desk

import (
	"context"
	"fmt"
	"slices"

	"banchengshi/cases"
)

// relationSelf is the relation recorded when the reporter is the affected
// person.
const relationSelf = "本人"

// Rate records the citizen's answer to the follow-up of case number, inside
// r's transaction, and returns what it did to the case. A rating of 1–3 with
// the problem solved closes the case (ActionRate). A rating of 4–5, or "not
// solved" (solved false; rating may then be 0), reopens it (重办) with why as
// the reason and alerts the lead department's supervisors and the people
// working on it. As cases.Desk says, refusals wrap cases.ErrNotFound (not this
// reporter's case), cases.ErrNotOpen (the case is finished: withdrawn, merged,
// or closed and the citizen is satisfied) or cases.ErrRefused (still being
// worked on, or a rating off the scale); only a closed case can still be
// reopened.
func (d *Desk) Rate(ctx context.Context, r cases.Repo, number, reporterID string, rating int, solved bool, why string) (cases.Rated, error) {
	return (&txDesk{Desk: d, r: r}).Rate(ctx, number, reporterID, rating, solved, why)
}

// Rate is Desk.Rate bound to the transaction (cases.Desk).
func (t *txDesk) Rate(ctx context.Context, number, reporterID string, rating int, solved bool, why string) (cases.Rated, error) {
	if rating < 0 || rating > 5 || rating == 0 && solved {
		return 0, fmt.Errorf("rate %s with %d: %w", number, rating, cases.ErrRefused)
	}
	c, err := t.reporterCase(ctx, number, reporterID)
	if err != nil {
		return 0, err
	}
	satisfied := solved && rating <= 3
	if err := takesRating(c, number, satisfied); err != nil {
		return 0, err
	}
	dir := t.dir.Current()
	mv := cases.Move{Actor: cases.CitizenActor(reporterID), ActorName: c.ReporterName, At: t.now(), Rating: rating,
		DeptName: dir.DeptName, MemberName: memberName(dir)}
	if satisfied {
		mv.Action = cases.ActionRate
		events, err := cases.Apply(c, mv, t.cal)
		if err != nil {
			return 0, err
		}
		if err := t.save(ctx, c, events); err != nil {
			return 0, err
		}
		return cases.RatedClosed, nil
	}
	mv.Action = cases.ActionReopen
	mv.Reason = reopenReason(why, solved, rating)
	events, err := cases.Apply(c, mv, t.cal)
	if err != nil {
		return 0, err
	}
	if err := t.save(ctx, c, events); err != nil {
		return 0, err
	}
	if err := t.alertReopened(ctx, c, mv.Reason); err != nil {
		return 0, err
	}
	// The dialog asks why before it rates; a reason skipped there is not
	// asked for again.
	return cases.RatedReopened, nil
}

// takesRating says whether case c (as number named it) still takes the
// citizen's follow-up answer: a resolved case takes any answer, a closed one
// only an unsatisfied answer, which reopens it. A case otherwise finished is
// not open; one still being worked on refuses.
func takesRating(c *cases.Case, number string, satisfied bool) error {
	switch {
	case c.Status == cases.StatusResolved:
	case c.Status == cases.StatusClosed && !satisfied:
	case !c.Status.Unfinished():
		return fmt.Errorf("rate %s: %w", number, cases.ErrNotOpen)
	default:
		return fmt.Errorf("rate %s while %s: %w", number, c.Status, cases.ErrRefused)
	}
	return nil
}

// reopenReason is the reason a reopening records: the citizen's own words
// when they gave any, or else what their answer said, a low rating or the
// problem not solved.
func reopenReason(why string, solved bool, rating int) string {
	if why != "" {
		return why
	}
	if solved {
		return fmt.Sprintf(textRatedLow, rating, cases.RatingText(rating))
	}
	return textUnsolvedNoReason
}

// alertReopened tells the people working on a reopened case, and the lead
// department's supervisors, why it was reopened, whoever reopened it: the
// citizen's answer, the window recording a follow-up by phone, or a
// supervisor.
func (t *txDesk) alertReopened(ctx context.Context, c *cases.Case, reason string) error {
	text := fmt.Sprintf(textStaffReopened, c.Number, reason)
	alerted := t.handlerIDs(c)
	for _, s := range t.dir.Current().Supervisors(c.LeadDept) {
		if !slices.Contains(alerted, s.ID) {
			alerted = append(alerted, s.ID)
		}
	}
	for _, u := range alerted {
		if err := t.toStaff(ctx, c.ID, u, cases.Message{Text: text}, cases.PriorityNormal); err != nil {
			return err
		}
	}
	return nil
}

// FollowUps lists the reporter's resolved cases that wait for their
// follow-up answer, newest first (cases.Desk).
func (t *txDesk) FollowUps(ctx context.Context, openKfID, reporterID string) ([]cases.CaseView, error) {
	list, err := t.r.ListCases(ctx, cases.Filter{ReporterID: reporterID, Status: []cases.Status{cases.StatusResolved}, Limit: 20})
	if err != nil {
		return nil, fmt.Errorf("list cases waiting for follow-up: %w", err)
	}
	dir := t.dir.Current()
	views := make([]cases.CaseView, 0, len(list))
	for _, c := range list {
		if openKfID != "" && c.OpenKfID != "" && c.OpenKfID != openKfID {
			continue
		}
		views = append(views, cases.CaseView{
			Number:       c.Number,
			Category:     dir.CategoryName(c.Category),
			StatusText:   cases.CitizenStatusText(c.Status),
			LastUpdate:   c.Resolution,
			Working:      false,
			Deadline:     c.Deadline,
			AffectedName: c.Affected.Name,
			Relation:     c.Relation,
		})
	}
	return views, nil
}

// FollowUpQuestion is the follow-up (回访) question for resolved case c: is
// the problem really solved, and a rating on the government service scale,
// as a menu the citizen taps or answers by typing 1–6. A reporter writing for
// somebody else is asked on the affected person's behalf, by name.
func FollowUpQuestion(c *cases.Case) cases.Message {
	return followUpMenu(c, fmt.Sprintf(textFollowUpHead, c.Number))
}

// FollowUpReminderQuestion is the question again, three days later.
func FollowUpReminderQuestion(c *cases.Case) cases.Message {
	return followUpMenu(c, fmt.Sprintf(textFollowUpReminderHead, c.Number))
}

// ResolveMessages is what the citizen receives when case c is resolved: the
// answer and the follow-up question as one menu message when they fit WeCom's
// 1024-byte menu head, else the answer and then the question. Both are
// critical when queued.
func ResolveMessages(c *cases.Case) []cases.Message {
	answer := fmt.Sprintf(textCitizenResolved, c.Number, c.Resolution)
	q := FollowUpQuestion(c)
	if head := answer + "\n\n" + q.Text; len(head) <= maxMenuHead {
		q.Text = head
		return []cases.Message{q}
	}
	return []cases.Message{{Text: answer}, q}
}

// maxMenuHead is WeCom's limit on a msgmenu's head, in bytes.
const maxMenuHead = 1024

func followUpMenu(c *cases.Case, head string) cases.Message {
	ask := textAskSelf
	if c.Relation != "" && c.Relation != relationSelf && c.Affected.Name != "" {
		ask = fmt.Sprintf(textAskProxy, c.Affected.Name, c.Affected.Name)
	}
	items := make([]cases.MenuItem, 0, 6)
	for r := 1; r <= 5; r++ {
		items = append(items, cases.MenuItem{ID: cases.RateItem{Number: c.Number, Rating: r}.ID(), Text: fmt.Sprintf("%d %s", r, cases.RatingText(r))})
	}
	items = append(items, cases.MenuItem{ID: cases.RateItem{Number: c.Number, Rating: cases.RatingNotSolved}.ID(), Text: textMenuUnsolved})
	return cases.Message{Text: head + ask, Menu: items, MenuTail: textFollowUpTail}
}
