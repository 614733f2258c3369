package bot

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"banchengshi/cases"
	"banchengshi/pii"
)

// Everything the citizen reads is in this file, so it can be reviewed as a
// whole. Keep each message short enough for a phone at large font, and at
// most one question per message.

// Options of the choices the dialog offers. The first wording of each is
// shown; the others are synonyms the citizen may type (see ParseChoice).
var (
	mainOptions = []string{
		"反映问题|我要反映|反映|反映情况|投诉|我要投诉|我有问题",
		"查询进度|查询|进度|查进度|查一下|我的事",
		"补充材料|补充|补材料|补资料|补充资料",
		"撤回反映|撤回|撤销|我要撤回",
		"找工作人员|人工|转人工|找人|人工服务|人工客服",
	}
	whoOptions = []string{
		"我本人|本人|我自己|自己|我|是我",
		"家里人|家人|亲属|亲戚|父亲|母亲|爸爸|妈妈|老伴|爱人|儿子|女儿|老人",
		"邻居或朋友|邻居|朋友|同事|老乡|街坊",
		"其他人|其他|别人|其它",
	}
	consentOptions = []string{
		"知道，也同意|知道并同意|同意|同意了|他同意|她同意|知道同意|都知道|知道|他知道|她知道|知道的|让我问的|他让我问的|她让我问的|让我来的|是他让我问的|是她让我问的|中|行",
		"知道，还没同意|还没同意|没同意|不同意",
		"还不知道|不知道|他不知道|她不知道",
	}
	confirmOptions = []string{
		"确认提交|确认|提交|对|对的|没问题|是|是的|可以",
		"修改一项|修改|改|要改|不对|有错",
		"取消|不提交",
	}
	editOptions = []string{
		"谁遇到的事|遇事人|谁|名字|姓名|称呼",
		"身份证号|身份证|证件",
		"联系电话|电话|手机",
		"问题类别|类别|分类",
		"去过的窗口|窗口|去过|部门|答复|时间",
		"补充问题描述|问题描述|描述|问题",
	}
	resumeOptions = []string{
		"接着填|继续|接着|继续填|好|好的|是",
		"重新开始|重来|从头开始|重新填",
	}
	heldNewOptions = []string{
		"作为新的事反映|新的事|反映|反映问题|新反映|是|是的|好|好的|要|可以|提交",
		"不用，请工作人员看看|不用|不要|不|不用了|交给工作人员|请工作人员看看",
	}
	withdrawOptions = []string{
		"确认撤回|确认|确定|撤回|是|是的|对",
		"不撤回|不|不了|算了|不要|不用|不撤",
	}
)

// quickAnswers are the one-tap answers offered under questions that
// otherwise take typed words: label is shown, means is what a tap stands for.
var quickAnswers = map[Step]struct{ label, means string }{
	stepSelfName:    {"不方便说，跳过", "跳过"},
	stepReporter:    {"不用称呼，跳过", "跳过"},
	stepID:          {"不知道，跳过", "不知道"},
	stepPhone:       {"没有电话", "没有"},
	stepTriedWindow: {"没去过", "没有"},
	stepTriedWhen:   {"不记得了", "不记得"},
	stepTriedAnswer: {"没有答复", "没有"},
	stepDesc:        {"说完了", "说完了"},
	stepSuppCollect: {"发完了", "好了"},
	stepWdReason:    {"不想说，跳过", "跳过"},
	stepRateWhy:     {"不想说，跳过", "跳过"},
}

// Edit groups: which summary item an answer belongs to.
var editGroups = []string{"who", "id", "phone", "category", "tried", "desc"}

// Words with a fixed meaning, compared after clean and squeeze.
var (
	wordsHandover = []string{"人工", "转人工", "找人", "人工服务", "人工客服", "找工作人员", "我要人工", "转人工服务", "工作人员", "真人", "找真人",
		"我要找真人", "我要找真人说", "找真人说", "要人工", "我要找人", "找个人", "找个真人", "我要找工作人员", "让工作人员来", "叫工作人员"}
	wordsCancel    = []string{"取消", "取消反映", "不填了", "不弄了"}
	wordsRestart   = []string{"重新开始", "重来", "从头开始", "重新填", "重新来"}
	wordsBack      = []string{"上一步", "返回", "上一个", "回到上一步", "后退", "退回"}
	wordsRepeat    = []string{"再说一遍", "再说一次", "重复", "没看清", "没听清", "再发一遍", "没看懂", "什么", "啥"}
	wordsQuery     = []string{"查询进度", "查进度", "查询", "查一下", "帮我查一下", "查查", "查一查", "查一下进度"}
	wordsOtherTask = []string{"补充", "补充材料", "撤回", "撤回反映", "撤销"}
	wordsMenu      = []string{"菜单", "主菜单"}
	wordsGreeting  = []string{"你好", "您好", "在吗", "在不在", "有人吗", "hi", "hello", "喂", "哈喽", "早上好", "下午好", "晚上好", "请问"}
	wordsDone      = []string{"说完了", "好了", "没了", "没有了", "完了", "就这些", "就这么多", "结束", "讲完了", "发完了", "没别的了", "好", "完毕", "没有别的了", "没有", "没有了吧"}
	wordsNone      = []string{"没有", "没", "无", "没去过", "没有去过", "还没去过", "没办过", "没有答复", "没答复", "没说", "没说什么", "不记得", "忘了"}
	wordsSkip      = []string{"不知道", "不清楚", "跳过", "不记得", "记不得", "忘了", "不方便", "没有", "没带", "不想说", "不说了", "没什么", "算了"}
	wordsAck       = []string{"好", "好的", "好了", "嗯", "嗯嗯", "收到", "知道了", "知道", "明白", "明白了", "行", "可以", "谢谢", "谢谢你", "谢谢您", "好的谢谢", "ok"}
	wordsNoPhone   = []string{"没有", "没有电话", "没电话", "没手机", "没有手机", "不方便"}
	wordsNoName    = []string{"不方便说", "不方便讲", "不想告诉", "不告诉你", "保密", "不用了", "不用", "随便", "都行", "随便叫"}
)

// namePrefixes and nameSuffixes are the words around a name people type,
// "我叫王秀英" or "叫我小李就行"; the name is what remains.
var (
	namePrefixes = []string{"我的名字叫", "我的名字是", "我的姓名是", "名字叫", "姓名", "我叫", "叫我", "我是", "叫"}
	nameSuffixes = []string{"就行了", "就可以了", "就可以", "就行", "就好", "好了"}
)

// rateWords are typed answers to the follow-up question: the rating on the
// government service scale they mean, 0 for "the problem is not solved".
var rateWords = map[string]int{
	"非常满意": 1, "很满意": 1, "特别满意": 1, "十分满意": 1, "满分": 1,
	"满意": 2, "比较满意": 2, "挺满意": 2, "还算满意": 2,
	"基本满意": 3, "还行": 3, "还可以": 3, "一般": 3, "凑合": 3,
	"不满意": 4, "不太满意": 4, "不大满意": 4, "不是很满意": 4,
	"非常不满意": 5, "很不满意": 5, "特别不满意": 5, "十分不满意": 5, "太差了": 5,
	"没解决": 0, "还没解决": 0, "没有解决": 0, "还没有解决": 0, "未解决": 0,
	"问题没解决": 0, "问题还没解决": 0, "问题没有解决": 0, "问题没解决了": 0,
	"没办好": 0, "还没办好": 0, "没有办好": 0, "没给解决": 0, "根本没解决": 0,
}

const (
	textMenuHead        = "您好！这里是“办不成事”反映窗口。\n在别处没办成的事，可以跟我们说。\n请问您要办什么？"
	textMenuAgain       = "请问您要办什么？"
	textMenuTail        = "回复数字也可以。"
	textStepTail        = "回复数字也可以；说“上一步”可返回。"
	textNotUnderstood   = "没太明白您的意思。"
	textPickHint        = "这一步请点选，或回复数字。"
	textFirstStep       = "这已经是第一步了。"
	textRestart         = "好的，我们重新开始。"
	textCancelled       = "好的，已取消，刚才填的内容没有提交。\n需要时随时发消息给我们。"
	textNothingToStop   = "现在没有正在办的事。"
	textStopped         = "好的，不办了。需要时随时发消息给我们。"
	textWdStopped       = "好的，不撤回了，事情继续办理。"
	textFinishFirst     = "您正在反映问题。\n填完，或者回复“取消”后，再办这件事。"
	textHello           = "您好！"
	textStaleMenu       = "这个选项已经过期了。"
	textMenuInFlow      = "要回到菜单，请先回复“取消”。"
	textStillHere       = "您正在填的内容还在。"
	textResumeGo        = "好的，我们接着来。"
	textResumeAsk       = "欢迎回来！您上次反映的问题还没填完。\n要接着填吗？"
	textWelcomeBack     = "欢迎回来！"
	textCorrupt         = "抱歉，刚才的对话没能接上，我们从头开始。"
	textKeptFirst       = "您说的情况已经记下了。\n为了交给对的部门，还要问几个问题。"
	textKeptAside       = "您说的这些已经记下了。"
	textNotAName        = "这里请写名字或称呼，号码后面再问。"
	textNameLong        = "有点长了，请只写名字或称呼。"
	textNameLater       = "好的，工作人员联系您时再问。"
	textNameWanted      = "这里请写名字。\n遇到这件事的人叫什么名字？\n比如：王秀兰；不知道名字，写张大爷也行。"
	textRelationWanted  = "请说说%s是您的什么人，比如：母亲、邻居、朋友。"
	textRelationWanted2 = "换个说法：回一个词就行，\n比如：母亲、父亲、老伴、邻居、同事。"
	textSelfNameWanted  = "这里请写您的名字，比如：王秀兰。\n不方便说，回复“跳过”就行。"
	textReporterWanted  = "这里请写怎么称呼您，比如：王阿姨、小李。\n不想说，回复“跳过”就行。"
	textNameWanted2     = "换个说法：请只写名字，比如：王秀兰。\n不知道名字，回复“不知道”也行。"
	textPhoneBad2       = "还是不对。请发11位手机号，或带区号的座机。\n没有电话，回复“没有”也行。"
	textSkipped         = "好的，这一项先跳过。"
	textGot             = "收到。"

	textAskWho         = "这件事是谁遇到的？"
	textAskSelfName    = "请问您的姓名？\n办事要按姓名查档案。\n不方便说，回复“跳过”就行。"
	textAskName        = "请问遇到这件事的人叫什么名字？"
	textAskNameHint    = "可以连称呼一起说，比如：我妈王秀兰。"
	textAskNameOf      = "请问您%s叫什么名字？"
	textAskRelation    = "%s是您的什么人？\n比如：父亲、邻居、朋友。"
	textAskConsent     = "%s知道您来反映，并且同意吗？"
	textAskReporter    = "怎么称呼您？\n比如：王阿姨、小李。\n不想说，回复“跳过”就行。"
	textAskIDSelf      = "请发您的身份证号码（18位）。\n不知道或不方便，回复“不知道”就行。"
	textAskIDOther     = "请发%s的身份证号码（18位）。\n不知道或不方便，回复“不知道”就行。"
	textIDRetry        = "请核对一下身份证号，再发一次。"
	textIDMaySkip      = "没关系，身份证号可以回复“跳过”，工作人员会再和您核实；\n也可以再发一次。"
	textAskPhoneWhose  = "工作人员打哪个电话联系？"
	textPhoneWhoseHint = "直接发号码就行。"
	textAskPhoneSelf   = "请发您的电话号码，手机、座机都行。"
	textAskPhoneOther  = "请发%s的电话号码，手机、座机都行。"
	textPhoneBad       = "这个号码好像不对。\n手机号是11位、1开头；座机请带区号。\n请再发一次。"
	textPhoneNone      = "好的，我们在微信上联系您。"
	textPhoneMine      = "那请发您自己的电话号码。"
	textAskCategory    = "这件事属于哪一类？"
	textAskWindow      = "之前去哪个窗口或部门办过？\n没去过请回复“没有”。"
	textAskWhen        = "大概是什么时候去的？\n比如：2024年6月、去年、两年前。\n记不清就回复“不记得”。\n答复也可以一起说，比如：去年6月，说要等。"
	textWhenBad        = "这个时间没看懂。\n可以这样说：2024年6月、去年6月、两年前，\n或者回复“不记得”。"
	textAskAnswer      = "当时工作人员是怎么答复您的？\n没有答复请回复“没有”。"
	textAskDesc        = "请用自己的话说说遇到的问题。\n可以分几条发，文字、语音、照片都行。\n说完了请回复“说完了”。"
	textAskDescMore    = "您前面说的已经记下了。\n还有要补充的吗？文字、语音、照片都行。\n说完了请回复“说完了”。"
	textDescAck        = "收到，记下了。\n还有吗？说完了请回复“说完了”。"
	textDescEmpty      = "还没收到您对问题的说明。\n请说说遇到了什么事，文字、语音都行。"
	textConfirmAsk     = "以上信息对吗？"
	textGotStory       = "收到，记下了。"
	textOneAtATime     = "好的，这件填完，再说另一件。"
	textAlreadyOn      = "好的，正在帮您反映，接着回答就行。"
	textIDLater        = "好的，身份证号先不填，工作人员会再和您核实。"
	textChanged        = "改好了。"
	textAskEdit        = "要改哪一项？"
	textAskAbout       = "是补充到 %s 吗？"
	textNotUnderstood2 = "换个说法：请回复前面的数字，比如回复“1”。"
	textOfferPerson    = "抱歉，还是没对上。您说的都记下了。\n回复“人工”，工作人员来帮您；也可以再试一次。"

	textNoCases      = "您还没有在这里反映过问题。\n想反映问题，回复“反映问题”。"
	textCasesHead    = "您反映的事情："
	textCasesTail    = "想补充材料，回复“补充”。"
	textNoOpenSupp   = "您现在没有正在办理的事，不需要补充。"
	textNoOpenWd     = "您现在没有可以撤回的事。"
	textAskSuppPick  = "要补充到哪一件？"
	textAskSupp      = "请发要补充给 %s 的内容。\n文字、语音、照片都行，发完了回复“好了”。"
	textSuppAck      = "已补充到 %s，工作人员会看到。\n还有吗？发完了回复“好了”。"
	textSuppAttached = "收到，已附到 %s。"
	textSuppDone     = "好的，补充完了。工作人员看到后会处理。"
	textAskWdPick    = "要撤回哪一件？"
	textAskWdReason  = "能说说为什么撤回吗？\n不想说可以回复“跳过”。"
	textAskWdSure    = "确定撤回 %s 吗？\n撤回后就不再办理了。"
	textWdDone       = "已撤回 %s。\n以后有需要，随时找我们。"
	textWdKept       = "好的，不撤回，%s 继续办理。"

	textMaterialAck     = "已收到，补充到 %s，工作人员会看到。\n还有要补充的吗？发完了回复“好了”。"
	textMaterialHeld    = "收到，先帮您记下了。"
	textMaterialWaiting = "有%d件事在等您补充材料。"
	textAskHeldPick     = "刚才发的，要补充到哪一件？"
	textHeldStill       = "您发的内容还留着，没有丢。"
	textFlowStopped     = "您刚才正在办的那一步先停下了，还没有办理；需要的话，稍后可以重新发起。"
	textSuppEnded       = "您刚才补充给 %s 的内容已经收到，这次补充先到这里。"
	textReasonAbout     = "（对 %s 回访的意见）"
	textReasonFileAbout = "（对 %s 回访的意见，见附件）"
	textAskHeldNew      = "您发的内容还没有交给哪件事。\n要把它作为一件新的事反映吗？"
	textHeldAsReport    = "好的，您发的内容已经记下了，作为一件新的事来反映。\n为了交给对的部门，还要问几个问题。"
	textHeldToStaff     = "好的，正在为您转接工作人员，请稍等。\n您发的内容先帮您留着。"

	textRateDropped = "好的，这次先不评价。"
	textRateNone    = "现在没有等您评价的事。"
	textRateNotYet  = "%s 还在办理中，\n办结后再请您评价。"
	textRateThanks  = "谢谢您的评价（%s）！这件事就办结了，以后有事随时找我们。"
	textReopened    = "对不起，没能让您满意。您的事项（%s）已重新办理，负责人已经知道了，我们会尽快给您答复。"
	textRateWhyTail = "\n我们会转给负责人重新办理。\n不想说，回复“跳过”就行。"

	textHandover      = "好的，正在为您转接工作人员，请稍等。"
	textHandoverDraft = "好的，正在为您转接工作人员，请稍等。\n您已经填的内容会保留。"

	textCaseNotFound = "没找到这件事，可能编号不对。"
	textCaseNotOpen  = "这件事已经办结或撤回了。\n有新情况可以重新反映。"
	textCaseRefused  = "这件事现在不能这样处理。\n需要的话回复“人工”，工作人员帮您看。"

	textIDEmpty  = "没有收到号码"
	textIDChars  = "身份证号码只有数字，最后一位可能是X"
	textIDOld    = "这是老的15位号码，请发现在身份证上的18位号码"
	textIDRegion = "号码前两位对不上，可能输错了一位"
	textIDBirth  = "号码里的出生日期对不上，可能输错了一位"
	textIDCheck  = "号码最后一位对不上，可能有一位输错了"

	voiceAnswer = "（见语音）"
	noneAnswer  = "没有"
)

// relationSelf is the relation and consent recorded when the reporter is
// the affected person.
const relationSelf = "本人"

// textSeeFiles is the description of a case told only in files.
func textSeeFiles(files string) string {
	return "（见附件：" + files + "）"
}

// textIDAgain explains a wrong ID number; after the second try it offers to skip.
func textIDAgain(reason string, maySkip bool) string {
	if maySkip {
		return reason + "。\n" + textIDMaySkip
	}
	return reason + "。\n" + textIDRetry
}

// textIDLength explains a number of the wrong length.
func textIDLength(n int) string {
	return fmt.Sprintf("身份证号码是18位，您发的是%d位", n)
}

// textExpired tells a citizen their draft was dropped.
func textExpired(ttl time.Duration) string {
	return fmt.Sprintf("您上次填的内容已超过%d天，已经失效了。", max(1, int(ttl.Hours()/24)))
}

func textMediaMissing(kind string) string {
	return fmt.Sprintf("您发的%s没有收到，麻烦再发一次。", cases.MediaLabel(kind))
}

func textMediaKept(kind string) string {
	return fmt.Sprintf("%s收到了，会一起交给工作人员。", cases.MediaLabel(kind))
}

func textMediaAck(kind string) string {
	return fmt.Sprintf("%s收到了。\n还有吗？说完了请回复“说完了”。", cases.MediaLabel(kind))
}

func textStartedWithMedia(kind string) string {
	return fmt.Sprintf("%s收到了，已经记下。\n为了交给对的部门，还要问几个问题。", cases.MediaLabel(kind))
}

// textUnexpected answers a message the dialog cannot read.
func textUnexpected(kind string) string {
	switch kind {
	case KindLocation:
		return "收到您发的位置，这里暂时看不了。"
	case KindLink:
		return "收到您发的链接，这里暂时打不开。"
	case KindBusinessCard:
		return "收到您发的名片，这里暂时看不了。"
	case KindMiniProgram:
		return "收到您发的小程序，这里暂时打不开。"
	}
	return "这条消息这里暂时看不了。"
}

// textPhoneOwner is the phone choice naming the affected person.
func phoneOptions(name string) []string {
	return []string{
		"打我的电话|我的|我|我的电话|打我的|打给我",
		"打" + name + "的电话|他的|她的|他|她|打他的|打她的|打给他|打给她",
	}
}

// affectedName is how the dialog refers to the affected person.
func affectedName(d draft) string {
	if d.Name != "" && d.Name != voiceAnswer {
		return pii.MaskText(d.Name)
	}
	return "他（她）"
}

// dateText writes a deadline as a citizen reads it.
func dateText(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// textSubmitted confirms a new case.
func textSubmitted(c *cases.Case) string {
	var b strings.Builder
	fmt.Fprintf(&b, "提交成功！\n编号：%s", c.Number)
	switch {
	case c.LimitDays > 0 && !c.Deadline.IsZero():
		fmt.Fprintf(&b, "\n我们会在%d个工作日内办理，\n最晚%s前答复您。", c.LimitDays, dateText(c.Deadline))
	case !c.Deadline.IsZero():
		fmt.Fprintf(&b, "\n最晚%s前答复您。", dateText(c.Deadline))
	}
	b.WriteString("\n想问进度，随时回复“查询”。")
	return b.String()
}

// summary is the draft as the citizen checks it before submitting. ID and
// phone numbers are masked: a chat is no place for them in full.
func summary(s *session, cats []cases.Category) string {
	d := s.Draft
	var b strings.Builder
	b.WriteString("请核对（可再补充）：")
	switch d.Who {
	case whoSelf:
		b.WriteString("\n遇事人：本人")
		fmt.Fprintf(&b, "\n姓名：%s", orNone(d.Name))
	default:
		fmt.Fprintf(&b, "\n遇事人：%s（%s，%s）", orDash(d.Name), orDash(d.Relation), orDash(consentShort(d.Consent)))
		fmt.Fprintf(&b, "\n您的称呼：%s", orNone(d.Reporter))
	}
	if d.IDNumber != "" {
		fmt.Fprintf(&b, "\n身份证：%s", pii.MaskID(d.IDNumber))
	} else {
		b.WriteString("\n身份证：未提供")
	}
	if d.Phone != "" {
		owner := "您的"
		if d.Who != whoSelf && d.PhoneWhose == phoneAffected {
			owner = affectedName(d) + "的"
		}
		fmt.Fprintf(&b, "\n电话：%s（%s）", pii.MaskPhone(d.Phone), owner)
	} else {
		b.WriteString("\n电话：未提供")
	}
	if d.Category != "" {
		fmt.Fprintf(&b, "\n类别：%s", categoryName(cats, d.Category))
	}
	if d.TriedWindow != "" {
		fmt.Fprintf(&b, "\n去过：%s", pii.MaskText(d.TriedWindow))
		if d.TriedWhen != "" {
			fmt.Fprintf(&b, "，%s", pii.MaskText(d.TriedWhen))
		}
		if d.TriedAnswer != "" {
			fmt.Fprintf(&b, "\n答复：%s", clip(pii.MaskText(d.TriedAnswer), 16))
		}
	}
	text := descriptionText(s)
	if text != "" {
		fmt.Fprintf(&b, "\n问题：%s", clip(pii.MaskText(text), 24))
	}
	if files := filesText(s.Atts); files != "" {
		fmt.Fprintf(&b, "\n附件：%s", files)
	}
	return b.String()
}

// consentShort is a consent answer as the summary shows it.
func consentShort(consent string) string {
	switch consent {
	case optionLabel(consentOptions[0]):
		return "已同意"
	case optionLabel(consentOptions[1]):
		return "还没同意"
	}
	return consent
}

// filesText counts attachments by kind: "语音2条、照片1张".
func filesText(atts []attachment) string {
	counts := map[string]int{}
	for _, a := range atts {
		counts[a.Kind]++
	}
	var out []string
	for _, k := range []struct{ kind, unit string }{{KindVoice, "条"}, {KindImage, "张"}, {KindVideo, "段"}, {KindFile, "个"}} {
		if n := counts[k.kind]; n > 0 {
			out = append(out, fmt.Sprintf("%s%d%s", cases.MediaLabel(k.kind), n, k.unit))
		}
	}
	return strings.Join(out, "、")
}

// textCaseList answers 查询进度.
func textCaseList(views []cases.CaseView) string {
	if len(views) == 0 {
		return textNoCases
	}
	var b strings.Builder
	b.WriteString(textCasesHead)
	const most = 5
	for i, v := range views {
		if i == most {
			fmt.Fprintf(&b, "\n……还有%d件，可回复“人工”查询。", len(views)-most)
			break
		}
		fmt.Fprintf(&b, "\n%d. %s（%s）\n进展：%s", i+1, v.Number, v.Category, v.StatusText)
		if v.LastUpdate != "" {
			fmt.Fprintf(&b, "\n最近：%s", v.LastUpdate)
		}
		if v.Working && !v.Deadline.IsZero() {
			fmt.Fprintf(&b, "\n期限：%s前", dateText(v.Deadline))
		}
	}
	if hasWorking(views) {
		b.WriteString("\n" + textCasesTail)
	}
	return b.String()
}

// reLongNumber finds what may be a phone or ID number inside free text,
// spaces and dashes included.
var reLongNumber = regexp.MustCompile(`[0-9０-９][0-9０-９ \-－]{5,}[0-9０-９XxＸｘ]`)

// orDash shows free text back to the citizen, masked, or a dash for nothing.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return pii.MaskText(s)
}

// orNone shows an optional answer back, masked, or 未提供 for none.
func orNone(s string) string {
	if s == "" {
		return "未提供"
	}
	return pii.MaskText(s)
}

// clip shortens s to n characters for the summary.
func clip(s string, n int) string {
	r := []rune(strings.ReplaceAll(s, "\n", " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "……"
}

// textRateName is how an answer to the follow-up is said back.
func textRateName(rating int, solved bool) string {
	if !solved || rating == 0 {
		return "问题没解决"
	}
	return cases.RatingText(rating)
}

// textRated answers a follow-up answer the desk recorded on case number.
func textRated(r cases.Rated, number string, rating int) string {
	switch r {
	case cases.RatedClosed:
		return fmt.Sprintf(textRateThanks, cases.RatingText(rating))
	case cases.RatedReopened:
		return fmt.Sprintf(textReopened, number)
	}
	return ""
}

// textAskRatePick asks which case an answer is about when several wait.
func textAskRatePick(rating int, solved bool, n int) string {
	return fmt.Sprintf("收到：%s。\n有%d件事在等您评价，\n您说的是哪一件？", textRateName(rating, solved), n)
}

// textAskRateWhy asks why the citizen is unhappy; a reporter writing for
// somebody else is asked about that person.
func textAskRateWhy(name string, solved bool) string {
	switch {
	case solved && name == "":
		return "请说说哪里让您不满意？" + textRateWhyTail
	case solved:
		return "请说说" + name + "的事哪里办得不满意？" + textRateWhyTail
	case name == "":
		return "请说说哪里还没解决？" + textRateWhyTail
	}
	return "请说说" + name + "的问题哪里还没解决？" + textRateWhyTail
}

// textSeeMedia is the reason of an answer given as a voice message or photo.
func textSeeMedia(kind string) string {
	return "（见" + cases.MediaLabel(kind) + "）"
}
