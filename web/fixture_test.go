package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/internal/clocktest"
	"banchengshi/staff"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
	"banchengshi/web"
	"banchengshi/wecom"
)

// fakeIdentity is WeCom's sign-in reduced to its contract: the code
// "code-<userid>" signs userid in, "code-outsider" is somebody outside the
// corp, anything else is an invalid code.
type fakeIdentity struct{}

func (fakeIdentity) AuthorizeURL(redirectURI, state string, inWeCom bool) string {
	page := "https://wecom.test/weblogin?"
	if inWeCom {
		page = "https://wecom.test/authorize?"
	}
	return page + url.Values{"redirect_uri": {redirectURI}, "state": {state}}.Encode()
}

func (fakeIdentity) UserIDFromCode(_ context.Context, code string) (string, error) {
	switch {
	case code == "code-outsider":
		return "", wecom.ErrNotMember
	case strings.HasPrefix(code, "code-"):
		return strings.TrimPrefix(code, "code-"), nil
	}
	return "", &wecom.APIError{Code: wecom.CodeInvalidCode, Msg: "invalid code", Path: "/cgi-bin/auth/getuserinfo"}
}

// Case numbers of the seeded cases.
const (
	redCase    = "BC2611200001" // 社保中心 leads, overdue, with a photo and a voice message
	newCase    = "BC2611280001" // just submitted, with the window
	yellowCase = "BC2611210001" // 档案馆 leads, in progress
)

// The seeded red case's personal data.
const (
	idNumber = "11010519610715123X"
	phone    = "13812345678"
)

// fixture is the web pages over SQLite, the example directory and a fake
// WeCom sign-in, served by a test server.
type fixture struct {
	t     *testing.T
	clock *clocktest.Fake
	db    *storage.SQL
	srv   *httptest.Server
	ids   map[string]int64 // case number → id
	atts  map[string]int64 // "photo", "voice" → attachment id
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "configs", "directory.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := staff.ParseDirectory(data)
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktest.NewFake(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)) // 10:00 in Shanghai
	db := storagetest.SQLite(t)
	d := desk.New(desk.Config{Directory: staff.StaticSource(dir), Calendar: cases.WeekdayCalendar(), Now: clk.Now})
	f := &fixture{t: t, clock: clk, db: db, ids: map[string]int64{}, atts: map[string]int64{}}
	f.seed()

	gin.SetMode(gin.TestMode)
	r := gin.New()
	var pages *web.Server
	f.srv = httptest.NewServer(r)
	t.Cleanup(f.srv.Close)
	pages, err = web.New(web.Config{Repo: db, Reports: db, Desk: d, Identity: fakeIdentity{}, Sessions: db,
		SessionKey: web.DeriveKey([]byte("test data key")), PublicURL: f.srv.URL, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	pages.Mount(r)
	return f
}

func (f *fixture) seed() {
	ctx := context.Background()
	now := f.clock.Now()
	mk := func(c *cases.Case) {
		c.OpenKfID, c.ReporterID, c.ReporterName = "wkSANDBOX001", "wmReporter", "李阿姨"
		c.UpdatedAt = c.CreatedAt
		if err := f.db.CreateCase(ctx, c); err != nil {
			f.t.Fatal(err)
		}
		f.ids[c.Number] = c.ID
	}
	mk(&cases.Case{Number: redCase, Category: "transfer", LeadDept: "shebao", Status: cases.StatusAssigned,
		Affected: cases.Person{Name: "王大爷", IDNumber: idNumber, Phone: phone}, Relation: "邻居", Consent: "同意",
		ContactPhone: "13987654321", Description: "养老保险关系转不过来，电话 13812345678",
		Deadline: now.Add(-26 * time.Hour), LimitDays: 10, Light: cases.LightRed, CreatedAt: now.Add(-15 * 24 * time.Hour)})
	mk(&cases.Case{Number: yellowCase, Category: "pension", LeadDept: "dangan", Status: cases.StatusInProgress,
		Description: "档案里出生日期和身份证不一致", Deadline: now.Add(40 * time.Hour), LimitDays: 10, Light: cases.LightYellow,
		CreatedAt: now.Add(-10 * 24 * time.Hour)})
	mk(&cases.Case{Number: newCase, Category: "pension", Status: cases.StatusSubmitted, Description: "外省养老金停发了",
		Deadline: now.Add(15 * 24 * time.Hour), LimitDays: 15, Light: cases.LightGreen, CreatedAt: now.Add(-time.Hour)})
	for kind, a := range map[string]*cases.Attachment{
		"photo": {Kind: "image", FileName: "证明.jpg", ContentType: "image/jpeg", Data: []byte("\xff\xd8\xff\xe0 photo")},
		"voice": {Kind: "voice", FileName: "语音.amr", ContentType: "audio/amr", Data: []byte("#!AMR\n voice")},
	} {
		a.CaseID, a.CreatedAt = f.ids[redCase], now
		if err := f.db.AddAttachment(ctx, a); err != nil {
			f.t.Fatal(err)
		}
		f.atts[kind] = a.ID
	}
}

// browser is one person's browser: its own cookies, redirects not followed.
type browser struct {
	f    *fixture
	http *http.Client
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{f: f, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn goes through /web/login and WeCom's redirect back as userID.
func (f *fixture) signIn(userID string) *browser {
	f.t.Helper()
	b := f.browser()
	res, body := b.get("/web/login?next=/web/")
	if res.StatusCode != http.StatusFound {
		f.t.Fatalf("login: %d %s", res.StatusCode, body)
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	if got := loc.Query().Get("redirect_uri"); got != f.srv.URL+"/web/auth/callback" {
		f.t.Fatalf("redirect_uri %q", got)
	}
	res, body = b.get("/web/auth/callback?" + url.Values{"code": {"code-" + userID}, "state": {loc.Query().Get("state")}}.Encode())
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/web/" {
		f.t.Fatalf("callback as %s: %d %s %s", userID, res.StatusCode, res.Header.Get("Location"), body)
	}
	return b
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.f.t.Helper()
	res, err := b.http.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (b *browser) get(path string) (*http.Response, string) {
	req, _ := http.NewRequest(http.MethodGet, b.f.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	req, _ := http.NewRequest(http.MethodPost, b.f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// csrf reads the form token from a page the member can open.
func (b *browser) csrf() string {
	b.f.t.Helper()
	_, body := b.get("/web/")
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		b.f.t.Fatalf("no csrf token on the overview:\n%s", body)
	}
	return m[1]
}

// caseNow reads a case back from the database.
func (f *fixture) caseNow(number string) *cases.Case {
	f.t.Helper()
	c, err := f.db.GetCase(context.Background(), number)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) countEvents(number string, kind cases.EventKind) int {
	f.t.Helper()
	events, err := f.db.Timeline(context.Background(), f.ids[number])
	if err != nil {
		f.t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func attPath(id int64) string { return fmt.Sprintf("/web/attachments/%d", id) }
