package pii

import (
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	s, err := NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"", "110105196107151234", "13812345678", "我的身份证号是 110105196107151234"} {
		sealed := s.Seal(v)
		if v != "" && strings.Contains(sealed, v) {
			t.Errorf("sealed value contains the plaintext")
		}
		got, err := s.Open(sealed)
		if err != nil || got != v {
			t.Errorf("Open(Seal(%q)) = %q, %v", v, got, err)
		}
	}
	if _, err := s.Open("v1:AAAA"); err == nil {
		t.Error("damaged value opened")
	}
	other, _ := NewSealer([]byte(strings.Repeat("k", 32)))
	if _, err := other.Open(s.Seal("x")); err == nil {
		t.Error("opened with the wrong key")
	}
}

func TestIndexNormalizes(t *testing.T) {
	s, _ := NewSealer(make([]byte, 32))
	if s.Index("138-1234 5678") != s.Index("１３８１２３４５６７８") {
		t.Error("same phone typed differently indexes differently")
	}
	if s.Index("") != "" {
		t.Error("empty value must index to empty")
	}
}

func TestMask(t *testing.T) {
	cases := []struct{ in, want string }{
		{"11010519610715123X", "110*************3X"},
		{"13812345678", "138****5678"},
		{"0571-8888888", "057*****8888"},
		{"12", "**"},
		{"", ""},
	}
	for _, c := range cases {
		var got string
		if len(c.in) >= 15 {
			got = MaskID(c.in)
		} else {
			got = MaskPhone(c.in)
		}
		if got != c.want {
			t.Errorf("mask(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
