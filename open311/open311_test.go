package open311

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func form(kv ...string) url.Values {
	v := url.Values{"service_code": {"transfer"}, "address_string": {"人民路 1 号"}, "description": {"养老保险关系转不过来"},
		"phone": {"13812345678"}}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
			continue
		}
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name   string
		form   url.Values
		reason Reason // "" when accepted
		want   func(Request) string
	}{
		{name: "accepted", form: form()},
		{name: "spaced phone normalized like the chat's", form: form("phone", "+86 138-1234-5678"),
			want: func(r Request) string { return r.Phone }},
		{name: "email alone is a contact", form: form("phone", "", "email", "a@example.com")},
		{name: "lat and long instead of an address", form: form("address_string", "", "lat", "30.27", "long", "120.15")},
		{name: "address id instead of an address", form: form("address_string", "", "address_id", "A-1")},
		{name: "Chinese name, family name first", form: form("first_name", "建国", "last_name", "王"),
			want: func(r Request) string { return r.Name() }},
		{name: "Latin name, given name first", form: form("first_name", "Anna", "last_name", "Li"),
			want: func(r Request) string { return r.Name() }},
		{name: "no service", form: form("service_code", ""), reason: ReasonNoService},
		{name: "no location", form: form("address_string", ""), reason: ReasonNoLocation},
		{name: "lat without long", form: form("address_string", "", "lat", "30.27"), reason: ReasonBadPosition},
		{name: "lat out of range", form: form("lat", "91", "long", "120"), reason: ReasonBadPosition},
		{name: "no description", form: form("description", "  "), reason: ReasonNoDescription},
		{name: "description too long", form: form("description", strings.Repeat("长", 4001)), reason: ReasonTooLong},
		{name: "no contact", form: form("phone", ""), reason: ReasonNoContact},
		{name: "not a phone", form: form("phone", "12345"), reason: ReasonBadPhone},
		{name: "not an email", form: form("email", "wang at example"), reason: ReasonBadEmail},
		{name: "email with a display name", form: form("email", "王 <a@example.com>"), reason: ReasonBadEmail},
		{name: "a number for a name", form: form("last_name", "13812345678"), reason: ReasonBadName},
		{name: "a sentence for a name", form: form("last_name", "我是王建国，帮邻居反映问题"), reason: ReasonBadName},
		{name: "media url not http", form: form("media_url", "file:///etc/passwd"), reason: ReasonBadURL},
	}
	wants := map[string]string{
		"spaced phone normalized like the chat's": "13812345678",
		"Chinese name, family name first":         "王建国",
		"Latin name, given name first":            "Anna Li",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRequest(tt.form)
			var oe *Error
			switch {
			case tt.reason == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.reason != "" && !errors.As(err, &oe):
				t.Fatalf("accepted, want %s", tt.reason)
			case tt.reason != "":
				if oe.Reason != tt.reason || oe.Code != 400 {
					t.Errorf("refused %d %s, want 400 %s", oe.Code, oe.Reason, tt.reason)
				}
				if d := oe.Doc(); d.Description == "" || strings.Contains(d.Description, "%!") {
					t.Errorf("error document %+v", d)
				}
			}
			if tt.want != nil {
				if diff := cmp.Diff(wants[tt.name], tt.want(r)); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestClient(t *testing.T) {
	closed := New(Config{})
	var oe *Error
	if _, err := closed.Client("anything-at-all-0000"); !errors.As(err, &oe) || oe.Reason != ReasonPostClosed || oe.Code != 403 {
		t.Errorf("no keys configured: %v", err)
	}
	s := New(Config{Keys: []string{"key-of-12345-web-form", "key-of-the-mini-program"}})
	a, err1 := s.Client("key-of-12345-web-form")
	b, err2 := s.Client("key-of-the-mini-program")
	if err1 != nil || err2 != nil || a == b || len(a) != 8 || strings.Contains(a, "key") {
		t.Errorf("clients %q %v, %q %v: want two distinct short ids", a, err1, b, err2)
	}
	for key, reason := range map[string]Reason{"": ReasonNoAPIKey, "key-of-12345-web-forM": ReasonBadAPIKey} {
		if _, err := s.Client(key); !errors.As(err, &oe) || oe.Reason != reason || oe.Code != 403 {
			t.Errorf("Client(%q) = %v, want 403 %s", key, err, reason)
		}
	}
}

func TestCheckJurisdiction(t *testing.T) {
	any := New(Config{})
	if err := any.CheckJurisdiction("city.example"); err != nil {
		t.Errorf("no jurisdiction configured refuses %v", err)
	}
	one := New(Config{Jurisdiction: "bcs.example.gov.cn"})
	for id, ok := range map[string]bool{"": true, "bcs.example.gov.cn": true, "other.example": false} {
		if err := one.CheckJurisdiction(id); (err == nil) != ok {
			t.Errorf("CheckJurisdiction(%q) = %v", id, err)
		}
	}
}

func TestContactNoteMasksThePhone(t *testing.T) {
	r, err := ParseRequest(form("email", "wang@example.com", "first_name", "建国", "last_name", "王"))
	if err != nil {
		t.Fatal(err)
	}
	body, data := contactNote("3fa2c1d0", r)
	if !strings.Contains(body, "Open311") || !strings.Contains(body, "3fa2c1d0") || !strings.Contains(body, "wang@example.com") ||
		!strings.Contains(body, "王建国") || strings.Contains(body, "13812345678") || strings.Contains(data, "13812345678") {
		t.Errorf("note %q, data %s", body, data)
	}
}
