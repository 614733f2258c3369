package notify

import (
	"errors"
	"fmt"
	"testing"
)

// A planned stop of a citizen's messages is not an error to report; what
// failed beside it (a settlement) is.
func TestWithoutStopsKeepsWhatFailedBesideAStop(t *testing.T) {
	settle := errors.New("save message state: connection lost")
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"a stop alone", errRetryFirst, nil},
		{"a wrapped stop", fmt.Errorf("send: %w", errKfWaits), nil},
		{"a stop and a failed settlement", errors.Join(errRetryFirst, settle), settle},
		{"both stops", errors.Join(errKfWaits, errRetryFirst), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := withoutStops(c.err)
			if (got == nil) != (c.want == nil) || (c.want != nil && !errors.Is(got, c.want)) {
				t.Errorf("withoutStops(%v) = %v, want %v", c.err, got, c.want)
			}
		})
	}
}
