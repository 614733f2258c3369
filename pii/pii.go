// Package pii protects personal data (ID numbers, phone numbers, what citizens
// typed, the files they send) at rest and when shown: AES-256-GCM sealing
// bound to where each value lives, with key ids so that keys can rotate; a
// keyed blind index for exact-match search; masking for display; and
// reading phone numbers in the forms people write them (ParsePhone).
package pii

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strings"
)

// ParseKey decodes a key given as 64 hex characters or base64 of 32 bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errors.New("pii: data key must be 32 bytes as 64 hex characters or base64")
}

// NewKey returns a fresh random key as hex.
func NewKey() string {
	b := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Index returns a keyed hash of a normalised value for exact-match search
// (a phone number typed with spaces or dashes finds the same case), under
// the primary key.
func (s *Sealer) Index(plain string) string {
	return s.keys[0].indexOf(plain)
}

// Indexes returns plain's index under every configured key, primary first:
// while keys rotate, a row may still carry the index of the previous key.
func (s *Sealer) Indexes(plain string) []string {
	var out []string
	for _, k := range s.keys {
		if idx := k.indexOf(plain); idx != "" {
			out = append(out, idx)
		}
	}
	return out
}

func (k *key) indexOf(plain string) string {
	v := Normalize(plain)
	if v == "" {
		return ""
	}
	mac := hmac.New(sha256.New, k.index)
	mac.Write([]byte(v))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

// Normalize keeps digits and X, upper-cased, and turns full-width digits into
// ASCII: the form in which ID and phone numbers are compared.
func Normalize(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == 'x' || r == 'X' || r == 'Ｘ' || r == 'ｘ':
			b.WriteRune('X')
		}
	}
	return b.String()
}

// MaskID shows the first 3 and last 2 characters of an ID number:
// 110105********123X → "110*************3X".
func MaskID(id string) string {
	return mask(id, 3, 2)
}

// MaskPhone shows the first 3 and last 4 digits of a mobile number
// (138****5678); shorter numbers keep their last 2.
func MaskPhone(phone string) string {
	p := []rune(strings.TrimSpace(phone))
	if len(p) >= 11 {
		return mask(phone, 3, 4)
	}
	return mask(phone, 0, 2)
}

func mask(v string, head, tail int) string {
	r := []rune(strings.TrimSpace(v))
	if len(r) == 0 {
		return ""
	}
	if len(r) <= head+tail {
		return strings.Repeat("*", len(r))
	}
	return string(r[:head]) + strings.Repeat("*", len(r)-head-tail) + string(r[len(r)-tail:])
}
