package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"banchengshi/cases"
	"banchengshi/pii"
	"banchengshi/staff"
)

// pageSize is the number of cases on one page of the list.
const pageSize = 50

// statusWorking is the list filter for the statuses the bureau still works on.
const statusWorking = "working"

// listForm is the case list's filter as the form sends it.
type listForm struct {
	Status   string
	Light    string
	Dept     string
	Category string
	Assignee string
	From, To string // YYYY-MM-DD, China days, both inclusive
	Q        string // a case number or a phone number
	After    int64
}

// listData is the case list page.
type listData struct {
	Form       listForm
	Cases      []*cases.Case
	Next       string // the next page's URL, "" on the last page
	First      string // the first page's URL when not on it
	Problem    string
	Statuses   []cases.Status
	Depts      []*staff.Department
	Categories []cases.Category
	Members    []*staff.Member
}

// caseList lists cases, newest first, filtered, a page at a time (keyset
// paging on the id, so a page costs the same at any depth). Personal data is
// masked. Handlers see their departments' cases only.
func (s *Server) caseList(c *gin.Context) {
	m := memberOf(c)
	dir := s.desk.Directory()
	form := listForm{
		Status: c.Query("status"), Light: c.Query("light"), Dept: c.Query("dept"), Category: c.Query("category"),
		Assignee: c.Query("assignee"), From: c.Query("from"), To: c.Query("to"), Q: strings.TrimSpace(c.Query("q")),
	}
	form.After, _ = strconv.ParseInt(c.Query("after"), 10, 64)
	d := listData{Statuses: cases.Statuses(), Categories: dir.Categories(), Members: dir.Members()}
	d.Depts = handlerDepts(m, dir.Departments())
	if !seesAll(m) && !m.InDept(form.Dept) {
		if len(m.Depts) == 0 {
			s.refuse(c, http.StatusForbidden, textNotMember)
			return
		}
		form.Dept = m.Depts[0]
	}
	f, problem := form.filter()
	d.Form, d.Problem = form, problem
	if problem == "" {
		f.Limit = pageSize + 1
		list, err := s.repo.ListCases(c.Request.Context(), f)
		if err != nil {
			s.fail(c, err)
			return
		}
		if len(list) > pageSize {
			list = list[:pageSize]
			next := form
			next.After = list[len(list)-1].ID
			d.Next = next.url()
		}
		d.Cases = list
		if form.After > 0 {
			first := form
			first.After = 0
			d.First = first.url()
		}
	}
	s.render(c, http.StatusOK, "cases", page{Title: textCasesTitle, Nav: "cases", Data: d})
}

// filter turns the form into a cases.Filter, or says what is wrong with it.
func (f listForm) filter() (cases.Filter, string) {
	out := cases.Filter{Light: cases.Light(f.Light), Dept: f.Dept, Category: f.Category, Assignee: f.Assignee, AfterID: f.After}
	switch f.Status {
	case "":
	case statusWorking:
		out.Status = cases.WorkingStatuses()
	default:
		out.Status = []cases.Status{cases.Status(f.Status)}
	}
	if f.From != "" {
		t, err := time.ParseInLocation(time.DateOnly, f.From, cases.Shanghai)
		if err != nil {
			return out, textBadDate
		}
		out.From = t
	}
	if f.To != "" {
		t, err := time.ParseInLocation(time.DateOnly, f.To, cases.Shanghai)
		if err != nil {
			return out, textBadDate
		}
		out.To = t.AddDate(0, 0, 1)
	}
	if f.Q != "" {
		q := strings.ToUpper(f.Q)
		digits := pii.Normalize(q)
		switch {
		case strings.HasPrefix(q, "BC"):
			out.Number = q
		case len(digits) >= 7 && strings.Trim(q, "0123456789０１２３４５６７８９ -+()") == "":
			out.Phone = digits
		default:
			return out, textBadSearch
		}
	}
	return out, ""
}

// url is the list page's URL for the form.
func (f listForm) url() string {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("status", f.Status)
	set("light", f.Light)
	set("dept", f.Dept)
	set("category", f.Category)
	set("assignee", f.Assignee)
	set("from", f.From)
	set("to", f.To)
	set("q", f.Q)
	if f.After > 0 {
		q.Set("after", strconv.FormatInt(f.After, 10))
	}
	if len(q) == 0 {
		return "/web/cases"
	}
	return "/web/cases?" + q.Encode()
}

// handlerDepts is what a member may filter by: every department for those who
// see all, their own for handlers.
func handlerDepts(m *staff.Member, all []*staff.Department) []*staff.Department {
	return slices.DeleteFunc(slices.Clone(all), func(d *staff.Department) bool { return !seesAll(m) && !m.InDept(d.ID) })
}
