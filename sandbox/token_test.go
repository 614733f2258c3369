package sandbox

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGetTokenChecksCredentials(t *testing.T) {
	e := newEnv(t)
	cfg := e.sb.Config()
	tests := []struct {
		name, corpID, secret string
		want                 int
	}{
		{"valid", cfg.CorpID, cfg.Secret, 0},
		{"corpid missing", "", cfg.Secret, errCorpIDMissing},
		{"secret missing", cfg.CorpID, "", errSecretMissing},
		{"wrong corpid", "wwNOTOURS", cfg.Secret, errInvalidCorpID},
		{"wrong secret", cfg.CorpID, "not-the-secret", errInvalidSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := getJSON(context.Background(), e.api+"/cgi-bin/gettoken?corpid="+url.QueryEscape(tt.corpID)+"&corpsecret="+url.QueryEscape(tt.secret))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, code(resp)); diff != "" {
				t.Errorf("errcode (-want +got):\n%s\n%v", diff, resp)
			}
		})
	}
}

func TestAccessTokenLifetime(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	probe := func(tok string) int {
		resp, err := postJSON(ctx, e.api, "/cgi-bin/kf/service_state/get", tok,
			map[string]any{"open_kfid": "wkSANDBOX001", "external_userid": "wmA"})
		if err != nil {
			t.Fatal(err)
		}
		return code(resp)
	}
	first := e.token(t)
	e.clock.Advance(7199 * time.Second)
	if got := e.token(t); got != first {
		t.Errorf("token changed while valid: %q then %q", first, got)
	}
	if got := probe(first); got != 0 {
		t.Errorf("valid token: errcode %d", got)
	}
	e.clock.Advance(time.Second)
	if got := probe(first); got != errTokenExpired {
		t.Errorf("expired token: errcode %d, want %d", got, errTokenExpired)
	}
	second := e.token(t)
	if second == first {
		t.Fatal("gettoken returned the expired token")
	}
	if got := probe(""); got != errTokenMissing {
		t.Errorf("missing token: errcode %d, want %d", got, errTokenMissing)
	}
	if got := probe("made-up"); got != errInvalidToken {
		t.Errorf("unknown token: errcode %d, want %d", got, errInvalidToken)
	}
	e.sb.InvalidateToken()
	if got := probe(second); got != errInvalidToken {
		t.Errorf("invalidated token: errcode %d, want %d", got, errInvalidToken)
	}
	third := e.token(t)
	if third == second {
		t.Fatal("gettoken returned the invalidated token")
	}
	if got := probe(third); got != 0 {
		t.Errorf("new token: errcode %d", got)
	}
}

func TestWrongMethodAndMalformedJSON(t *testing.T) {
	e := newEnv(t)
	tok := e.token(t)
	resp, err := getJSON(context.Background(), e.api+"/cgi-bin/kf/send_msg?access_token="+tok)
	if err != nil {
		t.Fatal(err)
	}
	if got := code(resp); got != errRequirePOST {
		t.Errorf("GET send_msg: errcode %d, want %d", got, errRequirePOST)
	}
	for _, path := range []string{"/cgi-bin/kf/send_msg", "/cgi-bin/kf/sync_msg", "/cgi-bin/message/send"} {
		resp, err := postRaw(context.Background(), e.api+path+"?access_token="+tok, []byte(`{"touser":`))
		if err != nil {
			t.Fatal(err)
		}
		if got := code(resp); got != errDataFormat {
			t.Errorf("%s malformed: errcode %d, want %d", path, got, errDataFormat)
		}
	}
	big := make([]byte, maxJSONBody+10)
	for i := range big {
		big[i] = ' '
	}
	resp, err = postRaw(context.Background(), e.api+"/cgi-bin/kf/send_msg?access_token="+tok, big)
	if err != nil {
		t.Fatal(err)
	}
	if got := code(resp); got != errDataFormat {
		t.Errorf("oversized body: errcode %d, want %d", got, errDataFormat)
	}
	if got := e.sb.Calls("/cgi-bin/kf/send_msg"); got != 3 {
		t.Errorf("Calls(send_msg) = %d, want 3", got)
	}
}
