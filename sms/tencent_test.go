package sms

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	testSecretID  = "AKIDtest0000000000000000000000000000"
	testSecretKey = "testSecretKey000000000000000000000"
)

// tencentServer speaks Tencent Cloud API 3.0 as its documentation describes
// it: a POST of JSON to /, X-TC-* headers, and an Authorization header
// signed with TC3-HMAC-SHA256, which it verifies against its own copy of the
// secret key before it answers with reply.
type tencentServer struct {
	t     *testing.T
	reply func(req sentRequest) (status int, body string)

	mu   sync.Mutex
	seen []sentRequest
}

// sentRequest is what the server understood of one call.
type sentRequest struct {
	Action, Version, Region string
	Phones                  []string `json:"PhoneNumberSet"`
	AppID                   string   `json:"SmsSdkAppId"`
	Template                string   `json:"TemplateId"`
	Sign                    string   `json:"SignName"`
	Params                  []string `json:"TemplateParamSet"`
}

func (s *tencentServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if code := verifyTC3(r, body, testSecretID, testSecretKey); code != "" {
		writeTencentError(w, code, "signature check failed")
		return
	}
	var req sentRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeTencentError(w, "InvalidParameter", "bad json")
		return
	}
	req.Action, req.Version, req.Region = r.Header.Get("X-TC-Action"), r.Header.Get("X-TC-Version"), r.Header.Get("X-TC-Region")
	s.mu.Lock()
	s.seen = append(s.seen, req)
	s.mu.Unlock()
	status, out := s.reply(req)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, out)
}

func writeTencentError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"Response":{"Error":{"Code":%q,"Message":%q},"RequestId":"req-err-1"}}`, code, msg)
}

// verifyTC3 checks the request's signature the way Tencent Cloud documents
// it (API 3.0, "Signature v3"); it returns "" or the error code Tencent gives.
func verifyTC3(r *http.Request, body []byte, id, key string) string {
	auth := r.Header.Get("Authorization")
	const algo = "TC3-HMAC-SHA256 "
	if !strings.HasPrefix(auth, algo) {
		return "AuthFailure.SignatureFailure"
	}
	fields := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(auth, algo), ", ") {
		k, v, _ := strings.Cut(part, "=")
		fields[k] = v
	}
	ts := r.Header.Get("X-TC-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return "AuthFailure.SignatureExpire"
	}
	date := time.Unix(sec, 0).UTC().Format("2006-01-02")
	service := "sms"
	scope := date + "/" + service + "/tc3_request"
	if fields["Credential"] != id+"/"+scope {
		return "AuthFailure.SecretIdNotFound"
	}
	if fields["SignedHeaders"] != "content-type;host" {
		return "AuthFailure.SignatureFailure"
	}
	payload := sha256.Sum256(body)
	canonical := strings.Join([]string{"POST", "/", "",
		"content-type:" + r.Header.Get("Content-Type") + "\nhost:" + r.Host + "\n",
		"content-type;host", hex.EncodeToString(payload[:])}, "\n")
	hashed := sha256.Sum256([]byte(canonical))
	toSign := "TC3-HMAC-SHA256\n" + ts + "\n" + scope + "\n" + hex.EncodeToString(hashed[:])
	mac := func(k []byte, s string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(s)); return h.Sum(nil) }
	signing := mac(mac(mac([]byte("TC3"+key), date), service), "tc3_request")
	want := hex.EncodeToString(mac(signing, toSign))
	if !hmac.Equal([]byte(fields["Signature"]), []byte(want)) {
		return "AuthFailure.SignatureFailure"
	}
	return ""
}

func okReply(req sentRequest) (int, string) {
	return 200, fmt.Sprintf(`{"Response":{"SendStatusSet":[{"SerialNo":"2433:3380001","PhoneNumber":%q,"Fee":1,"SessionContext":"","Code":"Ok","Message":"send success","IsoCode":"CN"}],"RequestId":"req-ok-1"}}`, req.Phones[0])
}

func statusReply(code string) func(sentRequest) (int, string) {
	return func(req sentRequest) (int, string) {
		return 200, fmt.Sprintf(`{"Response":{"SendStatusSet":[{"SerialNo":"","PhoneNumber":%q,"Fee":0,"Code":%q,"Message":"the number %s failed","IsoCode":"CN"}],"RequestId":"req-st-1"}}`,
			req.Phones[0], code, req.Phones[0])
	}
}

func errorReply(code string) func(sentRequest) (int, string) {
	return func(sentRequest) (int, string) {
		return 200, fmt.Sprintf(`{"Response":{"Error":{"Code":%q,"Message":"refused"},"RequestId":"req-err-2"}}`, code)
	}
}

func newTencentForTest(t *testing.T, srv *httptest.Server, secretKey string) *Tencent {
	t.Helper()
	p, err := NewTencent(TencentConfig{SecretID: testSecretID, SecretKey: secretKey, Region: "ap-guangzhou",
		AppID: "1400006666", SignName: "某市人社局", TemplateID: "1234567",
		Endpoint: strings.TrimPrefix(srv.URL, "http://"), Insecure: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTencentSend(t *testing.T) {
	const phone = "13812345678"
	tests := []struct {
		name      string
		reply     func(sentRequest) (int, string)
		secretKey string
		want      Receipt
		wantErr   *Error
	}{
		{name: "accepted", reply: okReply, want: Receipt{ID: "2433:3380001"}},
		{name: "number on a block list", reply: statusReply("FailedOperation.PhoneNumberInBlacklist"),
			wantErr: &Error{Reason: ReasonBadNumber, Code: "FailedOperation.PhoneNumberInBlacklist", RequestID: "req-st-1"}},
		{name: "daily limit of the number", reply: statusReply("LimitExceeded.PhoneNumberDailyLimit"),
			wantErr: &Error{Reason: ReasonRateLimited, Code: "LimitExceeded.PhoneNumberDailyLimit", RequestID: "req-st-1"}},
		{name: "parameter too long", reply: statusReply("InvalidParameterValue.TemplateParameterLengthLimit"),
			wantErr: &Error{Reason: ReasonRejected, Code: "InvalidParameterValue.TemplateParameterLengthLimit", RequestID: "req-st-1"}},
		{name: "template not approved", reply: errorReply("FailedOperation.TemplateIncorrectOrUnapproved"),
			wantErr: &Error{Reason: ReasonAccount, Code: "FailedOperation.TemplateIncorrectOrUnapproved", RequestID: "req-err-2"}},
		{name: "internal timeout", reply: errorReply("InternalError.Timeout"),
			wantErr: &Error{Reason: ReasonUnavailable, Code: "InternalError.Timeout", RequestID: "req-err-2"}},
		{name: "api rate limit", reply: errorReply("RequestLimitExceeded"),
			wantErr: &Error{Reason: ReasonRateLimited, Code: "RequestLimitExceeded", RequestID: "req-err-2"}},
		{name: "wrong secret key", reply: okReply, secretKey: "not-the-key",
			wantErr: &Error{Reason: ReasonAccount, Code: "AuthFailure.SignatureFailure", RequestID: "req-err-1"}},
		{name: "gateway error page", reply: func(sentRequest) (int, string) { return 502, "<html>bad gateway " + phone + "</html>" },
			wantErr: &Error{Reason: ReasonUnavailable, Code: "ClientError.ParseJsonError"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := &tencentServer{t: t, reply: tc.reply}
			srv := httptest.NewServer(ts)
			defer srv.Close()
			key := testSecretKey
			if tc.secretKey != "" {
				key = tc.secretKey
			}
			p := newTencentForTest(t, srv, key)
			got, err := p.Send(context.Background(), Message{Phone: "+86 138-1234-5678", Params: []string{"BC2612010001", "已办结。答复：已恢复发放"}})
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("receipt (-want +got):\n%s", diff)
				}
				wantReq := []sentRequest{{Action: "SendSms", Version: "2021-01-11", Region: "ap-guangzhou",
					Phones: []string{"+8613812345678"}, AppID: "1400006666", Template: "1234567", Sign: "某市人社局",
					Params: []string{"BC2612010001", "已办结。答复：已恢复发放"}}}
				if diff := cmp.Diff(wantReq, ts.seen); diff != "" {
					t.Errorf("request (-want +got):\n%s", diff)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Send error %v is not an *sms.Error", err)
			}
			gotErr := &Error{Reason: e.Reason, Code: e.Code, RequestID: e.RequestID}
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if strings.Contains(err.Error(), "12345678") {
				t.Errorf("the error shows the phone number: %v", err)
			}
		})
	}
}

func TestTencentUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	p := newTencentForTest(t, srv, testSecretKey)
	srv.Close() // nothing listens any more
	_, err := p.Send(context.Background(), Message{Phone: "13812345678", Params: []string{"x"}})
	if r := ReasonOf(err); r != ReasonUnavailable || !r.Temporary() {
		t.Fatalf("reason %q (%v), want a temporary %q", r, err, ReasonUnavailable)
	}
	if strings.Contains(err.Error(), "13812345678") {
		t.Errorf("the error shows the phone number: %v", err)
	}
}

// A connection that drops after the request was sent may have sent the
// text: it is not retried (at most once).
func TestTencentNoAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	p := newTencentForTest(t, srv, testSecretKey)
	_, err := p.Send(context.Background(), Message{Phone: "13812345678", Params: []string{"x"}})
	if r := ReasonOf(err); r != ReasonUnknown || r.Temporary() {
		t.Fatalf("reason %q (%v), want %q, not temporary", r, err, ReasonUnknown)
	}
	if strings.Contains(err.Error(), "13812345678") || strings.Contains(err.Error(), srv.URL) {
		t.Errorf("the error shows the number or the URL: %v", err)
	}
}

func TestNotAMobileNumber(t *testing.T) {
	called := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	defer srv.Close()
	p := newTencentForTest(t, srv, testSecretKey)
	for _, phone := range []string{"", "010-12345678", "1381234567", "23812345678", "13812345678x"} {
		_, err := p.Send(context.Background(), Message{Phone: phone, Params: []string{"x"}})
		if r := ReasonOf(err); r != ReasonBadNumber {
			t.Errorf("%q: reason %q, want %q", phone, r, ReasonBadNumber)
		}
	}
	if called {
		t.Error("a number that is not a mobile number was sent to the provider")
	}
}

func TestNewTencentRefusesMissingFields(t *testing.T) {
	_, err := NewTencent(TencentConfig{SecretID: "x", Region: "ap-guangzhou"})
	if err == nil || !strings.Contains(err.Error(), "secret key, app id, signature, template id") {
		t.Fatalf("err = %v, want the missing fields named", err)
	}
}
