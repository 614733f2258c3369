package staff

import (
	"strings"

	"banchengshi/cases"
)

// Everything staff read, in one place so it can be reviewed as a whole.

// verbs is the command vocabulary: canonical verb, the words that mean it, and
// how to type it. Words are matched after full-width folding (so "?" also
// matches "？") and longest first, whatever their order here.
var verbs = []verbSpec{
	{verb: "受理", words: []string{"受理", "接单"}, action: cases.ActionAccept, args: argNone,
		example: "受理 0007"},
	{verb: VerbAssign, words: []string{"派单", "分派", "转办"}, action: cases.ActionAssign, args: argAssign,
		usage: "派单需要写明主办部门", example: "派单 0007 社保中心 协办 档案馆、就业服务中心"},
	{verb: "协办", words: []string{"协办"}, action: cases.ActionAssign, args: argCoAssign,
		usage: "协办需要写明协办部门", example: "协办 0007 档案馆"},
	{verb: "办理", words: []string{"开始办理", "办理"}, action: cases.ActionStart, args: argNone,
		example: "办理 0007"},
	{verb: "回复", words: []string{"回复", "答复"}, action: cases.ActionReply, args: argRelayed,
		usage: "回复需要写明要对群众说的话", example: "回复 0007 您的档案已找到，请周三上午来取"},
	{verb: "备注", words: []string{"备注"}, action: cases.ActionNote, args: argText,
		usage: "备注需要写明内容", example: "备注 0007 已电话联系档案馆，下周一回复"},
	{verb: "补充", words: []string{"要求补充", "补充材料", "补材料", "补充"}, action: cases.ActionAskMaterial, args: argRelayed,
		usage: "补充需要写明请群众补充什么", example: "补充 0007 请拍一张退休证内页的照片"},
	{verb: "延期", words: []string{"延期"}, action: cases.ActionExtend, args: argExtend,
		usage: "延期需要写明天数和原因", example: "延期 0007 5 等待外省回函"},
	{verb: "退单", words: []string{"退单", "退回"}, action: cases.ActionReturn, args: argText,
		usage: "退单需要写明原因", example: "退单 0007 不属于本部门职责，建议转档案馆"},
	{verb: "办结", words: []string{"办结"}, action: cases.ActionResolve, args: argRelayed,
		usage: "办结需要写明给群众的答复", example: "办结 0007 已为您更正出生日期，退休手续可正常办理"},
	{verb: "追责", words: []string{"追责"}, action: cases.ActionAccountability, args: argAccount,
		usage: "追责需要写明哪个窗口和原因", example: "追责 0007 某某区社保窗口 可当场办理却让群众另找部门"},
	{verb: "共性", words: []string{"共性问题", "共性"}, action: cases.ActionCommon, args: argText,
		usage: "共性需要写明问题标签", example: "共性 0007 跨省转移数据错误"},
	{verb: "并案", words: []string{"并案", "合并"}, action: cases.ActionMerge, args: argMerge,
		usage: "并案需要写明要并入的案件编号", example: "并案 0007 0003"},
	{verb: verbView, words: []string{"查看", "查询", verbView}, action: cases.ActionView, args: argNone,
		example: exampleView},
	{verb: "回访", words: []string{"回访"}, action: cases.ActionFollowUpResult, args: argFollowUp,
		usage: "回访需要写明1到5的评价（1非常满意 2满意 3基本满意 4不满意 5非常不满意）", example: "回访 0007 1 群众表示问题已解决"},
	{verb: "我的", words: []string{"我的案件", "我的"}, list: ListMine, args: argList},
	{verb: "超时", words: []string{"超时案件", "超时", "逾期", "超期"}, list: ListOverdue, args: argList},
	{verb: "今日", words: []string{"今日新增", "今日", "今天"}, list: ListToday, args: argList},
	{verb: VerbHelp, words: []string{"帮助", "help", "?", "菜单"}, args: argHelp},
}

// Parts of commands.
const (
	verbView         = "查"
	exampleView      = "查 0007"
	textLeadPrefix   = "主办"
	textCoPrefix     = "协办"
	textRatingDigits = "一二三四五"
)

var (
	textDaySuffixes = []string{"个工作日", "工作日", "天"}
	textMergeInto   = []string{"并入", "到", "入"}
)

// Command errors (CommandError.Text, LookupError.Text).
const (
	textEmptyCommand   = "请输入指令，发送“帮助”查看可用指令。"
	textUnknownCommand = "没有看懂这条指令，发送“帮助”查看可用指令，例如：受理 0007"
	textNeedCase       = "请写明案件编号（完整编号或末几位），例如：%s"
	textUsage          = "%s，例如：%s" // the verb's usage, then its example
	textTooLong        = "内容太长了，发给群众的一条消息最多%d字，请分几次发送。"
	textBadDays        = "延期天数请写1到%d之间的工作日数，例如：延期 0007 5 等待外省回函"
	textMergeSelf      = "不能把案件并入它自己，请写另一件案件的编号，例如：并案 0007 0003"
	textNoSuchCase     = "没有找到案件 %s，请核对编号。"
	textAmbiguousRef   = "“%s”对应多件案件：%s，请多写几位编号。"
	textAndMore        = " 等%d件"
)

// Directory lookups staff see (LookupError.Text).
const (
	textNoDeptGiven   = "请写明部门名称，例如：社保中心"
	textDeptNotFound  = "没有找到部门“%s”，请写部门全称或常用简称。"
	textDeptAmbiguous = "“%s”对应多个部门：%s，请写得更具体些。"
)

// Permission refusals (Refusal.Text).
const (
	textNotMember      = "抱歉，您不在本窗口的工作人员名单中，暂时不能使用。如需开通，请联系窗口负责人。"
	textNotStaffAction = "“%s”由群众本人操作，工作人员无法代为办理。"
	textNoPermission   = "抱歉，您的岗位不能“%s”，如有需要请联系窗口值班或督办人员。"
	textNotYourDept    = "抱歉，这件案件不在您所在部门的办理范围内，不能“%s”。"
	textLeadOnly       = "抱歉，“%s”由主办部门办理，您所在部门是协办部门，可以备注或回复。"
)

// helpText answers 帮助.
const helpText = `办成事指令（案件编号可写完整编号或末几位，如 0007）：
受理 0007 —— 受理新案件
派单 0007 社保中心 协办 档案馆、就业服务中心 —— 指定主办和协办部门
协办 0007 档案馆 —— 增加协办部门
办理 0007 —— 开始办理
回复 0007 内容 —— 回复群众（经微信客服转达）
备注 0007 内容 —— 内部备注，群众看不到
补充 0007 需要的材料 —— 请群众补充材料
延期 0007 5 原因 —— 申请延期（工作日）
退单 0007 原因 —— 派错部门，退回窗口
办结 0007 答复 —— 办结，答复发给群众
追责 0007 窗口名称 原因 —— 记录本应办理的窗口
共性 0007 标签 —— 标记共性问题
并案 0007 0003 —— 把0007并入0003
回访 0007 1 说明 —— 记录电话回访（1非常满意…5非常不满意）
查 0007 —— 查看案件和办理记录
我的 · 超时 · 今日 —— 我的在办案件 · 超时案件 · 今日新增
帮助 —— 显示本说明`

// Labels for cards and case texts.
var statusNames = map[cases.Status]string{
	cases.StatusSubmitted:  "待受理",
	cases.StatusAccepted:   "已受理",
	cases.StatusAssigned:   "已派单",
	cases.StatusInProgress: "办理中",
	cases.StatusResolved:   "已办结待回访",
	cases.StatusClosed:     "已结案",
	cases.StatusWithdrawn:  "已撤回",
	cases.StatusMerged:     "已并案",
}

var lightNames = map[cases.Light]string{
	cases.LightGreen:  "🟢绿灯",
	cases.LightYellow: "🟡黄灯",
	cases.LightRed:    "🔴红灯",
}

var eventNames = map[cases.EventKind]string{
	cases.EventSubmitted:    "提交",
	cases.EventStatus:       "状态",
	cases.EventMessageIn:    "群众留言",
	cases.EventMessageOut:   "发给群众",
	cases.EventServicerMsg:  "人工客服",
	cases.EventAttachment:   "附件",
	cases.EventNote:         "备注",
	cases.EventNotification: "通知",
	cases.EventReminder:     "提醒",
	cases.EventRating:       "评价",
	cases.EventHandover:     "转人工",
	cases.EventPIIViewed:    "查看个人信息",
}

// Actors on a timeline.
const (
	textActorCitizen = "群众"
	textActorBot     = "机器人"
	textActorSystem  = "系统"
)

// Card and case text.
const (
	textCardTitle       = "新案件待受理"
	textCardNumber      = "编号"
	textCardCategory    = "类别"
	textCardReporter    = "反映人"
	textCardDeadline    = "期限"
	textCardTried       = "已去过"
	textCardSource      = "来源"
	textButtonAccept    = "受理"
	textButtonAssign    = "派单"
	textButtonMaterial  = "要求补充"
	textSelf            = "本人"
	textForOther        = "%s代其%s%s反映"
	textForOtherAs      = "%s代%s反映（关系：%s）"
	textReporter        = "群众"
	textConsentSuffix   = "，%s"
	textDeadline        = "%s前（%d个工作日）"
	textNoDescription   = "（未填写）"
	textCaseHead        = "案件 %s · %s"
	textCaseStatus      = "状态：%s"
	textCaseAffected    = "当事人：%s"
	textCaseIDNumber    = "身份证号：%s"
	textCasePhone       = "联系电话：%s"
	textCaseDepts       = "主办：%s"
	textCaseCoDepts     = "；协办：%s"
	textCaseAssignee    = "经办人：%s"
	textCaseTried       = "已去过：%s"
	textCaseDescription = "诉求：%s"
	textCaseAccount     = "追责：%s"
	textCaseCommon      = "共性问题：%s"
	textCaseMerged      = "已并入：%s"
	textCaseResolution  = "答复：%s"
	textCaseRating      = "满意度：%d"
	textCaseTimeline    = "办理记录："
	textCaseEarlier     = "（更早的%d条记录略，请到全景监控查看）"
	textListEmpty       = "%s：暂无案件。"
	textListHead        = "%s（%d件）"
	textListMore        = "……另有%d件，请到全景监控查看。"
	textUnassigned      = "未派单"
	textSeparator       = "；"
)

// colloquialRelations are relations as citizens type them, in the word a
// staff sentence uses.
var colloquialRelations = map[string]string{
	"妈": "母亲", "妈妈": "母亲", "老妈": "母亲", "娘": "母亲", "老母亲": "母亲",
	"爸": "父亲", "爸爸": "父亲", "老爸": "父亲", "爹": "父亲", "老父亲": "父亲",
	"姥姥": "外婆", "姥爷": "外公", "老伴": "配偶", "老伴儿": "配偶", "爱人": "配偶", "对象": "配偶",
	"老公": "丈夫", "老婆": "妻子", "丈母娘": "岳母", "老丈人": "岳父", "闺女": "女儿",
}

// consentTexts put the dialog's consent answers into a staff sentence.
var consentTexts = map[string]string{
	"知道，也同意":  "本人知情同意",
	"知道，还没同意": "本人知情，尚未同意",
	"还不知道":    "本人尚不知情",
}

// knownRelations are the relations a staff sentence names as such (the
// dialog keeps one of them when it recognises what the citizen typed).
var knownRelations = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range strings.Fields("母亲 父亲 外婆 外公 奶奶 爷爷 配偶 丈夫 妻子 公公 婆婆 岳父 岳母 儿子 女儿 儿媳 女婿 孙子 孙女 " +
		"哥哥 姐姐 弟弟 妹妹 叔叔 婶婶 舅舅 舅妈 姑姑 姨 亲戚 邻居 同事 朋友 同学 战友 老乡 网格员 社区工作人员 志愿者") {
		m[r] = true
	}
	return m
}()
