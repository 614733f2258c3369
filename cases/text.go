package cases

import (
	"fmt"
	"strings"
	"time"
)

// This file keeps together the Chinese the lifecycle shows to people: status
// labels for staff and citizens, the reasons a move is refused, and the timeline
// sentences. Reviewers read it as a whole; code elsewhere only fills in blanks.

var statusText = map[Status]string{
	StatusSubmitted:  "待受理",
	StatusAccepted:   "已受理",
	StatusAssigned:   "已派单",
	StatusInProgress: "办理中",
	StatusResolved:   "已办结",
	StatusClosed:     "已结案",
	StatusWithdrawn:  "已撤回",
	StatusMerged:     "已并案",
}

var citizenStatusText = map[Status]string{
	StatusSubmitted:  "已收到，等待窗口受理",
	StatusAccepted:   "窗口已受理，正在安排承办部门",
	StatusAssigned:   "已转给相关部门办理",
	StatusInProgress: "相关部门正在办理",
	StatusResolved:   "已办结，请您评价办理结果",
	StatusClosed:     "已办结，感谢您的评价",
	StatusWithdrawn:  "您已撤回这件事",
	StatusMerged:     "已与反映同一问题的案件合并办理",
}

var actionText = map[Action]string{
	ActionSubmit:         "提交",
	ActionAccept:         "受理",
	ActionAssign:         "派单",
	ActionStart:          "开始办理",
	ActionReply:          "回复群众",
	ActionNote:           "备注",
	ActionAskMaterial:    "请群众补充材料",
	ActionSupplement:     "补充材料",
	ActionExtend:         "延期",
	ActionReturn:         "退单",
	ActionResolve:        "办结",
	ActionAccountability: "追责",
	ActionCommon:         "标记共性问题",
	ActionMerge:          "并案",
	ActionView:           "查看",
	ActionWithdraw:       "撤回",
	ActionRate:           "评价",
	ActionReopen:         "重办",
	ActionClose:          "结案",
	ActionFollowUpResult: "记录回访结果",
}

var ratingText = map[int]string{
	1: "非常满意",
	2: "满意",
	3: "基本满意",
	4: "不满意",
	5: "非常不满意",
}

// StatusText is the staff label of a status, e.g. "已派单".
func StatusText(s Status) string {
	if t, ok := statusText[s]; ok {
		return t
	}
	return string(s)
}

// CitizenStatusText tells a citizen where their case stands, in words that need
// no knowledge of the bureau, e.g. "已转给相关部门办理".
func CitizenStatusText(s Status) string {
	if t, ok := citizenStatusText[s]; ok {
		return t
	}
	return "正在处理"
}

// ActionText is the Chinese verb for an action, e.g. "退单".
func ActionText(a Action) string {
	if t, ok := actionText[a]; ok {
		return t
	}
	return string(a)
}

// RatingText is the government service scale's word for a rating 1–5
// ("非常满意" … "非常不满意"), or "" for anything else.
func RatingText(r int) string { return ratingText[r] }

// Refusals of a move for missing or wrong detail (MoveError.Text).
const (
	textNeedsDept         = "派单需要指定承办部门。"
	textNeedsDays         = "延期需要写明延长几个工作日和理由。"
	textReturnReason      = "退单需要写明理由，窗口据此重新派单。"
	textReopenReason      = "重办需要写明理由：群众哪里不满意、问题哪里没解决。"
	textNeedsWindow       = "追责需要写明本应办理的窗口和原因。"
	textNeedsTarget       = "并案需要指定并入的案件编号。"
	textIntoItself        = "不能把案件并入它自己。"
	textNeedsAnswer       = "办结需要填写给群众的答复。"
	textNeedsTag          = "标记共性问题需要填写问题标签。"
	textBadRating         = "评价只能是 1 到 5：1 非常满意，2 满意，3 基本满意，4 不满意，5 非常不满意。"
	textDissatisfied      = "群众不满意（评价 4 或 5）时应重办，不能结案。"
	textNeedsOutcome      = "请写明回访结果，例如“电话打通，群众表示问题已解决”。"
	textNeedsTextSuffix   = "需要填写内容。"
	textUnknownStatus     = "案件状态“%s”无法识别，不能%s。"
	textOnlyViewAndNote   = "案件%s，不能%s，只能查看和备注。"
	textNotAllowedCanDo   = "案件%s，不能%s；现在可以%s。"
	textRefusedMoveUnsure = "案件%s，不能%s。"
)

// Text is the refusal as one Chinese line for the person who tried the move,
// saying what is possible instead or what to add.
func (e *MoveError) Text() string {
	switch e.Reason {
	case MoveNotAllowed:
		return refusedReason(e.From, e.Action)
	case MoveNeedsDept:
		return textNeedsDept
	case MoveNeedsDays:
		return textNeedsDays
	case MoveNeedsReason:
		if e.Action == ActionReopen {
			return textReopenReason
		}
		return textReturnReason
	case MoveNeedsWindow:
		return textNeedsWindow
	case MoveNeedsTarget:
		return textNeedsTarget
	case MoveIntoItself:
		return textIntoItself
	case MoveNeedsAnswer:
		return textNeedsAnswer
	case MoveNeedsTag:
		return textNeedsTag
	case MoveBadRating:
		return textBadRating
	case MoveDissatisfied:
		return textDissatisfied
	case MoveNeedsOutcome:
		return textNeedsOutcome
	case MoveNeedsText:
		return ActionText(e.Action) + textNeedsTextSuffix
	}
	// A reason this table does not know is a mistake in the code; still a
	// line that says what was refused.
	return fmt.Sprintf(textRefusedMoveUnsure, StatusText(e.From), ActionText(e.Action))
}

// refusedReason says why action a is not possible in status s and what is.
func refusedReason(s Status, a Action) string {
	if _, known := statusText[s]; !known {
		return fmt.Sprintf(textUnknownStatus, s, ActionText(a))
	}
	var can []string
	for _, b := range actionOrder {
		if b == ActionView || b == ActionNote {
			continue
		}
		if _, ok := Allowed(s, b); ok {
			can = append(can, ActionText(b))
		}
	}
	if len(can) == 0 {
		return fmt.Sprintf(textOnlyViewAndNote, StatusText(s), ActionText(a))
	}
	return fmt.Sprintf(textNotAllowedCanDo, StatusText(s), ActionText(a), strings.Join(can, "、"))
}

// actorText names who did something, for a timeline sentence.
func actorText(m Move) string {
	if m.ActorName != "" {
		return m.ActorName
	}
	if _, ok := m.Actor.Citizen(); ok {
		return "群众"
	}
	if id, ok := m.Actor.Staff(); ok {
		return id
	}
	if m.Actor == ActorSystem || m.Actor == ActorBot {
		return "系统"
	}
	return string(m.Actor)
}

// dayText writes a day as people read it: "2025年10月10日".
func dayText(t time.Time) string {
	t = t.In(Shanghai)
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

func deptsText(m Move, lead string, co []string) string {
	if len(co) == 0 {
		return m.dept(lead)
	}
	names := make([]string, len(co))
	for i, id := range co {
		names[i] = m.dept(id)
	}
	return fmt.Sprintf("%s（协办：%s）", m.dept(lead), strings.Join(names, "、"))
}

func withReason(s, reason string) string {
	if reason == "" {
		return s
	}
	return s + "，理由：" + reason
}

// moveBody is the timeline sentence for a move that was applied to c (c already
// shows the result).
func moveBody(from Status, c *Case, m Move) string {
	who := actorText(m)
	switch m.Action {
	case ActionAccept:
		return who + " 受理了案件"
	case ActionAssign:
		verb := "派给"
		if from == StatusAssigned {
			verb = "改派给"
		}
		s := fmt.Sprintf("%s 将案件%s %s", who, verb, deptsText(m, c.LeadDept, c.CoDepts))
		if c.Assignee != "" {
			s += "，承办人 " + m.member(c.Assignee)
		}
		return s
	case ActionStart:
		return who + " 开始办理"
	case ActionExtend:
		return withReason(fmt.Sprintf("%s 延期 %d 个工作日，办理期限延至 %s", who, m.ExtendDays, dayText(LastDay(c.Deadline))), m.Reason)
	case ActionReturn:
		return withReason(who+" 退单，案件退回窗口重新派单", m.Reason)
	case ActionResolve:
		return who + " 办结了案件，答复群众：" + m.Text
	case ActionMerge:
		return withReason(fmt.Sprintf("%s 将案件并入 %s", who, m.MergeInto), m.Reason)
	case ActionWithdraw:
		return withReason(who+" 撤回了案件", m.Reason)
	case ActionRate:
		return "群众满意，案件结案"
	case ActionReopen:
		return withReason(fmt.Sprintf("%s 要求重办（第 %d 次），案件退回 %s，办理期限 %s", who, c.Reopened, m.dept(c.LeadDept), dayText(LastDay(c.Deadline))), m.Reason)
	case ActionClose:
		return withReason(who+" 结案", m.Reason)
	case ActionFollowUpResult:
		return who + " 记录回访结果并结案：" + m.Text
	case ActionAccountability:
		return fmt.Sprintf("%s 记录追责：本应由 %s 办理，原因：%s", who, m.Window, m.Reason)
	case ActionCommon:
		return fmt.Sprintf("%s 标记为共性问题：%s", who, m.Tag)
	case ActionNote:
		return who + " 备注：" + m.Text
	case ActionReply:
		return who + " 回复群众：" + m.Text
	case ActionAskMaterial:
		return who + " 请群众补充材料：" + m.Text
	case ActionSupplement:
		if m.Text == "" {
			return who + " 补充了材料"
		}
		return who + " 补充材料：" + m.Text
	}
	return fmt.Sprintf("%s %s", who, ActionText(m.Action))
}

// ratingBody is the timeline sentence of a rating.
func ratingBody(m Move) string {
	return fmt.Sprintf("%s 评价：%d %s", actorText(m), m.Rating, RatingText(m.Rating))
}

// submittedBody is the first sentence of every timeline.
func submittedBody(c *Case, cat Category) string {
	name := cat.Name
	if name == "" {
		name = cat.Key
	}
	who := c.ReporterName
	if who == "" {
		who = "群众"
	}
	return fmt.Sprintf("%s 提交了案件（%s），办理时限 %d 个工作日，期限 %s", who, name, c.LimitDays, dayText(LastDay(c.Deadline)))
}

// OneLine collapses runs of white space (line breaks included) to one space
// and cuts s to at most n characters, the last of them an ellipsis when
// something was cut: a summary on a card, a list row or a staff message.
func OneLine(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return string(r)
}
