package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"banchengshi/cases"
	"banchengshi/wecom"
)

// WeCom's WXBizMsgCrypt sample: token, key, receive id, and one GET and one
// POST request as WeCom sends them.
const (
	sampleToken     = "QDG6eK"
	sampleAESKey    = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	sampleReceiveID = "wx5823bf96d3bd56c7"

	sampleGetQuery = "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=" +
		"P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D"

	samplePostQuery = "msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149"
	samplePostBody  = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
)

type fakeReceiver struct {
	got  []*wecom.Callback
	keys map[string]bool
	err  error
}

func (f *fakeReceiver) Receive(_ context.Context, cb *wecom.Callback, _ []byte) (bool, error) {
	if f.err != nil {
		return false, f.err
	}
	if f.keys == nil {
		f.keys = map[string]bool{}
	}
	if f.keys[cb.DedupeKey()] {
		return false, nil
	}
	f.keys[cb.DedupeKey()] = true
	f.got = append(f.got, cb)
	return true, nil
}

func sampleServer(t *testing.T, recv Receiver, receiveID string) *httptest.Server {
	t.Helper()
	crypter, err := wecom.NewCrypter(sampleToken, sampleAESKey, receiveID)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := NewRouter(Routes{Callback: &Callback{Crypter: crypter, Receiver: recv, MaxBytes: 4096, Log: log}, Log: log})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, u, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestOfficialSampleGET(t *testing.T) {
	srv := sampleServer(t, &fakeReceiver{}, sampleReceiveID)
	status, body := do(t, "GET", srv.URL+"/wecom/callback?"+sampleGetQuery, "")
	if status != 200 || body != "1616140317555161061" {
		t.Fatalf("GET sample: %d %q", status, body)
	}
}

func TestOfficialSamplePOST(t *testing.T) {
	recv := &fakeReceiver{}
	srv := sampleServer(t, recv, sampleReceiveID)
	for i := 0; i < 3; i++ { // WeCom retries: the same callback three times
		status, body := do(t, "POST", srv.URL+"/wecom/callback?"+samplePostQuery, samplePostBody)
		if status != 200 || body != "success" {
			t.Fatalf("POST sample #%d: %d %q", i+1, status, body)
		}
	}
	if len(recv.got) != 1 {
		t.Fatalf("stored %d callbacks, want 1", len(recv.got))
	}
	cb := recv.got[0]
	if cb.Kind() != cases.InboundAppMessage || cb.Content != "hello" || cb.MsgID != "4561255354251345929" || cb.AgentID != 218 {
		t.Errorf("decoded %+v", cb)
	}
}

func TestCallbackRefusals(t *testing.T) {
	recv := &fakeReceiver{}
	srv := sampleServer(t, recv, sampleReceiveID)
	otherCorp := sampleServer(t, recv, "wwanothercorp")
	tampered := strings.Replace(samplePostQuery, "477715d1", "577715d1", 1)
	huge := "<xml><Encrypt>" + strings.Repeat("A", 5000) + "</Encrypt></xml>"
	tests := []struct {
		name, method, url, body string
		want                    int
	}{
		{"tampered signature", "POST", srv.URL + "/wecom/callback?" + tampered, samplePostBody, 401},
		{"tampered body", "POST", srv.URL + "/wecom/callback?" + samplePostQuery, strings.Replace(samplePostBody, "RypE", "RypF", 1), 401},
		{"wrong corp id", "POST", otherCorp.URL + "/wecom/callback?" + samplePostQuery, samplePostBody, 403},
		{"oversized body", "POST", srv.URL + "/wecom/callback?" + samplePostQuery, huge, 413},
		{"not xml", "POST", srv.URL + "/wecom/callback?" + samplePostQuery, "hello", 400},
		{"no query", "POST", srv.URL + "/wecom/callback", samplePostBody, 401},
		{"GET tampered echostr", "GET", srv.URL + "/wecom/callback?" + strings.Replace(sampleGetQuery, "P9nA", "P9nB", 1), "", 401},
		{"GET wrong corp id", "GET", otherCorp.URL + "/wecom/callback?" + sampleGetQuery, "", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _ := do(t, tt.method, tt.url, tt.body)
			if status != tt.want {
				t.Errorf("status %d, want %d", status, tt.want)
			}
		})
	}
	if len(recv.got) != 0 {
		t.Errorf("refused callbacks were stored: %d", len(recv.got))
	}
}

func TestCallbackNotStoredAsks500(t *testing.T) {
	srv := sampleServer(t, &fakeReceiver{err: errors.New("database down")}, sampleReceiveID)
	status, _ := do(t, "POST", srv.URL+"/wecom/callback?"+samplePostQuery, samplePostBody)
	if status != 500 {
		t.Fatalf("status %d, want 500 so WeCom retries", status)
	}
}
