package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// SandboxPath is where the local sandbox's fake SMS gateway listens, under
// the sandbox's base URL.
const SandboxPath = "/sms/send"

// SandboxRequest is what the sandbox gateway takes: Tencent's SendSms in
// miniature (one number).
type SandboxRequest struct {
	Phone    string   `json:"phone"`
	SignName string   `json:"sign_name"`
	Template string   `json:"template_id"`
	Params   []string `json:"params"`
}

// SandboxResponse is its answer: a serial number, or a Tencent error code.
type SandboxResponse struct {
	SerialNo string `json:"serial_no,omitempty"`
	Code     string `json:"code,omitempty"`
	Message  string `json:"message,omitempty"`
}

// Sandbox sends to the local sandbox's fake gateway, which shows the texts on
// its page. Errors it answers carry Tencent's codes and are classified the
// same way as Tencent's.
type Sandbox struct {
	url    string
	client *http.Client
}

var _ Sender = (*Sandbox)(nil)

// NewSandbox returns a sender to the sandbox served at base (e.g.
// http://127.0.0.1:8080/sandbox).
func NewSandbox(base string) *Sandbox {
	return &Sandbox{url: strings.TrimSuffix(base, "/") + SandboxPath, client: &http.Client{Timeout: 10 * time.Second}}
}

// Send sends m to the sandbox gateway.
func (s *Sandbox) Send(ctx context.Context, m Message) (Receipt, error) {
	phone, err := check(m)
	if err != nil {
		return Receipt{}, err
	}
	body, err := json.Marshal(SandboxRequest{Phone: phone, SignName: "办成事沙箱", Template: "sandbox", Params: m.Params})
	if err != nil {
		return Receipt{}, fmt.Errorf("encode sms: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return Receipt{}, fmt.Errorf("sms request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return Receipt{}, transportError(err)
	}
	defer resp.Body.Close()
	var out SandboxResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out); err != nil {
		return Receipt{}, &Error{Reason: ReasonUnavailable, Code: fmt.Sprintf("HTTP%d", resp.StatusCode)}
	}
	if out.Code != "" {
		return Receipt{}, &Error{Reason: tencentReason(out.Code), Code: out.Code}
	}
	if resp.StatusCode != http.StatusOK || out.SerialNo == "" {
		return Receipt{}, &Error{Reason: ReasonUnavailable, Code: fmt.Sprintf("HTTP%d", resp.StatusCode)}
	}
	return Receipt{ID: out.SerialNo}, nil
}
