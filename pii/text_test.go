package pii

import "testing"

// TestMaskText holds the cases of both rules this function replaces: the
// staff pages' (IDs, mobiles, landlines, local numbers, dates and amounts left
// alone) and the dialog's (any run of seven digits or more, however spaced),
// and says where they disagreed.
func TestMaskText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		// Both rules masked these the same way.
		{"ID number", "身份证110105196107151234", "身份证110*************34"},
		{"ID number ending in x", "身份证11010519610715123x", "身份证110*************3X"},
		{"old 15-digit ID number", "老身份证110105610715123", "老身份证110**********23"},
		{"mobile", "电话13812345678。", "电话138****5678。"},
		{"mobile with spaces", "电话 138 1234 5678", "电话 138****5678"},
		{"mobile with dashes", "电话138-1234-5678", "电话138****5678"},
		{"full-width mobile", "电话１３８１２３４５６７８", "电话138****5678"},
		{"landline with area code and dash", "座机0571-88886666", "座机057*****6666"},
		{"landline with area code", "座机057188886666", "座机057*****6666"},
		{"short landline with area code", "座机0571888866", "座机********66"},
		{"local numbers", "座机 66123456，分机 8123456", "座机 ******56，分机 *****56"},
		{"date typed as digits", "生日19610715", "生日******15"},
		{"short numbers", "编号0007，跑了2年，3 号窗口", "编号0007，跑了2年，3 号窗口"},
		{"dates with 年月日 and amounts", "1961年7月15日出生，养老金2350元", "1961年7月15日出生，养老金2350元"},
		{"X alone", "X光片", "X光片"},
		{"nothing", "", ""},

		// The dialog's rule masked these and the staff pages' did not: the
		// stricter rule wins, a number of this length may be anyone's.
		{"bank card", "卡号6222021234567890123", "卡号622**************23"},
		{"bank card in groups", "卡号 6222 0212 3456 7890", "卡号 622***********90"},
		{"mobile grouped otherwise", "电话1381 234 5678", "电话138****5678"},
		{"mobile across lines", "电话138\n1234\n5678", "电话138****5678"},
		{"9 digits", "社保号123456789", "社保号*******89"},
		{"13 digits", "单号1234567890123", "单号123******0123"},
		{"mistyped ID number", "身份证11010519610715123", "身份证110************23"},

		// The staff pages' rule kept these readable and the dialog's masked
		// them: a date or a case number names nobody, and the product writes
		// its own deadlines and case numbers into text shown through here.
		{"dashed date", "1961-07-15，期限2026-12-10", "1961-07-15，期限2026-12-10"},
		{"date and time", "2026-11-28 10:00", "2026-11-28 10:00"},
		{"case numbers", "案件 BC2611280007 和 bc2611280008", "案件 BC2611280007 和 bc2611280008"},
	} {
		if got := MaskText(tc.in); got != tc.want {
			t.Errorf("%s: MaskText(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}
