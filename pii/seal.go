package pii

import (
	"bytes"
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

// Sealed values are versioned envelopes:
//
//	v1:<base64(nonce | ciphertext)>            before associated data; read only
//	v2:<base64(key id | nonce | ciphertext)>   written now, bound to an AD
//
// Bytes (attachments) use the same v2 layout without base64: "v2:", the key
// id, the nonce, the ciphertext. The key id is 6 bytes, so in text it is
// exactly the 8 base64 characters after "v2:" and a query can tell which key
// sealed a value with a prefix match.
const (
	prefixV1  = "v1:"
	prefixV2  = "v2:"
	keyIDSize = 6
)

// ErrOpen means a sealed value could not be opened: it is damaged, it was
// moved from another row or column, or it was sealed with another key of the
// same id (which does not happen by chance). Such a value stays unreadable.
var ErrOpen = errors.New("pii: cannot open sealed value")

// ErrUnknownKey means a value was sealed with a key this process is not
// configured with (its key id is in the error): during a key rotation, a
// replica not yet restarted with the new key meets rows the others wrote.
// Unlike ErrOpen it passes once the process has the key.
var ErrUnknownKey = errors.New("pii: value sealed with a key that is not configured")

// AD is the associated data bound to a sealed value: where it lives. A value
// opens only with the AD it was sealed with, so a sealed value copied into
// another row or column fails to open instead of showing one citizen's data
// as another's.
type AD struct {
	Table  string
	Column string
	Row    string // a key of the row that never changes: a natural key or the id
}

func (a AD) bytes() []byte {
	return []byte("banchengshi/ad/v2\x00" + a.Table + "\x00" + a.Column + "\x00" + a.Row)
}

// String names the place for error messages; it holds no personal data.
func (a AD) String() string { return a.Table + "." + a.Column + "[" + a.Row + "]" }

// Sealer encrypts and decrypts personal data with AES-256-GCM. It seals with
// its primary key and opens with the primary or any previous key, which is
// how replicas keep reading while keys rotate.
type Sealer struct {
	keys []*key // primary first
}

type key struct {
	id    [keyIDSize]byte
	aead  cipher.AEAD
	index []byte
	check string
}

// KeyCheck identifies a key without revealing it: ID is what sealed values
// carry, Check is a longer keyed hash that the database keeps so that a
// wrong key is refused at start.
type KeyCheck struct {
	ID    string
	Check string
}

// NewSealer takes a 32-byte primary key and any previous keys (the keys
// being rotated away from); the blind-index key is derived from each.
func NewSealer(primary []byte, previous ...[]byte) (*Sealer, error) {
	s := &Sealer{}
	for i, raw := range append([][]byte{primary}, previous...) {
		k, err := newKey(raw)
		if err != nil {
			if i == 0 {
				return nil, err
			}
			return nil, fmt.Errorf("previous key: %w", err)
		}
		dup := false
		for _, have := range s.keys {
			dup = dup || have.id == k.id
		}
		if !dup {
			s.keys = append(s.keys, k)
		}
	}
	return s, nil
}

func newKey(raw []byte) (*key, error) {
	if len(raw) != 32 {
		return nil, fmt.Errorf("pii: key must be 32 bytes, got %d", len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &key{aead: aead}
	copy(k.id[:], derive(raw, "banchengshi key id"))
	k.index = derive(raw, "banchengshi blind index")
	k.check = hex.EncodeToString(derive(raw, "banchengshi key check value"))
	return k, nil
}

func derive(raw []byte, label string) []byte {
	mac := hmac.New(sha256.New, raw)
	mac.Write([]byte(label))
	return mac.Sum(nil)
}

// SealingWith returns a Sealer that seals with the configured key whose id
// (hex) is id and opens with every configured key, like s. During a key
// rotation the key a process seals with is the one the database has in use,
// which need not be the key it was started with as primary. A key that is
// not configured gives ErrUnknownKey.
func (s *Sealer) SealingWith(id string) (*Sealer, error) {
	for i, k := range s.keys {
		if hex.EncodeToString(k.id[:]) != id {
			continue
		}
		if i == 0 {
			return s, nil
		}
		keys := make([]*key, 0, len(s.keys))
		keys = append(keys, k)
		keys = append(keys, s.keys[:i]...)
		keys = append(keys, s.keys[i+1:]...)
		return &Sealer{keys: keys}, nil
	}
	return nil, fmt.Errorf("%w (key id %s)", ErrUnknownKey, id)
}

// KeyID returns the primary key's id (hex).
func (s *Sealer) KeyID() string { return hex.EncodeToString(s.keys[0].id[:]) }

// Keys returns the id and check value of every configured key, primary first.
func (s *Sealer) Keys() []KeyCheck {
	out := make([]KeyCheck, len(s.keys))
	for i, k := range s.keys {
		out[i] = KeyCheck{ID: hex.EncodeToString(k.id[:]), Check: k.check}
	}
	return out
}

// TextPrefix is how every text value sealed by Seal now begins: the version
// and the primary key's id. A value without it needs sealing anew.
func (s *Sealer) TextPrefix() string {
	return prefixV2 + base64.RawStdEncoding.EncodeToString(s.keys[0].id[:])
}

// BytesPrefix is how every byte value sealed by SealBytes now begins.
func (s *Sealer) BytesPrefix() []byte {
	return append([]byte(prefixV2), s.keys[0].id[:]...)
}

// Seal encrypts plain bound to ad with the primary key. The empty string
// stays empty, so "not given" stays visible.
func (s *Sealer) Seal(plain string, ad AD) string {
	if plain == "" {
		return ""
	}
	return prefixV2 + base64.RawStdEncoding.EncodeToString(s.seal([]byte(plain), ad))
}

// SealBytes is Seal for bytes (files); empty stays empty.
func (s *Sealer) SealBytes(plain []byte, ad AD) []byte {
	if len(plain) == 0 {
		return []byte{}
	}
	return append([]byte(prefixV2), s.seal(plain, ad)...)
}

// seal returns key id | nonce | ciphertext.
func (s *Sealer) seal(plain []byte, ad AD) []byte {
	k := s.keys[0]
	out := make([]byte, keyIDSize+k.aead.NonceSize(), keyIDSize+k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	copy(out, k.id[:])
	if _, err := io.ReadFull(rand.Reader, out[keyIDSize:]); err != nil {
		panic(err)
	}
	return k.aead.Seal(out, out[keyIDSize:], plain, ad.bytes())
}

// Open decrypts what Seal returned for the same ad, and values sealed before
// associated data existed (v1), which carry none.
func (s *Sealer) Open(sealed string, ad AD) (string, error) {
	if sealed == "" {
		return "", nil
	}
	var plain []byte
	var err error
	switch {
	case strings.HasPrefix(sealed, prefixV2):
		raw, derr := base64.RawStdEncoding.DecodeString(sealed[len(prefixV2):])
		if derr != nil {
			return "", ErrOpen
		}
		plain, err = s.open(raw, ad)
	case strings.HasPrefix(sealed, prefixV1):
		plain, err = s.openV1(sealed[len(prefixV1):])
	default:
		return "", ErrOpen
	}
	return string(plain), err
}

// OpenBytes decrypts what SealBytes returned for the same ad.
func (s *Sealer) OpenBytes(sealed []byte, ad AD) ([]byte, error) {
	if len(sealed) == 0 {
		return []byte{}, nil
	}
	if !bytes.HasPrefix(sealed, []byte(prefixV2)) {
		return nil, ErrOpen
	}
	return s.open(sealed[len(prefixV2):], ad)
}

func (s *Sealer) open(raw []byte, ad AD) ([]byte, error) {
	if len(raw) < keyIDSize {
		return nil, ErrOpen
	}
	var id [keyIDSize]byte
	copy(id[:], raw)
	for _, k := range s.keys {
		if k.id != id {
			continue
		}
		rest := raw[keyIDSize:]
		n := k.aead.NonceSize()
		if len(rest) < n {
			return nil, ErrOpen
		}
		plain, err := k.aead.Open(nil, rest[:n], rest[n:], ad.bytes())
		if err != nil {
			return nil, ErrOpen
		}
		return plain, nil
	}
	return nil, fmt.Errorf("%w (key id %s)", ErrUnknownKey, hex.EncodeToString(id[:]))
}

// openV1 opens a value from before key ids: any configured key may have
// sealed it.
func (s *Sealer) openV1(b64 string) ([]byte, error) {
	raw, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil {
		return nil, ErrOpen
	}
	for _, k := range s.keys {
		n := k.aead.NonceSize()
		if len(raw) < n {
			return nil, ErrOpen
		}
		if plain, err := k.aead.Open(nil, raw[:n], raw[n:], nil); err == nil {
			return plain, nil
		}
	}
	return nil, ErrOpen
}

// LooksSealed reports whether v has the form of a sealed text value: a
// version prefix, then base64 only. Plaintext that merely starts with "v1:"
// (a file "v1:材料.pdf") does not, while a damaged or truncated sealed value
// does, so that it fails to open rather than being shown as ciphertext.
func LooksSealed(v string) bool {
	rest, ok := strings.CutPrefix(v, prefixV2)
	if !ok {
		rest, ok = strings.CutPrefix(v, prefixV1)
	}
	if !ok || rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}

// SealedKeyID returns the id (hex) of the key that sealed a v2 text value,
// or "" for anything else.
func SealedKeyID(v string) string {
	rest, ok := strings.CutPrefix(v, prefixV2)
	if !ok || len(rest) < 8 {
		return ""
	}
	id, err := base64.RawStdEncoding.DecodeString(rest[:8])
	if err != nil {
		return ""
	}
	return hex.EncodeToString(id)
}

// SealedBytesKeyID is SealedKeyID for bytes sealed by SealBytes.
func SealedBytesKeyID(b []byte) string {
	if !bytes.HasPrefix(b, []byte(prefixV2)) || len(b) < len(prefixV2)+keyIDSize {
		return ""
	}
	return hex.EncodeToString(b[len(prefixV2) : len(prefixV2)+keyIDSize])
}

// OpenedBy reports the id of the configured key that opens sealed at ad,
// or the error of Open.
func (s *Sealer) OpenedBy(sealed string, ad AD) (string, error) {
	for _, k := range s.keys {
		one := &Sealer{keys: []*key{k}}
		if _, err := one.Open(sealed, ad); err == nil {
			return hex.EncodeToString(k.id[:]), nil
		}
	}
	_, err := s.Open(sealed, ad)
	if err == nil {
		err = ErrOpen
	}
	return "", err
}
