package app

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
)

// The Open311 client below is written from the GeoReport v2 specification
// (wiki.open311.org/GeoReport_v2), not from the product's code: its types
// are the specification's fields, it posts a form, and it reads both formats.

type geoService struct {
	ServiceCode string `json:"service_code" xml:"service_code"`
	ServiceName string `json:"service_name" xml:"service_name"`
	Description string `json:"description" xml:"description"`
	Metadata    bool   `json:"metadata" xml:"metadata"`
	Type        string `json:"type" xml:"type"`
	Keywords    string `json:"keywords" xml:"keywords"`
	Group       string `json:"group" xml:"group"`
}

type geoServicesXML struct {
	Services []geoService `xml:"service"`
}

type geoCreated struct {
	ServiceRequestID string  `json:"service_request_id" xml:"service_request_id"`
	Token            string  `json:"token" xml:"token"`
	ServiceNotice    string  `json:"service_notice" xml:"service_notice"`
	AccountID        *string `json:"account_id" xml:"account_id"`
}

type geoRequest struct {
	ServiceRequestID  string `json:"service_request_id" xml:"service_request_id"`
	Status            string `json:"status" xml:"status"`
	StatusNotes       string `json:"status_notes" xml:"status_notes"`
	ServiceName       string `json:"service_name" xml:"service_name"`
	ServiceCode       string `json:"service_code" xml:"service_code"`
	Description       string `json:"description" xml:"description"`
	AgencyResponsible string `json:"agency_responsible" xml:"agency_responsible"`
	RequestedDatetime string `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  string `json:"expected_datetime" xml:"expected_datetime"`
}

type geoRequestsXML struct {
	XMLName  xml.Name     `xml:"service_requests"`
	Requests []geoRequest `xml:"request"`
}

type geoError struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

type geoErrorsXML struct {
	XMLName xml.Name   `xml:"errors"`
	Errors  []geoError `xml:"error"`
}

// geoClient speaks GeoReport v2 to an endpoint.
type geoClient struct {
	t        *testing.T
	endpoint string // ends in /
}

func (g geoClient) do(req *http.Request) (int, string, []byte) {
	g.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		g.t.Fatal(err)
	}
	return res.StatusCode, res.Header.Get("Content-Type"), body
}

func (g geoClient) get(path string, q url.Values) (int, string, []byte) {
	g.t.Helper()
	req, err := http.NewRequest(http.MethodGet, g.endpoint+path+"?"+q.Encode(), nil)
	if err != nil {
		g.t.Fatal(err)
	}
	return g.do(req)
}

func (g geoClient) post(path string, form url.Values) (int, string, []byte) {
	g.t.Helper()
	req, err := http.NewRequest(http.MethodPost, g.endpoint+path, strings.NewReader(form.Encode()))
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return g.do(req)
}

func (g geoClient) decodeJSON(body []byte, into any) {
	g.t.Helper()
	if err := json.Unmarshal(body, into); err != nil {
		g.t.Fatalf("not GeoReport JSON: %v\n%s", err, body)
	}
}

func (g geoClient) decodeXML(body []byte, into any) {
	g.t.Helper()
	if !strings.HasPrefix(string(body), `<?xml version="1.0" encoding="UTF-8"?>`) {
		g.t.Errorf("XML without the UTF-8 declaration: %.60s", body)
	}
	if err := xml.Unmarshal(body, into); err != nil {
		g.t.Fatalf("not GeoReport XML: %v\n%s", err, body)
	}
}

// TestOpen311ClientReportsACase is the acceptance story: a 12345 web form
// lists the services, posts a citizen's request, and the case is on the duty
// staff's cards and on the monitor; the open list shows no ID or phone number.
func TestOpen311ClientReportsACase(t *testing.T) {
	for _, b := range []backend{onSQLite, onMySQL} {
		t.Run(string(b), func(t *testing.T) { open311Story(t, b) })
	}
}

func open311Story(t *testing.T, b backend) {
	const key = "key-of-the-12345-web-form"
	p := startProduct(t, b)
	p.stop()
	p.cfg.Open311APIKeys = key + ",key-of-the-mini-program-0001"
	p.start()
	geo := geoClient{t: t, endpoint: p.app.URL() + "/open311/v2/"}

	// 1. Services, as JSON and XML, agree.
	status, ctype, body := geo.get("services.json", nil)
	if status != http.StatusOK || !strings.HasPrefix(ctype, "application/json") {
		t.Fatalf("GET services.json: %d %s\n%s", status, ctype, body)
	}
	var services []geoService
	geo.decodeJSON(body, &services)
	var transfer geoService
	for _, s := range services {
		if s.ServiceName == "社保关系转移" {
			transfer = s
		}
	}
	if transfer.ServiceCode == "" || transfer.Type != "realtime" || transfer.Group == "" {
		t.Fatalf("no realtime service 社保关系转移 among %+v", services)
	}
	status, ctype, body = geo.get("services.xml", nil)
	var servicesXML geoServicesXML
	geo.decodeXML(body, &servicesXML)
	if status != http.StatusOK || !strings.HasPrefix(ctype, "text/xml") || len(servicesXML.Services) != len(services) {
		t.Errorf("GET services.xml: %d %s, %d services, JSON has %d", status, ctype, len(servicesXML.Services), len(services))
	}

	// 2. Refusals in the specification's error format.
	form := url.Values{
		"api_key":        {key},
		"service_code":   {transfer.ServiceCode},
		"address_string": {"某某市某某区人民路 1 号"},
		"first_name":     {"建国"},
		"last_name":      {"王"},
		"phone":          {"138 1234 5678"},
		"email":          {"wang.jianguo@example.com"},
		"account_id":     {"web-20261206-0042"},
		"description":    {"我的身份证号 11010519610715123X，养老保险关系从外省转不过来，跑了两年了，请打 13812345678 联系我。"},
	}
	without := func(k string, v ...string) url.Values {
		f := url.Values{}
		for kk, vv := range form {
			f[kk] = vv
		}
		delete(f, k)
		if len(v) > 0 {
			f.Set(k, v[0])
		}
		return f
	}
	for _, tt := range []struct {
		name string
		form url.Values
		code int
	}{
		{"no api_key", without("api_key"), 403},
		{"wrong api_key", without("api_key", "key-of-somebody-else-000"), 403},
		{"no service_code", without("service_code"), 400},
		{"unknown service_code", without("service_code", "potholes"), 404},
		{"no location", without("address_string"), 400},
		{"bad phone", without("phone", "12345"), 400},
		{"no description", without("description"), 400},
	} {
		status, _, body := geo.post("requests.json", tt.form)
		var errs []geoError
		geo.decodeJSON(body, &errs)
		if status != tt.code || len(errs) != 1 || errs[0].Code != tt.code || errs[0].Description == "" {
			t.Errorf("%s: %d %s, want %d with an error document", tt.name, status, body, tt.code)
		}
	}
	status, _, body = geo.post("requests.xml", without("api_key"))
	var errsXML geoErrorsXML
	geo.decodeXML(body, &errsXML)
	if status != 403 || len(errsXML.Errors) != 1 || errsXML.Errors[0].Code != 403 {
		t.Errorf("XML refusal: %d %s", status, body)
	}
	if n := countCases(t, p); n != 0 {
		t.Fatalf("refused requests made %d cases", n)
	}

	// 3. The request is accepted with a case number at once (realtime).
	status, _, body = geo.post("requests.json", form)
	var created []geoCreated
	geo.decodeJSON(body, &created)
	if status != http.StatusOK || len(created) != 1 || created[0].ServiceRequestID == "" || created[0].ServiceNotice == "" {
		t.Fatalf("POST requests.json: %d %s", status, body)
	}
	number := created[0].ServiceRequestID

	// 4. It is a case like one from the chat, which shows where it came from
	// (the phone masked, as everywhere it is shown).
	c := p.caseDetail(number).Case
	if c.Source != cases.SourceOpen311 || c.ContactPhone != "138****5678" || c.ReporterName != "王建国" ||
		c.LeadDept != "shebao" || c.Status != cases.StatusSubmitted || c.Deadline.IsZero() {
		t.Errorf("case %s: source %q phone %q reporter %q dept %q status %q deadline %v",
			number, c.Source, c.ContactPhone, c.ReporterName, c.LeadDept, c.Status, c.Deadline)
	}

	// 5. The duty staff got the new-case card, saying it came through Open311.
	cardFor := func() string {
		for _, m := range p.sb.AppInbox("zhangsan") {
			if m.Card != nil && strings.Contains(m.Card.TaskID, number) {
				var fields []string
				for _, f := range m.Card.Fields {
					fields = append(fields, f.Key+"："+f.Value)
				}
				return strings.Join(fields, "\n")
			}
		}
		return ""
	}
	if !waitUntil(func() bool { return cardFor() != "" }) {
		t.Fatalf("duty staff got no card for %s: %+v", number, p.sb.AppInbox("zhangsan"))
	}
	if card := cardFor(); !strings.Contains(card, "Open311") || strings.Contains(card, "13812345678") {
		t.Errorf("card fields:\n%s", card)
	}

	// 6. On the monitor: the case list and the case page of a duty member.
	web := signInHTTP(t, p.app.URL(), "zhangsan")
	if page := web(p.app.URL() + "/web/cases"); !strings.Contains(page, number) {
		t.Errorf("the monitor's case list does not show %s", number)
	}
	if page := web(p.app.URL() + "/web/cases/" + number); !strings.Contains(page, "Open311") {
		t.Errorf("the case page of %s does not say it came through Open311", number)
	}

	// 7. GET requests, as anybody: the case, without personal data.
	for _, format := range []string{"json", "xml"} {
		status, _, body := geo.get("requests."+format, url.Values{"status": {"open"}})
		var list []geoRequest
		if format == "json" {
			geo.decodeJSON(body, &list)
		} else {
			var x geoRequestsXML
			geo.decodeXML(body, &x)
			list = x.Requests
		}
		if status != http.StatusOK || len(list) != 1 || list[0].ServiceRequestID != number || list[0].Status != "open" ||
			list[0].ServiceCode != transfer.ServiceCode || !strings.Contains(list[0].Description, "养老保险关系") {
			t.Errorf("GET requests.%s: %d %s", format, status, body)
		}
		for _, secret := range []string{"11010519610715123X", "13812345678", "138 1234 5678", "王建国", "wang.jianguo", "人民路"} {
			if strings.Contains(string(body), secret) {
				t.Errorf("GET requests.%s shows %q:\n%s", format, secret, body)
			}
		}
	}
	status, _, body = geo.get("requests/"+number+".json", nil)
	var one []geoRequest
	geo.decodeJSON(body, &one)
	if status != http.StatusOK || len(one) != 1 || one[0].ServiceRequestID != number {
		t.Errorf("GET requests/%s.json: %d %s", number, status, body)
	}
	if status, _, _ := geo.get("requests.json", url.Values{"status": {"closed"}}); status != http.StatusOK {
		t.Errorf("GET requests.json?status=closed: %d", status)
	}
	if n := countCases(t, p); n != 1 {
		t.Errorf("%d cases, want 1", n)
	}

	// 8. Resolved: the reporter has no chat, so the duty staff are asked to
	// phone them with the answer, once; the posting system reads it back.
	before := len(p.sb.AppInbox("zhangsan"))
	p.act("zhangsan", number, "受理 "+number)
	p.act("zhangsan", number, "派单 "+number+" 社保中心")
	p.act("wangwu", number, "办结 "+number+" 已与外省社保中心核实，转移手续已办好")
	phoneTask := func() string {
		for _, m := range p.sb.AppInbox("zhangsan")[before:] {
			if strings.Contains(m.Text, "电话联系") && strings.Contains(m.Text, number) {
				return m.Text
			}
		}
		return ""
	}
	if !waitUntil(func() bool { return phoneTask() != "" }) {
		t.Fatalf("no phone task for the answer of %s: %+v", number, p.sb.AppInbox("zhangsan")[before:])
	}
	if task := phoneTask(); !strings.Contains(task, "13812345678") || !strings.Contains(task, "Open311") {
		t.Errorf("phone task:\n%s", task)
	}
	status, _, body = geo.get("requests/"+number+".json", nil)
	geo.decodeJSON(body, &one)
	if status != http.StatusOK || one[0].Status != "closed" || !strings.Contains(one[0].StatusNotes, "转移手续已办好") {
		t.Errorf("after 办结, GET requests/%s.json: %d %s", number, status, body)
	}
	// Whatever else the answer set off is done once every notification of
	// the case has its fate.
	p.settleCases(number)
	tasks := 0
	for _, m := range p.sb.AppInbox("zhangsan")[before:] {
		if strings.Contains(m.Text, "电话联系") {
			tasks++
		}
	}
	if tasks != 1 {
		t.Errorf("%d phone tasks for one answer, want 1", tasks)
	}
}

// countCases counts every case the staff API lists.
func countCases(t *testing.T, p *product) int {
	t.Helper()
	return len(p.caseList())
}

// signInHTTP signs userID in to the staff pages through the sandbox's WeCom
// sign-in, as a browser following redirects would, and returns a getter of
// pages with that session.
func signInHTTP(t *testing.T, base, userID string) func(string) string {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(u string) string {
		t.Helper()
		res, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", u, res.StatusCode)
		}
		return string(body)
	}
	res, err := client.Get(base + "/web/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	u := *res.Request.URL // the sign-in page the product sent us to
	q := u.Query()
	q.Set("userid", userID)
	u.RawQuery = q.Encode()
	get(u.String())
	return get
}
