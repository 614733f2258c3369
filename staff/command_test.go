package staff

import (
	"strings"
	"testing"

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
		name, in, want string
	}{
		{"empty", "  ", "请输入指令"},
		{"unknown verb", "你好", "没有看懂这条指令"},
		{"unknown verb after a case", "0007 你好", "没有看懂这条指令"},
		{"accept without a case", "受理", "请写明案件编号（完整编号或末几位），例如：受理 0007"},
		{"view without a case", "查", "例如：查 0007"},
		{"reply without a case", "回复 您好", "例如：回复 0007"},
		{"reply whose text starts with a number but no case", "回复 8点前给您回电", "例如：回复 0007"},
		{"reply without text", "回复 0007", "回复需要写明要对群众说的话，例如：回复 0007"},
		{"reply too long", "回复 0007 " + strings.Repeat("长", MaxRelayedRunes+1), "最多600字"},
		{"note without text", "备注 0007  ", "备注需要写明内容"},
		{"extend without days", "延期 0007 等待外省回函", "延期需要写明天数和原因，例如：延期 0007 5 等待外省回函"},
		{"extend without reason", "延期 0007 5", "延期需要写明天数和原因，例如：延期 0007 5 等待外省回函"},
		{"extend with nothing", "延期 0007", "延期需要写明天数和原因"},
		{"extend zero days", "延期 0007 0 等待", "延期天数请写1到60之间"},
		{"extend too long", "延期 0007 100 等待", "延期天数请写1到60之间"},
		{"return without reason", "退单 0007", "退单需要写明原因"},
		{"resolve without an answer", "办结：0007：", "办结需要写明给群众的答复"},
		{"assign without a department", "派单 0007", "派单需要写明主办部门"},
		{"assign with only co-handlers", "派单 0007 协办 档案馆", "派单需要写明主办部门"},
		{"co-assign without a department", "协办 0007", "协办需要写明协办部门"},
		{"accountability without a reason", "追责 0007 某某区社保窗口", "追责需要写明哪个窗口和原因"},
		{"common without a tag", "共性 0007", "共性需要写明问题标签"},
		{"merge without a target", "并案 0007", "并案需要写明要并入的案件编号"},
		{"merge into a word", "并案 0007 那件", "并案需要写明要并入的案件编号"},
		{"merge into itself", "并案 0007 0007", "不能把案件并入它自己"},
		{"follow-up without a rating", "回访 0007 很满意", "回访需要写明1到5的评价"},
		{"follow-up out of range", "回访 0007 6", "回访需要写明1到5的评价"},
		{"follow-up two digits", "回访 0007 12 好", "回访需要写明1到5的评价"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCommand(tc.in)
			if err == nil {
				t.Fatalf("ParseCommand(%q) = %+v, want an error containing %q", tc.in, got, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseCommand(%q) error %q, want it to contain %q", tc.in, err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is more than one line: %q", err)
			}
		})
	}
}

func TestResolveRef(t *testing.T) {
	candidates := []string{"BC2611280007", "BC2611270007", "BC2611280013", "BC2611280113", "BC2611250021"}
	for _, tc := range []struct {
		name, ref, want, wantErr string
	}{
		{"full number", "BC2611280007", "BC2611280007", ""},
		{"full number, lower case and full-width", "ｂｃ２６１１２８０００７", "BC2611280007", ""},
		{"unique last digits", "0021", "BC2611250021", ""},
		{"unique short suffix", "21", "BC2611250021", ""},
		{"longer suffix disambiguates", "80007", "BC2611280007", ""},
		{"ambiguous lists the matches", "0007", "", "“0007”对应多件案件：BC2611270007、BC2611280007，请多写几位编号。"},
		{"ambiguous across a longer suffix", "13", "", "BC2611280013、BC2611280113"},
		{"no match", "9999", "", "没有找到编号为“9999”的案件"},
		{"empty", " ", "", "请写明案件编号"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveRef(tc.ref, candidates)
			if tc.wantErr == "" {
				if err != nil || got != tc.want {
					t.Errorf("ResolveRef(%q) = %q, %v; want %q", tc.ref, got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ResolveRef(%q) = %q, %v; want an error containing %q", tc.ref, got, err, tc.wantErr)
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
	if err == nil || !strings.Contains(err.Error(), "等7件") || strings.Contains(err.Error(), "BC2611260007") {
		t.Errorf("got %v, want five numbers and 等7件", err)
	}
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
