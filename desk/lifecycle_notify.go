package desk

import (
	"context"
	"fmt"
	"slices"

	"banchengshi/cases"
	"banchengshi/notify/queue"
	"banchengshi/pii"
	"banchengshi/staff"
)

// The scheduler's side of the desk: what a case's light changing, a silent
// citizen after the answer, and an answer WeChat cannot deliver owe staff and
// citizens. Each function works inside r's transaction, so its reminders
// commit with the change or mark that caused them.

// LightChanged records on the timeline that c's light went from from to
// c.Light and, when remind is set, reminds the people working on it: yellow →
// the assignee (or else the lead department's handlers, or else the window's
// duty staff); red → those and the lead department's supervisors. Green
// (after an extension) never reminds. The caller makes sure it reminds once
// per change.
func (d *Desk) LightChanged(ctx context.Context, r cases.Repo, c *cases.Case, from cases.Light, remind bool) error {
	t := &txDesk{Desk: d, r: r}
	dir := d.dir.Current()
	var to []string
	var text string
	switch {
	case !remind:
	case c.Light == cases.LightYellow:
		to = t.handlerIDs(c)
		text = fmt.Sprintf(textStaffYellow, c.Number, dir.CategoryName(c.Category), deadlineText(c))
	case c.Light == cases.LightRed:
		to = t.handlerIDs(c)
		for _, s := range dir.Supervisors(c.LeadDept) {
			if !slices.Contains(to, s.ID) {
				to = append(to, s.ID)
			}
		}
		if c.LeadDept == "" { // returned to the window: nobody leads it yet
			text = fmt.Sprintf(textStaffRedNoLead, c.Number, dir.CategoryName(c.Category), deadlineText(c))
		} else {
			text = fmt.Sprintf(textStaffRed, c.Number, dir.CategoryName(c.Category), dir.DeptName(c.LeadDept), deadlineText(c))
		}
	}
	body := fmt.Sprintf(textLightChanged, lightName(from), lightName(c.Light))
	if len(to) > 0 {
		body += fmt.Sprintf(textReminded, names(dir, to))
	}
	ev := &cases.Event{At: d.now(), Actor: cases.ActorSystem, Kind: cases.EventReminder, Body: body,
		Data: cases.EventData(cases.LightChange{Light: c.Light, From: from})}
	if err := t.append(ctx, c.ID, ev); err != nil {
		return err
	}
	for _, u := range to {
		if err := t.toStaff(ctx, c.ID, u, cases.Message{Text: text}, cases.PriorityNormal); err != nil {
			return err
		}
	}
	return nil
}

// FollowUpReminder asks the citizen once more, through 微信客服, whether the
// problem of resolved case c is solved and how they rate the handling. It is
// critical: it may use the last message of their window.
func (d *Desk) FollowUpReminder(ctx context.Context, r cases.Repo, c *cases.Case) error {
	t := &txDesk{Desk: d, r: r}
	ev := &cases.Event{At: d.now(), Actor: cases.ActorSystem, Kind: cases.EventReminder, Body: textFollowUpReminded, Data: cases.EventData(cases.FollowUpData{FollowUp: cases.FollowUpReminder})}
	if err := t.append(ctx, c.ID, ev); err != nil {
		return err
	}
	msg := FollowUpReminderQuestion(c)
	msg.Urgent = cases.UrgentFollowUp
	return t.toCitizenMessage(ctx, c, msg, cases.PriorityCritical)
}

// FollowUpCall gives the window's duty staff the phone follow-up of resolved
// case c, whose citizen did not answer the follow-up question nor its
// reminder. Staff record the outcome with 回访.
func (d *Desk) FollowUpCall(ctx context.Context, r cases.Repo, c *cases.Case) error {
	return (&txDesk{Desk: d, r: r}).phoneTask(ctx, c, textWhyNoRating)
}

// PhoneTask asks the window's duty staff to phone the contact of case caseID
// because WeChat cannot reach the citizen (reason says why). One phone task is
// given per answer: a second undeliverable message about the same answer, or
// the follow-up call after it, adds nothing new for staff. It implements
// notify.Tasks.
func (d *Desk) PhoneTask(ctx context.Context, r cases.Repo, caseID int64, reason string) error {
	c, err := r.GetCaseByID(ctx, caseID)
	if err != nil {
		return fmt.Errorf("phone task: %w", err)
	}
	return (&txDesk{Desk: d, r: r}).phoneTask(ctx, c, reason)
}

// phoneTask tells every duty member of c's window whom to call and why, once
// per answer of the case (per ResolvedAt), and puts the task on the timeline.
// The number is shown in full to staff allowed to see the case's personal
// data (staff.Visible) and masked to anyone else.
func (t *txDesk) phoneTask(ctx context.Context, c *cases.Case, reason string) error {
	now := t.now()
	var answered int64
	if c.ResolvedAt != nil {
		answered = c.ResolvedAt.Unix()
	}
	first, err := t.r.MarkOnce(ctx, fmt.Sprintf("call:%d:%d", c.ID, answered), now)
	if err != nil {
		return fmt.Errorf("phone task: %w", err)
	}
	if !first {
		return nil
	}
	dir := t.dir.Current()
	duty := dir.DutyStaff(c.OpenKfID)
	phone := c.ContactPhone
	if phone == "" {
		phone = c.Affected.Phone
	}
	who := c.ReporterName
	if who == "" {
		who = textReporter
	}
	if c.Relation != "" && c.Relation != relationSelf && c.Affected.Name != "" {
		who = fmt.Sprintf(textOnBehalf, who, c.Relation, c.Affected.Name)
	}
	var ids []string
	for _, m := range duty {
		ids = append(ids, m.ID)
		shown := pii.MaskPhone(phone)
		if staff.Visible(m, c) {
			shown = phone
		}
		if shown == "" {
			shown = textNoPhone
		}
		text := fmt.Sprintf(textPhoneTask, c.Number, reason, who, shown, shortRef(c.Number))
		if err := t.toStaff(ctx, c.ID, m.ID, cases.Message{Text: text}, cases.PriorityNormal); err != nil {
			return err
		}
	}
	body := fmt.Sprintf(textPhoneTaskEvent, reason)
	if len(ids) > 0 {
		body += fmt.Sprintf(textReminded, names(dir, ids))
	}
	ev := &cases.Event{At: now, Actor: cases.ActorSystem, Kind: cases.EventReminder, Body: body, Data: cases.EventData(cases.FollowUpData{FollowUp: cases.FollowUpPhoneTask})}
	return t.append(ctx, c.ID, ev)
}

// handlerIDs are the people who work on c: its assignee, or else the lead
// department's handlers, or else the window's duty staff.
func (t *txDesk) handlerIDs(c *cases.Case) []string {
	dir := t.dir.Current()
	if c.Assignee != "" {
		return []string{c.Assignee}
	}
	var to []string
	for _, m := range dir.Handlers(c.LeadDept) {
		to = append(to, m.ID)
	}
	if len(to) == 0 {
		for _, m := range dir.DutyStaff(c.OpenKfID) {
			to = append(to, m.ID)
		}
	}
	return to
}

// toCitizenMessage queues any message (a menu too) to the case's reporter. A
// reporter without a WeCom chat (a case from Open311) cannot be written to:
// what cannot wait (critical: the answer, the follow-up) becomes the window's
// phone task instead, once per answer.
func (t *txDesk) toCitizenMessage(ctx context.Context, c *cases.Case, msg cases.Message, p cases.Priority) error {
	if c.ReporterID == "" || c.OpenKfID == "" {
		if c.Source == cases.SourceOpen311 && p == cases.PriorityCritical {
			return t.phoneTask(ctx, c, textNoChat)
		}
		return nil
	}
	return queue.ToReporter(ctx, t.r, c, msg, p, t.now())
}

func names(dir *staff.Directory, ids []string) string {
	var s string
	for i, id := range ids {
		if i > 0 {
			s += "、"
		}
		if m, ok := dir.Member(id); ok && m.Name != "" {
			s += m.Name
		} else {
			s += id
		}
	}
	return s
}

func lightName(l cases.Light) string {
	switch l {
	case cases.LightYellow:
		return textYellow
	case cases.LightRed:
		return textRed
	}
	return textGreen
}
