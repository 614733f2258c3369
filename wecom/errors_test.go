package wecom

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// Transient tells WeCom not answering (or busy) from WeCom refusing the
// call, from a call never made, and from "later".
func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"no error", nil, false},
		{"HTTP status", fmt.Errorf("wecom /cgi-bin/kf/send_msg: HTTP status %d", 502), true},
		{"timeout", fmt.Errorf("send: %w", context.DeadlineExceeded), true},
		{"connection refused", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), true},
		{"system busy", &APIError{Code: CodeSystemBusy, Msg: "system busy", Path: "/cgi-bin/kf/send_msg"}, true},
		{"token refused", &APIError{Code: CodeTokenExpired, Msg: "access_token expired", Path: "/cgi-bin/kf/send_msg"}, true},
		{"refused for its content", &APIError{Code: 40003, Msg: "invalid openid", Path: "/cgi-bin/kf/send_msg"}, false},
		{"window used up", fmt.Errorf("send: %w", &APIError{Code: CodeKfSendLimit, Path: "/cgi-bin/kf/send_msg"}), false},
		{"invalid message", invalidf("text too long"), false},
		{"given up by us", fmt.Errorf("send: %w", context.Canceled), false},
		{"paused", &PausedError{Path: "/cgi-bin/kf/send_msg", For: FreqLimitPause}, false},
	} {
		if got := Transient(tc.err); got != tc.want {
			t.Errorf("%s: Transient(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
