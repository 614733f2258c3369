package wecom

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUserIDFromCode(t *testing.T) {
	tests := []struct {
		name    string
		answer  map[string]any
		want    string
		wantErr error
		code    int
	}{
		{name: "member", answer: map[string]any{"errcode": 0, "errmsg": "ok", "userid": "zhangsan"}, want: "zhangsan"},
		{name: "not a member", answer: map[string]any{"errcode": 0, "errmsg": "ok", "openid": "oABC", "external_userid": "wmX"}, wantErr: ErrNotMember},
		{name: "invalid code", answer: map[string]any{"errcode": 40029, "errmsg": "invalid code"}, code: CodeInvalidCode},
		{name: "empty answer", answer: map[string]any{"errcode": 0, "errmsg": "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, "")
			f.route("/cgi-bin/auth/getuserinfo", func(call) any { return tt.answer })
			c := newTestClient(t, f, nil)
			got, err := c.UserIDFromCode(context.Background(), "CODE1")
			if tt.want != "" {
				if err != nil {
					t.Fatalf("UserIDFromCode: %v", err)
				}
				if got != tt.want {
					t.Errorf("userid = %q, want %q", got, tt.want)
				}
			} else if err == nil {
				t.Fatalf("UserIDFromCode = %q, want an error", got)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.code != 0 && ErrCode(err) != tt.code {
				t.Errorf("errcode = %d, want %d", ErrCode(err), tt.code)
			}
			calls := f.callsTo("/cgi-bin/auth/getuserinfo")
			if len(calls) != 1 || calls[0].Query["code"] != "CODE1" {
				t.Errorf("calls = %+v, want one with code CODE1", calls)
			}
		})
	}
}

func TestUserIDFromCodeEmpty(t *testing.T) {
	f := newFake(t, "")
	c := newTestClient(t, f, nil)
	if _, err := c.UserIDFromCode(context.Background(), ""); !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("err = %v, want ErrInvalidMessage", err)
	}
	if n := len(f.callsTo("/cgi-bin/auth/getuserinfo")); n != 0 {
		t.Errorf("%d calls for an empty code", n)
	}
}

func TestAuthorizeURL(t *testing.T) {
	real, err := New(Config{CorpID: "wwCORP", AgentID: 1000002, Secret: "s", TokenCache: newCache()})
	if err != nil {
		t.Fatal(err)
	}
	// A proxy in front of the API does not move the sign-in pages.
	proxied, err := New(Config{APIBase: "https://wecom-proxy.bureau.local", CorpID: "wwCORP", AgentID: 1000002, Secret: "s", TokenCache: newCache()})
	if err != nil {
		t.Fatal(err)
	}
	sandbox, err := New(Config{APIBase: "http://127.0.0.1:8080/sandbox", SignInBase: "http://127.0.0.1:8080/sandbox",
		CorpID: "wwCORP", AgentID: 1000002, Secret: "s", TokenCache: newCache()})
	if err != nil {
		t.Fatal(err)
	}
	oauth := url.Values{"appid": {"wwCORP"}, "redirect_uri": {"https://bcs.example.cn/web/auth/callback"},
		"response_type": {"code"}, "scope": {"snsapi_base"}, "state": {"st4te"}, "agentid": {"1000002"}}
	web := url.Values{"login_type": {"CorpApp"}, "appid": {"wwCORP"}, "agentid": {"1000002"},
		"redirect_uri": {"https://bcs.example.cn/web/auth/callback"}, "state": {"st4te"}}
	tests := []struct {
		name    string
		c       *Client
		inWeCom bool
		want    string
	}{
		{"inside the WeCom client", real, true, "https://open.weixin.qq.com/connect/oauth2/authorize?" + oauth.Encode() + "#wechat_redirect"},
		{"desktop browser", real, false, "https://login.work.weixin.qq.com/wwlogin/sso/login?" + web.Encode()},
		{"behind an API proxy", proxied, false, "https://login.work.weixin.qq.com/wwlogin/sso/login?" + web.Encode()},
		{"sandbox", sandbox, false, "http://127.0.0.1:8080/sandbox/connect/oauth2/authorize?" + oauth.Encode()},
		{"sandbox inside WeCom", sandbox, true, "http://127.0.0.1:8080/sandbox/connect/oauth2/authorize?" + oauth.Encode()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.c.AuthorizeURL("https://bcs.example.cn/web/auth/callback", "st4te", tt.inWeCom)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("AuthorizeURL (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := New(Config{SignInBase: "ftp://x", CorpID: "wwCORP", AgentID: 1, Secret: "s", TokenCache: newCache()}); err == nil {
		t.Error("a sign-in base that is not http(s) was accepted")
	}
}
