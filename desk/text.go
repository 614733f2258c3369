package desk

// Text this package writes for staff and on timelines.
const (
	textSupplemented = "案件 %s 群众补充了材料：%s"
	textWithdrawn    = "案件 %s 已由群众撤回。"
	textHandover     = "群众请求人工服务"
	textAttachment   = "群众发送了%s %s"
)

// Refusals to staff (Refusal.Text). Refusals about what staff typed (no
// case, no such case, merge into itself, no lead department) and about
// membership of the directory are worded once, in staff/text.go.
const (
	textTakenBy              = "案件 %s 已由 %s 受理，现在是“%s”。"
	textConflict             = "案件 %s 刚被其他人改动，请回复“查 %[1]s”看看最新情况。"
	textConflictState        = "案件 %s 刚被其他人处理，现在是“%s”，请回复“查 %[1]s”看看。"
	textMergeNotVisible      = "案件 %s 不在您能查看的范围内，不能并入。请核对编号，或请窗口工作人员并案。"
	textMergeChainNotVisible = "案件 %s 已并入案件 %s，而案件 %[2]s 不在您能查看的范围内，不能并入。请窗口工作人员并案。"
	textMergeChainBroken     = "案件 %s 已并案，但找不到它最终并入的案件，不能并入。请回复“查 %[1]s”看看，或请窗口负责人处理。"
	textMergedHereAlready    = "案件 %s 已经并入本案（%s），不用再并案。"
	textMergeTargetClosed    = "案件 %s 现在是“%s”，已不再办理，不能并入。请并入仍在办理中的案件。"
	textNoPII                = "您无权查看这件案件群众的完整身份证号和电话。"
	textNoAttachment         = "没有找到这个附件，或您无权查看。"
	// textRefused is for a refusal without a reason this table knows, which
	// only a mistake in the code can make: still a polite line.
	textRefused = "这项操作现在无法办理，请回复“帮助”查看可用的指令。"
)

// Answers to staff.
const (
	textOnlyText      = "请用文字输入指令，回复“帮助”查看可用的指令。"
	textBadButton     = "这个按钮已失效，请回复“查 案件编号”查看案件。"
	textDone          = "案件 %s：%s完成，当前状态：%s。"
	textHowAssign     = "请回复派单指令，例如：派单 %s 社保中心（或：派单 %s 社保中心 协办 档案馆）"
	textHowAsk        = "请回复要群众补充的材料，例如：补充 %s 请提供原单位的工作证明（或用后四位 %s）"
	textPIIViewed     = "%s 查看了群众的身份证号和电话"
	textCardTaken     = "已由 %s 受理"
	textCardAssigned  = "已由 %s 派单"
	textListMine      = "我的在办案件"
	textListOverdue   = "超期案件"
	textListToday     = "今日新收案件"
	textLead          = "主办"
	textCo            = "协办"
	textStaffAssigned = "新派单 %s（%s）\n类别：%s\n%s\n办理期限：%s"
	textStaffReturned = "案件 %s 被 %s 退回窗口：%s\n请重新派单。"
	textStaffReopened = "案件 %s 群众不满意，已重办：%s"
)

// Messages to citizens about their case.
const (
	textCitizenAccepted       = "您反映的事项（编号 %s）已受理，我们会尽快办理。"
	textCitizenAssigned       = "您反映的事项（%s）已交给%s办理，办理期限到%s。"
	textCitizenReply          = "关于您反映的事项（%s），工作人员回复：\n%s"
	textCitizenAskMaterial    = "办理您的事项（%s）还需要您补充：\n%s\n请回复“补充”，然后直接发文字、照片或语音。"
	textCitizenExtended       = "您的事项（%s）需要延长%d个工作日办理。\n原因：%s\n新的期限：%s。"
	textCitizenResolved       = "您反映的事项（%s）已办结。\n答复如下：\n%s"
	textCitizenMerged         = "您反映的事项（%s）和另一件反映（%s）是同一件事，已合并办理。您的事项仍可查询，有问题随时在这里说。"
	textCitizenMergedResolved = "您反映的事项（%s）已和同一件事合并办理，现已办结。\n答复如下：\n%s"
	textMergedResolvedNote    = "并入的案件 %s 已办结，答复已转告本案群众"
	textCitizenReopened       = "您的事项（%s）已重新办理，我们会尽快给您答复。"
)
