package wecom

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// APIError is a non-zero errcode answered by the WeCom API. Path is the API
// path without its query, so it never carries the access token.
type APIError struct {
	Code int
	Msg  string
	Path string
}

// Error reports the path, the errcode and WeCom's errmsg.
func (e *APIError) Error() string {
	return fmt.Sprintf("wecom %s: errcode %d: %s", e.Path, e.Code, e.Msg)
}

// Errcodes the product reacts to.
const (
	// CodeInvalidCredential (40001), CodeInvalidToken (40014) and
	// CodeTokenExpired (42001) make the client drop its cached access token and
	// retry the call once.
	CodeInvalidCredential = 40001
	CodeInvalidToken      = 40014
	CodeTokenExpired      = 42001
	// CodeKfSendLimit (95001): the citizen's 48 h / 5-message window is closed
	// or used up.
	CodeKfSendLimit = 95001
	// CodeInvalidMsgToken (95007): the Token of a kf callback given to
	// sync_msg is not valid (any more): it lasts 10 minutes.
	CodeInvalidMsgToken = 95007
)

func isTokenError(code int) bool {
	return code == CodeInvalidCredential || code == CodeInvalidToken || code == CodeTokenExpired
}

// ErrCode returns the WeCom errcode carried by err, or 0 when err is not (and
// does not wrap) an *APIError.
func ErrCode(err error) int {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code
	}
	return 0
}

// CodeSystemBusy (-1) is WeCom's "系统繁忙": the call may be tried again.
const CodeSystemBusy = -1

// Transient reports whether err says the call failed for WeCom's reasons
// or the network's rather than the message's: WeCom could not be reached or
// did not answer (a network error, a timeout, an HTTP status other than
// 200, an answer that is not WeCom's), was busy (errcode -1), or refused
// the access token even after the client fetched a fresh one. Once WeCom
// takes a call again, a call that failed this way is worth trying at once.
func Transient(err error) bool {
	var paused *PausedError
	if err == nil || errors.Is(err, ErrInvalidMessage) || errors.Is(err, context.Canceled) || errors.As(err, &paused) {
		return false // refused before any call, given up by us, or "later" (RetryAfter)
	}
	var apiErr *APIError
	return !errors.As(err, &apiErr) || apiErr.Code == CodeSystemBusy || isTokenError(apiErr.Code)
}

// ErrUnreadableAnswer is wrapped by the error of a call WeCom answered with
// something the client cannot read: larger than the client takes, or a
// successful answer, or an item of one, that does not decode. (An answer
// that is not JSON at all is not WeCom's, a gateway's page, say, and as good
// as none: not one of these.) Such an error is still Transient (as far as
// a send can tell, WeCom is at fault, not the message); a caller that would
// repeat the same request without end, as intake's pulls from one cursor
// do, counts it as a failure of its own.
var ErrUnreadableAnswer = errors.New("unreadable answer")

// unreadable marks err, whose text it keeps, as an ErrUnreadableAnswer.
func unreadable(err error) error { return unreadableError{err} }

type unreadableError struct{ error }

func (e unreadableError) Unwrap() []error { return []error{e.error, ErrUnreadableAnswer} }

// ErrInvalidMessage is returned, wrapped with the reason, for a message that
// WeCom would reject or silently truncate; no request is made.
var ErrInvalidMessage = errors.New("wecom: invalid message")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidMessage, fmt.Sprintf(format, args...))
}

// secretParams are query parameters that must never appear in an error or log.
var secretParams = []string{"access_token", "corpsecret"}

// redactURL replaces the values of secret query parameters with "REDACTED".
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		// Unparseable: keep only what precedes the query.
		if i := strings.IndexByte(raw, '?'); i >= 0 {
			return raw[:i] + "?REDACTED"
		}
		return raw
	}
	q := u.Query()
	changed := false
	for _, p := range secretParams {
		if q.Has(p) {
			q.Set(p, "REDACTED")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// redactErr removes secrets from the URL of a *url.Error, which net/http
// builds from the full request URL.
func redactErr(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		urlErr.URL = redactURL(urlErr.URL)
	}
	return err
}
