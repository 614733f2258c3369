package desk

import (
	"context"
	"errors"
	"fmt"

	"banchengshi/cases"
	"banchengshi/staff"
)

// CaseFile is everything a staff member's case page shows: the case, its
// timeline, its attachments (without their bytes) and the messages it caused
// with their fate. ShowPII says whether the personal data may be shown in
// full on this page; everything else must mask it.
type CaseFile struct {
	Member      *staff.Member
	Case        *cases.Case
	Events      []cases.Event
	Attachments []cases.Attachment
	Outbox      []*cases.OutboxMessage
	// MayRevealPII is whether the member may ask to see the personal data in
	// full (staff.Visible); ShowPII is whether this view does.
	MayRevealPII bool
	ShowPII      bool
}

// OpenCase loads a case for the web page of the staff member userID, inside
// r's transaction. The member must be allowed to view the case (as 查 in
// WeCom); otherwise the answer is a *Refusal. With revealPII the personal data
// is shown in full, which only a member for whom staff.Visible holds may ask
// for, and which (when the case has any) is recorded on the case's timeline
// (EventPIIViewed) before the timeline is read; call it inside a transaction
// then.
func (d *Desk) OpenCase(ctx context.Context, r cases.Repo, userID, number string, revealPII bool) (*CaseFile, error) {
	m, c, err := d.viewable(ctx, r, userID, number, func() (*cases.Case, error) { return r.GetCase(ctx, number) })
	if err != nil {
		return nil, err
	}
	f := &CaseFile{Member: m, Case: c, MayRevealPII: staff.Visible(m, c)}
	if revealPII {
		if !f.MayRevealPII {
			return nil, refuse(ReasonNoPII, c.Number)
		}
		f.ShowPII = true
		// Every full view is recorded: numbers may sit in the citizen's own
		// words even when the ID and phone fields are empty.
		t := &txDesk{Desk: d, r: r}
		ev := &cases.Event{At: d.now(), Actor: cases.StaffActor(m.ID), Kind: cases.EventPIIViewed, Body: fmt.Sprintf(textPIIViewed, m.Name)}
		if err := t.append(ctx, c.ID, ev); err != nil {
			return nil, err
		}
	}
	if f.Events, err = r.Timeline(ctx, c.ID); err != nil {
		return nil, fmt.Errorf("load timeline of %s: %w", c.Number, err)
	}
	if f.Attachments, err = r.Attachments(ctx, c.ID); err != nil {
		return nil, fmt.Errorf("load attachments of %s: %w", c.Number, err)
	}
	if f.Outbox, err = r.CaseOutbox(ctx, c.ID); err != nil {
		return nil, fmt.Errorf("load notifications of %s: %w", c.Number, err)
	}
	return f, nil
}

// OpenAttachment returns an attachment with its bytes to a staff member who
// may view its case; anybody else gets a *Refusal that reads like a missing
// attachment's.
func (d *Desk) OpenAttachment(ctx context.Context, r cases.Repo, userID string, id int64) (*cases.Attachment, error) {
	a, err := r.GetAttachment(ctx, id)
	if errors.Is(err, cases.ErrNotFound) {
		return nil, refuse(ReasonNoAttachment, "")
	}
	if err != nil {
		return nil, fmt.Errorf("load attachment %d: %w", id, err)
	}
	if _, _, err := d.viewable(ctx, r, userID, "", func() (*cases.Case, error) { return r.GetCaseByID(ctx, a.CaseID) }); err != nil {
		var ref *Refusal
		if errors.As(err, &ref) {
			return nil, refuse(ReasonNoAttachment, "")
		}
		return nil, err
	}
	return a, nil
}

// viewable loads a case (named ref in a refusal) and checks that userID is a member who may view it.
func (d *Desk) viewable(ctx context.Context, r cases.Repo, userID, ref string, load func() (*cases.Case, error)) (*staff.Member, *cases.Case, error) {
	m, ok := d.dir.Current().Member(userID)
	if !ok {
		return nil, nil, refuse(ReasonNotStaff, "")
	}
	c, err := load()
	if errors.Is(err, cases.ErrNotFound) {
		return nil, nil, refuse(ReasonNoSuchCase, ref)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load case: %w", err)
	}
	if err := staff.Can(m, cases.ActionView, c); err != nil {
		return nil, nil, forbidden(err)
	}
	return m, c, nil
}
