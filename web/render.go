package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"banchengshi/cases"
	"banchengshi/pii"
	"banchengshi/staff"
)

//go:embed assets
var assetFS embed.FS

// pageNames are the page templates; each is parsed with layout.html.
var pageNames = []string{"overview", "cases", "case", "reports", "message"}

// templates holds one parsed set per page.
type templates struct{ byName map[string]*template.Template }

func parseTemplates() (*templates, error) {
	t := &templates{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		tt, err := template.New(name).Funcs(funcs).ParseFS(assetFS, "assets/layout.html", "assets/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parse template %s: %w", name, err)
		}
		t.byName[name] = tt
	}
	return t, nil
}

// page is what every template gets.
type page struct {
	Title     string
	Nav       string // overview, cases, reports: the highlighted menu entry
	Member    *staff.Member
	CSRF      string
	Flash     *flash
	Refresh   bool // reload the page's live part every 30 s
	SignedOut bool
	Site      string
	V         view
	Data      any
}

// view gives templates the directory's names for ids and the lights of
// cases at the time of the request.
type view struct {
	dir *staff.Directory
	cal *cases.Calendar
	now time.Time
}

// Light is c's light now, computed as everywhere else (cases.LightAt).
func (v view) Light(c *cases.Case) cases.Light {
	if v.cal == nil {
		return orGreen(c.Light)
	}
	return cases.LightAt(c, v.now, v.cal)
}

// DeptName is a department's name; "" is the window, before assignment.
func (v view) DeptName(id string) string {
	if id == "" {
		return textNoWindow
	}
	return v.dir.DeptName(id)
}

// DeptNames joins the names of departments.
func (v view) DeptNames(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = v.DeptName(id)
	}
	return strings.Join(names, "、")
}

// CategoryName is a category's name.
func (v view) CategoryName(key string) string { return v.dir.CategoryName(key) }

// MemberName is a staff member's name, or the id for somebody unknown.
func (v view) MemberName(id string) string {
	if m, ok := v.dir.Member(id); ok {
		return m.Name
	}
	return id
}

// ActorName shows a timeline actor; a citizen is never named by WeCom id.
func (v view) ActorName(actor cases.Actor) string {
	if id, ok := actor.Staff(); ok {
		return v.MemberName(id)
	}
	if _, ok := actor.Citizen(); ok {
		return textActorCitizen
	}
	if actor == cases.ActorBot {
		return textActorBot
	}
	return textActorSystem
}

// Recipient names who a notification is for.
func (v view) Recipient(m *cases.OutboxMessage) string {
	if m.Channel == cases.ChannelKf {
		return textRecipientKf
	}
	return v.MemberName(m.Recipient)
}

// render executes a page; a template error is logged and answered with 500.
func (s *Server) render(c *gin.Context, status int, name string, p page) {
	if sess := sessionOf(c); sess != nil {
		p.CSRF = sess.CSRF
	}
	if p.Member == nil && !p.SignedOut {
		p.Member = memberOf(c)
	}
	if p.SignedOut {
		p.CSRF = ""
	}
	if p.Flash == nil && c.Request.Method == http.MethodGet && status == http.StatusOK {
		p.Flash = s.cookies.takeFlash(c.Writer, c.Request)
	}
	p.Site = textSiteName
	p.V = view{dir: s.desk.Directory(), cal: s.desk.Calendar(), now: s.now()}
	var buf bytes.Buffer
	if err := s.tmpl.byName[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.ErrorContext(c.Request.Context(), "render page", "page", name, "err", err)
		c.String(http.StatusInternalServerError, textServerError)
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// asset serves the embedded CSS and JS, and the vendored libraries' notices.
func (s *Server) asset(c *gin.Context) {
	name := path.Clean(strings.TrimPrefix(c.Param("file"), "/"))
	if strings.HasSuffix(name, ".html") {
		c.Status(http.StatusNotFound)
		return
	}
	data, err := fs.ReadFile(assetFS, "assets/"+name)
	if err != nil {
		c.Status(http.StatusNotFound)
		return
	}
	ctype := "application/octet-stream"
	switch path.Ext(name) {
	case ".md", "": // a vendored library's README and LICENSE
		ctype = "text/plain; charset=utf-8"
	case ".css":
		ctype = "text/css; charset=utf-8"
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	case ".svg":
		ctype = "image/svg+xml"
	}
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, ctype, data)
}

// funcs are the template helpers.
var funcs = template.FuncMap{
	"lightText":  func(l cases.Light) string { return lightText[orGreen(l)] },
	"lightClass": func(l cases.Light) string { return "light-" + string(orGreen(l)) },
	"statusText": cases.StatusText,
	"whoFor":     staff.WhoFor,
	"eventText": func(k cases.EventKind) string {
		if t, ok := eventText[k]; ok {
			return t
		}
		return string(k)
	},
	"outboxText": func(st cases.OutboxStatus) string {
		if t, ok := outboxText[st]; ok {
			return t
		}
		return string(st)
	},
	"ratingText": cases.RatingText,
	"time":       fmtTime,
	"timep": func(t *time.Time) string {
		if t == nil {
			return textNoData
		}
		return fmtTime(*t)
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return textNoData
		}
		return t.In(cases.Shanghai).Format("2006-01-02")
	},
	"lastDay": func(t time.Time) string {
		if t.IsZero() {
			return textNoData
		}
		return cases.LastDay(t).In(cases.Shanghai).Format("2006-01-02")
	},
	"maskID":    pii.MaskID,
	"maskPhone": pii.MaskPhone,
	"maskText":  pii.MaskText,
	"summary":   func(s string) string { return cases.OneLine(pii.MaskText(s), 60) },
	"pct": func(f float64) string {
		if f < 0 {
			return textNoData
		}
		return fmt.Sprintf("%.1f%%", f*100)
	},
	"num1": func(f float64) string {
		if f < 0 {
			return textNoData
		}
		return fmt.Sprintf("%.2f", f)
	},
	"hours": func(d time.Duration) string {
		if d <= 0 {
			return textNoData
		}
		return fmt.Sprintf("%.1f", d.Hours())
	},
	"isImage":  func(ct string) bool { return strings.HasPrefix(ct, "image/") },
	"isVideo":  func(ct string) bool { return strings.HasPrefix(ct, "video/") },
	"isAMR":    isAMR,
	"playable": playableAudio,
	"str":      func(v any) string { return fmt.Sprint(v) },
	"voiceAMR": func() string { return textVoiceAMR },
	"voice":    func() any { return voiceText },
	"hasAMR":   hasAMR,
	// barw is n's share of max as a bar of up to chartWidth units.
	"barw": func(n, max int) int {
		if max <= 0 {
			return 0
		}
		return n * chartWidth / max
	},
	"add": func(a, b int) int { return a + b },
	// free is free text the citizen or staff wrote: as is when the page may
	// show personal data, with long digit runs masked otherwise.
	"free": func(show bool, s string) string {
		if show {
			return s
		}
		return pii.MaskText(s)
	},
}

func orGreen(l cases.Light) cases.Light {
	if l == "" {
		return cases.LightGreen
	}
	return l
}

// fmtTime is a time as staff read it, in China time.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return textNoData
	}
	return t.In(cases.Shanghai).Format("2006-01-02 15:04")
}

// isAMR reports whether an attachment is an AMR voice message (WeCom's voice
// format), which browsers cannot play.
func isAMR(a cases.Attachment) bool {
	return a.Kind == "voice" && !playableAudio(a) ||
		strings.Contains(strings.ToLower(a.ContentType), "amr") ||
		strings.HasSuffix(strings.ToLower(a.FileName), ".amr")
}

// hasAMR reports whether the case page shows one of the attachments as an
// AMR voice message, and so needs the AMR player's script.
func hasAMR(list []cases.Attachment) bool {
	for _, a := range list {
		if !strings.HasPrefix(a.ContentType, "image/") && !playableAudio(a) && isAMR(a) {
			return true
		}
	}
	return false
}

// playableAudio reports whether browsers play the attachment in <audio>.
func playableAudio(a cases.Attachment) bool {
	switch strings.ToLower(strings.TrimSpace(strings.Split(a.ContentType, ";")[0])) {
	case "audio/mpeg", "audio/mp3", "audio/ogg", "audio/wav", "audio/x-wav", "audio/webm", "audio/aac", "audio/mp4":
		return true
	}
	return false
}
