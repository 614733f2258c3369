package pii

import (
	"testing"
)

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
