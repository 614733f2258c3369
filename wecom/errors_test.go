package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
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

// An answer from WeCom that the client cannot read is marked as such, its
// text kept: still Transient for a send, but a caller repeating the same
// request (a pull from one cursor) can tell it from no answer at all. An
// answer that is not JSON at all (a gateway's page) or an HTTP status is no
// answer.
func TestUnreadableAnswers(t *testing.T) {
	status := func(code int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(code)
			w.Write([]byte(body))
		}
	}
	for _, tc := range []struct {
		name       string
		answer     any
		unreadable bool
	}{
		{"an item that does not decode", json.RawMessage(`{"errcode":0,"errmsg":"ok","next_cursor":"c1","has_more":0,"msg_list":[7]}`), true},
		{"a successful answer that does not decode", json.RawMessage(`{"errcode":0,"errmsg":"ok","msg_list":"none"}`), true},
		{"larger than the client takes", status(http.StatusOK, `{"errcode":0,"errmsg":"ok","pad":"`+strings.Repeat("x", maxJSONResponse)+`"}`), true},
		{"not JSON", status(http.StatusOK, "<html>busy</html>"), false},
		{"HTTP status", status(http.StatusBadGateway, ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, "")
			f.route("/cgi-bin/kf/sync_msg", func(call) any { return tc.answer })
			_, err := newTestClient(t, f, newCache()).SyncMsg(context.Background(), SyncRequest{OpenKfID: "wk1"})
			if errors.Is(err, ErrUnreadableAnswer) != tc.unreadable || !Transient(err) || strings.Contains(err.Error(), ErrUnreadableAnswer.Error()) {
				t.Errorf("SyncMsg: %v; want transient, unreadable %v, its text the client's", err, tc.unreadable)
			}
		})
	}
}
