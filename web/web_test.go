package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

func TestNothingWithoutSession(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	for _, path := range []string{"/web/", "/web/cases", "/web/cases/" + redCase, "/web/reports", attPath(f.atts["photo"])} {
		res, _ := b.get(path)
		if res.StatusCode != http.StatusFound || !strings.HasPrefix(res.Header.Get("Location"), "/web/login?next=") {
			t.Errorf("GET %s: %d → %q, want a redirect to sign in", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	res, _ := b.get("/web/reports.csv")
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET reports.csv: %d, want 401", res.StatusCode)
	}
	res, _ = b.post("/web/cases/"+redCase+"/act", url.Values{"verb": {"办结"}, "text": {"已办"}})
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST act: %d, want 401", res.StatusCode)
	}
	if got := f.caseNow(redCase).Status; got != cases.StatusAssigned {
		t.Errorf("status %s after an anonymous POST", got)
	}
}

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name       string
		code       string
		badState   bool
		wantStatus int
		wantText   string
	}{
		{name: "directory member", code: "code-sunqi", wantStatus: http.StatusFound},
		{name: "corp member not in the directory", code: "code-stranger", wantStatus: http.StatusForbidden, wantText: "不在本窗口的工作人员名单中"},
		{name: "not a corp member", code: "code-outsider", wantStatus: http.StatusForbidden, wantText: "不在本窗口的工作人员名单中"},
		{name: "invalid code", code: "bogus", wantStatus: http.StatusBadRequest, wantText: "请重新登录"},
		{name: "state from another browser", code: "code-sunqi", badState: true, wantStatus: http.StatusBadRequest, wantText: "请重新登录"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := f.browser()
			res, _ := b.get("/web/login?next=" + url.QueryEscape("/web/cases/"+redCase))
			loc, _ := url.Parse(res.Header.Get("Location"))
			state := loc.Query().Get("state")
			if tt.badState {
				state = "0123456789abcdef"
			}
			res, body := b.get("/web/auth/callback?" + url.Values{"code": {tt.code}, "state": {state}}.Encode())
			if res.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantText) {
				t.Fatalf("callback: %d %q, want %d with %q", res.StatusCode, body, tt.wantStatus, tt.wantText)
			}
			if tt.wantStatus == http.StatusFound {
				if got := res.Header.Get("Location"); got != "/web/cases/"+redCase {
					t.Errorf("back to %q, want the page asked for", got)
				}
				if res, _ := b.get("/web/"); res.StatusCode != http.StatusOK {
					t.Errorf("overview after sign-in: %d", res.StatusCode)
				}
			} else if res, _ := b.get("/web/"); res.StatusCode != http.StatusFound {
				t.Errorf("overview after a refused sign-in: %d, want a redirect", res.StatusCode)
			}
		})
	}
}

func TestSessionCookie(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	res, _ := b.get("/web/login")
	loc, _ := url.Parse(res.Header.Get("Location"))
	res, _ = b.get("/web/auth/callback?" + url.Values{"code": {"code-sunqi"}, "state": {loc.Query().Get("state")}}.Encode())
	var got *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "bcs_session" {
			got = c
		}
	}
	if got == nil || !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Path != "/web" {
		t.Fatalf("session cookie %+v, want HttpOnly, SameSite=Lax, Path=/web", got)
	}
}

func TestSessionExpires(t *testing.T) {
	tests := []struct {
		name  string
		steps []time.Duration // requests after these pauses
		want  int             // status of the last request
	}{
		{"active within the idle time", []time.Duration{7 * time.Hour, 7 * time.Hour}, http.StatusOK},
		{"idle for 8 hours", []time.Duration{8 * time.Hour}, http.StatusFound},
		{"active but signed in 24 hours ago", []time.Duration{7 * time.Hour, 7 * time.Hour, 7 * time.Hour, 3 * time.Hour}, http.StatusFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			b := f.signIn("sunqi")
			var status int
			for _, d := range tt.steps {
				f.clock.Advance(d)
				res, _ := b.get("/web/cases")
				status = res.StatusCode
			}
			if status != tt.want {
				t.Errorf("last request: %d, want %d", status, tt.want)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	f := newFixture(t)
	b := f.signIn("sunqi")
	if res, _ := b.post("/web/logout", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("logout without the form token: %d, want 403", res.StatusCode)
	}
	res, body := b.post("/web/logout", url.Values{"csrf": {b.csrf()}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "已退出登录") {
		t.Fatalf("logout: %d %s", res.StatusCode, body)
	}
	if res, _ := b.get("/web/"); res.StatusCode != http.StatusFound {
		t.Errorf("overview after logout: %d, want a redirect to sign in", res.StatusCode)
	}
}

func TestPages(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		user   string
		path   string
		status int
		has    []string
		hasNot []string
	}{
		{name: "overview", user: "sunqi", path: "/web/", status: http.StatusOK,
			has: []string{`id="count-red">1<`, `id="count-yellow">1<`, `id="count-green">1<`, `id="count-new">1<`, redCase, "社保中心", "data-refresh"}},
		{name: "overview of a handler lists only their overdue cases", user: "zhaoliu", path: "/web/", status: http.StatusOK,
			has: []string{`id="count-red">1<`, "没有超期案件"}},
		{name: "case list masks phones", user: "sunqi", path: "/web/cases", status: http.StatusOK,
			has: []string{redCase, yellowCase, newCase, "139****4321"}, hasNot: []string{"13987654321", phone}},
		{name: "case list filtered by light", user: "sunqi", path: "/web/cases?light=yellow", status: http.StatusOK,
			has: []string{yellowCase}, hasNot: []string{redCase, newCase}},
		{name: "case list by phone", user: "sunqi", path: "/web/cases?q=138-1234-5678", status: http.StatusOK,
			has: []string{redCase}, hasNot: []string{yellowCase}},
		{name: "case list by number", user: "sunqi", path: "/web/cases?q=" + strings.ToLower(newCase), status: http.StatusOK,
			has: []string{newCase}, hasNot: []string{redCase}},
		{name: "case list rejects a partial search", user: "sunqi", path: "/web/cases?q=12", status: http.StatusOK,
			has: []string{"请输入完整的案件编号"}},
		{name: "case list of a handler keeps to their department", user: "zhaoliu", path: "/web/cases?dept=shebao", status: http.StatusOK,
			has: []string{yellowCase}, hasNot: []string{redCase, newCase}},
		{name: "case page masked", user: "wangwu", path: "/web/cases/" + redCase, status: http.StatusOK,
			has:    []string{"110*************3X", "138****5678", "查看完整身份证号和电话", "证明.jpg", "下载语音", "浏览器无法直接播放", `data-verb="办结"`},
			hasNot: []string{idNumber, phone}},
		{name: "case page of another department", user: "zhaoliu", path: "/web/cases/" + redCase, status: http.StatusForbidden,
			hasNot: []string{idNumber, "110*************3X", "养老保险关系"}},
		{name: "window staff see accept and assign only", user: "zhangsan", path: "/web/cases/" + newCase, status: http.StatusOK,
			has: []string{`data-verb="受理"`, `data-verb="派单"`}, hasNot: []string{`data-verb="办结"`}},
		{name: "unknown case", user: "sunqi", path: "/web/cases/BC2611289999", status: http.StatusForbidden, has: []string{"没有找到案件"}},
		{name: "reports", user: "sunqi", path: "/web/reports?from=2026-11-01&to=2026-11-28", status: http.StatusOK,
			has: []string{"<svg", "按时办结率", "社保中心", "档案馆", "reports.csv?from=2026-11-01"}},
		{name: "reports with a bad date", user: "sunqi", path: "/web/reports?from=11/01", status: http.StatusOK, has: []string{"日期格式"}},
	}
	browsers := map[string]*browser{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := browsers[tt.user]
			if b == nil {
				b = f.signIn(tt.user)
				browsers[tt.user] = b
			}
			res, body := b.get(tt.path)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d:\n%s", res.StatusCode, tt.status, body)
			}
			for _, s := range tt.has {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(body, s) {
					t.Errorf("page shows %q", s)
				}
			}
		})
	}
	if n := f.countEvents(redCase, cases.EventPIIViewed); n != 0 {
		t.Errorf("%d personal-data views recorded by masked pages, want 0", n)
	}
}

func TestRevealPII(t *testing.T) {
	f := newFixture(t)
	path := "/web/cases/" + redCase + "/pii"

	other := f.signIn("zhaoliu")
	if res, body := other.post(path, url.Values{"csrf": {other.csrf()}}); res.StatusCode != http.StatusForbidden || strings.Contains(body, idNumber) {
		t.Errorf("another department's handler: %d, want 403 without the ID number", res.StatusCode)
	}

	b := f.signIn("wangwu")
	if res, body := b.post(path, url.Values{}); res.StatusCode != http.StatusForbidden || strings.Contains(body, idNumber) {
		t.Errorf("without the form token: %d, want 403 without the ID number", res.StatusCode)
	}
	if n := f.countEvents(redCase, cases.EventPIIViewed); n != 0 {
		t.Fatalf("%d views recorded before anybody saw the data", n)
	}
	res, body := b.post(path, url.Values{"csrf": {b.csrf()}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("reveal: %d", res.StatusCode)
	}
	for _, s := range []string{idNumber, phone, "13987654321", "王五 查看了群众的身份证号和电话"} {
		if !strings.Contains(body, s) {
			t.Errorf("revealed page lacks %q", s)
		}
	}
	if n := f.countEvents(redCase, cases.EventPIIViewed); n != 1 {
		t.Errorf("%d views recorded, want 1", n)
	}
}

func TestAttachments(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		user, kind  string
		status      int
		ctype       string
		disposition string
	}{
		{"wangwu", "photo", http.StatusOK, "image/jpeg", "inline"},
		{"wangwu", "voice", http.StatusOK, "audio/amr", "attachment"},
		{"sunqi", "photo", http.StatusOK, "image/jpeg", "inline"},
		{"zhaoliu", "photo", http.StatusNotFound, "", ""},
	}
	for _, tt := range tests {
		b := f.signIn(tt.user)
		res, body := b.get(attPath(f.atts[tt.kind]))
		if res.StatusCode != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.user, tt.kind, res.StatusCode, tt.status)
			continue
		}
		if tt.status != http.StatusOK {
			if strings.Contains(body, "photo") {
				t.Errorf("%s got the photo's bytes", tt.user)
			}
			continue
		}
		if got := res.Header.Get("Content-Type"); got != tt.ctype {
			t.Errorf("%s %s: content type %q, want %q", tt.user, tt.kind, got, tt.ctype)
		}
		if got := res.Header.Get("Content-Disposition"); !strings.HasPrefix(got, tt.disposition) {
			t.Errorf("%s %s: disposition %q, want %s", tt.user, tt.kind, got, tt.disposition)
		}
	}
}

// TestVoicePlayer checks what the AMR voice player needs from the server; the
// browser test plays a voice message with it.
func TestVoicePlayer(t *testing.T) {
	f := newFixture(t)
	b := f.signIn("wangwu")
	res, page := b.get("/web/cases/" + redCase)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("case page: %d", res.StatusCode)
	}
	for _, s := range []string{
		`<div class="voice" data-src="` + attPath(f.atts["voice"]) + `"`,
		`<button type="button" class="voice-play" hidden>▶ 播放语音</button>`,
		`<a href="` + attPath(f.atts["voice"]) + `" download>下载语音 语音.amr</a>`,
		`<script src="/web/assets/vendor/benz-amr-recorder/BenzAMRRecorder.min.js" defer></script>`,
	} {
		if !strings.Contains(page, s) {
			t.Errorf("case page lacks %s", s)
		}
	}
	// It decodes in a worker started from a blob: URL; nothing else is let in.
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "worker-src blob:;") || !strings.Contains(csp, "script-src 'self';") {
		t.Errorf("Content-Security-Policy %q: want worker-src blob: and script-src 'self'", csp)
	}
	if res, page := f.signIn("sunqi").get("/web/cases/" + yellowCase); res.StatusCode != http.StatusOK || strings.Contains(page, "BenzAMRRecorder") {
		t.Errorf("a case without voice messages (%d) loads the AMR player", res.StatusCode)
	}

	tests := []struct{ file, ctype, has string }{
		{"BenzAMRRecorder.min.js", "text/javascript; charset=utf-8", "BenzAMRRecorder"},
		{"LICENSE", "text/plain; charset=utf-8", "MIT License"},
		{"README.md", "text/plain; charset=utf-8", "benz-amr-recorder@1.1.5"},
	}
	for _, tt := range tests {
		res, body := f.browser().get("/web/assets/vendor/benz-amr-recorder/" + tt.file)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != tt.ctype || !strings.Contains(body, tt.has) {
			t.Errorf("%s: %d %q, has %q: %v", tt.file, res.StatusCode, res.Header.Get("Content-Type"), tt.has, strings.Contains(body, tt.has))
		}
	}
}

func TestReportsCSV(t *testing.T) {
	f := newFixture(t)
	b := f.signIn("sunqi")
	res, body := b.get("/web/reports.csv?from=2026-11-01&to=2026-11-28")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("csv: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !strings.HasPrefix(body, "\uFEFF部门,类别,案件数") {
		t.Fatalf("csv does not start with a BOM and the header: %q", body[:min(len(body), 40)])
	}
	want := []string{
		"\uFEFF部门,类别,案件数,已办结,按时办结,按时办结率,平均办理时长（小时）,评价数,平均满意度,重办数,重办率",
		"未派单（窗口）,养老保险,1,0,0,,,0,,0,0.0%",
		"档案馆,养老保险,1,0,0,,,0,,0,0.0%",
		"社保中心,社保关系转移,1,0,0,,,0,,0,0.0%",
		"合计,,3,0,0,,,0,,0,0.0%",
	}
	got := strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n")
	if diff := cmp.Diff(want, got, cmp.Transformer("sort", sortedMiddle)); diff != "" {
		t.Errorf("csv (-want +got):\n%s", diff)
	}
}

// sortedMiddle sorts the data lines between the header and the total, whose
// order among equally busy departments is not part of the contract.
func sortedMiddle(lines []string) []string {
	if len(lines) < 3 {
		return lines
	}
	out := append([]string(nil), lines...)
	mid := out[1 : len(out)-1]
	for i := 1; i < len(mid); i++ {
		for j := i; j > 0 && mid[j] < mid[j-1]; j-- {
			mid[j], mid[j-1] = mid[j-1], mid[j]
		}
	}
	return out
}

// Staff at a desk sign in through WeCom's web login (QR code); inside the
// WeCom client the page signs them in with OAuth directly.
func TestSignInPageFitsTheBrowser(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ ua, want string }{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0", "https://wecom.test/weblogin?"},
		{"Mozilla/5.0 (iPhone) wxwork/4.1.16 MicroMessenger/7.0.1", "https://wecom.test/authorize?"},
	} {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/web/login", nil)
		req.Header.Set("User-Agent", tt.ua)
		resp, _ := f.browser().do(req)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, tt.want) {
			t.Errorf("%s: %d to %q, want a redirect to %s…", tt.ua, resp.StatusCode, loc, tt.want)
		}
	}
}

// The reports' figures are the bureau's, but the cases listed behind the
// accountability list are only those the member may open.
func TestReportsListOnlyViewableCases(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, number := range []string{redCase, yellowCase} { // 社保中心's and 档案馆's
		c := f.caseNow(number)
		c.Accountability = "区社保窗口：本可当场办理"
		if err := f.db.UpdateCase(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	_, page := f.signIn("wangwu").get("/web/reports") // a 社保中心 handler
	if !strings.Contains(page, redCase) || strings.Contains(page, yellowCase) {
		t.Errorf("a 社保中心 handler's accountability list: has %s %v, has %s %v; want only their own",
			redCase, strings.Contains(page, redCase), yellowCase, strings.Contains(page, yellowCase))
	}
	_, page = f.signIn("sunqi").get("/web/reports") // the bureau's supervisor
	if !strings.Contains(page, redCase) || !strings.Contains(page, yellowCase) {
		t.Error("the bureau's supervisor does not see the whole accountability list")
	}
}
