package desk

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"banchengshi/cases"
)

// MaterialRequests lists the reporter's open cases on which a handler asked
// for material (补充) that the citizen has not sent since, the newest request
// first (cases.Desk). LastUpdate is what the handler asked for.
func (t *txDesk) MaterialRequests(ctx context.Context, openKfID, reporterID string) ([]cases.CaseView, error) {
	list, err := t.r.ListCases(ctx, cases.Filter{ReporterID: reporterID, Status: cases.WorkingStatuses(), Limit: 20})
	if err != nil {
		return nil, fmt.Errorf("list cases waiting for material: %w", err)
	}
	dir := t.dir.Current()
	type waiting struct {
		view cases.CaseView
		ask  cases.Event
	}
	var found []waiting
	for _, c := range list {
		if openKfID != "" && c.OpenKfID != "" && c.OpenKfID != openKfID {
			continue
		}
		timeline, err := t.r.Timeline(ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("load timeline of %s: %w", c.Number, err)
		}
		ask, asked, ok := outstandingRequest(timeline)
		if !ok {
			continue
		}
		found = append(found, waiting{ask: ask, view: cases.CaseView{
			Number:       c.Number,
			Category:     dir.CategoryName(c.Category),
			StatusText:   cases.CitizenStatusText(c.Status),
			LastUpdate:   asked,
			Working:      true,
			Deadline:     c.Deadline,
			AffectedName: c.Affected.Name,
			Relation:     c.Relation,
		}})
	}
	slices.SortStableFunc(found, func(a, b waiting) int {
		if c := b.ask.At.Compare(a.ask.At); c != 0 {
			return c
		}
		return cmp.Compare(b.ask.ID, a.ask.ID)
	})
	views := make([]cases.CaseView, 0, len(found))
	for _, w := range found {
		views = append(views, w.view)
	}
	return views, nil
}

// outstandingRequest finds the newest request for material on a timeline
// (oldest event first) that nothing answered: a supplement by the citizen
// answers it, and so does a resolution, which ends the handling without it.
// Order on the timeline decides, not the events' times, which may be equal.
// It returns the request's event and what was asked for.
func outstandingRequest(timeline []cases.Event) (cases.Event, string, bool) {
	for i := len(timeline) - 1; i >= 0; i-- {
		e := timeline[i]
		switch e.Kind {
		case cases.EventMessageIn, cases.EventMessageOut, cases.EventStatus:
		default:
			continue
		}
		var data cases.MoveData
		if cases.ParseData(e.Data, &data) != nil {
			continue
		}
		switch data.Action {
		case cases.ActionSupplement, cases.ActionResolve:
			return cases.Event{}, "", false
		case cases.ActionAskMaterial:
			return e, data.Text, true
		}
	}
	return cases.Event{}, "", false
}
