package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func testKey(b byte) []byte { return []byte(strings.Repeat(string(rune('a'+b)), 32)) }

func mustSealer(t *testing.T, primary []byte, previous ...[]byte) *Sealer {
	t.Helper()
	s, err := NewSealer(primary, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var here = AD{Table: "cases", Column: "description", Row: "BC2611280001"}

func TestSealOpen(t *testing.T) {
	s := mustSealer(t, testKey(0))
	for _, v := range []string{"", "110105196107151234", "13812345678", "我的身份证号是 110105196107151234"} {
		sealed := s.Seal(v, here)
		if v != "" && strings.Contains(sealed, v) {
			t.Errorf("sealed value contains the plaintext")
		}
		if v != "" && !strings.HasPrefix(sealed, s.TextPrefix()) {
			t.Errorf("sealed value %q does not start with %q", sealed, s.TextPrefix())
		}
		got, err := s.Open(sealed, here)
		if err != nil || got != v {
			t.Errorf("Open(Seal(%q)) = %q, %v", v, got, err)
		}
	}
	b := []byte("\xff\xd8 a photo of an ID card")
	got, err := s.OpenBytes(s.SealBytes(b, here), here)
	if err != nil || string(got) != string(b) {
		t.Errorf("OpenBytes(SealBytes) = %q, %v", got, err)
	}
}

// TestOpenRefuses: what must not open, and with which error.
func TestOpenRefuses(t *testing.T) {
	s := mustSealer(t, testKey(0))
	other := mustSealer(t, testKey(1))
	sealed := s.Seal("13812345678", here)
	for _, c := range []struct {
		name   string
		sealer *Sealer
		value  string
		ad     AD
		want   error
	}{
		{"damaged", s, s.TextPrefix() + "AAAAAAAA", here, ErrOpen},
		{"truncated", s, sealed[:len(sealed)-4], here, ErrOpen},
		{"damaged key id", s, "v2:AAAAAAAAAAAA", here, ErrUnknownKey},
		{"not base64", s, "v2:!!", here, ErrOpen},
		{"plaintext", s, "13812345678", here, ErrOpen},
		{"damaged v1", s, "v1:AAAA", here, ErrOpen},
		{"other row", s, sealed, AD{Table: "cases", Column: "description", Row: "BC2611280002"}, ErrOpen},
		{"other column", s, sealed, AD{Table: "cases", Column: "resolution", Row: "BC2611280001"}, ErrOpen},
		{"other table", s, sealed, AD{Table: "events", Column: "description", Row: "BC2611280001"}, ErrOpen},
		{"key not configured", other, sealed, here, ErrUnknownKey},
	} {
		_, err := c.sealer.Open(c.value, c.ad)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Open error = %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := s.OpenBytes(s.SealBytes([]byte("x"), here), AD{Table: "attachments", Column: "data", Row: "7"}); !errors.Is(err, ErrOpen) {
		t.Errorf("bytes moved to another row: error = %v, want ErrOpen", err)
	}
	if _, err := s.OpenBytes([]byte("\xff\xd8 clear"), here); !errors.Is(err, ErrOpen) {
		t.Errorf("clear bytes: error = %v, want ErrOpen", err)
	}
}

// sealV1 is how values were sealed before associated data and key ids.
func sealV1(t *testing.T, raw []byte, plain string) string {
	t.Helper()
	block, err := aes.NewCipher(raw)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, aead.NonceSize())
	out := aead.Seal(nonce, nonce, []byte(plain), nil)
	return "v1:" + base64.RawStdEncoding.EncodeToString(out)
}

// TestRotation: a sealer with a previous key opens what either key sealed
// (v1 and v2) and seals with the primary only.
func TestRotation(t *testing.T) {
	oldKey, newKey := testKey(0), testKey(1)
	old := mustSealer(t, oldKey)
	both := mustSealer(t, newKey, oldKey)
	for _, c := range []struct{ name, sealed string }{
		{"v2 under the previous key", old.Seal("王大爷", here)},
		{"v2 under the primary key", both.Seal("王大爷", here)},
		{"v1 under the previous key", sealV1(t, oldKey, "王大爷")},
		{"v1 under the primary key", sealV1(t, newKey, "王大爷")},
	} {
		if got, err := both.Open(c.sealed, here); err != nil || got != "王大爷" {
			t.Errorf("%s: Open = %q, %v", c.name, got, err)
		}
	}
	if got := SealedKeyID(both.Seal("x", here)); got != both.KeyID() {
		t.Errorf("SealedKeyID = %q, want the primary's %q", got, both.KeyID())
	}
	if both.KeyID() == old.KeyID() {
		t.Error("two keys share an id")
	}
	want := []KeyCheck{mustSealer(t, newKey).Keys()[0], old.Keys()[0]}
	if diff := cmp.Diff(want, both.Keys()); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	if _, err := old.Open(both.Seal("x", here), here); !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), both.KeyID()) {
		t.Errorf("old sealer opening a new value: %v, want ErrUnknownKey naming %s", err, both.KeyID())
	}
	// Indexes under both keys, primary first, so a search finds rows not yet re-indexed.
	if got := both.Indexes("13812345678"); len(got) != 2 || got[0] != both.Index("13812345678") || got[1] != old.Index("13812345678") {
		t.Errorf("Indexes = %v", got)
	}
}

func TestLooksSealed(t *testing.T) {
	s := mustSealer(t, testKey(0))
	for _, c := range []struct {
		v    string
		want bool
	}{
		{s.Seal("x", here), true},
		{"v1:AAAAAAAA", true},
		{"v1:材料.pdf", false},
		{"v2:", false},
		{"王大爷", false},
		{"", false},
	} {
		if got := LooksSealed(c.v); got != c.want {
			t.Errorf("LooksSealed(%q) = %v, want %v", c.v, got, c.want)
		}
	}
}

// TestSealingWith: a process that moves to another configured key seals with
// it from then on, and still opens what either key sealed.
func TestSealingWith(t *testing.T) {
	oldKey, newKey := testKey(0), testKey(1)
	s := mustSealer(t, oldKey, newKey)
	byOld := s.Seal("13812345678", here)
	newID := mustSealer(t, newKey).KeyID()

	moved, err := s.SealingWith(newID)
	if err != nil {
		t.Fatal(err)
	}
	if moved.KeyID() != newID || moved.TextPrefix() != mustSealer(t, newKey).TextPrefix() {
		t.Errorf("SealingWith(new) seals with %s, want %s", moved.KeyID(), newID)
	}
	byNew := moved.Seal("13912345678", here)
	if got := SealedKeyID(byNew); got != newID {
		t.Errorf("sealed with key id %s, want %s", got, newID)
	}
	if moved.Index("13912345678") != mustSealer(t, newKey).Index("13912345678") {
		t.Error("the blind index is not the new key's")
	}
	for _, c := range []struct{ sealed, want string }{{byOld, "13812345678"}, {byNew, "13912345678"}} {
		for _, sealer := range []*Sealer{s, moved} {
			if got, err := sealer.Open(c.sealed, here); err != nil || got != c.want {
				t.Errorf("Open = %q, %v; want %q", got, err, c.want)
			}
		}
	}
	if s.KeyID() != mustSealer(t, oldKey).KeyID() {
		t.Error("SealingWith changed the sealer it was called on")
	}
	if same, err := s.SealingWith(s.KeyID()); err != nil || same != s {
		t.Errorf("SealingWith(its own primary) = %p, %v; want the sealer itself", same, err)
	}
	if _, err := s.SealingWith(mustSealer(t, testKey(2)).KeyID()); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("SealingWith(a key not configured) = %v, want ErrUnknownKey", err)
	}
}
