package bot

import (
	"context"
	"fmt"
	"slices"
	"time"

	"banchengshi/cases"
)

// memSessions is an in-memory cases.SessionStore.
type memSessions struct {
	m      map[string][]byte
	media  map[int64]draftFile
	lastID int64
}

// draftFile is a file kept for a session.
type draftFile struct {
	key string
	att cases.Attachment
}

var _ cases.SessionStore = (*memSessions)(nil)

func newMemSessions() *memSessions {
	return &memSessions{m: map[string][]byte{}, media: map[int64]draftFile{}}
}

func (s *memSessions) SaveDraftMedia(_ context.Context, key string, a *cases.Attachment) (int64, error) {
	s.lastID++
	cp := *a
	cp.Data = append([]byte{}, a.Data...)
	cp.Size = int64(len(cp.Data))
	s.media[s.lastID] = draftFile{key: key, att: cp}
	return s.lastID, nil
}

func (s *memSessions) DraftMedia(_ context.Context, id int64) (*cases.Attachment, error) {
	f, ok := s.media[id]
	if !ok {
		return nil, fmt.Errorf("draft file %d: %w", id, cases.ErrNotFound)
	}
	cp := f.att
	cp.Data = append([]byte{}, f.att.Data...)
	return &cp, nil
}

func (s *memSessions) DeleteDraftMedia(_ context.Context, key string, keep []int64) error {
	for id, f := range s.media {
		if f.key == key && !slices.Contains(keep, id) {
			delete(s.media, id)
		}
	}
	return nil
}

// mediaOf lists the ids of the files kept for key.
func (s *memSessions) mediaOf(key string) []int64 {
	var out []int64
	for id, f := range s.media {
		if f.key == key {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (s *memSessions) LoadSession(_ context.Context, key string) ([]byte, error) {
	b, ok := s.m[key]
	if !ok {
		return nil, cases.ErrNotFound
	}
	return append([]byte(nil), b...), nil
}

func (s *memSessions) SaveSession(_ context.Context, key string, data []byte) error {
	s.m[key] = append([]byte(nil), data...)
	return nil
}

func (s *memSessions) DeleteSession(_ context.Context, key string) error {
	if _, ok := s.m[key]; !ok {
		return cases.ErrNotFound
	}
	delete(s.m, key)
	return nil
}

// testCategories are a bureau's categories as configuration would give them.
var testCategories = []cases.Category{
	{Key: "pension", Name: "养老保险", Aliases: []string{"养老金", "退休金"}, Dept: "社保中心", LimitDays: 15},
	{Key: "transfer", Name: "社保转移接续", Aliases: []string{"转移", "转关系", "转不过来"}, Dept: "社保中心", LimitDays: 20},
	{Key: "retire", Name: "退休办理", Aliases: []string{"退休", "办退休"}, Dept: "社保中心", LimitDays: 15},
	{Key: "archive", Name: "档案问题", Aliases: []string{"档案", "档案丢了"}, Dept: "档案馆", LimitDays: 20},
	{Key: "data", Name: "个人信息错误", Aliases: []string{"信息错误", "名字错了", "号码重复"}, Dept: "社保中心", LimitDays: 15},
	{Key: "benefit", Name: "待遇发放和生存认证", Aliases: []string{"生存认证", "认证", "停发"}, Dept: "社保中心", LimitDays: 10},
	{Key: "employment", Name: "就业失业", Aliases: []string{"就业", "失业", "买断"}, Dept: "就业中心", LimitDays: 15},
	{Key: "other", Name: "其他", Aliases: []string{"别的", "不知道"}, Dept: "受理窗口", LimitDays: 15},
}

// submitted is one case as the fake desk received it.
type submitted struct {
	Case *cases.Case
	Atts []*cases.Attachment
	Said []string
}

// supplemented is one Supplement call.
type supplemented struct {
	Number, Text, AttKind string
}

// rated is one Rate call.
type rated struct {
	Number string
	Rating int
	Solved bool
	Why    string
}

// fakeDesk is an in-memory Desk that behaves like the bureau's: it numbers
// cases, refuses to touch a case that is not the reporter's or not open, and
// records what it was asked to do.
type fakeDesk struct {
	cats        []cases.Category
	cases       []*submitted
	supplements []supplemented
	withdrawn   map[string]string // number → reason
	handovers   []string
	ratings     []rated
	// asked holds the cases a handler asked for material that the citizen
	// has not supplemented since, with the order the requests came in.
	asked    map[string]int
	askCount int
	failNext error // returned once by the next call, to test retries
}

var _ cases.Desk = (*fakeDesk)(nil)

func newFakeDesk() *fakeDesk {
	return &fakeDesk{cats: testCategories, withdrawn: map[string]string{}, asked: map[string]int{}}
}

func (d *fakeDesk) fail() error {
	err := d.failNext
	d.failNext = nil
	return err
}

func (d *fakeDesk) Categories() []cases.Category { return d.cats }

func (d *fakeDesk) Submit(_ context.Context, c *cases.Case, atts []*cases.Attachment, said []string) error {
	if err := d.fail(); err != nil {
		return err
	}
	c.Number = fmt.Sprintf("BC261128%04d", len(d.cases)+1)
	c.LimitDays = 15
	for _, cat := range d.cats {
		if cat.Key == c.Category {
			c.LimitDays, c.LeadDept = cat.LimitDays, cat.Dept
		}
	}
	c.Deadline = time.Date(2026, 12, 18, 17, 0, 0, 0, cases.Shanghai)
	cp := *c
	d.cases = append(d.cases, &submitted{Case: &cp, Atts: atts, Said: said})
	return nil
}

// seed stores a case reported earlier.
func (d *fakeDesk) seed(reporter, category string, status cases.Status) string {
	c := &cases.Case{OpenKfID: "kf1", ReporterID: reporter, Category: category, Status: status}
	_ = d.Submit(context.Background(), c, nil, nil)
	d.cases[len(d.cases)-1].Case.Status = status
	return c.Number
}

func (d *fakeDesk) find(number, reporter string) (*cases.Case, error) {
	for _, s := range d.cases {
		if s.Case.Number == number && s.Case.ReporterID == reporter {
			return s.Case, nil
		}
	}
	return nil, fmt.Errorf("case %s: %w", number, cases.ErrNotFound)
}

func (d *fakeDesk) ReporterCases(_ context.Context, openKfID, reporterID string) ([]cases.CaseView, error) {
	if err := d.fail(); err != nil {
		return nil, err
	}
	var out []cases.CaseView
	for i := len(d.cases) - 1; i >= 0; i-- {
		c := d.cases[i].Case
		if c.ReporterID != reporterID || c.OpenKfID != openKfID {
			continue
		}
		out = append(out, d.view(c))
	}
	return out, nil
}

func (d *fakeDesk) view(c *cases.Case) cases.CaseView {
	status := map[cases.Status]string{cases.StatusSubmitted: "已收到，等待受理", cases.StatusWithdrawn: "已撤回",
		cases.StatusClosed: "已办结", cases.StatusResolved: "已办结，等您评价", cases.StatusInProgress: "正在重新办理"}[c.Status]
	return cases.CaseView{
		Number: c.Number, Category: categoryName(d.cats, c.Category), StatusText: status,
		LastUpdate: "窗口已收到您的反映", Working: c.Status.Working(), Deadline: c.Deadline,
		AffectedName: c.Affected.Name, Relation: c.Relation,
	}
}

// resolved stores a case of reporter that waits for its follow-up, reported
// for the affected person when relation is not 本人.
func (d *fakeDesk) resolved(reporter, category, name, relation string) string {
	number := d.seed(reporter, category, cases.StatusResolved)
	c := d.cases[len(d.cases)-1].Case
	c.Affected.Name, c.Relation = name, relation
	return number
}

func (d *fakeDesk) FollowUps(_ context.Context, openKfID, reporterID string) ([]cases.CaseView, error) {
	if err := d.fail(); err != nil {
		return nil, err
	}
	var out []cases.CaseView
	for i := len(d.cases) - 1; i >= 0; i-- {
		c := d.cases[i].Case
		if c.ReporterID == reporterID && c.OpenKfID == openKfID && c.Status == cases.StatusResolved {
			out = append(out, d.view(c))
		}
	}
	return out, nil
}

// Rate behaves like the bureau's: a happy answer closes a resolved case, an
// unhappy one reopens it (or a closed one); a finished case is not open to
// it, and one still being handled refuses it.
func (d *fakeDesk) Rate(_ context.Context, number, reporterID string, rating int, solved bool, why string) (cases.Rated, error) {
	if err := d.fail(); err != nil {
		return 0, err
	}
	c, err := d.find(number, reporterID)
	if err != nil {
		return 0, err
	}
	happy := solved && rating >= 1 && rating <= 3
	switch {
	case c.Status == cases.StatusResolved, c.Status == cases.StatusClosed && !happy:
	case !c.Status.Unfinished():
		return 0, fmt.Errorf("rate %s: %w", number, cases.ErrNotOpen)
	default:
		return 0, fmt.Errorf("rate %s while %s: %w", number, c.Status, cases.ErrRefused)
	}
	d.ratings = append(d.ratings, rated{Number: number, Rating: rating, Solved: solved, Why: why})
	if happy {
		c.Status = cases.StatusClosed
		return cases.RatedClosed, nil
	}
	c.Status = cases.StatusInProgress
	return cases.RatedReopened, nil
}

func (d *fakeDesk) Supplement(_ context.Context, number, reporterID, text string, att *cases.Attachment) error {
	if err := d.fail(); err != nil {
		return err
	}
	c, err := d.find(number, reporterID)
	if err != nil {
		return err
	}
	if !c.Status.Unfinished() {
		return fmt.Errorf("supplement %s: %w", number, cases.ErrNotOpen)
	}
	s := supplemented{Number: number, Text: text}
	if att != nil {
		s.AttKind = att.Kind
	}
	d.supplements = append(d.supplements, s)
	delete(d.asked, number)
	return nil
}

// closeCase is staff closing case number meanwhile.
func (d *fakeDesk) closeCase(number string) { d.setStatus(number, cases.StatusClosed) }

// merge is staff merging case number into another meanwhile.
func (d *fakeDesk) merge(number, into string) {
	d.setStatus(number, cases.StatusMerged)
	for _, s := range d.cases {
		if s.Case.Number == number {
			s.Case.MergedInto = into
		}
	}
}

// setStatus moves case number to status meanwhile, as staff (or the citizen
// on another device) would.
func (d *fakeDesk) setStatus(number string, status cases.Status) {
	for _, s := range d.cases {
		if s.Case.Number == number {
			s.Case.Status = status
		}
	}
}

// askMaterial is a handler asking the citizen for material on case number.
func (d *fakeDesk) askMaterial(number string) {
	d.askCount++
	d.asked[number] = d.askCount
}

func (d *fakeDesk) MaterialRequests(_ context.Context, openKfID, reporterID string) ([]cases.CaseView, error) {
	if err := d.fail(); err != nil {
		return nil, err
	}
	var out []cases.CaseView
	for _, s := range d.cases {
		c := s.Case
		if d.asked[c.Number] != 0 && c.ReporterID == reporterID && c.OpenKfID == openKfID && c.Status.Working() {
			out = append(out, d.view(c))
		}
	}
	slices.SortFunc(out, func(a, b cases.CaseView) int { return d.asked[b.Number] - d.asked[a.Number] })
	return out, nil
}

func (d *fakeDesk) Withdraw(_ context.Context, number, reporterID, reason string) error {
	if err := d.fail(); err != nil {
		return err
	}
	c, err := d.find(number, reporterID)
	if err != nil {
		return err
	}
	if !c.Status.Unfinished() {
		return fmt.Errorf("withdraw %s: %w", number, cases.ErrNotOpen)
	}
	c.Status = cases.StatusWithdrawn
	d.withdrawn[number] = reason
	return nil
}

func (d *fakeDesk) Handover(_ context.Context, openKfID, reporterID, number string) error {
	if err := d.fail(); err != nil {
		return err
	}
	d.handovers = append(d.handovers, reporterID+"@"+number)
	return nil
}
