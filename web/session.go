package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Session lifetimes: a session ends after IdleTimeout without a request, and
// at the latest MaxAge after sign-in.
const (
	IdleTimeout = 8 * time.Hour
	MaxAge      = 24 * time.Hour
	// touchEvery is how stale a session's last-seen time may get before it
	// is written again; it keeps most requests free of writes.
	touchEvery = time.Minute
	// stateTTL bounds a sign-in round trip through WeCom.
	stateTTL = 10 * time.Minute
)

// Cookie names.
const (
	sessionCookie = "bcs_session"
	stateCookie   = "bcs_oauth"
	flashCookie   = "bcs_flash"
)

// oauthState is the signed cookie that ties WeCom's redirect back to the
// browser that started the sign-in.
type oauthState struct {
	State   string `json:"s"`
	Next    string `json:"n"`
	Expires int64  `json:"e"`
}

// flash is a one-line answer shown on the next page after a form.
type flash struct {
	Msg   string `json:"m"`
	Error bool   `json:"e"`
}

// signer signs cookie values with HMAC-SHA256. Each cookie kind mixes its own
// name into the MAC, so one kind cannot be replayed as another.
type signer struct{ key []byte }

var errBadCookie = errors.New("web: cookie is not ours or was changed")

func (g signer) mac(kind string, payload []byte) []byte {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write(payload)
	return m.Sum(nil)
}

// seal returns base64url(JSON(v)) "." base64url(MAC).
func (g signer) seal(kind string, v any) (string, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(g.mac(kind, payload)), nil
}

// open checks the MAC and decodes the value into v.
func (g signer) open(kind, value string, v any) error {
	p, m, ok := strings.Cut(value, ".")
	if !ok {
		return errBadCookie
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p)
	sum, err2 := enc.DecodeString(m)
	if err1 != nil || err2 != nil || !hmac.Equal(sum, g.mac(kind, payload)) {
		return errBadCookie
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return errBadCookie
	}
	return nil
}

// cookies writes and reads the signed cookies of the web pages.
type cookies struct {
	signer
	secure bool
	now    func() time.Time
}

func (k cookies) set(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/web",
		MaxAge:   int(maxAge / time.Second),
		HttpOnly: true,
		Secure:   k.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

func (k cookies) clear(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/web", MaxAge: -1, HttpOnly: true, Secure: k.secure, SameSite: http.SameSiteLaxMode})
}

// setFlash leaves a one-line answer for the next page.
func (k cookies) setFlash(w http.ResponseWriter, f flash) {
	if v, err := k.seal(flashCookie, f); err == nil {
		k.set(w, flashCookie, v, time.Minute)
	}
}

// takeFlash reads and clears the answer left by the previous form.
func (k cookies) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	k.clear(w, flashCookie)
	var f flash
	if k.open(flashCookie, ck.Value, &f) != nil {
		return nil
	}
	return &f
}

// validCSRF compares a submitted token with the session's in constant time.
func validCSRF(s *session, token string) bool {
	return s != nil && token != "" && subtle.ConstantTimeCompare([]byte(s.CSRF), []byte(token)) == 1
}

func randomToken() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("web: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// DeriveKey derives the session-signing key from a deployment secret (the
// data key), with a label of its own so the two keys never coincide.
func DeriveKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("banchengshi/web-session/v1"))
	return m.Sum(nil)
}
