package bot

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

// The words people use (issue 11): relations, names, numbers, categories and
// intents, read from what the citizen types.

func TestParseRelation(t *testing.T) {
	type got struct {
		Who, Relation string
		OK            bool
	}
	tests := []struct {
		input string
		want  got
	}{
		{"我妈", got{whoFamily, "母亲", true}},
		{"替我姥姥问问", got{whoFamily, "外婆", true}},
		{"是俺爹的事", got{whoFamily, "父亲", true}},
		{"俺娘", got{whoFamily, "母亲", true}},
		{"老母亲", got{whoFamily, "母亲", true}},
		{"外婆", got{whoFamily, "外婆", true}},
		{"老伴", got{whoFamily, "配偶", true}},
		{"对象", got{whoFamily, "配偶", true}},
		{"我公公", got{whoFamily, "公公", true}},
		{"婆婆", got{whoFamily, "婆婆", true}},
		{"丈母娘", got{whoFamily, "岳母", true}},
		{"楼上的", got{whoNeighbour, "邻居", true}},
		{"同事", got{whoNeighbour, "同事", true}},
		{"朋友", got{whoNeighbour, "朋友", true}},
		{"社区网格员", got{whoOther, "网格员", true}},
		{"家里人", got{whoFamily, "", true}},
		{"我要反映问题", got{}},
		{"她知道", got{}},
		{"王秀兰", got{}},
	}
	for _, tc := range tests {
		t.Run(tc.input, func(t *testing.T) {
			var g got
			if k, ok := parseRelation(tc.input); ok {
				g = got{k.who, k.relation, true}
			}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("parseRelation(%q) (-want +got):\n%s", tc.input, diff)
			}
		})
	}
}

func TestKinIn(t *testing.T) {
	type got struct{ Relation, Name string }
	tests := []struct {
		input string
		want  got
	}{
		{"我妈王秀兰的养老金从上个月开始停了", got{"母亲", "王秀兰"}},
		{"我公公张德福的事，他的名字写错了", got{"公公", "张德福"}},
		{"我爸李长江，今年70了", got{"父亲", "李长江"}},
		{"替我姥姥问问，她的认证怎么弄", got{"外婆", ""}},
		{"丈母娘的养老金这个月少了一半", got{"岳母", ""}},
		{"楼上的老太太不会用手机", got{"邻居", ""}},
		{"俺家老头子的退休金咋还没下来", got{"配偶", ""}},
		{"母亲我妈王淑珍", got{"母亲", "王淑珍"}},
		{"我的养老金停了", got{}},
		{"我姐夫的事", got{}},
	}
	for _, tc := range tests {
		t.Run(tc.input, func(t *testing.T) {
			var g got
			if k, name := kinIn(tc.input); k != nil {
				g = got{k.relation, name}
			}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("kinIn(%q) (-want +got):\n%s", tc.input, diff)
			}
		})
	}
}

func TestLooksLikeName(t *testing.T) {
	tests := map[string]bool{
		"王秀兰": true, "张大爷": true, "老张头": true, "小李": true, "Li Ming": true,
		"她知道": false, "我要反映问题": false, "还有个事想说一下": false, "不知道": false, "好的": false,
		"13812345678": false, "母亲": false, "我妈": false, "": false, "她让我问的": false,
	}
	for input, want := range tests {
		if got := looksLikeName(input); got != want {
			t.Errorf("looksLikeName(%q) = %v, want %v", input, got, want)
		}
	}
}

func TestIntentsAndProblems(t *testing.T) {
	tests := []struct {
		input         string
		intent, tells bool
	}{
		{"我要反映问题", true, false},
		{"还有个事想说一下", true, false},
		{"查一下", true, false},
		{"我想替我妈反映个事", false, false},
		{"我想替邻居问问", false, false},
		{"我妈的养老金停了", false, true},
		{"身份证号码370102195106191592，我的养老金少发了", false, true},
	}
	for _, tc := range tests {
		if got := isIntent(tc.input); got != tc.intent {
			t.Errorf("isIntent(%q) = %v, want %v", tc.input, got, tc.intent)
		}
		if got := tellsProblem(tc.input); got != tc.tells {
			t.Errorf("tellsProblem(%q) = %v, want %v", tc.input, got, tc.tells)
		}
	}
}

func TestNumbersInText(t *testing.T) {
	tests := []struct{ input, id, phone string }{
		{"我叫许国庆，身份证210102195803137669，电话13812349876，养老金停了", "210102195803137669", "13812349876"},
		{"我电话是１３９０４１５０００１", "", "13904150001"},
		{"座机0415-2123456", "", "04152123456"},
		{"身份证210102195803137668", "", ""}, // a wrong check digit is no ID, and no phone either
		{"1985年进厂", "", ""},
	}
	for _, tc := range tests {
		if got := idIn(tc.input); got != tc.id {
			t.Errorf("idIn(%q) = %q, want %q", tc.input, got, tc.id)
		}
		if got := phoneIn(tc.input); got != tc.phone {
			t.Errorf("phoneIn(%q) = %q, want %q", tc.input, got, tc.phone)
		}
	}
}

func TestCategoryIn(t *testing.T) {
	cats := []cases.Category{
		{Key: "pension", Name: "养老保险", Aliases: []string{"养老"}, Keywords: []string{"少发", "断缴"}},
		{Key: "transfer", Name: "社保关系转移", Keywords: []string{"转到", "转不过来"}},
		{Key: "payment", Name: "待遇发放", Keywords: []string{"停发", "停了", "认证"}},
		{Key: "archive", Name: "档案", Keywords: []string{"档案丢", "档案转不过来"}},
	}
	tests := []struct{ input, want string }{
		{"养老保险从沈阳转到丹东，转了两年也没转过来", "transfer"},
		{"我妈的养老金停了", "payment"},
		{"养老金少发了三百", "pension"},
		{"档案转不过来", "archive"},
		{"养老金停了，还少发了", ""}, // two categories tie: ask
		{"社保卡丢了", ""},
	}
	for _, tc := range tests {
		if got := categoryIn(tc.input, cats); got != tc.want {
			t.Errorf("categoryIn(%q) = %q, want %q", tc.input, got, tc.want)
		}
	}
	// Without keywords configured, names and aliases stand in.
	if got := categoryIn("我的养老保险", []cases.Category{{Key: "pension", Name: "养老保险"}, {Key: "other", Name: "其他"}}); got != "pension" {
		t.Errorf("categoryIn by name = %q", got)
	}
}

func TestWhenAndAnswer(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	type got struct {
		When, Told string
		OK         bool
	}
	tests := []struct {
		input string
		want  got
	}{
		{"去年6月，说要等通知", got{"2025年6月", "说要等通知", true}},
		{"不记得了，让找原单位", got{DontRemember, "让找原单位", true}},
		{"上个月 让等通知", got{"2026年11月", "让等通知", true}},
		{"去年6月", got{}},
		{"说要等通知", got{}},
	}
	for _, tc := range tests {
		var g got
		g.When, g.Told, g.OK = whenAndAnswer(tc.input, now)
		if diff := cmp.Diff(tc.want, g); diff != "" {
			t.Errorf("whenAndAnswer(%q) (-want +got):\n%s", tc.input, diff)
		}
	}
}

func TestWhoTheStoryIsAbout(t *testing.T) {
	tests := []struct {
		story, who, name, relation string
	}{
		{"我叫刘振华，我的养老金少发了", whoSelf, "刘振华", ""},
		{"我的养老保险转不过来", whoSelf, "", ""},
		{"我妈王秀兰的养老金停了", whoFamily, "王秀兰", "母亲"},
		{"我是王秀兰的女儿，她的养老金停了", "", "", ""},
		{"养老金停了", "", "", ""},
	}
	for _, tc := range tests {
		c := newConversation(t, newFakeDesk())
		tr := &turn{e: c.engine, desk: c.desk, s: newSession(testStart), now: testStart}
		tr.takeStory(tc.story)
		d := tr.s.Draft
		if diff := cmp.Diff([]string{tc.who, tc.name, tc.relation}, []string{d.Who, d.Name, d.Relation}); diff != "" {
			t.Errorf("takeStory(%q) who, name, relation (-want +got):\n%s", tc.story, diff)
		}
	}
}
