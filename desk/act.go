package desk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"banchengshi/cases"
	"banchengshi/pii"
	"banchengshi/staff"
)

// Act carries out a staff member's command inside r's transaction: it checks
// the directory and permissions, moves the case, records who did what, and
// queues what the citizen and other staff must be told. It returns the answer
// for the staff member. A refusal (*Refusal) is an answer too, not a failure.
// The WeCom app and the web pages both act through here.
func (d *Desk) Act(ctx context.Context, r cases.Repo, userID string, cmd staff.Command) (string, error) {
	dir := d.dir.Current()
	m, ok := dir.Member(userID)
	if !ok {
		return "", refuse(ReasonNotStaff, "")
	}
	t := &txDesk{Desk: d, r: r}
	switch {
	case cmd.Verb == staff.VerbHelp:
		return staff.HelpText(), nil
	case cmd.List != "":
		return t.list(ctx, m, cmd.List)
	}
	c, err := t.resolveCase(ctx, m, cmd.CaseRef)
	if err != nil {
		return "", err
	}
	if cmd.Action == cases.ActionView {
		return t.view(ctx, m, c)
	}
	if err := staff.Can(m, cmd.Action, c); err != nil {
		return "", forbidden(err)
	}
	if cmd.Action == cases.ActionAccept && c.Status != cases.StatusSubmitted {
		return "", t.takenBy(ctx, c)
	}
	return t.move(ctx, m, c, cmd)
}

// takenBy tells a second taker who accepted the case first.
func (t *txDesk) takenBy(ctx context.Context, c *cases.Case) error {
	events, err := t.r.Timeline(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("load timeline: %w", err)
	}
	dir := t.dir.Current()
	for _, e := range events {
		var data cases.MoveData
		if e.Kind == cases.EventStatus && cases.ParseData(e.Data, &data) == nil && data.Action == cases.ActionAccept {
			name := string(e.Actor)
			if id, ok := e.Actor.Staff(); ok {
				name = id
			}
			if mem, ok := dir.Member(name); ok {
				name = mem.Name
			}
			return &Refusal{Reason: ReasonTaken, Case: c.Number, By: name, Status: c.Status}
		}
	}
	return &Refusal{Reason: ReasonChanged, Case: c.Number, Status: c.Status}
}

// resolveCase finds the case a staff member named by its number or its last
// digits among the cases they can see.
func (t *txDesk) resolveCase(ctx context.Context, m *staff.Member, ref string) (*cases.Case, error) {
	ref = strings.ToUpper(strings.TrimSpace(ref))
	if ref == "" {
		return nil, refuse(ReasonNeedCase, "")
	}
	if strings.HasPrefix(ref, "BC") {
		c, err := t.r.GetCase(ctx, ref)
		if errors.Is(err, cases.ErrNotFound) {
			return nil, refuse(ReasonNoSuchCase, ref)
		}
		return c, err
	}
	// Last digits name a case being worked on (resolved ones wait for their
	// follow-up); only when none matches are finished cases searched.
	var numbers []string
	for _, statuses := range [][]cases.Status{cases.UnfinishedStatuses(), nil} {
		found, err := t.r.ListCases(ctx, cases.Filter{Status: statuses, NumberSuffix: ref, Limit: 20})
		if err != nil {
			return nil, fmt.Errorf("find case %s: %w", ref, err)
		}
		for _, c := range found {
			numbers = append(numbers, c.Number)
		}
		if len(numbers) > 0 {
			break
		}
	}
	number, err := staff.ResolveRef(ref, numbers)
	if err != nil {
		return nil, &Refusal{Reason: ReasonCaseRef, Case: ref, Err: err}
	}
	return t.r.GetCase(ctx, number)
}

func (t *txDesk) view(ctx context.Context, m *staff.Member, c *cases.Case) (string, error) {
	if err := staff.Can(m, cases.ActionView, c); err != nil {
		return "", forbidden(err)
	}
	events, err := t.r.Timeline(ctx, c.ID)
	if err != nil {
		return "", fmt.Errorf("load timeline: %w", err)
	}
	show := staff.Visible(m, c) && (c.Affected.IDNumber != "" || c.Affected.Phone != "" || c.ContactPhone != "")
	if show {
		// Who saw a citizen's personal data, and when, is on the record.
		ev := &cases.Event{At: t.now(), Actor: cases.StaffActor(m.ID), Kind: cases.EventPIIViewed, Body: fmt.Sprintf(textPIIViewed, m.Name)}
		if err := t.append(ctx, c.ID, ev); err != nil {
			return "", err
		}
	}
	return t.dir.Current().RenderCase(c, events, show), nil
}

func (t *txDesk) list(ctx context.Context, m *staff.Member, which string) (string, error) {
	now := t.now()
	f := cases.Filter{Status: cases.WorkingStatuses(), Limit: 50}
	title := textListMine
	switch which {
	case staff.ListMine:
		f.Assignee = m.ID
	case staff.ListOverdue:
		f.Light = cases.LightRed
		title = textListOverdue
	case staff.ListToday:
		f.Status = nil
		f.From = startOfDay(now)
		title = textListToday
	}
	// Window staff and bureau-wide supervisors list the whole bureau;
	// everybody else their departments (a bureau-wide newest-50 would leave a
	// handler with somebody else's cases, filtered away to nothing).
	scopes := []string{""}
	if !m.Has(staff.RoleWindow) && !m.BureauWide() && which != staff.ListMine {
		scopes = m.Depts
	}
	list, err := t.listIn(ctx, f, scopes)
	if err != nil {
		return "", err
	}
	if which == staff.ListMine && len(list) == 0 {
		// Nothing assigned to them: the open cases of their departments.
		if list, err = t.listIn(ctx, cases.Filter{Status: cases.WorkingStatuses(), Limit: 50}, m.Depts); err != nil {
			return "", err
		}
	}
	var visible []*cases.Case
	for _, c := range list {
		if staff.Can(m, cases.ActionView, c) == nil {
			visible = append(visible, c)
		}
	}
	return t.dir.Current().RenderList(title, visible), nil
}

// listIn lists cases matching f in each department of depts ("" for all),
// newest first, each case once.
func (t *txDesk) listIn(ctx context.Context, f cases.Filter, depts []string) ([]*cases.Case, error) {
	seen := map[int64]bool{}
	var list []*cases.Case
	for _, dept := range depts {
		f.Dept = dept
		found, err := t.r.ListCases(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("list cases: %w", err)
		}
		for _, c := range found {
			if !seen[c.ID] {
				seen[c.ID] = true
				list = append(list, c)
			}
		}
	}
	slices.SortFunc(list, func(a, b *cases.Case) int { return cmp.Compare(b.ID, a.ID) })
	if f.Limit > 0 && len(list) > f.Limit {
		list = list[:f.Limit]
	}
	return list, nil
}

func startOfDay(t time.Time) time.Time {
	y, mo, d := t.In(cases.Shanghai).Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, cases.Shanghai)
}

// move applies a lifecycle action and queues its notifications.
func (t *txDesk) move(ctx context.Context, m *staff.Member, c *cases.Case, cmd staff.Command) (string, error) {
	dir := t.dir.Current()
	mv := cases.Move{Action: cmd.Action, Actor: cases.StaffActor(m.ID), ActorName: m.Name, At: t.now(),
		DeptName: dir.DeptName, MemberName: memberName(dir),
		Text: cmd.Text, Reason: cmd.Text, ExtendDays: cmd.Days, Rating: cmd.Rating, Tag: cmd.Text}
	var redirected string // the merge went on to where the named case was merged
	switch cmd.Action {
	case cases.ActionAssign:
		lead, co, err := resolveDepts(dir, c, cmd)
		if err != nil {
			return "", err
		}
		mv.Dept, mv.CoDepts = lead, co
	case cases.ActionMerge:
		target, via, err := t.mergeTarget(ctx, m, c, cmd.Target)
		if err != nil {
			return "", err
		}
		if err := t.holdTarget(ctx, target); err != nil {
			return "", err
		}
		mv.MergeInto = target.Number
		if len(via) > 0 {
			redirected = fmt.Sprintf(textMergedVia, via[0], target.Number)
		}
	case cases.ActionAccountability:
		mv.Window = cmd.Target
	case cases.ActionStart:
		mv.Assignee = m.ID
	case cases.ActionFollowUpResult:
		if cmd.Rating >= 4 {
			mv.Action = cases.ActionReopen
		}
	}
	var events []cases.Event
	// A window member who assigns a case nobody accepted yet accepts it too.
	if cmd.Action == cases.ActionAssign && c.Status == cases.StatusSubmitted {
		ev, err := cases.Apply(c, cases.Move{Action: cases.ActionAccept, Actor: mv.Actor, ActorName: m.Name, At: mv.At}, t.cal)
		if err != nil {
			return "", moveRefusal(err)
		}
		events = append(events, ev...)
	}
	ev, err := cases.Apply(c, mv, t.cal)
	if err != nil {
		return "", moveRefusal(err)
	}
	events = append(events, ev...)
	if err := t.save(ctx, c, events); err != nil {
		if errors.Is(err, cases.ErrConflict) {
			ref := t.conflict(ctx, c.Number)
			ref.conflict = c.Number
			return "", ref
		}
		return "", err
	}
	if err := t.after(ctx, m, c, mv); err != nil {
		return "", err
	}
	return redirected + fmt.Sprintf(textDone, c.Number, cases.ActionText(mv.Action), cases.StatusText(c.Status)), nil
}

// conflict explains that somebody else changed the case first.
func (t *txDesk) conflict(ctx context.Context, number string) *Refusal {
	c, err := t.r.GetCase(ctx, number)
	if err != nil {
		return refuse(ReasonChanged, number)
	}
	return &Refusal{Reason: ReasonChanged, Case: number, Status: c.Status}
}

// Explain rewrites a refusal because somebody else changed the case first
// from what is committed now, read through repo outside the refused
// transaction (whose snapshot, on MySQL, still shows the case as it was):
// who accepted it, or what it is now.
func (d *Desk) Explain(ctx context.Context, repo cases.Repo, ref *Refusal) *Refusal {
	if ref.conflict == "" {
		return ref
	}
	c, err := repo.GetCase(ctx, ref.conflict)
	if err != nil {
		return ref
	}
	if c.Status != cases.StatusSubmitted {
		var taken *Refusal
		if errors.As((&txDesk{Desk: d, r: repo}).takenBy(ctx, c), &taken) {
			return taken
		}
	}
	return &Refusal{Reason: ReasonChanged, Case: c.Number, Status: c.Status}
}

func resolveDepts(dir *staff.Directory, c *cases.Case, cmd staff.Command) (string, []string, error) {
	lead := c.LeadDept
	if cmd.Dept != "" {
		d, err := dir.ResolveDepartment(cmd.Dept)
		if err != nil {
			return "", nil, &Refusal{Reason: ReasonDeptName, Case: c.Number, Err: err}
		}
		lead = d.ID
	}
	co := append([]string(nil), c.CoDepts...)
	for _, name := range cmd.CoDepts {
		d, err := dir.ResolveDepartment(name)
		if err != nil {
			return "", nil, &Refusal{Reason: ReasonDeptName, Case: c.Number, Err: err}
		}
		if d.ID != lead && !slices.Contains(co, d.ID) {
			co = append(co, d.ID)
		}
	}
	if lead == "" {
		return "", nil, refuse(ReasonNeedDept, c.Number)
	}
	return lead, co, nil
}

// after queues what a move owes the citizen and other staff.
func (t *txDesk) after(ctx context.Context, m *staff.Member, c *cases.Case, mv cases.Move) error {
	dir := t.dir.Current()
	switch mv.Action {
	case cases.ActionAccept:
		if err := t.updateCards(ctx, c, fmt.Sprintf(textCardTaken, m.Name)); err != nil {
			return err
		}
		return t.toCitizen(ctx, c, fmt.Sprintf(textCitizenAccepted, c.Number), cases.PriorityLow)
	case cases.ActionAssign:
		if err := t.updateCards(ctx, c, fmt.Sprintf(textCardAssigned, m.Name)); err != nil {
			return err
		}
		for _, dept := range append([]string{c.LeadDept}, c.CoDepts...) {
			role := textLead
			if dept != c.LeadDept {
				role = textCo
			}
			for _, h := range dir.Handlers(dept) {
				text := fmt.Sprintf(textStaffAssigned, c.Number, role, dir.CategoryName(c.Category), cases.OneLine(pii.MaskText(c.Description), 60), deadlineText(c))
				if err := t.toStaff(ctx, c.ID, h.ID, cases.Message{Text: text}, cases.PriorityNormal); err != nil {
					return err
				}
			}
		}
		return t.toCitizen(ctx, c, fmt.Sprintf(textCitizenAssigned, c.Number, dir.DeptName(c.LeadDept), deadlineText(c)), cases.PriorityLow)
	case cases.ActionReply:
		return t.toCitizen(ctx, c, fmt.Sprintf(textCitizenReply, c.Number, mv.Text), cases.PriorityNormal)
	case cases.ActionAskMaterial:
		return t.toCitizenMessage(ctx, c, cases.Message{Text: fmt.Sprintf(textCitizenAskMaterial, c.Number, mv.Text), Urgent: cases.UrgentMaterial}, cases.PriorityNormal)
	case cases.ActionExtend:
		return t.toCitizen(ctx, c, fmt.Sprintf(textCitizenExtended, c.Number, mv.ExtendDays, mv.Reason, deadlineText(c)), cases.PriorityNormal)
	case cases.ActionReturn:
		for _, w := range dir.DutyStaff(c.OpenKfID) {
			if err := t.toStaff(ctx, c.ID, w.ID, cases.Message{Text: fmt.Sprintf(textStaffReturned, c.Number, m.Name, mv.Reason)}, cases.PriorityNormal); err != nil {
				return err
			}
		}
	case cases.ActionResolve:
		// The answer, and the follow-up question: is it really solved?
		for _, msg := range ResolveMessages(c) {
			msg.Urgent = cases.UrgentAnswer
			if err := t.toCitizenMessage(ctx, c, msg, cases.PriorityCritical); err != nil {
				return err
			}
		}
		return t.answerMerged(ctx, c, mv.Text)
	case cases.ActionMerge:
		return t.toCitizen(ctx, c, fmt.Sprintf(textCitizenMerged, c.Number, mv.MergeInto), cases.PriorityLow)
	case cases.ActionReopen:
		if err := t.alertReopened(ctx, c, mv.Reason); err != nil {
			return err
		}
		return t.toCitizen(ctx, c, fmt.Sprintf(textCitizenReopened, c.Number), cases.PriorityNormal)
	}
	return nil
}

// toCitizen queues a message to the case's reporter through 微信客服.
func (t *txDesk) toCitizen(ctx context.Context, c *cases.Case, text string, p cases.Priority) error {
	return t.toCitizenMessage(ctx, c, cases.Message{Text: text}, p)
}

// deadlineText is the last working day of the case's limit, as people say it.
func deadlineText(c *cases.Case) string {
	if c.Deadline.IsZero() {
		return ""
	}
	return cases.LastDay(c.Deadline).In(cases.Shanghai).Format("1月2日")
}

// memberName shows a staff id as the member's name.
func memberName(dir *staff.Directory) func(string) string {
	return func(id string) string {
		if m, ok := dir.Member(id); ok && m.Name != "" {
			return m.Name
		}
		return id
	}
}
