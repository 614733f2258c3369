package bot

import "banchengshi/cases"

// storyConversations carry the six cases of the source story (docs/architecture.md,
// "The cases it must carry")
// and a neighbour reporting for an elderly man without WeChat.
var storyConversations = []transcriptCase{
	{
		name: "story 1: two people share one ID number",
		script: `
			我：你好
			办：请问您要办什么？
			办：[1. 反映问题]
			我：1
			办：这件事是谁遇到的？
			我：我本人
			办：请问您的姓名？
			办：[不方便说，跳过]
			我：刘振华
			办：请发您的身份证号码
			我：370102196107151239
			办：收到。
			办：请发您的电话号码
			我：138 1234 5678
			办：这件事属于哪一类？
			办：[5. 个人信息错误]
			我：个人信息错误
			办：之前去哪个窗口或部门办过？
			我：区社保中心
			办：大概是什么时候去的？
			我：去年6月
			办：怎么答复您的？
			我：说系统里这个身份证号还挂着另一个人，让我去派出所开证明
			办：请用自己的话说说遇到的问题
			我：我的身份证号码和外地一个人重了，社保一直交不上
			办：收到，记下了
			我：派出所说他们那边没有问题
			办：收到，记下了
			我：说完了
			办：请核对
			办：遇事人：本人
			办：姓名：刘振华
			办：身份证：370*************39
			办：电话：138****5678
			办：类别：个人信息错误
			办：去过：区社保中心，2025年6月
			办：以上信息对吗？
			我：1
			办：提交成功！
			办：编号：BC2611280001
			办：15个工作日
			办：2026年12月18日
			办：回复“查询”`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "刘振华",
			Affected:     cases.Person{Name: "刘振华", IDNumber: "370102196107151239", Phone: "13812345678"},
			Relation:     "本人", Consent: "本人", ContactPhone: "13812345678", Category: "data",
			TriedWindow: "区社保中心", TriedWhen: "2025年6月",
			TriedAnswer: "说系统里这个身份证号还挂着另一个人，让我去派出所开证明",
			Description: "我的身份证号码和外地一个人重了，社保一直交不上\n派出所说他们那边没有问题",
		})},
		wantSaid: [][]string{{"我的身份证号码和外地一个人重了，社保一直交不上", "派出所说他们那边没有问题"}},
	},
	{
		name: "story 2: cross-province pension transfer, first message kept",
		script: `
			我：我的养老保险转不过来，跑了两年了
			办：您说的情况已经记下了
			办：请问您的姓名？
			我：不方便说
			办：工作人员联系您时再问
			办：身份证号码
			我：不知道
			办：这一项先跳过
			我：0531-86012345
			办：哪一类
			我：第二个
			办：哪个窗口
			我：市社保中心转移窗口
			我：两年前
			办：怎么答复
			我：说甘肃那边的缴费数据不对，要那边先改
			办：请核对
			我：甘肃那边又说他们没问题，让这边办
			办：收到，记下了
			我：[照片]
			办：照片收到了
			我：好了
			办：姓名：未提供
			办：身份证：未提供
			办：电话：053*****2345
			办：去过：市社保中心转移窗口，约2024年
			办：附件：照片1张
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			Affected: cases.Person{Phone: "053186012345"}, Relation: "本人", Consent: "本人",
			ContactPhone: "053186012345", Category: "transfer",
			TriedWindow: "市社保中心转移窗口", TriedWhen: "约2024年", TriedAnswer: "说甘肃那边的缴费数据不对，要那边先改",
			Description: "我的养老保险转不过来，跑了两年了\n甘肃那边又说他们没问题，让这边办",
		})},
		wantAtts: [][]string{{KindImage}},
		wantSaid: [][]string{{"我的养老保险转不过来，跑了两年了", "甘肃那边又说他们没问题，让这边办", "[照片]"}},
	},
	{
		name: "story 3: bought-out worker whose name was misspelt, reported by his daughter",
		script: `
			我：反映问题
			我：家人
			办：叫什么名字？
			我：李建国
			办：李建国是您的什么人？
			我：父亲
			办：李建国知道您来反映，并且同意吗？
			我：同意
			办：怎么称呼您？
			我：叫我小李就行
			办：请发李建国的身份证号码
			我：410105195809120047
			办：工作人员打哪个电话联系？
			办：[2. 打李建国的电话]
			我：打我的
			办：请发您的电话号码
			我：139-1234-5678
			我：买断
			我：原国棉三厂改制办
			我：2003年
			我：说名字写错了，系统里查不到
			我：我爸1998年买断工龄，交接的时候把“建”写成了“健”，现在社保查不到缴费记录
			我：说完了
			办：遇事人：李建国（父亲，已同意）
			办：您的称呼：小李
			办：电话：139****5678（您的）
			办不含：139-1234-5678
			我：确认提交
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "小李", Affected: cases.Person{Name: "李建国", IDNumber: "410105195809120047"},
			Relation: "父亲", Consent: "知道，也同意", ContactPhone: "13912345678", Category: "employment",
			TriedWindow: "原国棉三厂改制办", TriedWhen: "2003年", TriedAnswer: "说名字写错了，系统里查不到",
			Description: "我爸1998年买断工龄，交接的时候把“建”写成了“健”，现在社保查不到缴费记录",
		})},
	},
	{
		name: "story 4: bankrupt employer's archive lost, category changed on the summary",
		script: `
			我：我要反映问题
			办：这件事是谁遇到的？
			我：自己
			办：请问您的姓名？
			我：我叫孙桂芳
			办：请发您的身份证号码
			我：跳过
			我：15012345678
			我：档案
			我：没有
			办：请用自己的话说说遇到的问题
			我：原来的单位破产了，档案找不到，退休办不了
			我：[语音]
			办：语音收到了
			我：说完了
			办：姓名：孙桂芳
			办：类别：档案问题
			办：附件：语音1条
			我：修改
			办：要改哪一项？
			我：4
			办：这件事属于哪一类？
			我：退休办理
			办：请核对
			办：类别：退休办理
			办：去过：没有
			我：确认提交
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "孙桂芳", Affected: cases.Person{Name: "孙桂芳", Phone: "15012345678"}, Relation: "本人", Consent: "本人",
			ContactPhone: "15012345678", Category: "retire", TriedWindow: "没有",
			Description: "原来的单位破产了，档案找不到，退休办不了",
		})},
		wantAtts: [][]string{{KindVoice}},
		wantSaid: [][]string{{"原来的单位破产了，档案找不到，退休办不了", "[语音]"}},
	},
	{
		name: "story 5: survival certification failed, wrong ID then right",
		script: `
			我：1
			我：2
			我：王秀英
			我：母亲
			我：1
			办：怎么称呼您？
			我：跳过
			办：这一项先跳过
			办：请发王秀英的身份证号码
			我：370102196303042516
			办：号码最后一位对不上
			办：再发一次
			我：370102196303042515
			办：收到。
			办：工作人员打哪个电话联系？
			我：2
			办：请发王秀英的电话号码
			我：0531 8888 6666
			我：生存认证
			我：社区服务中心
			我：今年3月
			我：说要回黑龙江本人认证
			我：我妈在这边住了十年，黑龙江的养老金从3月停发了，说人脸认证没通过
			我：她八十多了，回不去
			我：好了
			办：遇事人：王秀英（母亲，已同意）
			办：您的称呼：未提供
			办：身份证：370*************15
			办：电话：053*****6666（王秀英的）
			办：类别：待遇发放和生存认证
			我：对
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			Affected: cases.Person{Name: "王秀英", IDNumber: "370102196303042515", Phone: "053188886666"},
			Relation: "母亲", Consent: "知道，也同意", ContactPhone: "053188886666", Category: "benefit",
			TriedWindow: "社区服务中心", TriedWhen: "2026年3月", TriedAnswer: "说要回黑龙江本人认证",
			Description: "我妈在这边住了十年，黑龙江的养老金从3月停发了，说人脸认证没通过\n她八十多了，回不去",
		})},
	},
	{
		name: "story 6: birthdate in the archive differs from the ID card",
		script: `
			我：第一个
			我：一
			我：周建华
			我：37010219611005128x
			办：收到。
			我：138-0000-1111
			我：第三个
			我：区人社局退休科
			我：上个月
			我：说按档案的出生日期算
			我：档案里写1961年7月出生，身份证上是1961年10月，差了三个月不让办退休
			我：说完了
			办：身份证：370*************8X
			办：去过：区人社局退休科，2026年10月
			我：1.
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "周建华",
			Affected:     cases.Person{Name: "周建华", IDNumber: "37010219611005128X", Phone: "13800001111"}, Relation: "本人", Consent: "本人",
			ContactPhone: "13800001111", Category: "retire",
			TriedWindow: "区人社局退休科", TriedWhen: "2026年10月", TriedAnswer: "说按档案的出生日期算",
			Description: "档案里写1961年7月出生，身份证上是1961年10月，差了三个月不让办退休",
		})},
	},
	{
		name: "a neighbour reports for an elderly man without WeChat, by tapping",
		script: `
			我：您好
			办：[1. 反映问题]
			我：[点 menu:1]
			办：这件事是谁遇到的？
			我：[点 who:3]
			办：叫什么名字？
			我：张德福
			我：邻居
			办：张德福知道您来反映
			我：[点 consent:1]
			办：怎么称呼您？
			办：[不用称呼，跳过]
			我：王阿姨
			办：请发张德福的身份证号码
			办：[不知道，跳过]
			我：[点 id:1]
			办：这一项先跳过
			我：[点 phone_whose:1]
			我：13700001111
			我：养老金
			我：[点 tried_window:1]
			办：请用自己的话说说遇到的问题
			我：张大爷63岁了，病得来不了，他没有微信，养老金一直没办下来
			我：[点 desc:1]
			办：遇事人：张德福（邻居，已同意）
			办：您的称呼：王阿姨
			我：[点 confirm:1]
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "王阿姨", Affected: cases.Person{Name: "张德福"}, Relation: "邻居", Consent: "知道，也同意",
			ContactPhone: "13700001111", Category: "pension", TriedWindow: "没有",
			Description: "张大爷63岁了，病得来不了，他没有微信，养老金一直没办下来",
		})},
	},
	{
		name: "the affected person has no phone: the reporter's is taken",
		script: `
			我：1
			我：邻居或朋友
			我：赵大妈
			我：朋友
			我：还不知道
			办：怎么称呼您？
			我：[点 reporter:1]
			办：这一项先跳过
			我：不知道
			我：打她的
			办：请发赵大妈的电话号码
			我：没有电话
			办：那请发您自己的电话号码
			我：13611112222
			办：这件事属于哪一类？
			我：其他
			我：没去过
			我：她的低保卡被冻结了
			我：说完了
			办：电话：136****2222（您的）
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			Affected: cases.Person{Name: "赵大妈"}, Relation: "朋友", Consent: "还不知道",
			ContactPhone: "13611112222", Category: "other", TriedWindow: "没有",
			Description: "她的低保卡被冻结了",
		})},
	},
}
