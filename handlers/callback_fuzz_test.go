package handlers

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/gin-gonic/gin"

	"banchengshi/wecom"
)

// fuzzCallbackRouter serves the callback handlers without gin's recovery, so
// that a panic anywhere in signature checking, decryption or XML parsing
// crashes the fuzz run instead of becoming a 500.
func fuzzCallbackRouter(t testing.TB, recv Receiver) (*gin.Engine, *wecom.Crypter) {
	t.Helper()
	crypter, err := wecom.NewCrypter(sampleToken, sampleAESKey, sampleReceiveID)
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	h := &Callback{Crypter: crypter, Receiver: recv, MaxBytes: 4096, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r := gin.New()
	r.GET("/wecom/callback", h.Verify)
	r.POST("/wecom/callback", h.Receive)
	return r, crypter
}

// Modes of FuzzCallbackHandler: what the fuzzer's bytes become.
const (
	fuzzSealed   = iota // plaintext XML, encrypted and signed as WeCom would
	fuzzRawBody         // a POST body as it comes, with the sample's query
	fuzzEchostr         // a GET URL check with this echostr, signed
	fuzzBadQuery        // the sample body with a query of the fuzzer's own
	fuzzModes
)

// FuzzCallbackHandler drives /wecom/callback through its HTTP handlers with
// real encryption: arbitrary bodies and queries, and arbitrary plaintext
// sealed and signed correctly so that the XML parser behind the crypto is
// reached. The handler never panics, answers only 200 or a 4xx (the receiver
// never fails here), stores exactly what it acknowledges, and acknowledges
// every correctly signed callback whose XML parses.
func FuzzCallbackHandler(f *testing.F) {
	for _, s := range []string{
		"<xml><ToUserName><![CDATA[ww]]></ToUserName><CreateTime>1</CreateTime><MsgType><![CDATA[event]]></MsgType>" +
			"<Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[tok]]></Token><OpenKfId><![CDATA[wk1]]></OpenKfId></xml>",
		"<xml><ToUserName>ww</ToUserName><FromUserName>zhangsan</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>" +
			"<Content>受理 0007</Content><MsgId>42</MsgId><AgentID>1000002</AgentID></xml>",
		"<xml><MsgType>event</MsgType><Event>template_card_event</Event><FromUserName>u</FromUserName><CreateTime>2</CreateTime>" +
			"<EventKey>accept:BC2611280001</EventKey><TaskId>t</TaskId><ResponseCode>rc</ResponseCode></xml>",
		"<xml>", "", "<xml><MsgType>text</MsgType></xml>",
	} {
		f.Add(byte(fuzzSealed), []byte(s), "")
	}
	f.Add(byte(fuzzRawBody), []byte(samplePostBody), "")
	f.Add(byte(fuzzRawBody), []byte("<xml><Encrypt>AAAA</Encrypt></xml>"), "")
	f.Add(byte(fuzzEchostr), []byte("P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="), "")
	f.Add(byte(fuzzBadQuery), []byte{}, samplePostQuery)
	f.Add(byte(fuzzBadQuery), []byte{}, "msg_signature=%zz&timestamp=&nonce")
	f.Fuzz(func(t *testing.T, mode byte, data []byte, query string) {
		recv := &fakeReceiver{}
		r, crypter := fuzzCallbackRouter(t, recv)
		var req *http.Request
		switch mode % fuzzModes {
		case fuzzSealed:
			body, sig, err := crypter.Seal(data, "1409659813", "1372623149")
			if err != nil {
				t.Fatal(err)
			}
			q := url.Values{"msg_signature": {sig}, "timestamp": {"1409659813"}, "nonce": {"1372623149"}}
			req = httptest.NewRequest(http.MethodPost, "/wecom/callback?"+q.Encode(), bytes.NewReader(body))
		case fuzzRawBody:
			req = httptest.NewRequest(http.MethodPost, "/wecom/callback?"+samplePostQuery, bytes.NewReader(data))
		case fuzzEchostr:
			echostr := string(data)
			q := url.Values{"msg_signature": {crypter.Signature("1", "2", echostr)}, "timestamp": {"1"}, "nonce": {"2"}, "echostr": {echostr}}
			req = httptest.NewRequest(http.MethodGet, "/wecom/callback?"+q.Encode(), nil)
		case fuzzBadQuery:
			u := &url.URL{Path: "/wecom/callback", RawQuery: query}
			req = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(samplePostBody)))
			req.URL = u
			req.RequestURI = u.RequestURI()
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		switch {
		case w.Code == http.StatusOK:
		case w.Code >= 400 && w.Code < 500:
			if len(recv.got) != 0 {
				t.Fatalf("refused with %d but stored %d callbacks", w.Code, len(recv.got))
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
		if req.Method == http.MethodPost && w.Code == http.StatusOK && len(recv.got) != 1 {
			t.Fatalf("acknowledged but stored %d callbacks", len(recv.got))
		}
		if mode%fuzzModes == fuzzSealed && req.ContentLength <= 4096 {
			_, perr := wecom.ParseCallback(data)
			if perr != nil && !errors.Is(perr, wecom.ErrCallback) {
				t.Fatalf("parse error not wrapping ErrCallback: %v", perr)
			}
			if (perr == nil) != (w.Code == http.StatusOK) {
				t.Fatalf("a correctly sealed callback (parse error %v) answered %d", perr, w.Code)
			}
		}
		if mode%fuzzModes == fuzzEchostr && w.Code == http.StatusOK {
			if _, err := crypter.Decrypt(crypter.Signature("1", "2", string(data)), "1", "2", string(data)); err != nil {
				t.Fatalf("URL check answered 200 for an echostr that does not decrypt: %v", err)
			}
		}
	})
}
