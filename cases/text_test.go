package cases

import "testing"

func TestOneLine(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		n        int
		want     string
	}{
		{"short stays", "退休金没发", 10, "退休金没发"},
		{"exactly n stays", "一二三四五", 5, "一二三四五"},
		{"cut to n with the ellipsis", "一二三四五六", 5, "一二三四…"},
		{"white space folded first", "  单位\n破产\t\t档案  丢了 ", 20, "单位 破产 档案 丢了"},
		{"folding counts before cutting", "一\n\n\n二三四五", 5, "一 二三…"},
		{"nothing", " \n ", 5, ""},
	} {
		if got := OneLine(tc.in, tc.n); got != tc.want {
			t.Errorf("%s: OneLine(%q, %d) = %q, want %q", tc.name, tc.in, tc.n, got, tc.want)
		}
	}
}
