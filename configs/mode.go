package configs

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// Mode says whom the product talks to: the local WeCom sandbox or a real
// WeCom corp. The sandbox lets anyone sign in as any member of the directory,
// supervisors included, so it must never run where real people could reach it.
type Mode string

// The modes. ModeAuto (BCS_MODE unset) picks the sandbox only when nothing
// production-like is configured; otherwise it means ModeWeCom.
const (
	ModeAuto    Mode = ""
	ModeSandbox Mode = "sandbox"
	ModeWeCom   Mode = "wecom"
)

// Sandbox reports whether the product serves and talks to the local WeCom
// sandbox: when BCS_MODE is sandbox, or when it is unset and nothing
// production-like is configured (see ProductionSigns). A configuration that
// asks for the sandbox and looks like production is refused by Validate.
func (c Config) Sandbox() bool {
	switch c.Mode {
	case ModeSandbox:
		return true
	case ModeAuto:
		return len(c.ProductionSigns()) == 0
	}
	return false
}

// ProductionSigns lists what in c looks like a real deployment: MySQL, Redis,
// any WeCom setting, or an address other machines can reach. Any one of them
// keeps the sandbox off.
func (c Config) ProductionSigns() []string {
	var signs []string
	if c.DBDriver == "mysql" {
		signs = append(signs, "BCS_DB_DRIVER is mysql")
	}
	if c.RedisAddr != "" {
		signs = append(signs, "BCS_REDIS_ADDR is set")
	}
	var wecom []string
	for _, s := range []struct {
		name string
		set  bool
	}{
		{"BCS_WECOM_CORP_ID", c.CorpID != ""},
		{"BCS_WECOM_AGENT_ID", c.AgentID != 0},
		{"BCS_WECOM_SECRET", c.Secret != ""},
		{"BCS_WECOM_TOKEN", c.Token != ""},
		{"BCS_WECOM_AES_KEY", c.AESKey != ""},
		{"BCS_WECOM_KF_TOKEN", c.KfToken != ""},
		{"BCS_WECOM_KF_AES_KEY", c.KfAESKey != ""},
	} {
		if s.set {
			wecom = append(wecom, s.name)
		}
	}
	switch len(wecom) {
	case 0:
	case 1:
		signs = append(signs, wecom[0]+" is set")
	default:
		signs = append(signs, strings.Join(wecom, ", ")+" are set")
	}
	if !loopbackListen(c.HTTPAddr) {
		signs = append(signs, fmt.Sprintf("BCS_HTTP_ADDR %s is reachable from other machines", c.HTTPAddr))
	}
	if c.PublicURL != "" && !loopbackURL(c.PublicURL) {
		signs = append(signs, "BCS_PUBLIC_URL is not on this machine")
	}
	return signs
}

// modeProblems checks that the mode is known, that the sandbox runs only on
// a configuration with no production signs, and that a real deployment has
// everything WeCom needs and an https public URL. Each rule gives one problem
// naming everything it lacks.
func (c Config) modeProblems() []string {
	switch c.Mode {
	case ModeAuto, ModeSandbox, ModeWeCom:
	default:
		return []string{fmt.Sprintf("BCS_MODE must be sandbox or wecom (or unset), not %q", c.Mode)}
	}
	signs := c.ProductionSigns()
	if c.Sandbox() {
		if len(signs) > 0 { // only with BCS_MODE=sandbox
			return []string{"BCS_MODE is sandbox but this configuration looks like production (" + strings.Join(signs, ", ") +
				"): the sandbox lets anyone sign in as any staff member, so it runs only on this machine with SQLite, no Redis and no WeCom settings; remove BCS_MODE or those settings"}
		}
		return nil
	}

	why := "BCS_MODE is wecom"
	if c.Mode == ModeAuto {
		why = strings.Join(signs, " and ")
	}
	var missing []string
	if c.CorpID == "" {
		missing = append(missing, "BCS_WECOM_CORP_ID is empty")
	}
	if c.AgentID <= 0 {
		missing = append(missing, "BCS_WECOM_AGENT_ID must be the self-built app's agent id (a positive number)")
	}
	if c.Secret == "" {
		missing = append(missing, "BCS_WECOM_SECRET is empty")
	}
	if c.Token == "" {
		missing = append(missing, "BCS_WECOM_TOKEN is empty")
	}
	if len(c.AESKey) != 43 {
		missing = append(missing, "BCS_WECOM_AES_KEY must be the 43-character EncodingAESKey")
	}
	var p []string
	if len(missing) > 0 {
		p = append(p, "WeCom is not fully configured, and the sandbox stays off because "+why+": "+
			strings.Join(missing, ", ")+" (copy them from the WeCom admin console)")
	}
	if !c.publicURLSafe() {
		p = append(p, "BCS_PUBLIC_URL must be the https address WeCom and browsers reach (e.g. https://bcs.example.gov.cn): "+
			"staff sign-in cookies are Secure and travel over https only; plain http is accepted only when both it and BCS_HTTP_ADDR are on this machine")
	}
	return p
}

// publicURLSafe reports whether the staff pages' cookies can be Secure: the
// public URL is https, or the product is reachable from this machine only
// (a rehearsal against a sandbox WeCom on loopback).
func (c Config) publicURLSafe() bool {
	public := c.PublicURL
	if public == "" {
		public = "http://" + c.HTTPAddr
	}
	u, err := url.Parse(public)
	if err != nil {
		return false
	}
	return u.Scheme == "https" || (loopbackURL(public) && loopbackListen(c.HTTPAddr))
}

// loopbackListen reports whether addr listens on this machine only.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && loopbackHost(host)
}

// loopbackURL reports whether the URL's host is this machine.
func loopbackURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && loopbackHost(u.Hostname())
}

func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
