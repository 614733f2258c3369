package open311

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"banchengshi/cases"
	"banchengshi/pii"
)

// Field limits, in characters. description follows the specification.
const (
	maxDescription = 4000
	maxName        = 20
	maxShort       = 128 // device_id, account_id, address_id
	maxAddress     = 255
	maxURL         = 1024
)

// Request is a POST requests as the calling system sent it, checked.
type Request struct {
	ServiceCode string
	Lat, Long   string // as sent, when given
	Address     string
	AddressID   string
	Email       string
	DeviceID    string
	AccountID   string
	FirstName   string
	LastName    string
	Phone       string // normalized digits
	Description string
	MediaURL    string
}

// reNumber finds a run of digits that no name has.
var reNumber = regexp.MustCompile(`[0-9０-９]{5,}`)

// ParseRequest reads and checks a POST requests form, with the checks the
// chat makes of the same facts (a phone number the window can call, a name
// that is a name, a description), and those the specification adds (a
// location, field lengths). The first problem found is returned.
func ParseRequest(form url.Values) (Request, error) {
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	r := Request{
		ServiceCode: get("service_code"), Lat: get("lat"), Long: get("long"),
		Address: get("address_string"), AddressID: get("address_id"), Email: get("email"),
		DeviceID: get("device_id"), AccountID: get("account_id"),
		FirstName: get("first_name"), LastName: get("last_name"),
		Description: get("description"), MediaURL: get("media_url"),
	}
	if r.ServiceCode == "" {
		return r, &Error{Code: 400, Reason: ReasonNoService, Field: "service_code"}
	}
	if err := r.checkLocation(); err != nil {
		return r, err
	}
	if r.Description == "" {
		return r, &Error{Code: 400, Reason: ReasonNoDescription, Field: "description"}
	}
	if err := r.checkLengths(); err != nil {
		return r, err
	}
	if name := r.Name(); name != "" && !plausibleName(name) {
		return r, &Error{Code: 400, Reason: ReasonBadName, Field: "last_name"}
	}
	if err := r.readContact(get("phone")); err != nil {
		return r, err
	}
	if r.MediaURL != "" {
		u, err := url.Parse(r.MediaURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return r, &Error{Code: 400, Reason: ReasonBadURL, Field: "media_url"}
		}
	}
	return r, nil
}

// checkLocation requires the request to say where: a position on the earth,
// or else an address or an address id.
func (r Request) checkLocation() error {
	if r.Lat != "" || r.Long != "" {
		lat, err1 := strconv.ParseFloat(r.Lat, 64)
		long, err2 := strconv.ParseFloat(r.Long, 64)
		if err1 != nil || err2 != nil || lat < -90 || lat > 90 || long < -180 || long > 180 {
			return &Error{Code: 400, Reason: ReasonBadPosition, Field: "lat"}
		}
	} else if r.Address == "" && r.AddressID == "" {
		return &Error{Code: 400, Reason: ReasonNoLocation, Field: "address_string"}
	}
	return nil
}

// checkLengths holds each free-text field to its limit, in characters; the
// first field over it is the problem.
func (r Request) checkLengths() error {
	for _, f := range []struct {
		name, v string
		limit   int
	}{
		{"description", r.Description, maxDescription}, {"address_string", r.Address, maxAddress},
		{"address_id", r.AddressID, maxShort}, {"device_id", r.DeviceID, maxShort},
		{"account_id", r.AccountID, maxShort}, {"media_url", r.MediaURL, maxURL}, {"email", r.Email, 254},
	} {
		if utf8.RuneCountInString(f.v) > f.limit {
			return &Error{Code: 400, Reason: ReasonTooLong, Field: f.name, Limit: f.limit}
		}
	}
	return nil
}

// plausibleName reports whether a reporter's name reads as a name: short, with
// a letter in it, and neither a number nor a sentence.
func plausibleName(name string) bool {
	return utf8.RuneCountInString(name) <= maxName && !reNumber.MatchString(name) &&
		strings.ContainsFunc(name, unicode.IsLetter) && !strings.ContainsAny(name, "，。！？,!?；;@")
}

// readContact reads how the window can reach the reporter: a phone number it
// can call (kept as digits in r.Phone), an email address in its plain form,
// or both; one of them is required.
func (r *Request) readContact(rawPhone string) error {
	if rawPhone != "" {
		phone, ok := pii.ParsePhone(rawPhone)
		if !ok {
			return &Error{Code: 400, Reason: ReasonBadPhone, Field: "phone"}
		}
		r.Phone = phone
	}
	if r.Email != "" {
		addr, err := mail.ParseAddress(r.Email)
		if err != nil || addr.Address != r.Email || addr.Name != "" {
			return &Error{Code: 400, Reason: ReasonBadEmail, Field: "email"}
		}
	}
	if r.Phone == "" && r.Email == "" {
		return &Error{Code: 400, Reason: ReasonNoContact, Field: "phone"}
	}
	return nil
}

// Name is the reporter's name, family name first as Chinese names are
// written; a space between them when both are in Latin letters.
func (r Request) Name() string {
	switch {
	case r.LastName == "" || r.FirstName == "":
		return r.LastName + r.FirstName
	case isLatin(r.LastName) && isLatin(r.FirstName):
		return r.FirstName + " " + r.LastName
	}
	return r.LastName + r.FirstName
}

func isLatin(s string) bool {
	for _, r := range s {
		if r > unicode.MaxLatin1 {
			return false
		}
	}
	return true
}

// Create makes a case of the request for the calling system client (see
// Client): the desk's Submit, as the chat's, in one transaction with a note
// on the timeline that records the channel and the contact the reporter left.
func (s *Service) Create(ctx context.Context, client string, r Request) (Created, error) {
	dir := s.cfg.Desk.Directory()
	if _, ok := dir.CategoryByKey(r.ServiceCode); !ok {
		return Created{}, &Error{Code: 404, Reason: ReasonUnknownService, Field: "service_code"}
	}
	now := s.cfg.Now()
	c := &cases.Case{
		Source:       cases.SourceOpen311,
		OpenKfID:     dir.DefaultOpenKfID(), // the window that receives cases from elsewhere
		ReporterName: r.Name(),
		ContactPhone: r.Phone,
		Category:     r.ServiceCode,
		Description:  r.Description,
		Status:       cases.StatusSubmitted,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	err := s.cfg.Repo.InTx(ctx, func(tx cases.Repo) error {
		if err := s.cfg.Desk.With(tx).Submit(ctx, c, nil, nil); err != nil {
			return err
		}
		body, data := contactNote(client, r)
		return s.cfg.Desk.Note(ctx, tx, c.ID, now, body, data)
	})
	if err != nil {
		return Created{}, fmt.Errorf("open311: create case: %w", err)
	}
	if s.cfg.Kick != nil {
		s.cfg.Kick()
	}
	var account *string
	if r.AccountID != "" {
		account = &r.AccountID
	}
	last := cases.LastDay(c.Deadline)
	return Created{
		ServiceRequestID: c.Number,
		ServiceNotice:    fmt.Sprintf(textNotice, c.Number, fmt.Sprintf("%d年%d月%d日", last.Year(), last.Month(), last.Day())),
		AccountID:        account,
	}, nil
}

// contactNote is the timeline note of a case from Open311: the channel and
// everything the reporter left to be reached by, which the case has no field
// for. Staff read it on the case page; it is sealed at rest like every
// timeline entry. The phone number is masked here: the case keeps it, shown
// in full only to staff working the case.
func contactNote(client string, r Request) (body, data string) {
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	if n := r.Name(); n != "" {
		add(textNoteName, n)
	}
	if r.Phone != "" {
		add(textNotePhone, pii.MaskPhone(r.Phone))
	}
	if r.Email != "" {
		add(textNoteEmail, r.Email)
	}
	if r.Address != "" {
		add(textNoteAddress, r.Address)
	}
	if r.AddressID != "" {
		add(textNoteAddressID, r.AddressID)
	}
	if r.Lat != "" {
		add(textNotePosition, r.Lat, r.Long)
	}
	if r.AccountID != "" {
		add(textNoteAccount, r.AccountID)
	}
	if r.DeviceID != "" {
		add(textNoteDevice, r.DeviceID)
	}
	if r.MediaURL != "" {
		add(textNoteMedia, r.MediaURL)
	}
	body = fmt.Sprintf(textOpen311Note, client, strings.Join(parts, textNoteSeparator))
	b, _ := json.Marshal(map[string]string{
		"source": string(cases.SourceOpen311), "client": client, "email": r.Email,
		"address_string": r.Address, "address_id": r.AddressID, "lat": r.Lat, "long": r.Long,
		"account_id": r.AccountID, "device_id": r.DeviceID, "media_url": r.MediaURL,
	})
	return body, string(b)
}
