package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"banchengshi/pii"
	"banchengshi/sms"
)

// The sandbox's fake SMS gateway: the product's sandbox provider (sms.Sandbox)
// posts here instead of to Tencent Cloud, and the page shows the texts. It
// checks what Tencent checks that matters to us (a mainland mobile number,
// the template's two parameters, the 500-character limit) and answers with
// Tencent's error codes; tests make it fail on purpose with FailSMS.

// smsTemplate is the sandbox's approved template, as a bureau would register
// it with Tencent (docs/notifications.md).
const smsTemplate = "您反映的事项（{1}）{2}如需回复，请在微信“办成事”客服中留言。"

// smsMaxChars is Tencent's limit on a whole text, signature included.
const smsMaxChars = 500

// SMSText is one text the gateway accepted.
type SMSText struct {
	At       time.Time `json:"at"`
	SerialNo string    `json:"serial_no"`
	// Phone is the number as the page shows it (masked); the full number is
	// kept for tests only (Number) and never leaves the process.
	Phone  string `json:"phone"`
	Number string `json:"-"`
	Text   string `json:"text"`
}

// smsGateway is the gateway's state.
type smsGateway struct {
	mu    sync.Mutex
	texts []SMSText
	fail  []string // error codes the next sends answer with, in order
	calls int
}

func (s *Sandbox) routeSMS(mux *http.ServeMux) {
	mux.HandleFunc("POST "+sms.SandboxPath, s.handleSMS)
	mux.HandleFunc("GET /api/sms", func(w http.ResponseWriter, r *http.Request) {
		texts := s.SMS()
		if texts == nil {
			texts = []SMSText{}
		}
		pageJSON(w, http.StatusOK, texts)
	})
}

func (s *Sandbox) handleSMS(w http.ResponseWriter, r *http.Request) {
	g := s.smsgw
	var req sms.SandboxRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	answer := func(code, msg string) {
		pageJSON(w, http.StatusOK, sms.SandboxResponse{Code: code, Message: msg})
	}
	if err != nil {
		answer("InvalidParameter", "request is not JSON")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	if len(g.fail) > 0 {
		code := g.fail[0]
		g.fail = g.fail[1:]
		answer(code, "failure requested by the test")
		return
	}
	phone, ok := sms.Normalize(req.Phone)
	if !ok {
		answer("InvalidParameterValue.IncorrectPhoneNumber", "not a mainland mobile number")
		return
	}
	if len(req.Params) != 2 {
		answer("FailedOperation.TemplateParamSetNotMatchApprovedTemplate", "the template takes 2 parameters")
		return
	}
	text := "【" + req.SignName + "】" + strings.NewReplacer("{1}", req.Params[0], "{2}", req.Params[1]).Replace(smsTemplate)
	if utf8.RuneCountInString(text) > smsMaxChars {
		answer("InvalidParameterValue.ContentLengthLimit", "the text is longer than 500 characters")
		return
	}
	serial := fmt.Sprintf("sandbox:%d", len(g.texts)+1)
	g.texts = append(g.texts, SMSText{At: s.now(), SerialNo: serial, Phone: pii.MaskPhone(phone), Number: phone, Text: text})
	pageJSON(w, http.StatusOK, sms.SandboxResponse{SerialNo: serial})
}

// SMS returns the texts the gateway accepted, oldest first.
func (s *Sandbox) SMS() []SMSText {
	g := s.smsgw
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]SMSText(nil), g.texts...)
}

// SMSCalls is how many sends the gateway was asked for, failed ones too.
func (s *Sandbox) SMSCalls() int {
	g := s.smsgw
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls
}

// FailSMS makes the next len(codes) sends fail with these Tencent error
// codes, in order (e.g. "InternalError.Timeout").
func (s *Sandbox) FailSMS(codes ...string) {
	g := s.smsgw
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fail = append(g.fail, codes...)
}
