// Package pii protects personal data (ID numbers, phone numbers, what citizens
// typed) at rest and when shown: AES-256-GCM sealing, a keyed blind index for
// exact-match search, and masking for display.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// sealedPrefix marks a sealed value, so that a column can be read whatever it holds.
const sealedPrefix = "v1:"

// ErrOpen means a sealed value could not be opened: a wrong key or damaged data.
var ErrOpen = errors.New("pii: cannot open sealed value")

// Sealer encrypts and decrypts personal data with one 32-byte key.
type Sealer struct {
	aead  cipher.AEAD
	index []byte
}

// NewSealer takes a 32-byte key; the blind-index key is derived from it.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("pii: key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("banchengshi blind index"))
	return &Sealer{aead: aead, index: mac.Sum(nil)}, nil
}

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

// Seal encrypts s. The empty string stays empty, so "not given" stays visible.
func (s *Sealer) Seal(plain string) string {
	if plain == "" {
		return ""
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		panic(err)
	}
	out := s.aead.Seal(nonce, nonce, []byte(plain), nil)
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts what Seal returned.
func (s *Sealer) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if !strings.HasPrefix(sealed, sealedPrefix) {
		return "", ErrOpen
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed[len(sealedPrefix):])
	n := s.aead.NonceSize()
	if err != nil || len(raw) < n {
		return "", ErrOpen
	}
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}

// Index returns a keyed hash of a normalised value for exact-match search
// (a phone number typed with spaces or dashes finds the same case).
func (s *Sealer) Index(plain string) string {
	v := Normalize(plain)
	if v == "" {
		return ""
	}
	mac := hmac.New(sha256.New, s.index)
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
