package bot

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

// reported is a case as the dialog should hand it to the desk.
func reported(c cases.Case) cases.Case {
	c.OpenKfID, c.ReporterID, c.Status = "kf1", "wm_citizen", cases.StatusSubmitted
	return c
}

// transcriptCase is one conversation, as a reviewer reads it, and the
// cases it leaves behind.
type transcriptCase struct {
	name     string
	seed     func(d *fakeDesk)
	script   string
	want     []cases.Case // cases submitted during the conversation
	wantAtts [][]string   // their attachments' kinds, when checked
	wantSaid [][]string   // their description messages, when checked
	check    func(t *testing.T, d *fakeDesk)
}

// dialogConversations exercise the escape words, silences, restarts,
// queries, supplements, withdrawals and odd messages.
var dialogConversations = []transcriptCase{
	{
		name: "上一步 on several steps keeps the answers until changed",
		script: `
			我：1
			我：本人
			办：请问您的姓名？
			我：上一步
			办：这件事是谁遇到的？
			我：返回
			办：这已经是第一步了
			办：这件事是谁遇到的？
			我：1
			我：钱淑芬
			办：身份证号码
			我：上一步
			办：请问您的姓名？
			我：再说一遍
			办：请问您的姓名？
			我：钱淑芬
			我：不知道
			我：13812345678
			办：这件事属于哪一类？
			我：上一步
			办：请发您的电话号码
			我：13900001111
			办：这件事属于哪一类？
			我：1
			我：区社保中心
			办：什么时候
			我：返回
			办：之前去哪个窗口
			我：街道便民中心
			我：不记得
			我：没有
			我：养老金少发了两个月
			我：说完了
			办：电话：139****1111
			办：去过：街道便民中心，不记得
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "钱淑芬", Affected: cases.Person{Name: "钱淑芬", Phone: "13900001111"}, Relation: "本人", Consent: "本人",
			ContactPhone: "13900001111", Category: "pension",
			TriedWindow: "街道便民中心", TriedWhen: "不记得", TriedAnswer: "没有",
			Description: "养老金少发了两个月",
		})},
	},
	{
		name: "重新开始 in the middle forgets the answers",
		script: `
			我：1
			我：家里人
			我：刘明
			我：重新开始
			办：好的，我们重新开始
			办：这件事是谁遇到的？
			我：本人
			办：请问您的姓名？
			我：重来
			办：这件事是谁遇到的？
			我：本人
			我：跳过
			办：工作人员联系您时再问
			我：跳过
			我：13812345678
			我：1
			我：没有
			我：养老金停了
			我：说完了
			办：遇事人：本人
			办：姓名：未提供
			办不含：刘明
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			Affected: cases.Person{Phone: "13812345678"}, Relation: "本人", Consent: "本人",
			ContactPhone: "13812345678", Category: "pension", TriedWindow: "没有",
			Description: "养老金停了",
		})},
	},
	{
		name: "取消 on a question and on the summary submits nothing",
		script: `
			我：1
			我：家里人
			我：取消
			办：已取消
			我：你好
			办：请问您要办什么？
			我：1
			办：这件事是谁遇到的？
			我：本人
			我：马红
			我：不知道
			我：13812345678
			我：1
			我：没有
			我：养老金停了
			我：说完了
			办：以上信息对吗？
			我：取消
			办：已取消
			办：没有提交
			我：取消
			办：现在没有正在办的事`,
		want: nil,
	},
	{
		name: "再说一遍 repeats the question on several steps",
		script: `
			我：1
			我：再说一遍
			办：这件事是谁遇到的？
			我：2
			我：孙丽
			我：女儿
			我：再说一遍
			办：孙丽知道您来反映
			我：1
			我：再说一次
			办：怎么称呼您？
			我：老孙
			我：再说一次
			办：请发孙丽的身份证号码
			我：不知道
			我：1
			我：13812345678
			我：重复
			办：这件事属于哪一类？
			办：[2. 社保转移接续]`,
		want: nil,
	},
	{
		name: "wrong ID twice may be skipped",
		script: `
			我：1
			我：1
			我：赵文
			我：370102196107151230
			办：最后一位对不上
			办：再发一次
			我：3701021961
			办：身份证号码是18位，您发的是10位
			办：可以回复“跳过”
			我：跳过
			办：这一项先跳过
			办：请发您的电话号码`,
	},
	{
		name: "a phone number with the wrong length is explained",
		script: `
			我：1
			我：1
			我：跳过
			我：不知道
			我：1381234567
			办：这个号码好像不对
			我：１３８１２３４５６７８
			办：这件事属于哪一类？`,
	},
	{
		name: "an answer that is not a date is asked again once, then kept as said",
		script: `
			我：1
			我：1
			我：陈立新
			我：不知道
			我：13812345678
			我：1
			我：区社保中心
			我：那年冬天
			办：这个时间没看懂
			我：就是下雪那阵子
			办：怎么答复您的？
			我：没有
			我：养老金停了
			我：说完了
			办：去过：区社保中心，就是下雪那阵子
			我：确认`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "陈立新", Affected: cases.Person{Name: "陈立新", Phone: "13812345678"}, Relation: "本人", Consent: "本人",
			ContactPhone: "13812345678", Category: "pension",
			TriedWindow: "区社保中心", TriedWhen: "就是下雪那阵子", TriedAnswer: "没有",
			Description: "养老金停了",
		})},
	},
	{
		name: "voice-only reporting with taps",
		script: `
			我：[语音]
			办：语音收到了，已经记下
			办：这件事是谁遇到的？
			我：[语音]
			办：语音收到了，会一起交给工作人员
			办：这一步请点选
			办：这件事是谁遇到的？
			我：[点 who:1]
			办：请问您的姓名？
			我：[语音]
			办：请发您的身份证号码
			我：[语音]
			办：这一项先跳过
			我：[语音]
			办：这件事属于哪一类？
			我：[点 category:1]
			我：[语音]
			办：大概是什么时候去的？
			我：[语音]
			我：[语音]
			办：您前面说的已经记下了
			我：[语音]
			办：语音收到了
			我：[点 desc:1]
			办：姓名：（见语音）
			办：附件：语音9条
			我：[点 confirm:1]
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			Affected: cases.Person{Name: "（见语音）"}, Relation: "本人", Consent: "本人", Category: "pension",
			TriedWindow: "（见语音）", TriedWhen: "（见语音）", TriedAnswer: "（见语音）",
			Description: "（见附件：语音9条）",
		})},
		wantAtts: [][]string{{KindVoice, KindVoice, KindVoice, KindVoice, KindVoice, KindVoice, KindVoice, KindVoice, KindVoice}},
		wantSaid: [][]string{{"[语音]", "[语音]"}},
	},
	{
		name: "a restart of the process in the middle loses nothing",
		script: `
			我：1
			我：本人
			（重启）
			我：黄丽
			我：370102196107151239
			（重启）
			我：13812345678
			办：这件事属于哪一类？
			（重启）
			我：1
			我：没有
			我：养老金停了
			（重启）
			我：说完了
			办：370*************39
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "黄丽", Affected: cases.Person{Name: "黄丽", IDNumber: "370102196107151239", Phone: "13812345678"},
			Relation: "本人", Consent: "本人", ContactPhone: "13812345678", Category: "pension", TriedWindow: "没有", Description: "养老金停了",
		})},
	},
	{
		name: "returning after two days: offered to continue",
		script: `
			我：1
			我：本人
			（过了2天）
			我：在吗
			办：欢迎回来
			办：要接着填吗？
			我：1
			办：我们接着来
			办：请问您的姓名？
			我：郑秀云
			我：不知道
			办：请发您的电话号码
			我：13812345678
			我：1
			我：没有
			我：养老金停了
			我：说完了
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "郑秀云", Affected: cases.Person{Name: "郑秀云", Phone: "13812345678"}, Relation: "本人", Consent: "本人",
			ContactPhone: "13812345678", Category: "pension", TriedWindow: "没有", Description: "养老金停了",
		})},
	},
	{
		name: "returning after two days: starting over",
		script: `
			我：1
			我：2
			我：周强
			（过了2天）
			我：[进入]
			办：要接着填吗？
			我：重新开始
			办：这件事是谁遇到的？
			我：上一步
			办：这已经是第一步了`,
	},
	{
		name: "returning after three hours continues at once; after eight days the draft is gone",
		script: `
			我：1
			我：本人
			（过了3小时）
			我：不知道
			办：工作人员联系您时再问
			办：请发您的身份证号码
			（过了8天）
			我：13812345678
			办：超过7天，已经失效了
			办：请问您要办什么？`,
	},
	{
		name: "what is said after a long silence is kept for the description",
		script: `
			我：1
			我：本人
			我：跳过
			我：不知道
			（过了1天）
			我：我又去了一趟社保中心，还是说办不了
			办：要接着填吗？
			我：继续
			我：13812345678
			我：1
			我：没有
			办：请核对
			我：说完了
			我：确认`,
		want: []cases.Case{reported(cases.Case{
			Affected: cases.Person{Phone: "13812345678"}, Relation: "本人", Consent: "本人",
			ContactPhone: "13812345678", Category: "pension", TriedWindow: "没有",
			Description: "我又去了一趟社保中心，还是说办不了",
		})},
	},
	{
		name: "two cases by one reporter, then a query lists both",
		script: `
			我：1
			我：1
			我：吴芳
			我：不知道
			我：13812345678
			我：1
			我：没有
			我：养老金停了
			我：说完了
			我：确认
			办：BC2611280001
			我：反映问题
			我：2
			我：陈桂兰
			我：母亲
			我：1
			我：吴芳
			我：不知道
			我：1
			我：13812345678
			我：档案
			我：没有
			我：我妈的档案在老单位，单位没了
			我：说完了
			我：确认
			办：BC2611280002
			我：查询
			办：1. BC2611280002（档案问题）
			办：2. BC2611280001（养老保险）
			办：进展：已收到，等待受理
			办：期限：2026年12月18日前`,
		want: []cases.Case{
			reported(cases.Case{
				ReporterName: "吴芳", Affected: cases.Person{Name: "吴芳", Phone: "13812345678"}, Relation: "本人", Consent: "本人",
				ContactPhone: "13812345678", Category: "pension", TriedWindow: "没有", Description: "养老金停了",
			}),
			reported(cases.Case{
				ReporterName: "吴芳", Affected: cases.Person{Name: "陈桂兰"}, Relation: "母亲", Consent: "知道，也同意",
				ContactPhone: "13812345678", Category: "archive", TriedWindow: "没有", Description: "我妈的档案在老单位，单位没了",
			}),
		},
	},
	{
		name: "query with no cases",
		script: `
			我：查询进度
			办：您还没有在这里反映过问题`,
	},
	{
		name: "query in the middle of a report keeps the report",
		seed: func(d *fakeDesk) { d.seed("wm_citizen", "pension", cases.StatusSubmitted) },
		script: `
			我：1
			我：本人
			我：查询
			办：BC2611280001（养老保险）
			办：您正在填的内容还在
			办：请问您的姓名？`,
	},
	{
		name: "supplement to the one open case, text and photo",
		seed: func(d *fakeDesk) {
			d.seed("wm_citizen", "pension", cases.StatusClosed)
			d.seed("wm_citizen", "archive", cases.StatusSubmitted)
		},
		script: `
			我：补充材料
			办：请发要补充给 BC2611280002 的内容
			我：单位的破产证明找到了
			办：已补充到 BC2611280002
			我：[照片]
			办：已补充到 BC2611280002
			我：好了
			办：补充完了`,
		check: func(t *testing.T, d *fakeDesk) {
			want := []supplemented{{Number: "BC2611280002", Text: "单位的破产证明找到了"}, {Number: "BC2611280002", AttKind: KindImage}}
			if diff := cmp.Diff(want, d.supplements); diff != "" {
				t.Errorf("supplements (-want +got):\n%s", diff)
			}
		},
	},
	{
		name: "supplement picks among two open cases",
		seed: func(d *fakeDesk) {
			d.seed("wm_citizen", "pension", cases.StatusSubmitted)
			d.seed("wm_citizen", "archive", cases.StatusSubmitted)
			d.seed("wm_someone_else", "archive", cases.StatusSubmitted)
		},
		script: `
			我：3
			办：要补充到哪一件？
			办：[1. BC2611280002 档案问题]
			办：[2. BC2611280001 养老保险]
			办不含：BC2611280003
			我：[语音]
			办：语音收到了
			我：0001
			办：已收到，补充到 BC2611280001
			我：[点 supp_collect:1]
			办：补充完了`,
		check: func(t *testing.T, d *fakeDesk) {
			want := []supplemented{{Number: "BC2611280001", AttKind: KindVoice}}
			if diff := cmp.Diff(want, d.supplements); diff != "" {
				t.Errorf("supplements (-want +got):\n%s", diff)
			}
		},
	},
	{
		name: "a supplement left half-way a day ago is over",
		seed: func(d *fakeDesk) { d.seed("wm_citizen", "pension", cases.StatusSubmitted) },
		script: `
			我：补充
			办：请发要补充给 BC2611280001 的内容
			（过了1天）
			我：你好
			办：请问您要办什么？`,
	},
	{
		name: "supplement with no open case",
		seed: func(d *fakeDesk) { d.seed("wm_citizen", "pension", cases.StatusClosed) },
		script: `
			我：补充
			办：没有正在办理的事`,
	},
	{
		name: "a case closed while supplementing is explained kindly",
		seed: func(d *fakeDesk) { d.seed("wm_citizen", "pension", cases.StatusSubmitted) },
		script: `
			我：补充
			我：又找到一张工资单
			办：已补充到
			（BC2611280001 办结了）
			我：[照片]
			办：这件事已经办结或撤回了
			办：您发的内容还没有交给哪件事
			办：要把它作为一件新的事反映吗？
			我：好了
			办：没太明白
			办：要把它作为一件新的事反映吗？
			我：不用了
			办：[转人工]
			办：您发的内容先帮您留着`,
		check: func(t *testing.T, d *fakeDesk) {
			want := []supplemented{{Number: "BC2611280001", Text: "又找到一张工资单"}}
			if diff := cmp.Diff(want, d.supplements); diff != "" {
				t.Errorf("supplements (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"wm_citizen@BC2611280001"}, d.handovers); diff != "" {
				t.Errorf("handovers (-want +got):\n%s", diff)
			}
		},
	},
	{
		name: "withdrawal with a reason and confirmation",
		seed: func(d *fakeDesk) { d.seed("wm_citizen", "pension", cases.StatusSubmitted) },
		script: `
			我：撤回
			办：能说说为什么撤回吗？
			我：已经在社保中心办好了
			办：确定撤回 BC2611280001 吗？
			我：确认撤回
			办：已撤回 BC2611280001
			我：撤回
			办：没有可以撤回的事`,
		check: func(t *testing.T, d *fakeDesk) {
			if diff := cmp.Diff(map[string]string{"BC2611280001": "已经在社保中心办好了"}, d.withdrawn); diff != "" {
				t.Errorf("withdrawn (-want +got):\n%s", diff)
			}
		},
	},
	{
		name: "withdrawal declined at the confirmation",
		seed: func(d *fakeDesk) { d.seed("wm_citizen", "pension", cases.StatusSubmitted) },
		script: `
			我：4
			我：跳过
			办：确定撤回 BC2611280001 吗？
			我：不撤回
			办：不撤回，BC2611280001 继续办理`,
		check: func(t *testing.T, d *fakeDesk) {
			if len(d.withdrawn) != 0 {
				t.Errorf("withdrawn %v", d.withdrawn)
			}
		},
	},
	{
		name: "人工 on several steps hands over and keeps the draft",
		script: `
			我：人工
			办：[转人工]
			办：正在为您转接工作人员
			我：1
			我：本人
			我：跳过
			我：不知道
			我：转人工
			办：[转人工]
			办：您已经填的内容会保留
			我：13812345678
			办：这件事属于哪一类？
			我：[点 menu:5]
			办：[转人工]`,
		check: func(t *testing.T, d *fakeDesk) {
			if len(d.handovers) != 3 {
				t.Errorf("handovers recorded: %v", d.handovers)
			}
		},
	},
	{
		name: "escape words while withdrawing and supplementing",
		seed: func(d *fakeDesk) {
			d.seed("wm_citizen", "pension", cases.StatusSubmitted)
			d.seed("wm_citizen", "archive", cases.StatusSubmitted)
		},
		script: `
			我：撤回
			办：要撤回哪一件？
			我：再说一遍
			办：要撤回哪一件？
			我：1
			办：为什么撤回
			我：上一步
			办：要撤回哪一件？
			我：2
			我：不想办了
			办：确定撤回 BC2611280001 吗？
			我：返回
			办：为什么撤回
			我：重新开始
			办：要撤回哪一件？
			我：取消
			办：不撤回了
			我：补充
			我：2
			办：请发要补充给 BC2611280001 的内容
			我：取消
			办：补充完了
			我：人工
			办：[转人工]`,
		check: func(t *testing.T, d *fakeDesk) {
			if len(d.withdrawn) != 0 || len(d.supplements) != 0 {
				t.Errorf("withdrawn %v, supplements %v", d.withdrawn, d.supplements)
			}
		},
	},
	{
		name: "a greeting or another task in the middle of a report is not taken for an answer",
		script: `
			我：1
			我：2
			我：你好
			办：您好！
			办：请问遇到这件事的人叫什么名字？
			我：撤回
			办：您正在反映问题
			办：请问遇到这件事的人叫什么名字？
			我：13812345678
			办：这里请写名字或称呼
			我：老周
			办：老周是您的什么人？`,
	},
	{
		name: "unexpected messages get a polite answer and the question again",
		script: `
			我：[表情]
			办：暂时看不了
			办：请问您要办什么？
			我：1
			我：1
			我：[位置]
			办：收到您发的位置
			办：请问您的姓名？
			我：冯玉兰
			我：[链接]
			办：链接
			我：[名片]
			办：名片
			我：[小程序]
			办：小程序
			办：请发您的身份证号码
			我：[语音失败]
			办：没有收到，麻烦再发一次
			我：370102196107151239
			办：请发您的电话号码`,
	},
	{
		name: "photo of a document on a question step is kept with the report",
		script: `
			我：1
			我：1
			我：[照片]
			办：照片收到了，会一起交给工作人员
			办：请问您的姓名？
			我：跳过
			我：不知道
			我：13812345678
			我：1
			我：没有
			我：[文件]
			我：说完了
			办：附件：照片1张、文件1个
			我：确认`,
		want: []cases.Case{reported(cases.Case{
			Affected: cases.Person{Phone: "13812345678"}, Relation: "本人", Consent: "本人",
			ContactPhone: "13812345678", Category: "pension", TriedWindow: "没有", Description: "（见附件：照片1张、文件1个）",
		})},
		wantAtts: [][]string{{KindImage, KindFile}},
	},
	{
		name: "an old menu tapped again is not taken for an answer",
		script: `
			我：1
			我：[点 who:1]
			办：请问您的姓名？
			我：[点 who:2]
			办：这个选项已经过期了
			办：请问您的姓名？`,
	},
	{
		name: "a story told on a question step is kept as description",
		script: `
			我：1
			我：我在社保局跑了好多趟都说不归他们管
			办：您说的这些已经记下了
			办：这件事是谁遇到的？
			我：1
			我：跳过
			我：不知道
			我：13812345678
			我：1
			我：没有
			办：请核对
			我：说完了
			我：确认`,
		want: []cases.Case{reported(cases.Case{
			Affected: cases.Person{Phone: "13812345678"}, Relation: "本人", Consent: "本人",
			ContactPhone: "13812345678", Category: "pension", TriedWindow: "没有",
			Description: "我在社保局跑了好多趟都说不归他们管",
		})},
	},
	{
		name: "changing who is affected on the summary",
		script: `
			我：1
			我：1
			我：吴秀兰
			我：不知道
			我：13812345678
			我：1
			我：没有
			我：养老金停了
			我：说完了
			办：姓名：吴秀兰
			我：2
			我：1
			办：这件事是谁遇到的？
			我：家人
			我：吴海
			我：丈夫
			我：1
			办：怎么称呼您？
			我：吴阿姨
			办：请核对
			办：遇事人：吴海（丈夫，已同意）
			办：您的称呼：吴阿姨
			办不含：吴秀兰
			我：修改
			我：联系电话
			办：工作人员打哪个电话联系？
			我：1
			我：13900002222
			办：电话：139****2222（您的）
			我：确认`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "吴阿姨", Affected: cases.Person{Name: "吴海"}, Relation: "丈夫", Consent: "知道，也同意",
			ContactPhone: "13900002222", Category: "pension", TriedWindow: "没有", Description: "养老金停了",
		})},
	},
}

func TestConversations(t *testing.T) {
	for _, tc := range slices.Concat(storyConversations, dialogConversations, nameConversations, followUpConversations, materialConversations, understandConversations, heldConversations) {
		t.Run(tc.name, func(t *testing.T) {
			desk := newFakeDesk()
			if tc.seed != nil {
				tc.seed(desk)
			}
			seeded := len(desk.cases)
			c := newConversation(t, desk)
			c.play(tc.script)

			var got []cases.Case
			var gotAtts, gotSaid [][]string
			for _, s := range desk.cases[seeded:] {
				got = append(got, caseFields(s.Case))
				gotAtts = append(gotAtts, attKinds(s.Atts))
				gotSaid = append(gotSaid, s.Said)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("submitted cases (-want +got):\n%s", diff)
			}
			if tc.wantAtts != nil {
				if diff := cmp.Diff(tc.wantAtts, gotAtts); diff != "" {
					t.Errorf("attachments (-want +got):\n%s", diff)
				}
			}
			if tc.wantSaid != nil {
				if diff := cmp.Diff(tc.wantSaid, gotSaid); diff != "" {
					t.Errorf("description messages (-want +got):\n%s", diff)
				}
			}
			if tc.check != nil {
				tc.check(t, desk)
			}
		})
	}
}
