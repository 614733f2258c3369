package bot

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

type choiceResult struct {
	Index int
	OK    bool
}

func TestParseChoice(t *testing.T) {
	who := whoOptions
	consent := consentOptions
	tests := []struct {
		name    string
		input   string
		options []string
		want    choiceResult
	}{
		{"digit", "1", who, choiceResult{0, true}},
		{"full-width digit", "１", who, choiceResult{0, true}},
		{"Chinese numeral", "一", who, choiceResult{0, true}},
		{"ordinal", "第一个", who, choiceResult{0, true}},
		{"ordinal two", "第二个", who, choiceResult{1, true}},
		{"digit and dot", "1.", who, choiceResult{0, true}},
		{"digit and full stop", "3。", who, choiceResult{2, true}},
		{"menu text typed back", "2. 家里人", who, choiceResult{1, true}},
		{"circled", "④", who, choiceResult{3, true}},
		{"选", "选2", who, choiceResult{1, true}},
		{"words", "本人", who, choiceResult{0, true}},
		{"synonym", "我自己", who, choiceResult{0, true}},
		{"sentence with the words", "是我本人", who, choiceResult{0, true}},
		{"part of the words", "邻居", who, choiceResult{2, true}},
		{"spaces", "  邻 居 ", who, choiceResult{2, true}},
		{"out of range", "5", who, choiceResult{0, false}},
		{"zero", "0", who, choiceResult{0, false}},
		{"long number", "13812345678", who, choiceResult{0, false}},
		{"a date is no choice", "1961年7月", who, choiceResult{0, false}},
		{"negated", "不是我本人", who, choiceResult{0, false}},
		{"unrelated", "你好", who, choiceResult{0, false}},
		{"empty", "", who, choiceResult{0, false}},
		{"no options", "1", nil, choiceResult{0, false}},
		{"negative option wins exactly", "不知道", consent, choiceResult{2, true}},
		{"knowing is taken as agreeing: a helper writes with the person's word", "她知道", consent, choiceResult{0, true}},
		{"not knowing", "不知道", consent, choiceResult{2, true}},
		{"a long story is not a choice", "我想反映一下我父亲养老金的问题他跑了很多趟", mainOptions, choiceResult{0, false}},
		{"short request", "我要反映问题", mainOptions, choiceResult{0, true}},
		{"case number suffix", "0007", []string{"BC2611280009|0009", "BC2611280007|0007"}, choiceResult{1, true}},
		{"alias of a category", "生存认证", categoryOptions(testCategories), choiceResult{5, true}},
		{"category by number", "8", categoryOptions(testCategories), choiceResult{7, true}},
		{"category eleven out of range", "十一", categoryOptions(testCategories), choiceResult{0, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i, ok := ParseChoice(tc.input, tc.options)
			if diff := cmp.Diff(tc.want, choiceResult{i, ok}); diff != "" {
				t.Errorf("ParseChoice(%q) (-want +got):\n%s", tc.input, diff)
			}
		})
	}
}

type idResult struct {
	Norm   string
	OK     bool
	Reason string
}

func TestValidIDNumber(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  idResult
	}{
		{"valid with X", "11010519491231002X", idResult{"11010519491231002X", true, ""}},
		{"lower-case x", "11010519491231002x", idResult{"11010519491231002X", true, ""}},
		{"valid digit", "370102196107151239", idResult{"370102196107151239", true, ""}},
		{"spaces and dashes", "370102 19610715 1239", idResult{"370102196107151239", true, ""}},
		{"full-width", "３７０１０２１９６１０７１５１２３９", idResult{"370102196107151239", true, ""}},
		{"wrong check digit", "370102196107151230", idResult{"", false, textIDCheck}},
		{"one digit mistyped", "370102196107151293", idResult{"", false, textIDCheck}},
		{"too short", "3701021961", idResult{"", false, textIDLength(10)}},
		{"too long", "3701021961071512399", idResult{"", false, textIDLength(19)}},
		{"old 15 digits", "370102610715123", idResult{"", false, textIDOld}},
		{"letters", "37010219610715123A", idResult{"", false, textIDChars}},
		{"X not last", "3701021961071512X9", idResult{"", false, textIDChars}},
		{"impossible birth date", "370102196113151236", idResult{"", false, textIDBirth}},
		{"unknown region", "990102196107151239", idResult{"", false, textIDRegion}},
		{"empty", " ", idResult{"", false, textIDEmpty}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			norm, ok, reason := ValidIDNumber(tc.input)
			if diff := cmp.Diff(tc.want, idResult{norm, ok, reason}); diff != "" {
				t.Errorf("ValidIDNumber(%q) (-want +got):\n%s", tc.input, diff)
			}
		})
	}
}

type dateResult struct {
	Text string
	OK   bool
}

func TestParseDate(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, cases.Shanghai)
	tests := []struct {
		input string
		want  dateResult
	}{
		{"1961年7月", dateResult{"1961年7月", true}},
		{"1961.7", dateResult{"1961年7月", true}},
		{"1961-07-15", dateResult{"1961年7月15日", true}},
		{"1961/7", dateResult{"1961年7月", true}},
		{"19610715", dateResult{"1961年7月15日", true}},
		{"一九六一年七月", dateResult{"1961年7月", true}},
		{"61年7月", dateResult{"1961年7月", true}},
		{"19年3月", dateResult{"2019年3月", true}},
		{"2024年6月3号", dateResult{"2024年6月3日", true}},
		{"2024年", dateResult{"2024年", true}},
		{"2024", dateResult{"2024年", true}},
		{"去年6月", dateResult{"2025年6月", true}},
		{"去年六月份", dateResult{"2025年6月", true}},
		{"大概去年六月份吧", dateResult{"约2025年6月", true}},
		{"今年三月", dateResult{"2026年3月", true}},
		{"前年", dateResult{"2024年", true}},
		{"两年前", dateResult{"约2024年", true}},
		{"3年前", dateResult{"约2023年", true}},
		{"半年前", dateResult{"约2026年5月", true}},
		{"三个月前", dateResult{"约2026年8月", true}},
		{"上个月", dateResult{"2026年10月", true}},
		{"昨天", dateResult{"2026年11月27日", true}},
		{"大概2020年", dateResult{"约2020年", true}},
		{"2020年左右", dateResult{"约2020年", true}},
		{"不记得", dateResult{DontRemember, true}},
		{"记不清了", dateResult{DontRemember, true}},
		{"忘了", dateResult{DontRemember, true}},
		{"2027年", dateResult{"", false}},
		{"2026年12月", dateResult{"", false}},
		{"1961年13月", dateResult{"", false}},
		{"2023年2月30日", dateResult{"", false}},
		{"1800年", dateResult{"", false}},
		{"那年冬天", dateResult{"", false}},
		{"", dateResult{"", false}},
	}
	for _, tc := range tests {
		t.Run(tc.input, func(t *testing.T) {
			text, ok := ParseDate(tc.input, now)
			if diff := cmp.Diff(tc.want, dateResult{text, ok}); diff != "" {
				t.Errorf("ParseDate(%q) (-want +got):\n%s", tc.input, diff)
			}
		})
	}
}
