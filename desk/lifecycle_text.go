package desk

// Text of the lifecycle loop: light reminders, phone tasks and the follow-up
// (回访), for staff and citizens.

// For staff and timelines.
const (
	textGreen            = "绿灯"
	textYellow           = "黄灯"
	textRed              = "红灯"
	textLightChanged     = "办理时限由%s变为%s"
	textReminded         = "，已提醒：%s"
	textStaffYellow      = "【黄灯提醒】案件 %s（%s）办理时限已不足30%%，期限到%s，请抓紧办理。"
	textStaffRed         = "【红灯提醒】案件 %s（%s，主办：%s）已超过办理期限（%s），请立即处理或申请延期。"
	textStaffRedNoLead   = "【红灯提醒】案件 %s（%s，尚未派单）已超过办理期限（%s），请立即派单。"
	textFollowUpReminded = "群众3天未回复回访，已再次询问"
	textWhyNoRating      = "群众办结后5天未回复回访"
	textNoChat           = "案件经 Open311 接口转入，群众没有微信会话：请电话告知答复并回访"
	textPhoneTaskEvent   = "需电话联系群众：%s"
	textPhoneTask        = "【电话联系】案件 %s\n原因：%s\n联系人：%s\n电话：%s\n通话后请回复：回访 %s 评价(1-5) 情况说明"
	textOnBehalf         = "%s（替其%s%s反映）"
	textReporter         = "群众"
	textNoPhone          = "未留电话，请查看案件"
	textUnsolvedNoReason = "群众表示问题没有解决"
	textRatedLow         = "群众评价 %d %s"
)

// For citizens: the follow-up question. The dialog answers their rating.
const (
	textFollowUpHead         = "关于您反映的事项（%s），"
	textFollowUpReminderHead = "打扰了，关于您反映的事项（%s）还想听听您的意见："
	textAskSelf              = "请问问题真正解决了吗？请为这次办理打分："
	textAskProxy             = "请问%s的问题真正解决了吗？请您代%s为这次办理打分："
	textMenuUnsolved         = "6 问题没解决"
	textFollowUpTail         = "点选或直接回复数字即可。"
)
