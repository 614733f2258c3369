// Package open311 serves the bureau's cases as Open311 GeoReport v2: the
// directory's categories are the services, a posted service request becomes a
// case through the same desk the chat submits to (same validation, department
// routing, new-case card, timeline), and service requests are listed for
// anyone with personal data removed. HTTP lives in handlers; this package is
// the mapping between GeoReport and the domain.
//
// Specification: GeoReport v2 (wiki.open311.org/GeoReport_v2).
package open311

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"time"

	"banchengshi/cases"
	"banchengshi/desk"
)

// Config is what the Open311 service needs.
type Config struct {
	Repo cases.Repo
	Desk *desk.Desk
	// Keys are the api_key values that may POST (BCS_OPEN311_API_KEYS); none
	// closes POST.
	Keys []string
	// Jurisdiction, when set, is the only jurisdiction_id accepted
	// (BCS_OPEN311_JURISDICTION_ID); when empty any jurisdiction_id is ignored,
	// as the specification allows an endpoint serving one jurisdiction.
	Jurisdiction string
	// Kick wakes the outbox after a case is created, so that the duty staff's
	// card goes out at once; may be nil.
	Kick func()
	Now  func() time.Time
}

// Service is the Open311 endpoint's logic.
type Service struct {
	cfg  Config
	keys [][32]byte
}

// New returns the service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg}
	for _, k := range cfg.Keys {
		s.keys = append(s.keys, sha256.Sum256([]byte(k)))
	}
	return s
}

// PostOpen reports whether any api_key is configured.
func (s *Service) PostOpen() bool { return len(s.keys) > 0 }

// Client identifies the calling system by its api_key, or reports an error
// (403) when the key is missing or unknown. The identity is a short hash of
// the key: enough for staff to tell systems apart, useless to post with.
// Every configured key is compared, in constant time.
func (s *Service) Client(apiKey string) (string, error) {
	if len(s.keys) == 0 {
		return "", &Error{Code: 403, Reason: ReasonPostClosed}
	}
	if apiKey == "" {
		return "", &Error{Code: 403, Reason: ReasonNoAPIKey}
	}
	got := sha256.Sum256([]byte(apiKey))
	match := 0
	for _, k := range s.keys {
		match |= subtle.ConstantTimeCompare(got[:], k[:])
	}
	if match != 1 {
		return "", &Error{Code: 403, Reason: ReasonBadAPIKey}
	}
	return hex.EncodeToString(got[:4]), nil
}

// CheckJurisdiction refuses a jurisdiction_id this endpoint does not serve.
func (s *Service) CheckJurisdiction(id string) error {
	if id == "" || s.cfg.Jurisdiction == "" || id == s.cfg.Jurisdiction {
		return nil
	}
	return &Error{Code: 404, Reason: ReasonJurisdiction, Field: "jurisdiction_id"}
}

// Services lists the directory's categories as GeoReport services.
func (s *Service) Services(ctx context.Context) []ServiceInfo {
	dir := s.cfg.Desk.Directory()
	cats := dir.Categories()
	out := make([]ServiceInfo, 0, len(cats))
	for _, c := range cats {
		out = append(out, serviceInfo(c, dir.DeptName(c.Dept)))
	}
	return out
}

// Service returns one service's definition. Services have no attributes
// (metadata is false), so the definition lists none.
func (s *Service) Service(ctx context.Context, code string) (ServiceDefinition, error) {
	if _, ok := s.cfg.Desk.Directory().CategoryByKey(code); !ok {
		return ServiceDefinition{}, &Error{Code: 404, Reason: ReasonUnknownService, Field: "service_code"}
	}
	return ServiceDefinition{ServiceCode: code, Attributes: []Attribute{}}, nil
}
