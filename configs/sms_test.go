package configs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSMSConfig(t *testing.T) {
	corp := map[string]string{ // a real corp: no sandbox
		"BCS_WECOM_CORP_ID": "ww123", "BCS_WECOM_AGENT_ID": "1000002", "BCS_WECOM_SECRET": "secret",
		"BCS_WECOM_TOKEN": "token", "BCS_WECOM_AES_KEY": strings.Repeat("a", 43),
	}
	tencent := map[string]string{
		"BCS_SMS_PROVIDER": "tencent", "BCS_SMS_SECRET_ID": "AKIDxxxx", "BCS_SMS_SECRET_KEY": "key-very-secret",
		"BCS_SMS_APP_ID": "1400006666", "BCS_SMS_SIGN_NAME": "某市人社局", "BCS_SMS_TEMPLATE_ID": "1234567",
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		env      map[string]string
		provider string   // SMS() when valid
		problems []string // substrings of the error, in order of appearance
	}{
		{name: "embedded default texts through the sandbox", env: nil, provider: SMSSandbox},
		{name: "a real corp without SMS", env: corp, provider: SMSOff},
		{name: "tencent complete", env: with(corp, flatten(tencent)...), provider: SMSTencent},
		{name: "tencent without its keys", env: with(corp, "BCS_SMS_PROVIDER", "tencent"),
			problems: []string{"BCS_SMS_SECRET_ID is required", "BCS_SMS_SECRET_KEY is required", "BCS_SMS_APP_ID is required",
				"BCS_SMS_SIGN_NAME is required", "BCS_SMS_TEMPLATE_ID is required"}},
		{name: "tencent with a malformed app id and template", env: with(corp, append(flatten(tencent), "BCS_SMS_APP_ID", "app-1", "BCS_SMS_TEMPLATE_ID", "T1")...),
			problems: []string{"BCS_SMS_APP_ID must be", "BCS_SMS_TEMPLATE_ID must be"}},
		{name: "tencent keys without the provider", env: with(corp, "BCS_SMS_SECRET_ID", "AKIDxxxx", "BCS_SMS_TEMPLATE_ID", "1234567"),
			problems: []string{"BCS_SMS_SECRET_ID, BCS_SMS_TEMPLATE_ID set but BCS_SMS_PROVIDER is not tencent"}},
		{name: "sandbox texts where WeCom is real", env: with(corp, "BCS_SMS_PROVIDER", "sandbox"),
			problems: []string{"BCS_SMS_PROVIDER=sandbox needs the local sandbox"}},
		{name: "sandbox texts against a sandbox elsewhere", env: with(corp, "BCS_SMS_PROVIDER", "sandbox", "BCS_WECOM_API_BASE", "http://127.0.0.1:9999"),
			provider: SMSSandbox},
		{name: "off on the embedded default", env: map[string]string{"BCS_SMS_PROVIDER": "off"}, provider: SMSOff},
		{name: "unknown provider", env: map[string]string{"BCS_SMS_PROVIDER": "aliyun"}, problems: []string{`BCS_SMS_PROVIDER must be tencent, sandbox or off, not "aliyun"`}},
		{name: "endpoint given as a URL", env: with(corp, append(flatten(tencent), "BCS_SMS_ENDPOINT", "https://sms.tencentcloudapi.com")...),
			problems: []string{"BCS_SMS_ENDPOINT must be a host name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Load("", env(tc.env))
			if tc.problems == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got := cfg.SMS(); got != tc.provider {
					t.Errorf("SMS() = %q, want %q", got, tc.provider)
				}
				return
			}
			var got []string
			if e, ok := err.(*Error); ok {
				for _, p := range e.Problems {
					for _, want := range tc.problems {
						if strings.Contains(p, want) {
							got = append(got, want)
						}
					}
				}
			}
			if diff := cmp.Diff(tc.problems, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s\nerror: %v", diff, err)
			}
			if err != nil && strings.Contains(err.Error(), "key-very-secret") {
				t.Errorf("the error shows the secret key: %v", err)
			}
		})
	}
}

func flatten(m map[string]string) []string {
	var kv []string
	for k, v := range m {
		kv = append(kv, k, v)
	}
	return kv
}

func TestSMSSecretsRedacted(t *testing.T) {
	cfg := Default()
	cfg.SMSSecretID, cfg.SMSSecretKey = "AKIDsecretid", "sms-secret-key"
	if got := cfg.LogValue().String(); strings.Contains(got, "AKIDsecretid") || strings.Contains(got, "sms-secret-key") {
		t.Errorf("SMS secrets in the log value: %s", got)
	}
}
