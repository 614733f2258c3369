package notify

import (
	"errors"
	"fmt"
	"strings"

	"banchengshi/cases"
	"banchengshi/sms"
)

// Why a message waits or failed, as staff read it on a case's timeline.
const (
	reasonBudget     = "群众48小时内未发消息或已达5条上限，待其再次发消息后发送"
	reasonReserve    = "保留最后一条消息用于办结答复和回访，待群众再次发消息后发送"
	reasonServicer   = "会话正由人工接待，消息暂存"
	reasonAppLimit   = "工作人员消息频率达到企业微信上限，稍后合并发送"
	reasonRefused    = "群众已拒收消息"
	reasonOutOfReach = "群众超过%d小时未发消息，微信无法送达"
	reasonStale      = "群众一直未发消息，这条提醒已无必要"

	reasonSMSFailed    = "短信未能发出：%s"
	reasonSMSSameEvent = "同一事项已发短信告知"
	reasonSendFailed   = "企业微信多次发送失败"
	reasonFreqLimit    = "企业微信接口调用达到频率上限，稍后自动重发"
	reasonCallBudget   = "企业微信接口调用额度暂时用完，排队发送"
)

// What an SMS text says after the case number (the bureau's template reads
// "您反映的事项（{1}）{2}" with a note to reply in WeChat, see
// docs/notifications.md).
const (
	textSMSAnswer   = "已办结。答复：%s"
	textSMSFollowUp = "已办结。问题是否真正解决、对办理是否满意，请在微信客服中回复告诉我们。"
	textSMSCut      = "……（全文请在微信客服中回复“查询”查看）"
)

// smsReasonText says in Chinese why a text was not sent, for staff.
func smsReasonText(err error) string {
	var e *sms.Error
	code := ""
	if errors.As(err, &e) && e.Code != "" {
		code = "（" + e.Code + "）"
	}
	switch sms.ReasonOf(err) {
	case sms.ReasonRateLimited:
		return "短信平台限制发送频率" + code
	case sms.ReasonBadNumber:
		return "号码无法接收短信" + code
	case sms.ReasonRejected:
		return "短信内容被平台拒绝" + code
	case sms.ReasonAccount:
		return "短信账号或模板配置有误，请联系管理员" + code
	case sms.ReasonUnknown:
		return "短信平台未答复，无法确认是否发出，为免重复不再重发" + code
	}
	if e != nil && e.Code == "Interrupted" {
		return "发送过程中服务中断，无法确认是否发出"
	}
	return "短信平台暂时无法访问" + code
}

// SMSFate is one line for a case's timeline saying what became of a text;
// masked is the number as staff may see it on the timeline.
func SMSFate(m *cases.SMSMessage, masked string) string {
	to := "群众"
	if masked != "" {
		to += "（" + masked + "）"
	}
	text := ""
	if len(m.Params) > 1 {
		text = summary(cases.Message{Text: m.Params[1]})
	}
	switch m.Status {
	case cases.SMSSent:
		return "短信已发送给" + to + "：" + text
	case cases.SMSFailed:
		return "短信发送失败（" + m.LastError + "），已转为工作人员电话联系任务：" + text
	}
	return "短信待发送给" + to + "：" + text
}

// failReason explains a msg_send_fail fail_type.
func failReason(failType int) string {
	switch failType {
	case failPast48h:
		return "企业微信退回：已超过群众最后一条消息后48小时"
	case failSessionClosed:
		return "企业微信退回：会话已结束"
	case failOverLimit:
		return "企业微信退回：已超过5条消息上限"
	case failUserRefused:
		return reasonRefused
	}
	return fmt.Sprintf("企业微信报告发送失败（类型 %d）", failType)
}

// Separator between updates bundled into one message to a citizen.
const bundleSep = "\n\n"

// textNudge invites a reply before the citizen's window closes. The bot reads
// a "1" from a citizen with an open case as "show my progress".
const textNudge = "您反映的事项（%s）正在办理中，有进展我们会在这里告诉您。回复“查询”随时查看进度。"

// textHandoverFailed tells a citizen that no person could take the chat.
const textHandoverFailed = "抱歉，暂时没能为您接通工作人员。您的留言我们都记下了，工作人员会尽快联系您。"

// Fate is one line for a case's timeline saying what became of a notification.
func Fate(m *cases.OutboxMessage) string {
	to := "群众"
	if m.Channel == cases.ChannelApp {
		to = "工作人员 " + strings.ReplaceAll(m.Recipient, "|", "、")
	}
	switch m.Status {
	case cases.OutboxSent:
		return "已发送给" + to + "：" + summary(m.Message)
	case cases.OutboxHeld:
		return "暂未发送给" + to + "（" + m.LastError + "）：" + summary(m.Message)
	case cases.OutboxPhoneTask:
		return "微信无法送达（" + m.LastError + "），已转为工作人员电话联系任务：" + summary(m.Message)
	case cases.OutboxFailed:
		return "发送给" + to + "失败（" + m.LastError + "）：" + summary(m.Message)
	case cases.OutboxSMS:
		if m.LastError == reasonSMSSameEvent {
			return "微信无法送达，" + reasonSMSSameEvent + "：" + summary(m.Message)
		}
		return "微信无法送达（" + m.LastError + "），改为短信发送：" + summary(m.Message)
	case cases.OutboxMerged:
		return fmt.Sprintf("已与其他进展合并为一条消息（通知 %d）发送给%s：%s", m.MergedInto, to, summary(m.Message))
	}
	if m.LastError != "" {
		return "重新发送给" + to + "（" + m.LastError + "）：" + summary(m.Message)
	}
	return "待发送给" + to
}

func summary(m cases.Message) string {
	text := m.Text
	switch {
	case m.Card != nil:
		text = m.Card.Title
	case m.CardUpdate != nil:
		text = "卡片更新为“" + m.CardUpdate.ReplaceText + "”"
	case m.Handover:
		text = "转人工接待"
	}
	r := []rune(text)
	if len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return text
}
