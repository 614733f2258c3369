package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// OAuthAuthorizeURL is WeCom's web authorisation page for members opening a
// page inside the WeCom client.
const OAuthAuthorizeURL = "https://open.weixin.qq.com/connect/oauth2/authorize"

// WebLoginURL is WeCom's web login page for a desktop browser: the member
// scans a QR code with WeCom, or confirms in the desktop client.
const WebLoginURL = "https://login.work.weixin.qq.com/wwlogin/sso/login"

// CodeInvalidCode (40029) is the answer to a login code that is unknown, used
// or older than five minutes.
const CodeInvalidCode = 40029

// ErrNotMember is returned by UserIDFromCode when the person who signed in is
// not a member of the corp (WeCom answers an openid instead of a userid).
var ErrNotMember = errors.New("wecom: not a member of the corp")

// AuthorizeURL is where a browser is sent to sign a member in with the
// self-built app. Inside the WeCom client (inWeCom) that is the OAuth page
// (scope snsapi_base); in any other browser it is WeCom's web login. Both
// send the browser back to redirectURI?code=CODE&state=STATE, and the code
// is exchanged with UserIDFromCode. With Config.SignInBase set (the local
// sandbox), both are its /connect/oauth2/authorize page.
func (c *Client) AuthorizeURL(redirectURI, state string, inWeCom bool) string {
	q := url.Values{}
	q.Set("appid", c.corpID)
	q.Set("redirect_uri", redirectURI)
	q.Set("state", state)
	q.Set("agentid", strconv.Itoa(c.agentID))
	if c.signInBase != nil || inWeCom {
		q.Set("response_type", "code")
		q.Set("scope", "snsapi_base")
	}
	switch {
	case c.signInBase != nil:
		u := *c.signInBase
		u.Path = c.signInBase.Path + "/connect/oauth2/authorize"
		u.RawQuery = q.Encode()
		return u.String()
	case inWeCom:
		return OAuthAuthorizeURL + "?" + q.Encode() + "#wechat_redirect"
	default:
		q.Set("login_type", "CorpApp")
		return WebLoginURL + "?" + q.Encode()
	}
}

// UserIDFromCode exchanges a sign-in code (single use, valid five minutes) for
// the member's user id through /cgi-bin/auth/getuserinfo. Somebody who is not
// a corp member gets ErrNotMember.
func (c *Client) UserIDFromCode(ctx context.Context, code string) (string, error) {
	const p = "/cgi-bin/auth/getuserinfo"
	if code == "" {
		return "", fmt.Errorf("auth getuserinfo: %w", invalidf("code is required"))
	}
	resp, err := c.call(ctx, request{method: http.MethodGet, path: p, query: url.Values{"code": {code}}})
	if err != nil {
		return "", fmt.Errorf("auth getuserinfo: %w", err)
	}
	var out struct {
		UserID string `json:"userid"`
		OpenID string `json:"openid"`
	}
	if err := json.Unmarshal(resp.body, &out); err != nil {
		return "", fmt.Errorf("wecom %s: decode answer: %w", p, err)
	}
	switch {
	case out.UserID != "":
		return out.UserID, nil
	case out.OpenID != "":
		return "", ErrNotMember
	}
	return "", errEmptyField(p, "userid")
}
