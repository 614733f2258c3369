package bot

import "banchengshi/cases"

// nameConversations ask the citizen's own name when the matter is theirs,
// and how to address somebody reporting for another: staff need a name to
// look up a record and to say on the phone.
var nameConversations = []transcriptCase{
	{
		name: "own name: a phone or ID number typed as the name is refused and not repeated",
		script: `
			我：1
			我：本人
			办：请问您的姓名？
			我：138 1234 5678
			办：这里请写名字或称呼，号码后面再问。
			办：请问您的姓名？
			办：[不方便说，跳过]
			办不含：5678
			我：370102196107151239
			办：号码后面再问
			办不含：151239
			我：123
			办：号码后面再问
			我：我叫 王桂香。
			办：请发您的身份证号码
			我：370102196107151239
			办：收到。
			我：13812345678
			我：1
			我：没有
			我：养老金停了
			我：说完了
			办：遇事人：本人
			办：姓名：王桂香
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "王桂香", Affected: cases.Person{Name: "王桂香", IDNumber: "370102196107151239", Phone: "13812345678"},
			Relation: "本人", Consent: "本人", ContactPhone: "13812345678", Category: "pension", TriedWindow: "没有",
			Description: "养老金停了",
		})},
	},
	{
		name: "own name: skipped by a tap, then given from the summary",
		script: `
			我：反映问题
			我：1
			我：[点 self_name:1]
			办：工作人员联系您时再问
			办：请发您的身份证号码
			我：不知道
			我：13812345678
			我：1
			我：没有
			我：养老金停了
			我：说完了
			办：姓名：未提供
			我：修改
			我：姓名
			办：这件事是谁遇到的？
			我：本人
			办：请问您的姓名？
			我：何淑珍
			办：请核对
			办：姓名：何淑珍
			办：电话：138****5678
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "何淑珍", Affected: cases.Person{Name: "何淑珍", Phone: "13812345678"},
			Relation: "本人", Consent: "本人", ContactPhone: "13812345678", Category: "pension", TriedWindow: "没有",
			Description: "养老金停了",
		})},
	},
	{
		name: "own name: a story, a greeting or 好的 is not taken for a name",
		script: `
			我：1
			我：1
			我：我的养老金从三月份开始就停发了，一直没人管
			办：您说的这些已经记下了
			办：请问您的姓名？
			我：好的
			办：没太明白
			办：请问您的姓名？
			我：你好
			办：您好！
			办：请问您的姓名？
			我：曹红梅
			办：请发您的身份证号码
			我：不知道
			我：13812345678
			我：1
			我：没有
			办：请核对
			我：说完了
			我：确认`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "曹红梅", Affected: cases.Person{Name: "曹红梅", Phone: "13812345678"},
			Relation: "本人", Consent: "本人", ContactPhone: "13812345678", Category: "pension", TriedWindow: "没有",
			Description: "我的养老金从三月份开始就停发了，一直没人管",
		})},
	},
	{
		name: "称呼: a number is refused, 上一步 and 取消 work on the step",
		script: `
			我：1
			我：邻居
			我：孙大爷
			我：邻居
			我：1
			办：怎么称呼您？
			办：[不用称呼，跳过]
			我：13912345678
			办：这里请写名字或称呼，号码后面再问。
			办：怎么称呼您？
			我：上一步
			办：孙大爷知道您来反映
			我：1
			办：怎么称呼您？
			我：人工
			办：[转人工]
			我：取消
			办：已取消`,
	},
	{
		name: "称呼: given, then changed from the summary",
		script: `
			我：1
			我：2
			我：李秀珍
			我：母亲
			我：1
			办：怎么称呼您？
			我：小王
			办：请发李秀珍的身份证号码
			我：不知道
			我：1
			我：13812345678
			我：1
			我：没有
			我：我妈的养老金停了
			我：说完了
			办：遇事人：李秀珍（母亲，已同意）
			办：您的称呼：小王
			我：修改
			我：称呼
			办：这件事是谁遇到的？
			我：家人
			我：李秀珍
			我：母亲
			我：1
			办：怎么称呼您？
			我：王建军
			办：请核对
			办：您的称呼：王建军
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "王建军", Affected: cases.Person{Name: "李秀珍"}, Relation: "母亲", Consent: "知道，也同意",
			ContactPhone: "13812345678", Category: "pension", TriedWindow: "没有", Description: "我妈的养老金停了",
		})},
	},
	{
		name: "称呼: told by voice, staff listen to it",
		script: `
			我：1
			我：3
			我：刘大娘
			我：邻居
			我：1
			我：[语音]
			办：语音收到了
			办：请发刘大娘的身份证号码
			我：不知道
			我：1
			我：13812345678
			我：1
			我：没有
			我：刘大娘的养老金停了
			我：说完了
			办：您的称呼：（见语音）
			我：确认`,
		want: []cases.Case{reported(cases.Case{
			Affected: cases.Person{Name: "刘大娘"}, Relation: "邻居", Consent: "知道，也同意",
			ContactPhone: "13812345678", Category: "pension", TriedWindow: "没有", Description: "刘大娘的养老金停了",
		})},
		wantAtts: [][]string{{KindVoice}},
	},
}
