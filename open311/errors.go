package open311

import "fmt"

// Reason says why a request was refused.
type Reason string

// Reasons for refusing a request.
const (
	ReasonPostClosed     Reason = "post_closed"     // no api_key configured
	ReasonNoAPIKey       Reason = "no_api_key"      // api_key missing
	ReasonBadAPIKey      Reason = "bad_api_key"     // api_key unknown
	ReasonJurisdiction   Reason = "jurisdiction"    // jurisdiction_id not served here
	ReasonUnknownService Reason = "unknown_service" // service_code not a category
	ReasonNoService      Reason = "no_service"      // service_code missing
	ReasonNoLocation     Reason = "no_location"     // neither lat/long nor address_string nor address_id
	ReasonBadPosition    Reason = "bad_position"    // lat/long not numbers in range, or only one of them
	ReasonNoDescription  Reason = "no_description"  // description missing
	ReasonTooLong        Reason = "too_long"        // a field is longer than allowed
	ReasonNoContact      Reason = "no_contact"      // neither phone nor email
	ReasonBadPhone       Reason = "bad_phone"       // phone is not a phone number
	ReasonBadEmail       Reason = "bad_email"       // email is not an address
	ReasonBadName        Reason = "bad_name"        // first_name/last_name not a name
	ReasonBadURL         Reason = "bad_url"         // media_url not an http(s) URL
	ReasonBadDate        Reason = "bad_date"        // start_date/end_date not ISO 8601
	ReasonBadStatus      Reason = "bad_status"      // status not open or closed
	ReasonTooMany        Reason = "too_many"        // too many ids or codes at once
	ReasonNoRequest      Reason = "no_request"      // service_request_id unknown
	ReasonBadFormat      Reason = "bad_format"      // format not json or xml
	ReasonNoResource     Reason = "no_resource"     // path is no GeoReport resource
	ReasonTooLarge       Reason = "too_large"       // the form is larger than the endpoint reads
)

// Error is a refused request: the HTTP status the specification asks for
// (400, 403, 404), the reason and the field at fault.
type Error struct {
	Code   int
	Reason Reason
	Field  string
	Limit  int // for ReasonTooLong and ReasonTooMany
}

// Error describes the refusal for logs.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("open311: %d %s (%s)", e.Code, e.Reason, e.Field)
	}
	return fmt.Sprintf("open311: %d %s", e.Code, e.Reason)
}

// Doc is the refusal as the specification's error document, described in
// Chinese for the people the calling system shows it to.
func (e *Error) Doc() ErrorDoc {
	text, ok := reasonText[e.Reason]
	if !ok {
		text = textRefused
	}
	switch e.Reason {
	case ReasonTooLong, ReasonTooMany:
		text = fmt.Sprintf(text, e.Field, e.Limit)
	case ReasonBadDate:
		text = fmt.Sprintf(text, e.Field)
	}
	return ErrorDoc{Code: e.Code, Description: text}
}
