package open311

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"banchengshi/cases"
	"banchengshi/pii"
)

// List bounds. The specification's defaults: the last 90 days, at most 1000.
const (
	defaultSpan = 90 * 24 * time.Hour
	maxIDs      = 50
	maxList     = 500 // the store's largest page
)

// Open311's "open" is a working status (cases.Status.Working): still with the
// bureau. Resolved cases count as closed: the answer is given, only the
// follow-up call remains.
func closedStatuses() []cases.Status {
	return slices.DeleteFunc(cases.Statuses(), cases.Status.Working)
}

// Requests answers GET requests: the cases asked for by service_request_id,
// or else those matching service_code, status and the date range, newest
// first, personal data removed.
func (s *Service) Requests(ctx context.Context, q url.Values) ([]ServiceRequest, error) {
	if ids := list(q.Get("service_request_id")); len(ids) > 0 {
		return s.requestsByID(ctx, ids)
	}
	f, err := searchFilter(q, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	codes, err := serviceCodes(q)
	if err != nil {
		return nil, err
	}
	found, err := s.search(ctx, f, codes)
	if err != nil {
		return nil, err
	}
	out := []ServiceRequest{}
	for _, c := range found {
		out = append(out, s.public(c))
	}
	return out, nil
}

// requestsByID answers for the cases asked for by number, in the order asked;
// a number that names no case is left out rather than refused.
func (s *Service) requestsByID(ctx context.Context, ids []string) ([]ServiceRequest, error) {
	if len(ids) > maxIDs {
		return nil, &Error{Code: 400, Reason: ReasonTooMany, Field: "service_request_id", Limit: maxIDs}
	}
	out := []ServiceRequest{}
	for _, id := range ids {
		c, err := s.cfg.Repo.GetCase(ctx, id)
		if errors.Is(err, cases.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open311: load case: %w", err)
		}
		out = append(out, s.public(c))
	}
	return out, nil
}

// searchFilter reads the date range (the last 90 days unless given) and the
// open/closed status of a search into the store's filter, one page at most.
func searchFilter(q url.Values, now time.Time) (cases.Filter, error) {
	f := cases.Filter{From: now.Add(-defaultSpan), Limit: maxList}
	var err error
	if raw := q.Get("start_date"); raw != "" {
		if f.From, err = time.Parse(time.RFC3339, raw); err != nil {
			return f, &Error{Code: 400, Reason: ReasonBadDate, Field: "start_date"}
		}
	}
	if raw := q.Get("end_date"); raw != "" {
		if f.To, err = time.Parse(time.RFC3339, raw); err != nil {
			return f, &Error{Code: 400, Reason: ReasonBadDate, Field: "end_date"}
		}
	}
	for _, st := range list(q.Get("status")) {
		switch st {
		case "open":
			f.Status = append(f.Status, cases.WorkingStatuses()...)
		case "closed":
			f.Status = append(f.Status, closedStatuses()...)
		default:
			return f, &Error{Code: 400, Reason: ReasonBadStatus, Field: "status"}
		}
	}
	return f, nil
}

// serviceCodes are the services a search lists, each listed on its own; none
// given is the one code "", which lists every service.
func serviceCodes(q url.Values) ([]string, error) {
	codes := list(q.Get("service_code"))
	if len(codes) > maxIDs {
		return nil, &Error{Code: 400, Reason: ReasonTooMany, Field: "service_code", Limit: maxIDs}
	}
	if len(codes) == 0 {
		codes = []string{""}
	}
	return codes, nil
}

// search lists the cases f selects in each service, and merges the lists
// newest first into one page.
func (s *Service) search(ctx context.Context, f cases.Filter, codes []string) ([]*cases.Case, error) {
	var found []*cases.Case
	for _, code := range codes {
		f.Category = code
		page, err := s.cfg.Repo.ListCases(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("open311: list cases: %w", err)
		}
		found = append(found, page...)
	}
	slices.SortFunc(found, func(a, b *cases.Case) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(found) > maxList {
		found = found[:maxList]
	}
	return found, nil
}

// Request answers GET requests/{id}.
func (s *Service) Request(ctx context.Context, id string) (ServiceRequest, error) {
	c, err := s.cfg.Repo.GetCase(ctx, id)
	if errors.Is(err, cases.ErrNotFound) {
		return ServiceRequest{}, &Error{Code: 404, Reason: ReasonNoRequest, Field: "service_request_id"}
	}
	if err != nil {
		return ServiceRequest{}, fmt.Errorf("open311: load case: %w", err)
	}
	return s.public(c), nil
}

// public is a case as anyone may see it: no name, relation, ID or phone
// number, no address; the description and the answer masked as the product
// masks free text (pii.MaskText: ID and phone numbers inside it).
func (s *Service) public(c *cases.Case) ServiceRequest {
	dir := s.cfg.Desk.Directory()
	status, notes := "open", cases.CitizenStatusText(c.Status)
	if !c.Status.Working() {
		status = "closed"
		if c.Resolution != "" {
			notes = fmt.Sprintf(textStatusNotesClosed, notes, pii.MaskText(c.Resolution))
		}
	}
	r := ServiceRequest{
		ServiceRequestID:  c.Number,
		Status:            status,
		StatusNotes:       notes,
		ServiceName:       dir.CategoryName(c.Category),
		ServiceCode:       c.Category,
		Description:       pii.MaskText(c.Description),
		AgencyResponsible: dir.DeptName(c.LeadDept),
		RequestedDatetime: timestamp(c.CreatedAt),
		UpdatedDatetime:   timestamp(c.UpdatedAt),
	}
	if !c.Deadline.IsZero() {
		r.ExpectedDatetime = timestamp(c.Deadline)
	}
	return r
}

// timestamp is ISO 8601 with the offset, in Shanghai, as the specification
// requires.
func timestamp(t time.Time) string { return t.In(cases.Shanghai).Format(time.RFC3339) }

// list splits a comma-delimited parameter.
func list(raw string) []string {
	var out []string
	for _, v := range strings.Split(raw, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
