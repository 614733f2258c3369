// Package sms sends the texts the bureau owes a citizen by SMS when WeChat
// cannot reach them: one small interface (Sender), the real provider
// (Tencent Cloud SMS, tencent.go) and the client of the local sandbox's fake
// gateway (sandbox.go). Which text to send and when is notify's business;
// this package only delivers one templated message and says, with a typed
// reason, why it could not.
//
// Phone numbers are personal data: they are given to Send at the moment of
// sending and appear in no error, log line or returned value.
package sms

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
)

// Message is one text to one phone. The words are the bureau's template
// (registered with the provider, with its signature) filled with Params in
// order.
type Message struct {
	// Phone is a mainland mobile number, 11 digits starting with 1 (a
	// leading +86 or 86 is accepted).
	Phone  string
	Params []string
}

// Receipt is what the provider says about an accepted message.
type Receipt struct {
	// ID is the provider's serial number for the message (Tencent's
	// SerialNo), for finding it in the provider's delivery reports.
	ID string
}

// Sender delivers one message. It returns an *Error for every failure the
// provider reports, so that the caller can tell a retry from a give-up.
type Sender interface {
	Send(ctx context.Context, m Message) (Receipt, error)
}

// Reason says why a message was not sent.
type Reason string

// Reasons. Temporary ones are worth retrying later; the others will fail
// the same way however often they are tried.
const (
	// ReasonUnavailable: the provider could not be reached, timed out or
	// failed inside (temporary).
	ReasonUnavailable Reason = "unavailable"
	// ReasonRateLimited: too many messages to this number or from this
	// account in a period (temporary).
	ReasonRateLimited Reason = "rate_limited"
	// ReasonBadNumber: the number is not a mobile number the provider can
	// reach, or its owner unsubscribed or is on a block list.
	ReasonBadNumber Reason = "bad_number"
	// ReasonRejected: the provider refused the content (a parameter too long,
	// words its review does not allow).
	ReasonRejected Reason = "rejected"
	// ReasonAccount: the bureau's account or configuration is wrong: bad
	// keys, an app id, template or signature not approved, no balance left.
	ReasonAccount Reason = "account"
	// ReasonUnknown: the request may have reached the provider, but no
	// answer came (the connection dropped, a read timed out). It is not
	// retried: the text may have gone out, and is sent at most once.
	ReasonUnknown Reason = "unknown"
)

// Temporary reports whether a message failing for r may succeed later.
func (r Reason) Temporary() bool { return r == ReasonUnavailable || r == ReasonRateLimited }

// Error is a failure to send, with the provider's own code for the people
// who look into it. It never holds the phone number.
type Error struct {
	Reason Reason
	// Code is the provider's error code, e.g. "LimitExceeded.PhoneNumberDailyLimit".
	Code string
	// RequestID is the provider's id of the failed request, if any.
	RequestID string
	// Err is the underlying transport error, if any.
	Err error
}

func (e *Error) Error() string {
	s := "sms: " + string(e.Reason)
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.RequestID != "" {
		s += " request " + e.RequestID
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the reason of an *Error in err's chain, and
// ReasonUnavailable for any other error (a bug before any request): not
// sent, and maybe sendable later.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ReasonUnavailable
}

var mobile = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// Normalize returns a mainland mobile number as 11 digits, accepting a
// leading +86 or 86 and spaces or dashes between digit groups; ok is false
// for anything else (a landline cannot receive an SMS).
func Normalize(phone string) (digits string, ok bool) {
	b := make([]byte, 0, len(phone))
	for i := 0; i < len(phone); i++ {
		switch c := phone[i]; {
		case c >= '0' && c <= '9':
			b = append(b, c)
		case c == ' ' || c == '-' || (c == '+' && i == 0):
		default:
			return "", false
		}
	}
	s := string(b)
	if len(s) == 13 && s[:2] == "86" {
		s = s[2:]
	}
	return s, mobile.MatchString(s)
}

// check validates m before it is sent anywhere.
func check(m Message) (string, error) {
	phone, ok := Normalize(m.Phone)
	if !ok {
		return "", &Error{Reason: ReasonBadNumber, Code: "NotMobileNumber"}
	}
	if len(m.Params) == 0 {
		return "", &Error{Reason: ReasonRejected, Code: "NoParams", Err: fmt.Errorf("a message needs its template parameters")}
	}
	return phone, nil
}

// transportError classifies a failure to get an answer over HTTP. Only a
// failure to connect proves the provider never saw the request; anything
// later may have sent the text.
func transportError(err error) *Error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return &Error{Reason: ReasonUnavailable, Code: "Unreachable", Err: redactURL(err)}
	}
	return &Error{Reason: ReasonUnknown, Code: "NoAnswer", Err: redactURL(err)}
}

// redactURL keeps a transport error's cause without the request's URL.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
