package pii

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type phoneResult struct {
	Norm string
	OK   bool
}

func TestParsePhone(t *testing.T) {
	tests := []struct {
		input string
		want  phoneResult
	}{
		{"13812345678", phoneResult{"13812345678", true}},
		{"138 1234 5678", phoneResult{"13812345678", true}},
		{"138-1234-5678", phoneResult{"13812345678", true}},
		{"１３８１２３４５６７８", phoneResult{"13812345678", true}},
		{"+86 138 1234 5678", phoneResult{"13812345678", true}},
		{"8613812345678", phoneResult{"13812345678", true}},
		{"010-12345678", phoneResult{"01012345678", true}},
		{"(0531) 8601 2345", phoneResult{"053186012345", true}},
		{"0571-8888888", phoneResult{"05718888888", true}},
		{"86012345", phoneResult{"86012345", true}},
		{"1381234567", phoneResult{"", false}},
		{"138123456789", phoneResult{"", false}},
		{"12812345678", phoneResult{"", false}},
		{"0", phoneResult{"", false}},
		{"12345", phoneResult{"", false}},
		{"我没有电话", phoneResult{"", false}},
		{"", phoneResult{"", false}},
	}
	for _, tc := range tests {
		t.Run(tc.input, func(t *testing.T) {
			norm, ok := ParsePhone(tc.input)
			if diff := cmp.Diff(tc.want, phoneResult{norm, ok}); diff != "" {
				t.Errorf("ParsePhone(%q) (-want +got):\n%s", tc.input, diff)
			}
		})
	}
}

func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"13812345678", "138-1234-5678", "+86 138 1234 5678", "0531-86012345", "86012345", "0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		norm, ok := ParsePhone(input)
		if !ok {
			return
		}
		if strings.Trim(norm, "0123456789") != "" || len(norm) < 7 {
			t.Fatalf("ParsePhone(%q) = %q", input, norm)
		}
		if again, ok := ParsePhone(norm); !ok || again != norm {
			t.Fatalf("normalised %q does not parse to itself", norm)
		}
	})
}
