// Package configs holds the product's configuration: one struct whose defaults
// run the embedded product (SQLite, in-process stores, the local WeCom sandbox)
// with no setup, an optional YAML file, environment overrides, and a Validate
// that reports every problem at once. Secrets are never printed.
package configs

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"banchengshi/pii"
)

// Config is everything the product reads at start. Each field's env tag names
// its environment variable; the yaml tag its key in the optional file.
type Config struct {
	// Mode is sandbox, wecom, or empty to decide: the sandbox only when
	// nothing production-like is configured (see Sandbox).
	Mode Mode `yaml:"mode" env:"BCS_MODE"`

	HTTPAddr string `yaml:"http_addr" env:"BCS_HTTP_ADDR"`
	// PublicURL is how WeCom (or the sandbox) reaches this process; derived from
	// HTTPAddr when empty.
	PublicURL string `yaml:"public_url" env:"BCS_PUBLIC_URL"`

	DBDriver string `yaml:"db_driver" env:"BCS_DB_DRIVER"`
	DBDSN    string `yaml:"db_dsn" env:"BCS_DB_DSN" secret:"true"`
	// DataKey encrypts personal data at rest (64 hex characters). On the
	// embedded default it is created in DataKeyFile on first start.
	DataKey     string `yaml:"data_key" env:"BCS_DATA_KEY" secret:"true"`
	DataKeyFile string `yaml:"data_key_file" env:"BCS_DATA_KEY_FILE"`
	// DataKeyPrevious is the key being rotated away from: read, never
	// written with (see the README's Keys section).
	DataKeyPrevious string `yaml:"data_key_previous" env:"BCS_DATA_KEY_PREVIOUS" secret:"true"`

	RedisAddr     string `yaml:"redis_addr" env:"BCS_REDIS_ADDR"`
	RedisPassword string `yaml:"redis_password" env:"BCS_REDIS_PASSWORD" secret:"true"`
	RedisDB       int    `yaml:"redis_db" env:"BCS_REDIS_DB"`
	RedisPrefix   string `yaml:"redis_prefix" env:"BCS_REDIS_PREFIX"`

	WeComAPIBase string `yaml:"wecom_api_base" env:"BCS_WECOM_API_BASE"`
	// SignInBase serves the staff pages' sign-in instead of WeCom; empty means
	// WeCom's own pages (the sandbox sets it to itself).
	SignInBase string `yaml:"wecom_signin_base" env:"BCS_WECOM_SIGNIN_BASE"`
	CorpID     string `yaml:"wecom_corp_id" env:"BCS_WECOM_CORP_ID"`
	AgentID    int    `yaml:"wecom_agent_id" env:"BCS_WECOM_AGENT_ID"`
	Secret     string `yaml:"wecom_secret" env:"BCS_WECOM_SECRET" secret:"true"`
	Token      string `yaml:"wecom_token" env:"BCS_WECOM_TOKEN" secret:"true"`
	AESKey     string `yaml:"wecom_aes_key" env:"BCS_WECOM_AES_KEY" secret:"true"`
	// KfToken and KfAESKey, when set, serve /wecom/kf/callback for deployments
	// whose 微信客服 event server uses keys of its own.
	KfToken  string `yaml:"wecom_kf_token" env:"BCS_WECOM_KF_TOKEN" secret:"true"`
	KfAESKey string `yaml:"wecom_kf_aes_key" env:"BCS_WECOM_KF_AES_KEY" secret:"true"`

	// WeComCallsPerMinute and WeComCallsPerHour are WeCom's ceiling on calls
	// of one API by the corp, all replicas together ("访问频率限制"); the
	// product spends at most 90% of each (wecom.Budget).
	WeComCallsPerMinute int `yaml:"wecom_calls_per_minute" env:"BCS_WECOM_CALLS_PER_MINUTE"`
	WeComCallsPerHour   int `yaml:"wecom_calls_per_hour" env:"BCS_WECOM_CALLS_PER_HOUR"`

	AdminToken string `yaml:"admin_token" env:"BCS_ADMIN_TOKEN" secret:"true"`
	// MetricsToken is the bearer token Prometheus presents at /metrics; empty
	// closes /metrics. It must differ from AdminToken, which reads every case.
	MetricsToken string `yaml:"metrics_token" env:"BCS_METRICS_TOKEN" secret:"true"`

	// SMSProvider texts what cannot wait when a citizen's WeChat window is
	// closed: "tencent" (Tencent Cloud SMS, the SMS* fields below), "sandbox"
	// (the local sandbox's gateway, at WeComAPIBase), "off"; empty means the
	// sandbox on the embedded default and off otherwise.
	SMSProvider string `yaml:"sms_provider" env:"BCS_SMS_PROVIDER"`
	// The Tencent Cloud SMS account: API keys, region, the SMS application's
	// SdkAppId, the approved signature and body template (two parameters:
	// the case number, then the text).
	SMSSecretID   string `yaml:"sms_secret_id" env:"BCS_SMS_SECRET_ID" secret:"true"`
	SMSSecretKey  string `yaml:"sms_secret_key" env:"BCS_SMS_SECRET_KEY" secret:"true"`
	SMSRegion     string `yaml:"sms_region" env:"BCS_SMS_REGION"`
	SMSAppID      string `yaml:"sms_app_id" env:"BCS_SMS_APP_ID"`
	SMSSignName   string `yaml:"sms_sign_name" env:"BCS_SMS_SIGN_NAME"`
	SMSTemplateID string `yaml:"sms_template_id" env:"BCS_SMS_TEMPLATE_ID"`
	// SMSEndpoint is the Tencent Cloud SMS API host; empty means
	// sms.tencentcloudapi.com.
	SMSEndpoint string `yaml:"sms_endpoint" env:"BCS_SMS_ENDPOINT"`

	// Open311APIKeys are the api_key values that may POST service requests to
	// /open311/v2/ (comma separated, one per calling system); empty closes POST.
	Open311APIKeys string `yaml:"open311_api_keys" env:"BCS_OPEN311_API_KEYS" secret:"true"`
	// Open311Jurisdiction, when set, is the only jurisdiction_id Open311 accepts.
	Open311Jurisdiction string `yaml:"open311_jurisdiction_id" env:"BCS_OPEN311_JURISDICTION_ID"`

	// Directory is the staff directory file (departments, staff, categories).
	Directory string `yaml:"directory" env:"BCS_DIRECTORY"`
	// Holidays is the working-day calendar file; empty uses the built-in one.
	Holidays string `yaml:"holidays" env:"BCS_HOLIDAYS"`

	MaxCallbackBytes int64         `yaml:"max_callback_bytes" env:"BCS_MAX_CALLBACK_BYTES"`
	DraftTTL         time.Duration `yaml:"draft_ttl" env:"BCS_DRAFT_TTL"`
	ResumeAfter      time.Duration `yaml:"resume_after" env:"BCS_RESUME_AFTER"`
	LogLevel         string        `yaml:"log_level" env:"BCS_LOG_LEVEL"`
}

// Default returns the configuration that runs the embedded product.
func Default() Config {
	return Config{
		HTTPAddr:         "127.0.0.1:8080",
		DBDriver:         "sqlite",
		DBDSN:            "file:data/banchengshi.db",
		DataKeyFile:      "data/data.key",
		RedisPrefix:      "bcs:",
		SMSRegion:        "ap-guangzhou",
		WeComAPIBase:     "https://qyapi.weixin.qq.com",
		Directory:        "configs/directory.example.yaml",
		MaxCallbackBytes: 64 << 10,
		// WeCom's documented ceiling per API and corp.
		WeComCallsPerMinute: 10000,
		WeComCallsPerHour:   150000,
		DraftTTL:            7 * 24 * time.Hour,
		ResumeAfter:         12 * time.Hour,
		LogLevel:            "info",
	}
}

// Load reads defaults, then the YAML file at path (if path is not empty), then
// the environment, and validates the result.
func Load(path string, getenv func(string) string) (Config, error) {
	return load(path, getenv, nil)
}

// LoadEnviron is Load over a whole environment (os.Environ's KEY=value
// entries): it also refuses BCS_ variables the product does not read, so that
// a misspelt setting is not silently ignored.
func LoadEnviron(path string, environ []string) (Config, error) {
	return load(path, EnvFrom(environ), UnknownEnv(environ))
}

func load(path string, getenv func(string) string, problems []string) (Config, error) {
	cfg := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("read config file: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			problems = append(problems, fmt.Sprintf("config file %s: %v", path, err))
		}
	}
	problems = append(problems, applyEnv(&cfg, getenv)...)
	problems = append(problems, cfg.problems()...)
	if len(problems) > 0 {
		return cfg, &Error{Problems: problems}
	}
	return cfg, nil
}

// Error lists every configuration problem found.
type Error struct{ Problems []string }

// Error renders every problem on one line, for the one line a refused start
// prints.
func (e *Error) Error() string {
	return "configuration refused (see Configuration in README.md): " + strings.Join(e.Problems, "; ")
}

// Validate reports every problem with the configuration in one error.
func (c Config) Validate() error {
	if p := c.problems(); len(p) > 0 {
		return &Error{Problems: p}
	}
	return nil
}

func (c Config) problems() []string {
	var p []string
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		p = append(p, fmt.Sprintf("BCS_HTTP_ADDR %q is not host:port", c.HTTPAddr))
	}
	if c.PublicURL != "" && !validHTTPURL(c.PublicURL) {
		p = append(p, "BCS_PUBLIC_URL must be an http(s) URL")
	}
	p = append(p, c.storeProblems()...)
	p = append(p, c.weComProblems()...)
	p = append(p, c.modeProblems()...)
	p = append(p, c.tokenProblems()...)
	p = append(p, c.smsProblems()...)
	if c.Directory == "" {
		p = append(p, "BCS_DIRECTORY is empty")
	}
	p = append(p, c.limitProblems()...)
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		p = append(p, fmt.Sprintf("BCS_LOG_LEVEL %q is not debug, info, warn or error", c.LogLevel))
	}
	return p
}

// storeProblems checks the database, the data keys and Redis.
func (c Config) storeProblems() []string {
	var p []string
	switch c.DBDriver {
	case "sqlite", "mysql":
	default:
		p = append(p, fmt.Sprintf("BCS_DB_DRIVER must be sqlite or mysql, not %q", c.DBDriver))
	}
	if c.DBDSN == "" {
		p = append(p, "BCS_DB_DSN is empty")
	}
	if c.DataKey != "" {
		if _, err := pii.ParseKey(c.DataKey); err != nil {
			p = append(p, "BCS_DATA_KEY must be 32 bytes as 64 hex characters or base64")
		}
	} else if c.DBDriver == "mysql" {
		p = append(p, "BCS_DATA_KEY is required with mysql (replicas must share the key that encrypts personal data)")
	} else if c.DataKeyFile == "" {
		p = append(p, "BCS_DATA_KEY or BCS_DATA_KEY_FILE is required")
	}
	if c.DataKeyPrevious != "" {
		if _, err := pii.ParseKey(c.DataKeyPrevious); err != nil {
			p = append(p, "BCS_DATA_KEY_PREVIOUS must be 32 bytes as 64 hex characters or base64")
		} else if c.DataKey == "" {
			p = append(p, "BCS_DATA_KEY_PREVIOUS needs BCS_DATA_KEY (the new key) beside it")
		}
	}
	if c.RedisDB < 0 {
		p = append(p, "BCS_REDIS_DB must not be negative")
	}
	return p
}

// weComProblems checks WeCom's addresses and the kf callback keys.
func (c Config) weComProblems() []string {
	var p []string
	if !validHTTPURL(c.WeComAPIBase) {
		p = append(p, "BCS_WECOM_API_BASE must be an http(s) URL")
	}
	if c.SignInBase != "" && !validHTTPURL(c.SignInBase) {
		p = append(p, "BCS_WECOM_SIGNIN_BASE must be an http(s) URL")
	}
	if (c.KfToken == "") != (c.KfAESKey == "") {
		p = append(p, "BCS_WECOM_KF_TOKEN and BCS_WECOM_KF_AES_KEY go together")
	}
	if c.KfAESKey != "" && len(c.KfAESKey) != 43 {
		p = append(p, "BCS_WECOM_KF_AES_KEY must be a 43-character EncodingAESKey")
	}
	return p
}

// tokenProblems checks the tokens and keys other systems present to us.
func (c Config) tokenProblems() []string {
	var p []string
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		p = append(p, "BCS_ADMIN_TOKEN must be at least 16 characters")
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		p = append(p, "BCS_METRICS_TOKEN must be at least 16 characters")
	}
	if c.MetricsToken != "" && c.MetricsToken == c.AdminToken {
		p = append(p, "BCS_METRICS_TOKEN must differ from BCS_ADMIN_TOKEN (a scraper must not be able to read cases)")
	}
	seen := map[string]bool{}
	for _, k := range c.Open311Keys() {
		if len(k) < 16 {
			p = append(p, "BCS_OPEN311_API_KEYS: every key must be at least 16 characters")
			break
		}
		if seen[k] {
			p = append(p, "BCS_OPEN311_API_KEYS lists a key twice")
			break
		}
		seen[k] = true
	}
	return p
}

// limitProblems checks the call budget, sizes and durations.
func (c Config) limitProblems() []string {
	var p []string
	if c.WeComCallsPerMinute < 1 {
		p = append(p, "BCS_WECOM_CALLS_PER_MINUTE must be a positive number of calls")
	}
	if c.WeComCallsPerHour < 1 {
		p = append(p, "BCS_WECOM_CALLS_PER_HOUR must be a positive number of calls")
	}
	if c.MaxCallbackBytes < 1024 || c.MaxCallbackBytes > 10<<20 {
		p = append(p, "BCS_MAX_CALLBACK_BYTES must be between 1024 and 10485760")
	}
	if c.DraftTTL < time.Hour {
		p = append(p, "BCS_DRAFT_TTL must be at least 1h")
	}
	if c.ResumeAfter <= 0 || c.ResumeAfter >= c.DraftTTL {
		p = append(p, "BCS_RESUME_AFTER must be positive and shorter than BCS_DRAFT_TTL")
	}
	return p
}

// SMS provider names (BCS_SMS_PROVIDER).
const (
	SMSOff     = "off"
	SMSTencent = "tencent"
	SMSSandbox = "sandbox"
)

// SMS returns the SMS provider in effect: SMSTencent, SMSSandbox or SMSOff.
func (c Config) SMS() string {
	switch {
	case c.SMSProvider != "":
		return c.SMSProvider
	case c.Sandbox():
		return SMSSandbox
	}
	return SMSOff
}

// wecomHost is WeCom's real API host: no sandbox is there.
const wecomHost = "qyapi.weixin.qq.com"

func (c Config) smsProblems() []string {
	var p []string
	tencent := []struct{ key, v string }{
		{"BCS_SMS_SECRET_ID", c.SMSSecretID}, {"BCS_SMS_SECRET_KEY", c.SMSSecretKey}, {"BCS_SMS_APP_ID", c.SMSAppID},
		{"BCS_SMS_SIGN_NAME", c.SMSSignName}, {"BCS_SMS_TEMPLATE_ID", c.SMSTemplateID},
	}
	switch c.SMSProvider {
	case "", SMSOff, SMSSandbox:
		var set []string
		for _, f := range tencent {
			if f.v != "" {
				set = append(set, f.key)
			}
		}
		if len(set) > 0 {
			p = append(p, fmt.Sprintf("%s set but BCS_SMS_PROVIDER is not tencent: set BCS_SMS_PROVIDER=tencent (and every Tencent SMS key) or remove them", strings.Join(set, ", ")))
		}
		if c.SMSProvider == SMSSandbox && !c.Sandbox() {
			if u, err := url.Parse(c.WeComAPIBase); err == nil && u.Host == wecomHost {
				p = append(p, "BCS_SMS_PROVIDER=sandbox needs the local sandbox, but BCS_WECOM_API_BASE is WeCom itself")
			}
		}
	case SMSTencent:
		for _, f := range tencent {
			if strings.TrimSpace(f.v) == "" {
				p = append(p, f.key+" is required with BCS_SMS_PROVIDER=tencent")
			}
		}
		if c.SMSAppID != "" && !digits(c.SMSAppID) {
			p = append(p, "BCS_SMS_APP_ID must be the SMS application's SdkAppId (digits, e.g. 1400006666)")
		}
		if c.SMSTemplateID != "" && !digits(c.SMSTemplateID) {
			p = append(p, "BCS_SMS_TEMPLATE_ID must be the approved template's id (digits)")
		}
		if strings.TrimSpace(c.SMSRegion) == "" {
			p = append(p, "BCS_SMS_REGION is required with BCS_SMS_PROVIDER=tencent (e.g. ap-guangzhou)")
		}
		if c.SMSEndpoint != "" && strings.ContainsAny(c.SMSEndpoint, "/ ") {
			p = append(p, "BCS_SMS_ENDPOINT must be a host name (host[:port]), not a URL")
		}
	default:
		p = append(p, fmt.Sprintf("BCS_SMS_PROVIDER must be tencent, sandbox or off, not %q", c.SMSProvider))
	}
	return p
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Open311Keys lists the Open311 api_key values of Open311APIKeys, trimmed,
// without empty entries.
func (c Config) Open311Keys() []string {
	var keys []string
	for _, k := range strings.Split(c.Open311APIKeys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// SlogLevel returns the configured log level (info when invalid).
func (c Config) SlogLevel() slog.Level {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return slog.LevelInfo
	}
	return lvl
}

func validHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// applyEnv overrides fields from the environment by their env tags.
func applyEnv(cfg *Config, getenv func(string) string) []string {
	var problems []string
	v := reflect.ValueOf(cfg).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("env")
		raw := getenv(name)
		if name == "" || raw == "" {
			continue
		}
		fv := v.Field(i)
		switch {
		case f.Type == reflect.TypeOf(time.Duration(0)):
			d, err := time.ParseDuration(raw)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s %q is not a duration such as 12h or 30m", name, raw))
				continue
			}
			fv.SetInt(int64(d))
		case fv.Kind() == reflect.Int || fv.Kind() == reflect.Int64:
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s must be a whole number", name))
				continue
			}
			fv.SetInt(n)
		case fv.Kind() == reflect.String:
			fv.SetString(raw)
		}
	}
	return problems
}

// LogValue shows the configuration with secrets redacted, for the start-up log.
func (c Config) LogValue() slog.Value {
	var attrs []slog.Attr
	v := reflect.ValueOf(c)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		val := fmt.Sprint(v.Field(i).Interface())
		if f.Tag.Get("secret") == "true" {
			if val != "" {
				val = "[set]"
			}
		}
		attrs = append(attrs, slog.String(f.Tag.Get("yaml"), val))
	}
	return slog.GroupValue(attrs...)
}
