package web

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMaskDigits(t *testing.T) {
	tests := []struct{ in, want string }{
		{"电话 13812345678，身份证 11010519610715123X", "电话 138****5678，身份证 110*************3X"},
		{"座机 66123456", "座机 ******56"},
		{"案件 BC2611280007 和 bc2611280008", "案件 BC2611280007 和 bc2611280008"},
		{"2026年11月28日 3 号窗口", "2026年11月28日 3 号窗口"},
		{"X光片", "X光片"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, maskDigits(tt.in)); diff != "" {
			t.Errorf("maskDigits(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
