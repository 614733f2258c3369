package sandbox

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/sms"
)

// The product's sandbox provider talks to the gateway over HTTP; the gateway
// keeps the texts for the page with the number masked, and answers failures
// with Tencent's codes, which the provider classifies like Tencent's.
func TestSMSGateway(t *testing.T) {
	sb, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	client := sms.NewSandbox(srv.URL)
	ctx := context.Background()

	tests := []struct {
		name    string
		fail    []string
		msg     sms.Message
		wantErr sms.Reason
	}{
		{name: "accepted", msg: sms.Message{Phone: "13812345678", Params: []string{"BC2612010001", "已办结。答复：已恢复发放"}}},
		{name: "provider times out", fail: []string{"InternalError.Timeout"}, msg: sms.Message{Phone: "13812345678", Params: []string{"a", "b"}}, wantErr: sms.ReasonUnavailable},
		{name: "number's daily limit", fail: []string{"LimitExceeded.PhoneNumberDailyLimit"}, msg: sms.Message{Phone: "13812345678", Params: []string{"a", "b"}}, wantErr: sms.ReasonRateLimited},
		{name: "wrong template parameters", msg: sms.Message{Phone: "13812345678", Params: []string{"only one"}}, wantErr: sms.ReasonAccount},
		{name: "too long", msg: sms.Message{Phone: "13812345678", Params: []string{"a", strings.Repeat("长", 480)}}, wantErr: sms.ReasonRejected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sb.FailSMS(tc.fail...)
			_, err := client.Send(ctx, tc.msg)
			var e *sms.Error
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Send: %v", err)
			case tc.wantErr != "" && !errors.As(err, &e):
				t.Fatalf("Send: %v, want an *sms.Error", err)
			case tc.wantErr != "" && e.Reason != tc.wantErr:
				t.Errorf("reason %q (%v), want %q", e.Reason, err, tc.wantErr)
			}
		})
	}
	got := sb.SMS()
	want := []SMSText{{SerialNo: "sandbox:1", Phone: "138****5678", Number: "13812345678",
		Text: "【办成事沙箱】您反映的事项（BC2612010001）已办结。答复：已恢复发放如需回复，请在微信“办成事”客服中留言。"}}
	for i := range got {
		got[i].At = want[0].At
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("texts (-want +got):\n%s", diff)
	}
	if n := sb.SMSCalls(); n != len(tests) {
		t.Errorf("gateway called %d times, want %d", n, len(tests))
	}
	resp, err := http.Get(srv.URL + "/api/sms")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "138****5678") || strings.Contains(string(body), "13812345678") {
		t.Errorf("the page's texts must show the number masked: %s", body)
	}
}
