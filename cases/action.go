package cases

// Action is something a person or the system does to a case. The lifecycle's
// transition table and the staff permission matrix are both keyed by it.
type Action string

// Actions. The Chinese staff verb is in the comment.
const (
	ActionSubmit         Action = "submit"         // the citizen confirms a report
	ActionAccept         Action = "accept"         // 受理
	ActionAssign         Action = "assign"         // 派单 / 协办: lead and co-handling departments
	ActionStart          Action = "start"          // a handler starts work (办理中)
	ActionReply          Action = "reply"          // 回复: relayed to the citizen
	ActionNote           Action = "note"           // 备注: internal only
	ActionAskMaterial    Action = "ask_material"   // 补充: ask the citizen for material
	ActionSupplement     Action = "supplement"     // the citizen adds material
	ActionExtend         Action = "extend"         // 延期, with a reason
	ActionReturn         Action = "return"         // 退单: back to the window, with a reason
	ActionResolve        Action = "resolve"        // 办结, with the answer the citizen reads
	ActionAccountability Action = "accountability" // 追责: a normal window should have handled it
	ActionCommon         Action = "common"         // 共性: tag a common problem
	ActionMerge          Action = "merge"          // 并案: merge into another case
	ActionView           Action = "view"           // 查
	ActionWithdraw       Action = "withdraw"       // the citizen withdraws
	ActionRate           Action = "rate"           // follow-up answer: satisfied, closes the case
	ActionReopen         Action = "reopen"         // 重办: not satisfied or not solved
	ActionClose          Action = "close"          // close without a rating (follow-up exhausted)
	ActionFollowUpResult Action = "followup"       // staff record the outcome of a phone follow-up
)
