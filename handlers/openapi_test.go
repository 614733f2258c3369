package handlers

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/open311"
	"banchengshi/staff"
	"banchengshi/storage/storagetest"
)

const open311Key = "key-of-the-12345-web-form"

// loadOpenAPI loads and validates the served document.
func loadOpenAPI(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, router
}

func TestOpenAPIDocumentValidates(t *testing.T) { loadOpenAPI(t) }

// TestOpenAPIMatchesRealResponses calls every documented operation, with its
// successes and its refusals, in both GeoReport formats, and validates each
// real answer against the document; then it checks that every documented
// operation was called and answered 200.
func TestOpenAPIMatchesRealResponses(t *testing.T) {
	doc, router := loadOpenAPI(t)
	openapi3filter.RegisterBodyDecoder("text/xml", decodeXMLBySchema)

	repo := storagetest.SQLite(t)
	dir, err := staff.LoadDirectory(filepath.Join("..", "configs", "directory.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	d := desk.New(desk.Config{Directory: staff.StaticSource(dir), Calendar: cases.WeekdayCalendar(), Now: time.Now})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	routes := func(token string, keys ...string) *httptest.Server {
		srv := httptest.NewServer(NewRouter(Routes{
			API:     &API{Repo: repo, Token: token},
			Open311: &Open311{Service: open311.New(open311.Config{Repo: repo, Desk: d, Keys: keys, Jurisdiction: "bcs.example"}), Log: log},
			Log:     log,
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	open, closed := routes(adminToken, open311Key), routes("")

	// A case made through Open311 gives the API a timeline and notifications.
	form := url.Values{"api_key": {open311Key}, "service_code": {"transfer"}, "address_string": {"人民路 1 号"},
		"description": {"养老保险关系转不过来"}, "phone": {"13812345678"}, "last_name": {"王"}, "first_name": {"建国"}}
	bad := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range form {
			f[kk] = vv
		}
		f.Set(k, v)
		return f
	}
	var number string

	type call struct {
		srv    *httptest.Server
		method string
		path   string
		form   url.Values
		token  string
		want   int
	}
	calls := []call{
		{open, "POST", "/open311/v2/requests.json", form, "", 200},
		{open, "POST", "/open311/v2/requests.xml", form, "", 200},
		{open, "POST", "/open311/v2/requests.json", bad("api_key", "nope"), "", 403},
		{open, "POST", "/open311/v2/requests.xml", bad("api_key", ""), "", 403},
		{closed, "POST", "/open311/v2/requests.json", form, "", 403},
		{open, "POST", "/open311/v2/requests.json", bad("description", ""), "", 400},
		{open, "POST", "/open311/v2/requests.xml", bad("phone", "12"), "", 400},
		{open, "POST", "/open311/v2/requests.json", bad("description", strings.Repeat("长", 30000)), "", 400},
		{open, "POST", "/open311/v2/requests.json", bad("service_code", "potholes"), "", 404},
		{open, "POST", "/open311/v2/requests.xml", bad("jurisdiction_id", "elsewhere"), "", 404},
		{open, "GET", "/open311/v2/services.json", nil, "", 200},
		{open, "GET", "/open311/v2/services.xml", nil, "", 200},
		{open, "GET", "/open311/v2/services.json?jurisdiction_id=elsewhere", nil, "", 404},
		{open, "GET", "/open311/v2/services/transfer.json", nil, "", 200},
		{open, "GET", "/open311/v2/services/transfer.xml", nil, "", 200},
		{open, "GET", "/open311/v2/services/potholes.json", nil, "", 404},
		{open, "GET", "/open311/v2/requests.json", nil, "", 200},
		{open, "GET", "/open311/v2/requests.xml?status=open,closed&service_code=transfer,pension", nil, "", 200},
		{open, "GET", "/open311/v2/requests.json?status=pending", nil, "", 400},
		{open, "GET", "/open311/v2/requests.xml?start_date=yesterday", nil, "", 400},
		{open, "GET", "/open311/v2/requests/{number}.json", nil, "", 200},
		{open, "GET", "/open311/v2/requests/{number}.xml", nil, "", 200},
		{open, "GET", "/open311/v2/requests/BC0000000000.xml", nil, "", 404},
		{open, "GET", "/api/cases", nil, adminToken, 200},
		{open, "GET", "/api/cases?status=submitted&limit=1", nil, adminToken, 200},
		{open, "GET", "/api/cases?status=lost", nil, adminToken, 400},
		{open, "GET", "/api/cases", nil, "wrong-token-wrong-token", 401},
		{closed, "GET", "/api/cases", nil, "", 403},
		{open, "GET", "/api/cases/{number}", nil, adminToken, 200},
		{open, "GET", "/api/cases/BC0000000000", nil, adminToken, 404},
		{closed, "GET", "/api/cases/{number}", nil, "", 403},
		{open, "GET", "/api/cases/{number}", nil, "", 401},
		{open, "GET", "/api/openapi.json", nil, "", 200},
	}
	answered := map[string]bool{} // "METHOD path template" answered 200
	for _, c := range calls {
		path := strings.ReplaceAll(c.path, "{number}", number)
		t.Run(c.method+" "+path, func(t *testing.T) {
			var body io.Reader
			if c.form != nil {
				body = strings.NewReader(c.form.Encode())
			}
			req := httptest.NewRequest(c.method, path, body) // for the router: no host
			real, _ := http.NewRequest(c.method, c.srv.URL+path, body)
			if c.form != nil {
				real.Body = io.NopCloser(strings.NewReader(c.form.Encode()))
				real.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if c.token != "" {
				real.Header.Set("Authorization", "Bearer "+c.token)
			}
			res, err := http.DefaultClient.Do(real)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			got, _ := io.ReadAll(res.Body)
			if res.StatusCode != c.want {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, c.want, got)
			}
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("not documented: %v", err)
			}
			in := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
					Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
				Status:  res.StatusCode,
				Header:  res.Header,
				Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
			}
			in.SetBodyBytes(got)
			if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
				t.Errorf("the answer does not match the document: %v\n%s", err, got)
			}
			if c.want == 200 {
				answered[c.method+" "+route.Path] = true
			}
			if number == "" && c.want == 200 && c.method == "POST" {
				var created []open311.Created
				if err := jsonUnmarshal(got, &created); err != nil || len(created) != 1 {
					t.Fatalf("POST answer %s", got)
				}
				number = created[0].ServiceRequestID
			}
		})
	}
	for _, p := range doc.Paths.InMatchingOrder() {
		for method := range doc.Paths.Value(p).Operations() {
			if !answered[method+" "+p] {
				t.Errorf("%s %s is documented but no test answered it 200", method, p)
			}
		}
	}
}

// xmlNode is any XML element.
type xmlNode struct {
	XMLName xml.Name
	Nodes   []xmlNode `xml:",any"`
	Text    string    `xml:",chardata"`
}

// decodeXMLBySchema reads a GeoReport XML answer into the JSON-like value its
// schema describes, checking the element names the schema's xml objects give
// (the root and each item), so that kin-openapi validates XML answers too.
func decodeXMLBySchema(body io.Reader, _ http.Header, sr *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(string(raw), xml.Header) {
		return nil, fmt.Errorf("no XML declaration with UTF-8")
	}
	var root xmlNode
	if err := xml.Unmarshal(raw, &root); err != nil {
		return nil, err
	}
	return fromXML(root, sr.Value)
}

func fromXML(n xmlNode, s *openapi3.Schema) (any, error) {
	if s.XML != nil && s.XML.Name != "" && s.XML.Name != n.XMLName.Local {
		return nil, fmt.Errorf("element <%s>, the document says <%s>", n.XMLName.Local, s.XML.Name)
	}
	switch {
	case s.Type.Is("array"):
		out := []any{}
		for _, c := range n.Nodes {
			v, err := fromXML(c, s.Items.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case s.Type.Is("object"):
		m := map[string]any{}
		for _, c := range n.Nodes {
			name := c.XMLName.Local
			p, ok := s.Properties[name]
			if !ok {
				m[name] = c.Text
				continue
			}
			ps := p.Value
			if ps.Type.Is("array") && ps.XML != nil && ps.XML.Wrapped {
				v, err := fromXML(c, ps)
				if err != nil {
					return nil, err
				}
				m[name] = v
				continue
			}
			v, err := fromXML(c, ps)
			if err != nil {
				return nil, err
			}
			m[name] = v
		}
		return m, nil
	case s.Type.Is("integer"):
		return strconv.ParseInt(strings.TrimSpace(n.Text), 10, 64)
	case s.Type.Is("number"):
		return strconv.ParseFloat(strings.TrimSpace(n.Text), 64)
	case s.Type.Is("boolean"):
		return strconv.ParseBool(strings.TrimSpace(n.Text))
	}
	return n.Text, nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
