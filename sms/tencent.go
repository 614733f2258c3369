package sms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

// Tencent Cloud SMS, API version 2021-01-11, action SendSms.
const (
	tencentService  = "sms"
	tencentVersion  = "2021-01-11"
	tencentAction   = "SendSms"
	tencentEndpoint = "sms.tencentcloudapi.com"
)

// TencentConfig is the bureau's Tencent Cloud SMS account.
type TencentConfig struct {
	SecretID  string
	SecretKey string
	// Region is the API region, e.g. ap-guangzhou.
	Region string
	// AppID is the SMS application's SdkAppId, e.g. 1400006666.
	AppID string
	// SignName is the approved signature (签名内容), e.g. 某某市人社局.
	SignName string
	// TemplateID is the approved body template, whose parameters Message.Params fill.
	TemplateID string
	// Endpoint is the API host (host[:port]); default sms.tencentcloudapi.com.
	Endpoint string
	// Insecure speaks plain HTTP to Endpoint: only for a test server.
	Insecure bool
	// Timeout bounds one call; default 10 s.
	Timeout time.Duration
	// Transport, if set, carries the calls (tests).
	Transport http.RoundTripper
}

// Tencent sends through Tencent Cloud SMS with its Go SDK, which signs every
// call (TC3-HMAC-SHA256). The SDK's own retries are off: the caller retries
// with backoff and keeps the message's fate.
type Tencent struct {
	client *common.Client
	cfg    TencentConfig
}

var _ Sender = (*Tencent)(nil)

// NewTencent returns a Tencent sender; every field but Endpoint, Insecure,
// Timeout and Transport is required.
func NewTencent(cfg TencentConfig) (*Tencent, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{{"secret id", cfg.SecretID}, {"secret key", cfg.SecretKey},
		{"region", cfg.Region}, {"app id", cfg.AppID}, {"signature", cfg.SignName}, {"template id", cfg.TemplateID}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("tencent sms: missing %s", strings.Join(missing, ", "))
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = tencentEndpoint
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	p := profile.NewClientProfile()
	p.HttpProfile.Endpoint = cfg.Endpoint
	p.HttpProfile.ReqMethod = http.MethodPost
	p.HttpProfile.ReqTimeout = max(1, int(cfg.Timeout/time.Second))
	if cfg.Insecure {
		p.HttpProfile.Scheme = "HTTP"
	}
	p.Language = "zh-CN"
	c := common.NewCommonClient(common.NewCredential(cfg.SecretID, cfg.SecretKey), cfg.Region, p)
	if cfg.Transport != nil {
		c.WithHttpTransport(cfg.Transport)
	}
	return &Tencent{client: c, cfg: cfg}, nil
}

// sendSmsRequest is SendSms's input, as the SDK's generated sms package
// declares it (only the fields we use).
type sendSmsRequest struct {
	*tchttp.BaseRequest
	PhoneNumberSet   []*string `json:"PhoneNumberSet,omitnil,omitempty" name:"PhoneNumberSet"`
	SmsSdkAppId      *string   `json:"SmsSdkAppId,omitnil,omitempty" name:"SmsSdkAppId"`
	TemplateId       *string   `json:"TemplateId,omitnil,omitempty" name:"TemplateId"`
	SignName         *string   `json:"SignName,omitnil,omitempty" name:"SignName"`
	TemplateParamSet []*string `json:"TemplateParamSet,omitnil,omitempty" name:"TemplateParamSet"`
}

// sendStatus is one number's outcome.
type sendStatus struct {
	SerialNo *string `json:"SerialNo,omitnil,omitempty"`
	Code     *string `json:"Code,omitnil,omitempty"`
	Message  *string `json:"Message,omitnil,omitempty"`
}

type sendSmsResponse struct {
	*tchttp.BaseResponse
	Response *struct {
		SendStatusSet []*sendStatus `json:"SendStatusSet,omitnil,omitempty"`
		RequestId     *string       `json:"RequestId,omitnil,omitempty"`
	} `json:"Response"`
}

// Send sends m to one number.
func (t *Tencent) Send(ctx context.Context, m Message) (Receipt, error) {
	phone, err := check(m)
	if err != nil {
		return Receipt{}, err
	}
	req := &sendSmsRequest{BaseRequest: &tchttp.BaseRequest{}}
	t.client.InitBaseRequest(&req.BaseRequest, tencentService, tencentVersion, tencentAction)
	req.SetContext(ctx)
	e164 := "+86" + phone
	req.PhoneNumberSet = []*string{&e164}
	req.SmsSdkAppId = &t.cfg.AppID
	req.TemplateId = &t.cfg.TemplateID
	req.SignName = &t.cfg.SignName
	for i := range m.Params {
		req.TemplateParamSet = append(req.TemplateParamSet, &m.Params[i])
	}
	resp := &sendSmsResponse{BaseResponse: &tchttp.BaseResponse{}}
	if err := t.client.Send(req, resp); err != nil {
		return Receipt{}, tencentError(err)
	}
	if resp.Response == nil || len(resp.Response.SendStatusSet) != 1 || resp.Response.SendStatusSet[0] == nil {
		return Receipt{}, &Error{Reason: ReasonUnavailable, Code: "UnexpectedResponse", RequestID: deref(respRequestID(resp))}
	}
	st := resp.Response.SendStatusSet[0]
	if code := deref(st.Code); !strings.EqualFold(code, "Ok") {
		return Receipt{}, &Error{Reason: tencentReason(code), Code: code, RequestID: deref(respRequestID(resp))}
	}
	return Receipt{ID: deref(st.SerialNo)}, nil
}

func respRequestID(r *sendSmsResponse) *string {
	if r.Response == nil {
		return nil
	}
	return r.Response.RequestId
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// tencentError maps what the SDK returned to an *Error. The SDK's messages are
// left out: for a response it could not parse they quote the body, and a body
// may quote the number.
func tencentError(err error) error {
	var sdk *tcerr.TencentCloudSDKError
	if errors.As(err, &sdk) {
		if cause := sdk.Unwrap(); cause != nil && sdk.Code == "ClientError.NetworkError" {
			return transportError(cause)
		}
		e := &Error{Reason: tencentReason(sdk.Code), Code: sdk.Code, RequestID: sdk.RequestId}
		if cause := sdk.Unwrap(); cause != nil {
			e.Err = redactURL(cause)
		}
		return e
	}
	// Not an answer from Tencent: the network, a timeout, the context.
	return transportError(err)
}

// tencentReason classifies a Tencent Cloud error code (SendSms's documented
// codes, and the common ones every API shares).
func tencentReason(code string) Reason {
	switch code {
	case "InvalidParameterValue.IncorrectPhoneNumber", "FailedOperation.PhoneNumberInBlacklist",
		"FailedOperation.PhoneNumberParseFail", "FailedOperation.PhoneNumberOnBlacklist",
		"UnsupportedOperation.UnsupportedRegion", "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone",
		"FailedOperation.UnsubscribedPhoneNumber":
		return ReasonBadNumber
	case "FailedOperation.InsufficientBalanceInSmsPackage", "FailedOperation.SignatureIncorrectOrUnapproved",
		"FailedOperation.TemplateIncorrectOrUnapproved", "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
		"FailedOperation.TemplateUnapprovedOrNotExist", "InvalidParameterValue.SdkAppIdNotExist",
		"FailedOperation.MissingSignatureList", "FailedOperation.MissingTemplateList":
		return ReasonAccount
	case "LimitExceeded.PhoneNumberCountLimit", "InvalidParameterValue.TemplateParameterFormatError",
		"InvalidParameterValue.TemplateParameterLengthLimit", "FailedOperation.ContainSensitiveWord",
		"InvalidParameterValue.ProhibitedUseUrlInTemplateParameter", "InvalidParameterValue.ContentLengthLimit",
		"FailedOperation.MarketingSendTimeConstraint":
		return ReasonRejected
	case "RequestLimitExceeded", "InternalError.Timeout", "InternalError.RequestTimeException",
		"InternalError.SendAndRecvFail", "InternalError.RestApiInterfaceNotExist", "FailedOperation.FailResolvePacket",
		"ResourceUnavailable", "ServiceUnavailable":
		if code == "RequestLimitExceeded" {
			return ReasonRateLimited
		}
		return ReasonUnavailable
	}
	switch {
	case strings.HasPrefix(code, "LimitExceeded."):
		return ReasonRateLimited
	case strings.HasPrefix(code, "AuthFailure."), strings.HasPrefix(code, "UnauthorizedOperation."):
		return ReasonAccount
	case strings.HasPrefix(code, "InternalError"), strings.HasPrefix(code, "ClientError."),
		strings.HasPrefix(code, "ResourceUnavailable."):
		return ReasonUnavailable
	}
	return ReasonRejected
}
