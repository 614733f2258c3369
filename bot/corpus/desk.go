package corpus

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"banchengshi/cases"
)

// desk is the bureau's side for one conversation, in memory: it numbers
// cases, refuses what the bureau refuses, and records what the dialog asked
// of it, so the outcome can be checked.
type desk struct {
	cats     []cases.Category
	cases    []*filed
	supps    []supp
	handover bool
	ratings  int
	asked    map[string]bool
	now      time.Time
}

// filed is a case the desk holds.
type filed struct {
	c    *cases.Case
	atts int
	seed bool
}

type supp struct{ number, text string }

var _ cases.Desk = (*desk)(nil)

func newDesk(cats []cases.Category, now time.Time) *desk {
	return &desk{cats: cats, asked: map[string]bool{}, now: now}
}

// seed applies a Conversation.Seed line: "回访 <category>" (a resolved case
// waits for the follow-up), "办理中 <category>" (an open case), "补充
// <category>" (an open case on which a handler asked for material).
func (d *desk) seed(line string) (string, error) {
	kind, cat, _ := strings.Cut(strings.TrimSpace(line), " ")
	status := map[string]cases.Status{"回访": cases.StatusResolved, "办理中": cases.StatusInProgress, "补充": cases.StatusInProgress}[kind]
	if status == "" {
		return "", fmt.Errorf("unknown 前情 %q", line)
	}
	c := &cases.Case{OpenKfID: openKf, ReporterID: citizen, Category: strings.TrimSpace(cat), Status: status,
		Affected: cases.Person{Name: "王秀兰"}, Relation: "本人"}
	d.file(c, 0, true)
	if kind == "补充" {
		d.asked[c.Number] = true
	}
	return c.Number, nil
}

func (d *desk) file(c *cases.Case, atts int, seed bool) {
	c.Number = fmt.Sprintf("BC2612%06d", len(d.cases)+1)
	c.LimitDays = 15
	for _, cat := range d.cats {
		if cat.Key == c.Category {
			c.LimitDays, c.LeadDept = cat.LimitDays, cat.Dept
		}
	}
	c.Deadline = d.now.AddDate(0, 0, 21)
	d.cases = append(d.cases, &filed{c: c, atts: atts, seed: seed})
}

// submitted lists the cases the dialog submitted.
func (d *desk) submitted() []*filed {
	var out []*filed
	for _, f := range d.cases {
		if !f.seed {
			out = append(out, f)
		}
	}
	return out
}

func (d *desk) Categories() []cases.Category { return d.cats }

func (d *desk) Submit(_ context.Context, c *cases.Case, atts []*cases.Attachment, _ []string) error {
	cp := *c
	d.file(&cp, len(atts), false)
	c.Number, c.LimitDays, c.LeadDept, c.Deadline = cp.Number, cp.LimitDays, cp.LeadDept, cp.Deadline
	return nil
}

func (d *desk) find(number, reporter string) (*cases.Case, error) {
	for _, f := range d.cases {
		if f.c.Number == number && f.c.ReporterID == reporter {
			return f.c, nil
		}
	}
	return nil, fmt.Errorf("case %s: %w", number, cases.ErrNotFound)
}

func (d *desk) view(c *cases.Case) cases.CaseView {
	status := map[cases.Status]string{cases.StatusSubmitted: "已收到，等待受理", cases.StatusWithdrawn: "已撤回",
		cases.StatusClosed: "已办结", cases.StatusResolved: "已办结，等您评价", cases.StatusInProgress: "正在办理"}[c.Status]
	name := c.Category
	for _, cat := range d.cats {
		if cat.Key == c.Category {
			name = cat.Name
		}
	}
	return cases.CaseView{Number: c.Number, Category: name, StatusText: status, LastUpdate: "窗口已收到您的反映",
		Working: c.Status.Working(), Deadline: c.Deadline,
		AffectedName: c.Affected.Name, Relation: c.Relation}
}

func (d *desk) list(reporter string, keep func(*cases.Case) bool) []cases.CaseView {
	var out []cases.CaseView
	for i := len(d.cases) - 1; i >= 0; i-- {
		if c := d.cases[i].c; c.ReporterID == reporter && keep(c) {
			out = append(out, d.view(c))
		}
	}
	return out
}

func (d *desk) ReporterCases(_ context.Context, _, reporter string) ([]cases.CaseView, error) {
	return d.list(reporter, func(*cases.Case) bool { return true }), nil
}

func (d *desk) MaterialRequests(_ context.Context, _, reporter string) ([]cases.CaseView, error) {
	return d.list(reporter, func(c *cases.Case) bool {
		return d.asked[c.Number] && c.Status.Working()
	}), nil
}

func (d *desk) FollowUps(_ context.Context, _, reporter string) ([]cases.CaseView, error) {
	return d.list(reporter, func(c *cases.Case) bool { return c.Status == cases.StatusResolved }), nil
}

func (d *desk) Supplement(_ context.Context, number, reporter, text string, _ *cases.Attachment) error {
	c, err := d.find(number, reporter)
	if err != nil {
		return err
	}
	if !c.Status.Unfinished() {
		return fmt.Errorf("supplement %s: %w", number, cases.ErrNotOpen)
	}
	d.supps = append(d.supps, supp{number, text})
	delete(d.asked, number)
	return nil
}

func (d *desk) Withdraw(_ context.Context, number, reporter, _ string) error {
	c, err := d.find(number, reporter)
	if err != nil {
		return err
	}
	if !c.Status.Unfinished() {
		return fmt.Errorf("withdraw %s: %w", number, cases.ErrNotOpen)
	}
	c.Status = cases.StatusWithdrawn
	return nil
}

func (d *desk) Handover(context.Context, string, string, string) error {
	d.handover = true
	return nil
}

// Rate behaves like the bureau's: a happy answer closes a resolved case, an
// unhappy one reopens it.
func (d *desk) Rate(_ context.Context, number, reporter string, rating int, solved bool, _ string) (cases.Rated, error) {
	c, err := d.find(number, reporter)
	if err != nil {
		return 0, err
	}
	if c.Status != cases.StatusResolved && c.Status != cases.StatusClosed {
		return 0, fmt.Errorf("rate %s: %w", number, cases.ErrRefused)
	}
	d.ratings++
	if solved && rating >= 1 && rating <= 3 {
		c.Status = cases.StatusClosed
		return cases.RatedClosed, nil
	}
	c.Status = cases.StatusInProgress
	return cases.RatedReopened, nil
}

// sessions is an in-memory session store.
type sessions struct {
	m     map[string][]byte
	media map[int64]*cases.Attachment
	next  int64
}

var _ cases.SessionStore = (*sessions)(nil)

func newSessions() *sessions {
	return &sessions{m: map[string][]byte{}, media: map[int64]*cases.Attachment{}}
}

func (s *sessions) LoadSession(_ context.Context, key string) ([]byte, error) {
	b, ok := s.m[key]
	if !ok {
		return nil, cases.ErrNotFound
	}
	return slices.Clone(b), nil
}

func (s *sessions) SaveSession(_ context.Context, key string, data []byte) error {
	s.m[key] = slices.Clone(data)
	return nil
}

func (s *sessions) DeleteSession(_ context.Context, key string) error {
	if _, ok := s.m[key]; !ok {
		return cases.ErrNotFound
	}
	delete(s.m, key)
	return nil
}

func (s *sessions) SaveDraftMedia(_ context.Context, _ string, a *cases.Attachment) (int64, error) {
	s.next++
	cp := *a
	s.media[s.next] = &cp
	return s.next, nil
}

func (s *sessions) DraftMedia(_ context.Context, id int64) (*cases.Attachment, error) {
	a, ok := s.media[id]
	if !ok {
		return nil, cases.ErrNotFound
	}
	cp := *a
	return &cp, nil
}

func (s *sessions) DeleteDraftMedia(_ context.Context, _ string, keep []int64) error {
	for id := range s.media {
		if !slices.Contains(keep, id) {
			delete(s.media, id)
		}
	}
	return nil
}
