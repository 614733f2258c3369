package sandbox

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// loginCodeTTL is how long a sign-in code lives; WeCom: five minutes, once.
const loginCodeTTL = 5 * time.Minute

// errInvalidCode is WeCom's answer to an unknown, used or expired login code.
const errInvalidCode = 40029

// loginCode is one issued sign-in code: a member's user id, or an openid for
// somebody outside the corp.
type loginCode struct {
	userID  string
	openID  string
	expires time.Time
}

// authServer is WeCom's web sign-in (网页授权登录) for the sandbox corp: an
// authorize page that lists the directory to pick a member from, and
// /cgi-bin/auth/getuserinfo that turns the code into the user id.
type authServer struct {
	s     *Sandbox
	mu    sync.Mutex
	codes map[string]loginCode
}

// routeAuth serves the sandbox's stand-in for WeCom's web sign-in: GET
// /connect/oauth2/authorize (a page listing the sandbox staff; choosing one
// redirects to redirect_uri with a code and the state) and GET
// /cgi-bin/auth/getuserinfo.
func (s *Sandbox) routeAuth(mux *http.ServeMux) {
	mux.HandleFunc("/connect/oauth2/authorize", s.auth.authorize)
	s.api(mux, "/cgi-bin/auth/getuserinfo", http.MethodGet, true, s.auth.getUserInfo)
}

// authorizePage is the sandbox's stand-in for WeCom's sign-in screen.
var authorizePage = template.Must(template.New("authorize").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>企业微信登录（沙盒）</title>
<style>body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#222}
a.member{display:block;padding:.8rem 1rem;margin:.5rem 0;border:1px solid #ccd;border-radius:6px;text-decoration:none;color:#124;font-size:1.1rem}
a.member:hover{background:#eef4ff}.muted{color:#667;font-size:.9rem}.err{color:#b00}</style></head>
<body><h1>企业微信登录（沙盒）</h1>
{{if .Error}}<p class="err">{{.Error}}</p>{{else}}
<p>请选择以哪位成员的身份登录：</p>
{{range .Members}}<a class="member" href="{{.Link}}" data-userid="{{.UserID}}">{{.Name}}（{{.UserID}}）</a>{{end}}
<p class="muted"><a href="{{.Outsider}}" data-userid="">以非企业成员身份访问</a>（用来看看不在通讯录里的人会怎样）</p>
{{end}}</body></html>`))

type authorizeMember struct {
	UserID, Name string
	Link         template.URL
}

// authorize checks the parameters as WeCom would and either lists the members
// or, when one was chosen (userid, or outsider=1), redirects with a code.
func (a *authServer) authorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	cfg := a.s.Config()
	var problem string
	switch {
	case q.Get("appid") != cfg.CorpID:
		problem = "appid 与企业 CorpID 不符"
	case q.Get("response_type") != "code":
		problem = "response_type 必须为 code"
	case err != nil || !redirect.IsAbs():
		problem = "redirect_uri 参数错误"
	case q.Get("agentid") != "" && q.Get("agentid") != strconv.Itoa(cfg.AgentID):
		problem = "agentid 与应用不符"
	case len(q.Get("state")) > 128:
		problem = "state 超过 128 字节"
	}
	if problem != "" {
		w.WriteHeader(http.StatusBadRequest)
		_ = authorizePage.Execute(w, map[string]any{"Error": problem})
		return
	}
	if userID := q.Get("userid"); userID != "" || q.Get("outsider") == "1" {
		code := loginCode{expires: a.s.now().Add(loginCodeTTL)}
		if userID != "" {
			if _, ok := a.s.isStaff(userID); !ok {
				w.WriteHeader(http.StatusBadRequest)
				_ = authorizePage.Execute(w, map[string]any{"Error": "没有这位成员"})
				return
			}
			code.userID = userID
		} else {
			code.openID = "oSANDBOX" + randHex(8)
		}
		c := randHex(16)
		a.mu.Lock()
		a.codes[c] = code
		a.mu.Unlock()
		back := *redirect
		bq := back.Query()
		bq.Set("code", c)
		bq.Set("state", q.Get("state"))
		back.RawQuery = bq.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
		return
	}
	var members []authorizeMember
	for _, m := range cfg.Staff {
		mq := cloneValues(q)
		mq.Set("userid", m.UserID)
		members = append(members, authorizeMember{UserID: m.UserID, Name: m.Name, Link: template.URL("?" + mq.Encode())})
	}
	oq := cloneValues(q)
	oq.Set("outsider", "1")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = authorizePage.Execute(w, map[string]any{"Members": members, "Outsider": template.URL("?" + oq.Encode())})
}

// getUserInfo is /cgi-bin/auth/getuserinfo: a code is good once, for five
// minutes; members get their userid, others an openid.
func (a *authServer) getUserInfo(w http.ResponseWriter, r *http.Request) {
	c := r.URL.Query().Get("code")
	a.mu.Lock()
	code, ok := a.codes[c]
	delete(a.codes, c)
	a.mu.Unlock()
	if !ok || !a.s.now().Before(code.expires) {
		writeErr(w, errInvalidCode, "invalid code")
		return
	}
	if code.userID != "" {
		writeJSON(w, struct {
			apiError
			UserID string `json:"userid"`
		}{apiError{0, "ok"}, code.userID})
		return
	}
	writeJSON(w, struct {
		apiError
		OpenID string `json:"openid"`
	}{apiError{0, "ok"}, code.openID})
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		if k == "userid" || k == "outsider" {
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}
