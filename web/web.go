// Package web is the panoramic monitor (全景监控): server-rendered pages where
// staff sign in with WeCom and see every case with its light, work a case as
// they would by typing commands to the app, and read the reports the window
// argues policy fixes from. Templates, CSS and JS are embedded; there is no
// build step and nothing is loaded from elsewhere.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/staff"
	"banchengshi/storage"
)

// Identity signs staff in through WeCom's web authorisation; *wecom.Client is
// one.
type Identity interface {
	// AuthorizeURL is where the browser goes to sign in (inWeCom: the page
	// is open inside the WeCom client); WeCom sends it back to redirectURI
	// with a code and the state.
	AuthorizeURL(redirectURI, state string, inWeCom bool) string
	// UserIDFromCode turns the code into the member's WeCom user id.
	UserIDFromCode(ctx context.Context, code string) (string, error)
}

// Reports are the aggregate queries of the monitor; *storage.SQL has them.
type Reports interface {
	Overview(ctx context.Context, now, dayStart time.Time) (*storage.Overview, error)
	Overdue(ctx context.Context, now time.Time, dept string, limit int) ([]*cases.Case, error)
	Report(ctx context.Context, from, to time.Time) ([]storage.ReportRow, error)
	Accountable(ctx context.Context, from, to time.Time, limit int) ([]*cases.Case, error)
	CommonProblems(ctx context.Context, from, to time.Time, perGroup int) ([]storage.CommonGroup, error)
}

var _ Reports = (*storage.SQL)(nil)

// Config is what the pages need.
type Config struct {
	Repo     cases.Repo
	Reports  Reports
	Desk     *desk.Desk
	Identity Identity
	// Sessions keeps the staff's sessions, shared by every replica, so that
	// signing out revokes them.
	Sessions SessionStore
	// SessionKey signs the sign-in and flash cookies and keys the hashes of
	// session ids and the form tokens; at least 32 bytes. Derive it from a
	// secret the deployment keeps (the data key) so that every replica
	// accepts every other's sessions.
	SessionKey []byte
	// PublicURL is how browsers reach the product, e.g.
	// "https://bcs.example.gov.cn"; sign-in comes back to
	// PublicURL/web/auth/callback, and cookies are Secure when it is https.
	PublicURL string
	// LocalHost, for the local sandbox only, sends the browser back to the
	// host it came from (localhost or 127.0.0.1 alike), so that its sign-in
	// cookie is found again. Never for a real deployment: there the public
	// URL decides.
	LocalHost bool
	Now       func() time.Time
	Log       *slog.Logger
}

// Server serves the pages under /web.
type Server struct {
	repo     cases.Repo
	reports  Reports
	desk     *desk.Desk
	identity Identity
	cookies  cookies
	sessions *sessions
	base     string
	local    bool // see Config.LocalHost
	now      func() time.Time
	log      *slog.Logger
	tmpl     *templates
}

// New checks cfg and parses the embedded templates.
func New(cfg Config) (*Server, error) {
	var problems []string
	if cfg.Repo == nil {
		problems = append(problems, "repo is nil")
	}
	if cfg.Reports == nil {
		problems = append(problems, "reports are nil")
	}
	if cfg.Desk == nil {
		problems = append(problems, "desk is nil")
	}
	if cfg.Identity == nil {
		problems = append(problems, "identity is nil")
	}
	if cfg.Sessions == nil {
		problems = append(problems, "session store is nil")
	}
	if len(cfg.SessionKey) < 32 {
		problems = append(problems, "session key must have at least 32 bytes")
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, "public URL must be an http(s) URL")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("web: bad config: %s", strings.Join(problems, "; "))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	t, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s := &Server{
		repo:     cfg.Repo,
		reports:  cfg.Reports,
		desk:     cfg.Desk,
		identity: cfg.Identity,
		cookies:  cookies{signer: signer{key: cfg.SessionKey}, secure: u.Scheme == "https", now: cfg.Now},
		base:     strings.TrimSuffix(cfg.PublicURL, "/"),
		local:    cfg.LocalHost,
		now:      cfg.Now,
		log:      cfg.Log.With("component", "web"),
		tmpl:     t,
	}
	s.sessions = &sessions{store: cfg.Sessions, cookies: s.cookies, now: cfg.Now}
	return s, nil
}

// Mount registers every page on r, all under /web.
func (s *Server) Mount(r *gin.Engine) {
	g := r.Group("/web", s.headers)
	g.GET("/assets/*file", s.asset)
	g.GET("/login", s.login)
	g.GET("/auth/callback", s.callback)

	in := g.Group("", s.signedIn)
	in.GET("/", s.overview)
	in.GET("/cases", s.caseList)
	in.GET("/cases/:number", s.casePage)
	in.GET("/attachments/:id", s.attachment)
	in.GET("/reports", s.reportsPage)
	in.GET("/reports.csv", s.reportsCSV)

	post := in.Group("", s.csrf)
	post.POST("/logout", s.logout)
	post.POST("/logout-all", s.logoutAll)
	post.POST("/cases/:number/pii", s.revealPII)
	post.POST("/cases/:number/act", s.act)
	r.GET("/web", func(c *gin.Context) { c.Redirect(http.StatusFound, "/web/") })
}

// headers sets what every answer of the pages carries: nothing from
// elsewhere, no framing, no sniffing, no caching of personal data. The
// vendored AMR player decodes in a worker it starts from a blob: URL of its
// own code, hence worker-src.
func (s *Server) headers(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; worker-src blob:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	c.Next()
}

// Context keys for the signed-in member and session.
const (
	keyMember  = "web.member"
	keySession = "web.session"
)

// signedIn lets a request through only with a live session of somebody who is
// still in the directory. A browser without one is sent to sign in; other
// callers get 401.
func (s *Server) signedIn(c *gin.Context) {
	sess, err := s.sessions.current(c.Request.Context(), c.Writer, c.Request)
	if err != nil {
		s.fail(c, err)
		c.Abort()
		return
	}
	if sess == nil {
		if c.Request.Method == http.MethodGet && !strings.HasSuffix(c.Request.URL.Path, ".csv") {
			c.Redirect(http.StatusFound, "/web/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		} else {
			c.String(http.StatusUnauthorized, textSignInFirst)
		}
		c.Abort()
		return
	}
	m, ok := s.desk.Directory().Member(sess.UserID)
	if !ok {
		// Removed from the directory since signing in.
		if err := s.sessions.end(c.Request.Context(), c.Writer, sess); err != nil {
			s.fail(c, err)
			c.Abort()
			return
		}
		s.refuse(c, http.StatusForbidden, textNotMember)
		c.Abort()
		return
	}
	c.Set(keyMember, m)
	c.Set(keySession, sess)
	c.Next()
}

// csrf refuses a form without the session's token, or sent from another
// origin.
func (s *Server) csrf(c *gin.Context) {
	sess := sessionOf(c)
	if origin := c.GetHeader("Origin"); origin != "" && origin != "null" && !sameOrigin(origin, c.Request) {
		s.refuse(c, http.StatusForbidden, textBadForm)
		c.Abort()
		return
	}
	if !validCSRF(sess, c.PostForm("csrf")) {
		s.refuse(c, http.StatusForbidden, textBadForm)
		c.Abort()
		return
	}
	c.Next()
}

func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

func memberOf(c *gin.Context) *staff.Member {
	m, _ := c.Get(keyMember)
	mm, _ := m.(*staff.Member)
	return mm
}

func sessionOf(c *gin.Context) *session {
	v, _ := c.Get(keySession)
	sess, _ := v.(*session)
	return sess
}

// fail answers an error: a refusal is a polite page, anything else is logged
// once here and hidden behind a general page.
func (s *Server) fail(c *gin.Context, err error) {
	var ref *desk.Refusal
	var sref *staff.Refusal
	switch {
	case errors.As(err, &ref):
		s.refuse(c, http.StatusForbidden, ref.Text())
	case errors.As(err, &sref):
		s.refuse(c, http.StatusForbidden, sref.Text())
	default:
		s.log.ErrorContext(c.Request.Context(), "web page", "path", c.FullPath(), "err", err)
		s.refuse(c, http.StatusInternalServerError, textServerError)
	}
}

// refuse shows a one-line explanation on a page of its own.
func (s *Server) refuse(c *gin.Context, status int, msg string) {
	s.render(c, status, "message", page{Title: textRefusedTitle, Member: memberOf(c), Data: message{Msg: msg}})
}

// shanghaiDay is the start of t's day in China.
func shanghaiDay(t time.Time) time.Time {
	y, m, d := t.In(cases.Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, cases.Shanghai)
}

// seesAll reports whether m works on every case (window duty staff and
// bureau-wide supervisors, as 查 in WeCom); handlers and department
// supervisors see their departments' cases.
func seesAll(m *staff.Member) bool {
	return m.Has(staff.RoleWindow) || m.BureauWide()
}
