package bot

import "banchengshi/cases"

// understandConversations are issue 11's conversations: people answering as
// they talk, and the dialog taking what they give.
var understandConversations = []transcriptCase{
	{
		name: "a daughter names her mother in the first message: who, name and relation are not asked",
		script: `
			我：我妈王秀兰的养老金从上个月开始停了
			办：您说的情况已经记下了
			办：王秀兰知道您来反映，并且同意吗？
			我：她知道
			办：怎么称呼您？
			我：小李
			办：请发王秀兰的身份证号码
			我：不知道
			办：工作人员打哪个电话联系？
			办：直接发号码就行
			我：13812345678
			办：电话记下了
			办：之前去哪个窗口或部门办过？
			我：没有
			办：请核对
			办：遇事人：王秀兰（母亲，已同意）
			办：电话：138****5678（您的）
			办：类别：养老保险
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "小李", Affected: cases.Person{Name: "王秀兰"}, Relation: "母亲", Consent: "知道，也同意",
			ContactPhone: "13812345678", Category: "pension", TriedWindow: "没有",
			Description: "我妈王秀兰的养老金从上个月开始停了",
		})},
	},
	{
		name: "谁遇到的: 我妈, 替我姥姥问问, 是俺爹的事 are understood",
		script: `
			我：1
			我：替我姥姥问问
			办：请问您外婆叫什么名字？
			我：上一步
			我：是俺爹的事
			办：请问您父亲叫什么名字？
			我：上一步
			我：我妈
			办：请问您母亲叫什么名字？
			我：她知道
			办：这里请写名字
			我：王秀兰
			办：王秀兰知道您来反映
			办不含：是您的什么人`,
	},
	{
		name: "a second miss explains differently, a third offers a person; never the same message three times",
		script: `
			我：1
			办：这件事是谁遇到的？
			我：嗯嗯啊
			办：没太明白
			我：哈哈哈
			办：换个说法
			办不含：没太明白
			我：呵呵
			办：回复“人工”
			办不含：换个说法
			我：人工
			办：[转人工]`,
	},
	{
		name: "a name or relation that cannot be one is asked again, specifically",
		script: `
			我：我想替邻居问问
			办：请问遇到这件事的人叫什么名字？
			我：我要反映问题
			办：正在帮您反映
			我：她知道
			办：这里请写名字
			我：孟凡英
			办：孟凡英知道您来反映
			我：1
			办：怎么称呼您？
			我：还有个事想说一下
			办：这件填完，再说另一件
			我：她让我问的
			办：这里请写怎么称呼您
			我：小孟
			办：身份证号码`,
	},
	{
		name: "a phone number typed where its owner is asked: hers when she is named with it",
		script: `
			我：1
			我：2
			我：王秀兰
			我：我妈
			我：1
			我：小李
			我：不知道
			办：工作人员打哪个电话联系？
			我：她的 13812345678
			办：电话记下了
			办：哪一类
			我：1
			我：没有
			我：养老金停了
			我：说完了
			办：电话：138****5678（王秀兰的）
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "小李", Affected: cases.Person{Name: "王秀兰", Phone: "13812345678"}, Relation: "母亲", Consent: "知道，也同意",
			ContactPhone: "13812345678", Category: "pension", TriedWindow: "没有", Description: "养老金停了",
		})},
	},
	{
		name: "a phone number sent for the ID number is kept; the ID question comes once more",
		script: `
			我：1
			我：1
			我：邱红梅
			办：身份证号码
			我：13812340011
			办：电话记下了
			办：身份证号码
			我：不知道
			办：哪一类
			办不含：电话号码`,
	},
	{
		name: "the time and the window's answer in one message; words on the summary change what they name",
		script: `
			我：我的养老金这个月少发了三百多块
			办：请问您的姓名？
			我：刘振华
			我：不知道
			我：13812345678
			办：之前去哪个窗口
			我：区社保中心
			办：大概是什么时候去的？
			我：上个月，说让等通知
			办：请核对
			办：去过：区社保中心，2026年10月
			办：答复：说让等通知
			我：电话不对，是13900001111
			办：改好了
			办：电话：139****1111
			我：还有，我老伴的也少了
			办：收到，记下了
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "刘振华", Affected: cases.Person{Name: "刘振华", Phone: "13900001111"}, Relation: "本人", Consent: "本人",
			ContactPhone: "13900001111", Category: "pension", TriedWindow: "区社保中心", TriedWhen: "2026年10月", TriedAnswer: "说让等通知",
			Description: "我的养老金这个月少发了三百多块\n还有，我老伴的也少了",
		})},
	},
	{
		name: "right after a reopening the next words go to the reopened case, not to a new report",
		seed: func(d *fakeDesk) { d.resolved("wm_citizen", "transfer", "", "本人") },
		script: `
			（BC2611280001 回访）
			我：[点 rate:BC2611280001:4]
			办：哪里让您不满意
			我：说是转过来了，但是养老金还是沈阳那边在发
			办：已重新办理
			我：丹东这边一直不给发，我该怎么办
			办：补充到 BC2611280001
			办不含：谁遇到的`,
		check: wantSupplements(supplemented{Number: "BC2611280001", Text: "丹东这边一直不给发，我该怎么办"}),
	},
	{
		name: "later, one short question decides: yes goes to the case, no starts a report with the words",
		seed: func(d *fakeDesk) { d.resolved("wm_citizen", "transfer", "", "本人") },
		script: `
			（BC2611280001 回访）
			我：没解决，钱还是没到
			办：已重新办理
			（过了3小时）
			我：今天又去问了，还是说等着
			办：是补充到 BC2611280001 吗？
			我：是
			办：补充到 BC2611280001
			我：好了
			（过了3小时）
			我：我的档案里出生日期也写错了
			办：是补充到 BC2611280001 吗？
			我：不是
			办：您说的情况已经记下了
			办：请问您的姓名？`,
		check: wantSupplements(supplemented{Number: "BC2611280001", Text: "今天又去问了，还是说等着"}),
	},
	{
		name: "words that clearly start something new start a report even right after",
		seed: func(d *fakeDesk) { d.resolved("wm_citizen", "transfer", "", "本人") },
		script: `
			（BC2611280001 回访）
			我：没解决，钱还是没到
			我：另外还有一件事，我的档案丢了
			办：您说的情况已经记下了
			办：请问您的姓名？`,
		check: wantSupplements(),
	},
	{
		name: "after a case list the words go to the one open case; once it is finished they start a report",
		seed: func(d *fakeDesk) { d.seed("wm_citizen", "pension", cases.StatusInProgress) },
		script: `
			我：查询进度
			办：BC2611280001
			我：这个月养老金又少了一百
			办：补充到 BC2611280001
			我：好了
			（BC2611280001 办结了）
			我：我的档案里出生日期也写错了
			办：您说的情况已经记下了
			办：请问您的姓名？`,
		check: wantSupplements(supplemented{Number: "BC2611280001", Text: "这个月养老金又少了一百"}),
	},
	{
		name: "the window answered with when and what was said: three answers in one",
		script: `
			我：我的档案找不到了
			我：常玉兰
			我：不知道
			我：13504150016
			办：之前去哪个窗口
			我：去年6月去的区档案馆，说没有这个人
			办：请核对
			办：去过：区档案馆，2025年6月
			办：答复：说没有这个人
			我：确认`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "常玉兰", Affected: cases.Person{Name: "常玉兰", Phone: "13504150016"}, Relation: "本人", Consent: "本人",
			ContactPhone: "13504150016", Category: "archive", TriedWindow: "区档案馆", TriedWhen: "2025年6月", TriedAnswer: "说没有这个人",
			Description: "我的档案找不到了",
		})},
	},
}
