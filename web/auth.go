package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"banchengshi/wecom"
)

// login sends the browser to WeCom's sign-in with a fresh state, remembered in
// a signed cookie together with the page to come back to.
func (s *Server) login(c *gin.Context) {
	sess, err := s.sessions.current(c.Request.Context(), c.Writer, c.Request)
	if err != nil {
		s.fail(c, err)
		return
	}
	if sess != nil {
		c.Redirect(http.StatusFound, localPath(c.Query("next")))
		return
	}
	st := oauthState{State: randomToken(), Next: localPath(c.Query("next")), Expires: s.now().Add(stateTTL).Unix()}
	v, err := s.cookies.seal(stateCookie, st)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.cookies.set(c.Writer, stateCookie, v, stateTTL)
	c.Redirect(http.StatusFound, s.identity.AuthorizeURL(s.callbackBase(c.Request)+"/web/auth/callback", st.State, inWeComClient(c.Request.UserAgent())))
}

// callbackBase is where the sign-in sends the browser back: the public URL,
// or for the local sandbox the very host the browser used.
func (s *Server) callbackBase(r *http.Request) string {
	if !s.local || r.Host == "" {
		return s.base
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// callback is where WeCom sends the browser back: the state must be the one
// this browser was given, the code must name a directory member.
func (s *Server) callback(c *gin.Context) {
	ck, err := c.Request.Cookie(stateCookie)
	var st oauthState
	if err != nil || s.cookies.open(stateCookie, ck.Value, &st) != nil ||
		st.State == "" || st.State != c.Query("state") || s.now().Unix() > st.Expires {
		s.refuse(c, http.StatusBadRequest, textSignInAgain)
		return
	}
	s.cookies.clear(c.Writer, stateCookie)
	code := c.Query("code")
	if code == "" {
		s.refuse(c, http.StatusBadRequest, textSignInAgain)
		return
	}
	userID, err := s.identity.UserIDFromCode(c.Request.Context(), code)
	switch {
	case errors.Is(err, wecom.ErrNotMember):
		s.refuse(c, http.StatusForbidden, textNotMember)
		return
	case wecom.ErrCode(err) == wecom.CodeInvalidCode:
		s.refuse(c, http.StatusBadRequest, textSignInAgain)
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	if _, ok := s.desk.Directory().Member(userID); !ok {
		// The attempt is logged without anything personal: a WeCom user id only.
		s.log.InfoContext(c.Request.Context(), "web sign-in refused: not in the directory", "userid", userID)
		s.refuse(c, http.StatusForbidden, textNotMember)
		return
	}
	ctx := c.Request.Context()
	if err := s.sessions.start(ctx, c.Writer, userID); err != nil {
		s.fail(c, err)
		return
	}
	// Sign-ins are few; they also clear away sessions that expired.
	if n, err := s.sessions.purge(ctx); err != nil {
		s.log.WarnContext(ctx, "purge expired web sessions", "err", err)
	} else if n > 0 {
		s.log.InfoContext(ctx, "expired web sessions purged", "count", n)
	}
	c.Redirect(http.StatusFound, st.Next)
}

// logout ends this browser's session: its cookie no longer signs anybody in,
// even if it was copied.
func (s *Server) logout(c *gin.Context) {
	if err := s.sessions.end(c.Request.Context(), c.Writer, sessionOf(c)); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "message", page{Title: textSignedOutTitle, Data: message{Msg: textSignedOut}, SignedOut: true})
}

// logoutAll ends every session of the member, in every browser and device,
// for when a phone is lost or a computer was left signed in.
func (s *Server) logoutAll(c *gin.Context) {
	ctx := c.Request.Context()
	m := memberOf(c)
	n, err := s.sessions.endAll(ctx, c.Writer, m.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.log.InfoContext(ctx, "web sign-out everywhere", "userid", m.ID, "sessions", n)
	s.render(c, http.StatusOK, "message", page{Title: textSignedOutTitle, Data: message{Msg: fmt.Sprintf(textSignedOutAll, n)}, SignedOut: true})
}

// localPath keeps a "next" target only when it is a path of these pages, so
// the sign-in cannot be used to send people elsewhere.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/web/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/web/"
	}
	return next
}

// inWeComClient reports whether a request comes from the WeCom client's
// built-in browser, whose user agent names it "wxwork".
func inWeComClient(userAgent string) bool {
	return strings.Contains(strings.ToLower(userAgent), "wxwork")
}
