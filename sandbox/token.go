package sandbox

import (
	"net/http"
	"time"
)

// handleGetToken is /cgi-bin/gettoken: corpid and corpsecret checked, the same
// token returned while it is valid, a new one after it expired.
func (s *Sandbox) handleGetToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	corpID, secret := q.Get("corpid"), q.Get("corpsecret")
	switch {
	case corpID == "":
		writeErr(w, errCorpIDMissing, "corpid missing")
		return
	case secret == "":
		writeErr(w, errSecretMissing, "corpsecret missing")
		return
	case corpID != s.cfg.CorpID:
		writeErr(w, errInvalidCorpID, "invalid corpid")
		return
	case secret != s.cfg.Secret:
		writeErr(w, errInvalidSecret, "invalid credential")
		return
	}
	s.mu.Lock()
	now := s.now()
	if s.accessToken == "" || s.revoked[s.accessToken] || !now.Before(s.tokenExpiry) {
		s.accessToken = randHex(32)
		s.tokenExpiry = now.Add(accessTokenTTL)
		s.seenTokens[s.accessToken] = s.tokenExpiry
	}
	tok, left := s.accessToken, s.tokenExpiry.Sub(now)
	s.mu.Unlock()
	writeJSON(w, struct {
		apiError
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}{apiError{0, "ok"}, tok, int(left / time.Second)})
}

// checkToken answers 0 for a valid access_token, else WeCom's errcode.
func (s *Sandbox) checkToken(tok string) (int, string) {
	if tok == "" {
		return errTokenMissing, "access_token missing"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.seenTokens[tok]
	switch {
	case !ok || s.revoked[tok]:
		return errInvalidToken, "invalid access_token"
	case !s.now().Before(exp):
		return errTokenExpired, "access_token expired"
	}
	return 0, ""
}

// InvalidateToken revokes the current access token early, as WeCom sometimes
// does: the next call with it gets 40014 and gettoken issues a new one.
func (s *Sandbox) InvalidateToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.accessToken != "" {
		s.revoked[s.accessToken] = true
	}
}
