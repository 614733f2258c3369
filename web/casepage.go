package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/staff"
)

// maxNoteRunes bounds text that stays inside the bureau (notes, reasons, tags).
const maxNoteRunes = 2000

// caseData is the case page.
type caseData struct {
	*desk.CaseFile
	Forms      []actionForm
	Depts      []*staff.Department
	MaxRelayed int
	MaxDays    int
}

// casePage shows a case to a member who may view it, personal data masked.
func (s *Server) casePage(c *gin.Context) { s.showCase(c, false) }

// revealPII shows the case with its personal data in full to a member for
// whom staff.Visible holds, and records that view on the case's timeline.
func (s *Server) revealPII(c *gin.Context) { s.showCase(c, true) }

func (s *Server) showCase(c *gin.Context, reveal bool) {
	ctx := c.Request.Context()
	m := memberOf(c)
	number := strings.ToUpper(c.Param("number"))
	var file *desk.CaseFile
	var err error
	if reveal {
		// The view and its record on the timeline commit together.
		err = s.repo.InTx(ctx, func(r cases.Repo) error {
			var openErr error
			file, openErr = s.desk.OpenCase(ctx, r, m.ID, number, true)
			return openErr
		})
	} else {
		file, err = s.desk.OpenCase(ctx, s.repo, m.ID, number, false)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	d := caseData{CaseFile: file, Depts: s.desk.Directory().Departments(), MaxRelayed: staff.MaxRelayedRunes, MaxDays: staff.MaxExtendDays}
	for _, f := range actionForms {
		if formAllowed(m, f, file.Case) {
			d.Forms = append(d.Forms, f)
		}
	}
	s.render(c, http.StatusOK, "case", page{Title: file.Case.Number, Nav: "cases", Data: d})
}

// formAllowed reports whether the page offers the action: the member may take
// it (as in WeCom) and the case's status allows it. desk.Act checks both again.
func formAllowed(m *staff.Member, f actionForm, c *cases.Case) bool {
	if staff.Can(m, f.Action, c) != nil {
		return false
	}
	if _, ok := cases.Allowed(c.Status, f.Action); ok {
		return true
	}
	switch f.Action {
	case cases.ActionAssign: // a window member's 派单 accepts a new case first
		return c.Status == cases.StatusSubmitted && f.Fields == "assign"
	case cases.ActionFollowUpResult: // an unhappy follow-up reopens
		_, ok := cases.Allowed(c.Status, cases.ActionReopen)
		return ok
	}
	return false
}

// act carries out one of the case page's forms as the WeCom command it
// stands for, through desk.Act in one transaction, and shows the answer on
// the case page; a refusal gets a page of its own.
func (s *Server) act(c *gin.Context) {
	ctx := c.Request.Context()
	m := memberOf(c)
	number := strings.ToUpper(c.Param("number"))
	back := "/web/cases/" + number
	cmd, problem := commandFromForm(c, number)
	if problem != "" {
		s.cookies.setFlash(c.Writer, flash{Msg: problem, Error: true})
		c.Redirect(http.StatusSeeOther, back)
		return
	}
	var answer string
	err := s.repo.InTx(ctx, func(r cases.Repo) error {
		var err error
		answer, err = s.desk.Act(ctx, r, m.ID, cmd)
		return err
	})
	var ref *desk.Refusal
	var sref *staff.Refusal
	switch {
	case errors.As(err, &ref):
		ref = s.desk.Explain(ctx, s.repo, ref)
		s.render(c, http.StatusForbidden, "message", page{Title: textRefusedTitle, Data: message{Msg: ref.Text(), Back: back}})
		return
	case errors.As(err, &sref):
		s.render(c, http.StatusForbidden, "message", page{Title: textRefusedTitle, Data: message{Msg: sref.Text(), Back: back}})
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	s.log.InfoContext(ctx, "web action", "userid", m.ID, "case", number, "action", string(cmd.Action))
	s.cookies.setFlash(c.Writer, flash{Msg: answer})
	c.Redirect(http.StatusSeeOther, back)
}

// message is the data of the message page: one line and where to go back to.
type message struct {
	Msg  string
	Back string
}

// commandFromForm builds the staff command a form stands for, checking what
// the WeCom command parser would check; the second result says what is wrong.
func commandFromForm(c *gin.Context, number string) (staff.Command, string) {
	f := formFor(c.PostForm("verb"))
	if f == nil {
		return staff.Command{}, textUnknownAction
	}
	cmd := staff.Command{Verb: f.Verb, Action: f.Action, CaseRef: number}
	if problem := readFields(c, f.Fields, &cmd); problem != "" {
		return cmd, problem
	}
	taken, required := formText(f.Fields)
	text := strings.TrimSpace(c.PostForm("text"))
	if !taken || (text == "" && !required) {
		return cmd, ""
	}
	if problem := textProblem(text, f.Relayed); problem != "" {
		return cmd, problem
	}
	cmd.Text = text
	return cmd, ""
}

// formFor is the page's form for a verb, nil for a verb the page does not offer.
func formFor(verb string) *actionForm {
	var f *actionForm
	for i := range actionForms {
		if actionForms[i].Verb == verb {
			f = &actionForms[i]
		}
	}
	return f
}

// readFields reads into cmd the fields a form of this kind has besides its
// text, and says what is missing or out of range.
func readFields(c *gin.Context, fields string, cmd *staff.Command) string {
	switch fields {
	case "assign":
		cmd.Dept = c.PostForm("dept")
		cmd.CoDepts = coDepts(c, cmd.Dept)
		if cmd.Dept == "" {
			return fmt.Sprintf(textNeedTarget, "主办部门")
		}
	case "co":
		cmd.CoDepts = coDepts(c, "")
		if len(cmd.CoDepts) == 0 {
			return fmt.Sprintf(textNeedTarget, "协办部门")
		}
	case "extend":
		days, err := strconv.Atoi(strings.TrimSpace(c.PostForm("days")))
		if err != nil || days < 1 || days > staff.MaxExtendDays {
			return fmt.Sprintf(textBadDays, staff.MaxExtendDays)
		}
		cmd.Days = days
	case "account":
		cmd.Target = strings.TrimSpace(c.PostForm("target"))
		if cmd.Target == "" {
			return fmt.Sprintf(textNeedTarget, textTargetWindow)
		}
	case "merge":
		cmd.Target = strings.ToUpper(strings.TrimSpace(c.PostForm("target")))
		if cmd.Target == "" {
			return fmt.Sprintf(textNeedTarget, textTargetCase)
		}
	case "followup":
		r, err := strconv.Atoi(c.PostForm("rating"))
		if err != nil || cases.RatingText(r) == "" {
			return textBadRating
		}
		cmd.Rating = r
	}
	return ""
}

// formText says whether a form of this kind takes its text and whether the
// text must be filled in: a reply, a note, a reason for an extension or for
// accountability must; a follow-up's record may be left empty; the other
// forms have no text.
func formText(fields string) (taken, required bool) {
	switch fields {
	case "text", "extend", "account":
		return true, true
	case "followup":
		return true, false
	}
	return false, false
}

// textProblem says what is wrong with a form's text: it is empty, or longer
// than a message relayed to the citizen may be, or than a note kept inside
// the bureau.
func textProblem(text string, relayed bool) string {
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return textNeedText
	case relayed && n > staff.MaxRelayedRunes:
		return fmt.Sprintf(textTooLong, staff.MaxRelayedRunes)
	case n > maxNoteRunes:
		return fmt.Sprintf(textTooLong, maxNoteRunes)
	}
	return ""
}

// coDepts are the co-handling departments ticked on the form, without the lead.
func coDepts(c *gin.Context, lead string) []string {
	var out []string
	for _, d := range c.PostFormArray("co") {
		if d != "" && d != lead && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// attachment serves a photo, voice message or file to a member who may view
// its case, with its own content type; a file that browsers should not open
// in the page is offered as a download.
func (s *Server) attachment(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		c.Status(http.StatusNotFound)
		return
	}
	a, err := s.desk.OpenAttachment(ctx, s.repo, memberOf(c).ID, id)
	var ref *desk.Refusal
	if errors.As(err, &ref) {
		s.refuse(c, http.StatusNotFound, ref.Text())
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	ctype := a.ContentType
	if ctype == "" {
		ctype = http.DetectContentType(a.Data)
	}
	disposition := "attachment"
	if strings.HasPrefix(ctype, "image/") || strings.HasPrefix(ctype, "video/") || playableAudio(*a) {
		disposition = "inline"
	}
	if strings.Contains(ctype, "svg") || strings.Contains(ctype, "html") {
		// Never render what the citizen sent as a document of our origin.
		ctype, disposition = "application/octet-stream", "attachment"
	}
	name := a.FileName
	if name == "" {
		name = fmt.Sprintf("attachment-%d", a.ID)
	}
	c.Header("Content-Disposition", disposition+"; filename*=UTF-8''"+url.PathEscape(name))
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, ctype, a.Data)
}
