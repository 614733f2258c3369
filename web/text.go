package web

import "banchengshi/cases"

// Text of the pages, kept together so it can be read and reviewed as a whole.
// Templates hold the page layouts; every sentence the code writes is here.
const (
	textSiteName       = "办成事 · 全景监控"
	textSignInFirst    = "请先登录。"
	textSignInAgain    = "登录已过期或链接无效，请重新登录。"
	textNotMember      = "抱歉，您不在本窗口的工作人员名单中，不能使用全景监控。如需开通，请联系窗口负责人。"
	textBadForm        = "页面已过期，请刷新页面后重新提交。"
	textServerError    = "系统暂时出了点问题，请稍后再试。如果一直这样，请联系管理员。"
	textRefusedTitle   = "无法完成"
	textSignedOutTitle = "已退出"
	textSignedOut      = "您已退出登录。"
	textSignedOutAll   = "您已在所有设备上退出登录（共 %d 处）。其他电脑和手机上的页面需要重新登录。"
	textNoWindow       = "未派单（窗口）"
	textBadSearch      = "请输入完整的案件编号（如 BC2611280007）或完整的电话号码。"
	textBadDate        = "日期格式应为 2026-11-28。"
	textNeedText       = "请填写内容。"
	textTooLong        = "内容太长，请控制在 %d 字以内。"
	textBadDays        = "延期天数应为 1 到 %d 个工作日。"
	textBadRating      = "请选择评价（1 非常满意 … 5 非常不满意）。"
	textNeedTarget     = "请填写%s。"
	textUnknownAction  = "不认识的操作，请刷新页面。"
	textVoiceAMR       = "语音为 AMR 格式，浏览器无法直接播放，请下载后用手机或播放器收听。"
	textTargetWindow   = "应办理的窗口"
	textTargetCase     = "并入的案件编号"
	textActorCitizen   = "群众"
	textActorBot       = "机器人"
	textActorSystem    = "系统"
	textRecipientKf    = "群众（微信客服）"

	textOverviewTitle = "全景监控"
	textCasesTitle    = "案件列表"
	textReportsTitle  = "统计报表"

	textChartCases  = "案件数"
	textChartOnTime = "按时办结率"
	textChartRating = "平均满意度（1 最好，5 最差）"
	textChartReopen = "重办率"
	textNoData      = "—"
	textCSVFileName = "办成事报表_%s_%s.csv"
	textCSVTotal    = "合计"
)

// voiceText is what the case page's player of AMR voice messages says; the
// page hands it to app.js in data attributes. Seconds takes the duration.
var voiceText = struct{ Play, Stop, Loading, Seconds, Failed string }{
	Play:    "▶ 播放语音",
	Stop:    "■ 停止播放",
	Loading: "正在加载语音…",
	Seconds: "时长 %s 秒",
	Failed:  "这段语音无法在浏览器中播放，请下载后用手机或播放器收听。",
}

// csvHeader is the reports CSV's first line.
var csvHeader = []string{"部门", "类别", "案件数", "已办结", "按时办结", "按时办结率", "平均办理时长（小时）", "评价数", "平均满意度", "重办数", "重办率"}

var lightText = map[cases.Light]string{
	cases.LightGreen:  "绿灯",
	cases.LightYellow: "黄灯",
	cases.LightRed:    "红灯",
}

var eventText = map[cases.EventKind]string{
	cases.EventSubmitted:    "提交",
	cases.EventStatus:       "办理",
	cases.EventMessageIn:    "群众留言",
	cases.EventMessageOut:   "发给群众",
	cases.EventServicerMsg:  "人工客服",
	cases.EventAttachment:   "附件",
	cases.EventNote:         "内部备注",
	cases.EventNotification: "通知",
	cases.EventReminder:     "提醒",
	cases.EventRating:       "评价",
	cases.EventHandover:     "转人工",
	cases.EventPIIViewed:    "查看个人信息",
}

var outboxText = map[cases.OutboxStatus]string{
	cases.OutboxPending:   "待发送",
	cases.OutboxSent:      "已发送",
	cases.OutboxHeld:      "暂存（等群众再次留言）",
	cases.OutboxPhoneTask: "需电话联系",
	cases.OutboxFailed:    "发送失败",
	cases.OutboxMerged:    "已合并发送",
	cases.OutboxSMS:       "改为短信发送",
}

// actionForm describes one action form on the case page: the staff verb, what
// it needs, and the label of its text box.
type actionForm struct {
	Verb      string
	Action    cases.Action
	Fields    string // "", "text", "assign", "co", "extend", "account", "merge", "followup"
	TextLabel string
	Relayed   bool // the text goes to the citizen
}

// actionForms are the WeCom commands as forms, in the order the page shows them.
var actionForms = []actionForm{
	{Verb: "受理", Action: cases.ActionAccept},
	{Verb: "派单", Action: cases.ActionAssign, Fields: "assign"},
	{Verb: "协办", Action: cases.ActionAssign, Fields: "co"},
	{Verb: "办理", Action: cases.ActionStart},
	{Verb: "回复", Action: cases.ActionReply, Fields: "text", TextLabel: "回复群众的话", Relayed: true},
	{Verb: "备注", Action: cases.ActionNote, Fields: "text", TextLabel: "内部备注（群众看不到）"},
	{Verb: "补充", Action: cases.ActionAskMaterial, Fields: "text", TextLabel: "请群众补充的材料", Relayed: true},
	{Verb: "延期", Action: cases.ActionExtend, Fields: "extend", TextLabel: "延期理由（群众会看到）", Relayed: true},
	{Verb: "退单", Action: cases.ActionReturn, Fields: "text", TextLabel: "退回窗口的理由"},
	{Verb: "办结", Action: cases.ActionResolve, Fields: "text", TextLabel: "给群众的答复", Relayed: true},
	{Verb: "追责", Action: cases.ActionAccountability, Fields: "account", TextLabel: "原因"},
	{Verb: "共性", Action: cases.ActionCommon, Fields: "text", TextLabel: "共性问题标签"},
	{Verb: "并案", Action: cases.ActionMerge, Fields: "merge"},
	{Verb: "回访", Action: cases.ActionFollowUpResult, Fields: "followup", TextLabel: "回访记录"},
}
