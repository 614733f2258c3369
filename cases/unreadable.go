package cases

import (
	"context"
	"errors"
	"fmt"
)

// ErrUnreadable means stored personal data could not be opened: the row is
// damaged, its sealed value was moved from another row or column, or it was
// sealed with a key nobody has any more. Retrying does not help; such a row
// is set aside (AsideStore) so that it blocks nobody else.
var ErrUnreadable = errors.New("stored personal data cannot be opened")

// UnreadableError names the row whose sealed value could not be opened. It
// holds no personal data: only where the value is and whom it concerns, by
// WeCom ids, when the row says.
type UnreadableError struct {
	Table  string
	Column string
	Key    string // the row's natural key (msgid, session key, case number) or id
	ID     int64  // the row's id, when it has one
	// OpenKfID and ExternalUserID say whose conversation the row belongs to,
	// when it is a kf message or a dialog session.
	OpenKfID       string
	ExternalUserID string
	// Sealed is the value as stored, kept when the row is set aside.
	Sealed string
	Err    error
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("%s.%s of row %s: %v", e.Table, e.Column, e.Key, e.Err)
}

// Is makes errors.Is(err, ErrUnreadable) true.
func (e *UnreadableError) Is(target error) bool { return target == ErrUnreadable }

// Unwrap returns the sealing error.
func (e *UnreadableError) Unwrap() error { return e.Err }

// AsUnreadable returns the UnreadableError in err's chain, or nil.
func AsUnreadable(err error) *UnreadableError {
	var u *UnreadableError
	if errors.As(err, &u) {
		return u
	}
	return nil
}

// AsideStore sets unreadable rows aside.
type AsideStore interface {
	// SetAside takes the row u names out of the way and records it with
	// reason: a kf message or callback is marked done, a dialog session
	// leaves its table (the citizen's next message starts afresh); the
	// stored value is kept for whoever recovers it. It reports whether this
	// call set the row aside (false when it was already).
	SetAside(ctx context.Context, u *UnreadableError, reason string) (bool, error)
}
