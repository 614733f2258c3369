package staff

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Command
	}{
		{"accept", "受理 0007", Command{Verb: "受理", Action: cases.ActionAccept, CaseRef: "0007"}},
		{"accept, synonym", "接单 7", Command{Verb: "受理", Action: cases.ActionAccept, CaseRef: "7"}},
		{"case before the verb", "0007 受理", Command{Verb: "受理", Action: cases.ActionAccept, CaseRef: "0007"}},
		{"case glued before the verb", "0007受理", Command{Verb: "受理", Action: cases.ActionAccept, CaseRef: "0007"}},
		{"case glued to the verb", "受理0007", Command{Verb: "受理", Action: cases.ActionAccept, CaseRef: "0007"}},
		{"full number, lower case", "受理 bc2611280007", Command{Verb: "受理", Action: cases.ActionAccept, CaseRef: "BC2611280007"}},
		{"full-width digits and space", "受理　０００７", Command{Verb: "受理", Action: cases.ActionAccept, CaseRef: "0007"}},
		{"hash and 号", "受理 #0007号", Command{Verb: "受理", Action: cases.ActionAccept, CaseRef: "0007"}},
		{"a number alone shows the case", " 0007 ", Command{Verb: "查", Action: cases.ActionView, CaseRef: "0007"}},
		{"view", "查 0007", Command{Verb: "查", Action: cases.ActionView, CaseRef: "0007"}},
		{"view, longer word", "查询0007", Command{Verb: "查", Action: cases.ActionView, CaseRef: "0007"}},
		{"start", "办理 0007", Command{Verb: "办理", Action: cases.ActionStart, CaseRef: "0007"}},
		{"assign with co-handlers", "派单 0007 社保中心 协办 档案馆,就业服务中心",
			Command{Verb: "派单", Action: cases.ActionAssign, CaseRef: "0007", Dept: "社保中心", CoDepts: []string{"档案馆", "就业服务中心"}}},
		{"assign, co-handlers glued and separated by 、", "派单 0007 社保 协办档案、就业",
			Command{Verb: "派单", Action: cases.ActionAssign, CaseRef: "0007", Dept: "社保", CoDepts: []string{"档案", "就业"}}},
		{"assign, full-width comma and space", "派单　0007　社保中心　协办　档案馆，就业",
			Command{Verb: "派单", Action: cases.ActionAssign, CaseRef: "0007", Dept: "社保中心", CoDepts: []string{"档案馆", "就业"}}},
		{"assign, names after the lead are co-handlers", "派单 0007 主办社保 档案 档案 社保",
			Command{Verb: "派单", Action: cases.ActionAssign, CaseRef: "0007", Dept: "社保", CoDepts: []string{"档案"}}},
		{"assign, lead only", "0007 派单 退役军人事务局", Command{Verb: "派单", Action: cases.ActionAssign, CaseRef: "0007", Dept: "退役军人事务局"}},
		{"co-handlers only", "协办 0007 档案馆 就业",
			Command{Verb: "协办", Action: cases.ActionAssign, CaseRef: "0007", CoDepts: []string{"档案馆", "就业"}}},
		{"reply keeps the text as typed", "回复 0007 您好，档案已找到，请１２月１日来取",
			Command{Verb: "回复", Action: cases.ActionReply, CaseRef: "0007", Text: "您好，档案已找到，请１２月１日来取"}},
		{"reply, text starting with a digit", "0007 回复 8点前给您回电",
			Command{Verb: "回复", Action: cases.ActionReply, CaseRef: "0007", Text: "8点前给您回电"}},
		{"reply, multi-line", "回复 0007 第一行\n第二行",
			Command{Verb: "回复", Action: cases.ActionReply, CaseRef: "0007", Text: "第一行\n第二行"}},
		{"note", "备注 0007 已电话联系档案馆", Command{Verb: "备注", Action: cases.ActionNote, CaseRef: "0007", Text: "已电话联系档案馆"}},
		{"ask for material", "补充 0007 请拍退休证照片", Command{Verb: "补充", Action: cases.ActionAskMaterial, CaseRef: "0007", Text: "请拍退休证照片"}},
		{"ask for material, card wording", "要求补充 0007 身份证复印件", Command{Verb: "补充", Action: cases.ActionAskMaterial, CaseRef: "0007", Text: "身份证复印件"}},
		{"extend", "延期 0007 5 等待外省回函", Command{Verb: "延期", Action: cases.ActionExtend, CaseRef: "0007", Days: 5, Text: "等待外省回函"}},
		{"extend, full-width with 天", "延期　０００７　１０天　等待外省回函", Command{Verb: "延期", Action: cases.ActionExtend, CaseRef: "0007", Days: 10, Text: "等待外省回函"}},
		{"extend, case first, 个工作日", "0007 延期 3个工作日 档案馆查档", Command{Verb: "延期", Action: cases.ActionExtend, CaseRef: "0007", Days: 3, Text: "档案馆查档"}},
		{"return", "退单 0007 不属于本部门职责", Command{Verb: "退单", Action: cases.ActionReturn, CaseRef: "0007", Text: "不属于本部门职责"}},
		{"resolve with a colon", "办结：0007 已补录缴费记录", Command{Verb: "办结", Action: cases.ActionResolve, CaseRef: "0007", Text: "已补录缴费记录"}},
		{"resolve, case first, full-width colon", "0007 办结：已补录缴费记录", Command{Verb: "办结", Action: cases.ActionResolve, CaseRef: "0007", Text: "已补录缴费记录"}},
		{"resolve, extra spaces", "  办结   0007    已补录  ", Command{Verb: "办结", Action: cases.ActionResolve, CaseRef: "0007", Text: "已补录"}},
		{"accountability", "追责 0007 某某区社保窗口 可当场办理却让群众另找部门",
			Command{Verb: "追责", Action: cases.ActionAccountability, CaseRef: "0007", Target: "某某区社保窗口", Text: "可当场办理却让群众另找部门"}},
		{"common problem", "共性 0007 跨省转移数据错误", Command{Verb: "共性", Action: cases.ActionCommon, CaseRef: "0007", Text: "跨省转移数据错误"}},
		{"merge", "并案 0007 0003", Command{Verb: "并案", Action: cases.ActionMerge, CaseRef: "0007", Target: "0003"}},
		{"merge, case first, 并入", "0007 并案 并入 BC2611270003", Command{Verb: "并案", Action: cases.ActionMerge, CaseRef: "0007", Target: "BC2611270003"}},
		{"follow-up", "回访 0007 1 群众表示已解决", Command{Verb: "回访", Action: cases.ActionFollowUpResult, CaseRef: "0007", Rating: 1, Text: "群众表示已解决"}},
		{"follow-up, Chinese numeral, no note", "回访 0007 四", Command{Verb: "回访", Action: cases.ActionFollowUpResult, CaseRef: "0007", Rating: 4}},
		{"follow-up, full-width", "回访　０００７　５　没解决", Command{Verb: "回访", Action: cases.ActionFollowUpResult, CaseRef: "0007", Rating: 5, Text: "没解决"}},
		{"mine", "我的", Command{Verb: "我的", List: ListMine}},
		{"mine, longer", "我的案件", Command{Verb: "我的", List: ListMine}},
		{"overdue", " 超时 ", Command{Verb: "超时", List: ListOverdue}},
		{"overdue, synonym", "逾期", Command{Verb: "超时", List: ListOverdue}},
		{"today", "今日", Command{Verb: "今日", List: ListToday}},
		{"today, synonym", "今天", Command{Verb: "今日", List: ListToday}},
		{"help", "帮助", Command{Verb: VerbHelp}},
		{"help, question mark", "？", Command{Verb: VerbHelp}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCommand(tc.in)
			if err != nil {
				t.Fatalf("ParseCommand(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseCommand(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParseCommandErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		reason   CommandReason
		want     string
	}{
		{"empty", "  ", CommandEmpty, "请输入指令，发送“帮助”查看可用指令。"},
		{"unknown verb", "你好", CommandUnknownVerb, "没有看懂这条指令，发送“帮助”查看可用指令，例如：受理 0007"},
		{"unknown verb after a case", "0007 你好", CommandUnknownVerb, "没有看懂这条指令"},
		{"accept without a case", "受理", CommandNeedCase, "请写明案件编号（完整编号或末几位），例如：受理 0007"},
		{"view without a case", "查", CommandNeedCase, "例如：查 0007"},
		{"reply without a case", "回复 您好", CommandNeedCase, "例如：回复 0007"},
		{"reply whose text starts with a number but no case", "回复 8点前给您回电", CommandNeedCase, "例如：回复 0007"},
		{"reply without text", "回复 0007", CommandUsage, "回复需要写明要对群众说的话，例如：回复 0007 您的档案已找到，请周三上午来取"},
		{"reply too long", "回复 0007 " + strings.Repeat("长", MaxRelayedRunes+1), CommandTooLong, "内容太长了，发给群众的一条消息最多600字，请分几次发送。"},
		{"extension reason too long", "延期 0007 5 " + strings.Repeat("长", MaxRelayedRunes+1), CommandTooLong, "最多600字"},
		{"note without text", "备注 0007  ", CommandUsage, "备注需要写明内容"},
		{"extend without days", "延期 0007 等待外省回函", CommandUsage, "延期需要写明天数和原因，例如：延期 0007 5 等待外省回函"},
		{"extend without reason", "延期 0007 5", CommandUsage, "延期需要写明天数和原因，例如：延期 0007 5 等待外省回函"},
		{"extend with nothing", "延期 0007", CommandUsage, "延期需要写明天数和原因"},
		{"extend zero days", "延期 0007 0 等待", CommandBadDays, "延期天数请写1到60之间的工作日数，例如：延期 0007 5 等待外省回函"},
		{"extend too long", "延期 0007 100 等待", CommandBadDays, "延期天数请写1到60之间"},
		{"return without reason", "退单 0007", CommandUsage, "退单需要写明原因"},
		{"resolve without an answer", "办结：0007：", CommandUsage, "办结需要写明给群众的答复"},
		{"assign without a department", "派单 0007", CommandUsage, "派单需要写明主办部门"},
		{"assign with only co-handlers", "派单 0007 协办 档案馆", CommandUsage, "派单需要写明主办部门"},
		{"co-assign without a department", "协办 0007", CommandUsage, "协办需要写明协办部门"},
		{"accountability without a reason", "追责 0007 某某区社保窗口", CommandUsage, "追责需要写明哪个窗口和原因"},
		{"common without a tag", "共性 0007", CommandUsage, "共性需要写明问题标签"},
		{"merge without a target", "并案 0007", CommandUsage, "并案需要写明要并入的案件编号"},
		{"merge into a word", "并案 0007 那件", CommandUsage, "并案需要写明要并入的案件编号"},
		{"merge into itself", "并案 0007 0007", CommandMergeSelf, "不能把案件并入它自己"},
		{"follow-up without a rating", "回访 0007 很满意", CommandUsage, "回访需要写明1到5的评价"},
		{"follow-up out of range", "回访 0007 6", CommandUsage, "回访需要写明1到5的评价"},
		{"follow-up two digits", "回访 0007 12 好", CommandUsage, "回访需要写明1到5的评价"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCommand(tc.in)
			var ce *CommandError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseCommand(%q) = %+v, %v; want a *CommandError", tc.in, got, err)
			}
			if ce.Reason != tc.reason {
				t.Errorf("ParseCommand(%q) refused for %s, want %s", tc.in, ce.Reason, tc.reason)
			}
			if text := ce.Text(); !strings.Contains(text, tc.want) || strings.Contains(text, "\n") {
				t.Errorf("ParseCommand(%q) refusal %q, want one line containing %q", tc.in, text, tc.want)
			}
			if hasHan(ce.Error()) {
				t.Errorf("the refusal's error is a sentence: %q", ce.Error())
			}
		})
	}
}

// Every reason a line is not a command has its own line, worded from the
// verb's usage when it needs one.
func TestCommandErrorText(t *testing.T) {
	for _, tc := range []struct {
		err  CommandError
		want string
	}{
		{CommandError{Reason: CommandEmpty}, "请输入指令，发送“帮助”查看可用指令。"},
		{CommandError{Reason: CommandUnknownVerb}, "没有看懂这条指令，发送“帮助”查看可用指令，例如：受理 0007"},
		{CommandError{Reason: CommandNeedCase, Verb: "派单"}, "请写明案件编号（完整编号或末几位），例如：派单 0007 社保中心 协办 档案馆、就业服务中心"},
		{CommandError{Reason: CommandNeedCase}, "请写明案件编号（完整编号或末几位），例如：查 0007"},
		{CommandError{Reason: CommandUsage, Verb: "并案"}, "并案需要写明要并入的案件编号，例如：并案 0007 0003"},
		{CommandError{Reason: CommandUsage, Verb: "受理"}, "没有看懂这条指令，发送“帮助”查看可用指令，例如：受理 0007"},
		{CommandError{Reason: CommandTooLong, Verb: "回复", Limit: 600}, "内容太长了，发给群众的一条消息最多600字，请分几次发送。"},
		{CommandError{Reason: CommandBadDays, Verb: "延期", Limit: 60}, "延期天数请写1到60之间的工作日数，例如：延期 0007 5 等待外省回函"},
		{CommandError{Reason: CommandMergeSelf, Verb: "并案"}, "不能把案件并入它自己，请写另一件案件的编号，例如：并案 0007 0003"},
		{CommandError{Reason: CommandReason("bogus")}, "没有看懂这条指令，发送“帮助”查看可用指令，例如：受理 0007"},
	} {
		t.Run(string(tc.err.Reason)+" "+tc.err.Verb, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.err.Text()); diff != "" {
				t.Errorf("Text() (-want +got):\n%s", diff)
			}
			if hasHan(tc.err.Error()) {
				t.Errorf("Error() = %q: a sentence, not a reason", tc.err.Error())
			}
		})
	}
}

func TestResolveRef(t *testing.T) {
	candidates := []string{"BC2611280007", "BC2611270007", "BC2611280013", "BC2611280113", "BC2611250021"}
	for _, tc := range []struct {
		name, ref, want string
		wantErr         error
	}{
		{"full number", "BC2611280007", "BC2611280007", nil},
		{"full number, lower case and full-width", "ｂｃ２６１１２８０００７", "BC2611280007", nil},
		{"unique last digits", "0021", "BC2611250021", nil},
		{"unique short suffix", "21", "BC2611250021", nil},
		{"longer suffix disambiguates", "80007", "BC2611280007", nil},
		{"ambiguous lists the matches", "0007", "",
			&LookupError{Reason: LookupSeveralCases, Typed: "0007", Matches: []string{"BC2611270007", "BC2611280007"}}},
		{"ambiguous across a longer suffix", "13", "",
			&LookupError{Reason: LookupSeveralCases, Typed: "13", Matches: []string{"BC2611280013", "BC2611280113"}}},
		{"no match", "9999", "", &LookupError{Reason: LookupNoSuchCase, Typed: "9999"}},
		{"empty", " ", "", &CommandError{Reason: CommandNeedCase, Verb: "查"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveRef(tc.ref, candidates)
			if got != tc.want {
				t.Errorf("ResolveRef(%q) = %q, want %q", tc.ref, got, tc.want)
			}
			if diff := cmp.Diff(tc.wantErr, err); diff != "" {
				t.Errorf("ResolveRef(%q) error (-want +got):\n%s", tc.ref, diff)
			}
		})
	}
}

func TestResolveRefListsAtMostFive(t *testing.T) {
	var many []string
	for _, d := range []string{"20", "21", "22", "23", "24", "25", "26"} {
		many = append(many, "BC26112"+d+"0007")
	}
	_, err := ResolveRef("7", many)
	var le *LookupError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want a *LookupError", err)
	}
	if text := le.Text(); !strings.Contains(text, "等7件") || !strings.Contains(text, many[4]) || strings.Contains(text, many[5]) || strings.Contains(text, many[6]) {
		t.Errorf("got %q, want five numbers and 等7件", text)
	}
}

// Every reason a lookup finds no single case or department has its line.
func TestLookupErrorText(t *testing.T) {
	var seven []string
	for _, d := range []string{"20", "21", "22", "23", "24", "25", "26"} {
		seven = append(seven, "BC26112"+d+"0007")
	}
	for _, tc := range []struct {
		err  LookupError
		want string
	}{
		{LookupError{Reason: LookupNoSuchCase, Typed: "9999"}, "没有找到案件 9999，请核对编号。"},
		{LookupError{Reason: LookupSeveralCases, Typed: "0007", Matches: []string{"BC2611270007", "BC2611280007"}},
			"“0007”对应多件案件：BC2611270007、BC2611280007，请多写几位编号。"},
		{LookupError{Reason: LookupSeveralCases, Typed: "7", Matches: seven},
			"“7”对应多件案件：BC26112200007、BC26112210007、BC26112220007、BC26112230007、BC26112240007 等7件，请多写几位编号。"},
		{LookupError{Reason: LookupNoDeptName}, "请写明部门名称，例如：社保中心"},
		{LookupError{Reason: LookupNoSuchDept, Typed: "火星局"}, "没有找到部门“火星局”，请写部门全称或常用简称。"},
		{LookupError{Reason: LookupSeveralDepts, Typed: "中心", Matches: []string{"社保中心", "就业服务中心"}},
			"“中心”对应多个部门：社保中心、就业服务中心，请写得更具体些。"},
		{LookupError{Reason: LookupReason("bogus")}, "没有看懂这条指令，发送“帮助”查看可用指令，例如：受理 0007"},
	} {
		t.Run(string(tc.err.Reason), func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.err.Text()); diff != "" {
				t.Errorf("Text() (-want +got):\n%s", diff)
			}
			if hasHan(tc.err.Error()) {
				t.Errorf("Error() = %q: a sentence, not a reason", tc.err.Error())
			}
		})
	}
}

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

func TestHelpTextNamesEveryVerb(t *testing.T) {
	help := HelpText()
	for _, v := range verbs {
		if !strings.Contains(help, v.verb) {
			t.Errorf("help does not mention %s", v.verb)
		}
		// Every example in the vocabulary must itself parse.
		if v.example != "" {
			if _, err := ParseCommand(v.example); err != nil {
				t.Errorf("example %q does not parse: %v", v.example, err)
			}
		}
	}
}
