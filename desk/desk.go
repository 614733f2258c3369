// Package desk alone writes cases and their timelines. It is the bureau's
// side of a case: it stores what the citizen dialog submits (as the dialog's
// cases.Desk), carries out staff commands from the WeCom app and the web
// pages, moves cases through their lifecycle, and queues the notifications
// each change owes staff and citizens, all in the caller's transaction so
// that a change and its notifications commit together.
//
// It knows neither the dialog nor WeCom: the dialog's contract lives in
// cases (cases.Desk), and what staff send the app arrives as a
// cases.AppMessage. What it cannot do for a staff member is a *Refusal with
// a reason, worded for them by Refusal.Text.
package desk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"banchengshi/cases"
	"banchengshi/metrics"
	"banchengshi/notify/queue"
	"banchengshi/staff"
)

// Desk holds what every transaction-bound desk shares.
type Desk struct {
	dir     *staff.Source
	cal     *cases.Calendar
	now     func() time.Time
	metrics *metrics.Metrics
	log     *slog.Logger
}

// Config wires a Desk.
type Config struct {
	// Directory is the staff directory: departments, staff, categories,
	// windows. Required.
	Directory *staff.Source
	// Calendar is the working-day calendar deadlines are computed with.
	// Required.
	Calendar *cases.Calendar
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Metrics counts submitted cases; nil counts nothing.
	Metrics *metrics.Metrics
	// Log is where the desk says what staff cannot see (a message from
	// somebody outside the directory); nil discards.
	Log *slog.Logger
}

// New returns a Desk over the staff directory and the working-day calendar.
func New(cfg Config) *Desk {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Desk{dir: cfg.Directory, cal: cfg.Calendar, now: cfg.Now, metrics: cfg.Metrics, log: cfg.Log}
}

// With binds the desk to a transaction.
func (d *Desk) With(r cases.Repo) cases.Desk { return &txDesk{Desk: d, r: r} }

// Calendar is the working-day calendar deadlines are computed with.
func (d *Desk) Calendar() *cases.Calendar { return d.cal }

// Directory is the current staff directory.
func (d *Desk) Directory() *staff.Directory { return d.dir.Current() }

type txDesk struct {
	*Desk
	r cases.Repo
}

var _ cases.Desk = (*txDesk)(nil)

func (t *txDesk) Categories() []cases.Category { return t.dir.Current().Categories() }

// Submit stores a new case, what the citizen said and sent, and a card for the
// window's duty staff.
func (t *txDesk) Submit(ctx context.Context, c *cases.Case, atts []*cases.Attachment, said []string) error {
	dir := t.dir.Current()
	cat, ok := dir.CategoryByKey(c.Category)
	if !ok {
		return fmt.Errorf("submit: unknown category %q", c.Category)
	}
	now := t.now()
	num, err := t.r.NextNumber(ctx, now)
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	c.Number = num
	submitted, err := cases.NewCase(c, cat, now, t.cal)
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	if err := t.r.CreateCase(ctx, c); err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	t.metrics.CaseSubmitted()
	citizen := cases.CitizenActor(c.ReporterID)
	events := []*cases.Event{&submitted}
	for _, s := range said {
		events = append(events, &cases.Event{At: now, Actor: citizen, Kind: cases.EventMessageIn, Body: s})
	}
	for _, a := range atts {
		a.CaseID = c.ID
		if a.CreatedAt.IsZero() {
			a.CreatedAt = now
		}
		if err := t.r.AddAttachment(ctx, a); err != nil {
			return fmt.Errorf("submit: %w", err)
		}
		events = append(events, attachmentEvent(a, citizen, now))
	}
	if err := t.append(ctx, c.ID, events...); err != nil {
		return err
	}
	// One card to all duty staff: WeCom refuses a card's task id a second
	// time, and one card lets a click update it for everyone who got it.
	if duty := memberIDs(dir.DutyStaff(c.OpenKfID)); len(duty) > 0 {
		return t.toStaff(ctx, c.ID, strings.Join(duty, "|"), staff.NewCaseCard(c, dir), cases.PriorityNormal)
	}
	return nil
}

func memberIDs(ms []*staff.Member) []string {
	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

// TellWindow sends text to the duty staff of the window that kf account
// openKfID belongs to, inside r's transaction.
func (d *Desk) TellWindow(ctx context.Context, r cases.Repo, openKfID, text string) error {
	t := &txDesk{Desk: d, r: r}
	for _, m := range d.dir.Current().DutyStaff(openKfID) {
		if err := t.toStaff(ctx, 0, m.ID, cases.Message{Text: text}, cases.PriorityNormal); err != nil {
			return err
		}
	}
	return nil
}

// Note records a system note on the timeline of case caseID inside r's
// transaction: what the case has no field for, for staff to read (such as the
// contact an Open311 reporter left). data is the note's structured detail.
func (d *Desk) Note(ctx context.Context, r cases.Repo, caseID int64, at time.Time, body, data string) error {
	t := &txDesk{Desk: d, r: r}
	return t.append(ctx, caseID, &cases.Event{At: at, Actor: cases.ActorSystem, Kind: cases.EventNote, Body: body, Data: data})
}

// ReporterCases lists the reporter's cases with the last thing that happened
// on each, in words for the citizen.
func (t *txDesk) ReporterCases(ctx context.Context, openKfID, reporterID string) ([]cases.CaseView, error) {
	list, err := t.r.ListCases(ctx, cases.Filter{ReporterID: reporterID, Limit: 20})
	if err != nil {
		return nil, fmt.Errorf("list reporter's cases: %w", err)
	}
	views := make([]cases.CaseView, 0, len(list))
	for _, c := range list {
		timeline, err := t.r.Timeline(ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("load timeline: %w", err)
		}
		views = append(views, cases.CaseView{
			Number:     c.Number,
			Category:   t.dir.Current().CategoryName(c.Category),
			StatusText: cases.CitizenStatusText(c.Status),
			LastUpdate: lastPublic(timeline),
			Working:    c.Status.Working(),
			Deadline:   c.Deadline,
		})
	}
	return views, nil
}

// Supplement adds what the citizen sent to their open case and tells the
// people working on it.
func (t *txDesk) Supplement(ctx context.Context, number, reporterID, text string, att *cases.Attachment) error {
	c, err := t.reporterCase(ctx, number, reporterID)
	if err != nil {
		return err
	}
	now := t.now()
	events, err := cases.Apply(c, cases.Move{Action: cases.ActionSupplement, Actor: cases.CitizenActor(reporterID), At: now, Text: supplementText(text, att)}, t.cal)
	if err != nil {
		return citizenRefusal(err)
	}
	if att != nil {
		att.CaseID = c.ID
		att.CreatedAt = now
		if err := t.r.AddAttachment(ctx, att); err != nil {
			return fmt.Errorf("supplement: %w", err)
		}
		events = append(events, *attachmentEvent(att, cases.CitizenActor(reporterID), now))
	}
	if err := t.save(ctx, c, events); err != nil {
		return err
	}
	return t.tellHandlers(ctx, c, fmt.Sprintf(textSupplemented, c.Number, preview(text, att)))
}

// Withdraw withdraws the reporter's case at their request.
func (t *txDesk) Withdraw(ctx context.Context, number, reporterID, reason string) error {
	c, err := t.reporterCase(ctx, number, reporterID)
	if err != nil {
		return err
	}
	events, err := cases.Apply(c, cases.Move{Action: cases.ActionWithdraw, Actor: cases.CitizenActor(reporterID), At: t.now(), Reason: reason}, t.cal)
	if err != nil {
		return citizenRefusal(err)
	}
	if err := t.save(ctx, c, events); err != nil {
		return err
	}
	return t.tellHandlers(ctx, c, fmt.Sprintf(textWithdrawn, c.Number))
}

// Handover records that the citizen asked for a person, on the case they were
// talking about or their newest open case.
func (t *txDesk) Handover(ctx context.Context, openKfID, reporterID, number string) error {
	var c *cases.Case
	var err error
	if number != "" {
		c, err = t.reporterCase(ctx, number, reporterID)
	} else {
		c, err = t.newestOpen(ctx, reporterID)
	}
	if errors.Is(err, cases.ErrNotFound) {
		return nil // no case yet: the servicer sees the chat itself
	}
	if err != nil {
		return err
	}
	return t.append(ctx, c.ID, &cases.Event{At: t.now(), Actor: cases.CitizenActor(reporterID), Kind: cases.EventHandover, Body: textHandover})
}

func (t *txDesk) reporterCase(ctx context.Context, number, reporterID string) (*cases.Case, error) {
	c, err := t.r.GetCase(ctx, number)
	if err != nil {
		return nil, fmt.Errorf("load case %s: %w", number, err)
	}
	if c.ReporterID != reporterID {
		// Somebody else's case reads exactly like a missing one.
		return nil, fmt.Errorf("load case %s: %w", number, cases.ErrNotFound)
	}
	return c, nil
}

func (t *txDesk) newestOpen(ctx context.Context, reporterID string) (*cases.Case, error) {
	list, err := t.r.ListCases(ctx, cases.Filter{ReporterID: reporterID, Status: cases.WorkingStatuses(), Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("find open case: %w", err)
	}
	if len(list) == 0 {
		return nil, cases.ErrNotFound
	}
	return list[0], nil
}

func (t *txDesk) save(ctx context.Context, c *cases.Case, events []cases.Event) error {
	if err := t.r.UpdateCase(ctx, c); err != nil {
		return fmt.Errorf("save case %s: %w", c.Number, err)
	}
	ptrs := make([]*cases.Event, len(events))
	for i := range events {
		ptrs[i] = &events[i]
	}
	return t.append(ctx, c.ID, ptrs...)
}

func (t *txDesk) append(ctx context.Context, caseID int64, events ...*cases.Event) error {
	for _, e := range events {
		e.CaseID = caseID
		if e.At.IsZero() {
			e.At = t.now()
		}
		if err := t.r.AppendEvent(ctx, e); err != nil {
			return fmt.Errorf("record on timeline: %w", err)
		}
	}
	return nil
}

// tellHandlers tells the assignee, or else the lead department's handlers, or
// else the window's duty staff.
func (t *txDesk) tellHandlers(ctx context.Context, c *cases.Case, text string) error {
	dir := t.dir.Current()
	var to []string
	switch {
	case c.Assignee != "":
		to = []string{c.Assignee}
	case c.LeadDept != "" && len(dir.Handlers(c.LeadDept)) > 0:
		for _, m := range dir.Handlers(c.LeadDept) {
			to = append(to, m.ID)
		}
	default:
		for _, m := range dir.DutyStaff(c.OpenKfID) {
			to = append(to, m.ID)
		}
	}
	for _, u := range to {
		if err := t.toStaff(ctx, c.ID, u, cases.Message{Text: text}, cases.PriorityNormal); err != nil {
			return err
		}
	}
	return nil
}

func (t *txDesk) toStaff(ctx context.Context, caseID int64, userID string, m cases.Message, p cases.Priority) error {
	return queue.ToStaff(ctx, t.r, userID, caseID, m, p, t.now())
}

// citizenRefusal turns a move the lifecycle refuses into the refusal the
// dialog answers kindly (the case is no longer open to that); the dialog
// words it.
func citizenRefusal(err error) error {
	if _, ok := cases.IsMoveError(err); ok {
		return fmt.Errorf("%w: %w", cases.ErrNotOpen, err)
	}
	return err
}

// supplementText is how a supplement reads on the timeline.
func supplementText(text string, att *cases.Attachment) string {
	if text == "" && att != nil {
		return "[" + cases.MediaLabel(att.Kind) + "]"
	}
	return text
}

func attachmentEvent(a *cases.Attachment, actor cases.Actor, at time.Time) *cases.Event {
	return &cases.Event{At: at, Actor: actor, Kind: cases.EventAttachment,
		Body: fmt.Sprintf(textAttachment, cases.MediaLabel(a.Kind), a.FileName), Data: cases.EventData(cases.AttachmentData{AttachmentID: a.ID})}
}

// lastPublic is the newest timeline entry a citizen may read.
func lastPublic(events []cases.Event) string {
	for i := len(events) - 1; i >= 0; i-- {
		switch events[i].Kind {
		case cases.EventNote, cases.EventPIIViewed, cases.EventNotification, cases.EventReminder:
			continue
		}
		return events[i].Body
	}
	return ""
}

func preview(text string, att *cases.Attachment) string {
	if att != nil && text == "" {
		return "[" + cases.MediaLabel(att.Kind) + "]"
	}
	r := []rune(text)
	if len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return text
}
