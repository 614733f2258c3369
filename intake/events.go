package intake

import (
	"context"
	"fmt"

	"banchengshi/bot"
	"banchengshi/cases"
	"banchengshi/notify"
	"banchengshi/wecom"
)

// Citizen-facing and timeline text of this package.
const (
	givenUpText      = "抱歉，系统暂时没能处理您刚才的消息。您说的话我们已经记下，工作人员会尽快查看并联系您。"
	textRecalled     = "群众在微信里撤回了一条消息（撤回前的内容仍保留在记录中）"
	givenUpStaffText = "有一条群众消息系统多次处理失败，请人工查看：群众 %s，消息编号 %s，发送时间 %s。"
	// staffGivenUpText tells a staff member that what they sent at a time
	// (a command, a card click) did not take effect.
	staffGivenUpText   = "您在%s%s，系统多次处理失败，已停止重试，该操作没有生效。请稍后重新操作；如仍不成功，请联系系统管理员。"
	staffActionCommand = "发给本应用的指令"
	staffActionClick   = "点击的卡片按钮"
)

// kindLabel names what a citizen sent, on the timeline; a file takes the word
// the whole product uses for its kind (cases.MediaLabel).
var kindLabel = map[string]string{
	cases.MediaImage: cases.MediaLabel(cases.MediaImage), cases.MediaVoice: cases.MediaLabel(cases.MediaVoice),
	cases.MediaVideo: cases.MediaLabel(cases.MediaVideo), cases.MediaFile: cases.MediaLabel(cases.MediaFile),
	"location": "位置", "link": "链接", "business_card": "名片", "miniprogram": "小程序", "other": "其他消息",
}

// session_status_change change types (kf): 1 taken from the pool, 2 transferred,
// 3 ended, 4 re-entered.
var stateAfterChange = map[int]cases.ServiceState{1: cases.StateHuman, 2: cases.StateHuman, 3: cases.StateEnded, 4: cases.StateHuman}

func (in *Intake) systemEvent(ctx context.Context, m *cases.KfMessage, msg *wecom.KfMessage) error {
	ev := msg.Event
	if ev == nil {
		return in.markDone(ctx, in.repo, m)
	}
	switch ev.EventType {
	case "enter_session":
		return in.enterSession(ctx, m, ev)
	case "msg_send_fail":
		return in.repo.InTx(ctx, func(r cases.Repo) error {
			if in.events != nil {
				if err := in.events.SendFailed(ctx, r, m.OpenKfID, m.ExternalUserID, ev.FailMsgID, ev.FailType); err != nil {
					return err
				}
			} else {
				in.log.Warn("kf message not delivered", "msgid", ev.FailMsgID, "fail_type", ev.FailType)
			}
			return in.markDone(ctx, r, m)
		})
	case wecom.KfEventUserRecallMsg:
		// What the citizen took back was already handled; staff should know
		// it is withdrawn, not forget it was said.
		return in.repo.InTx(ctx, func(r cases.Repo) error {
			if err := in.recordOnCase(ctx, r, m.ExternalUserID, cases.CitizenActor(m.ExternalUserID), cases.EventNote, textRecalled); err != nil {
				return err
			}
			return in.markDone(ctx, r, m)
		})
	case "session_status_change":
		state, ok := stateAfterChange[ev.ChangeType]
		if !ok {
			return in.markDone(ctx, in.repo, m)
		}
		return in.repo.InTx(ctx, func(r cases.Repo) error {
			if err := notify.SessionChanged(ctx, r, m.OpenKfID, m.ExternalUserID, state, in.now()); err != nil {
				return err
			}
			return in.markDone(ctx, r, m)
		})
	}
	return in.markDone(ctx, in.repo, m)
}

// enterSession greets a citizen who opened the chat. The greeting must use the
// event's welcome code (valid 20 seconds, once): before the citizen's first
// message the 48-hour window is not open and send_msg would fail.
func (in *Intake) enterSession(ctx context.Context, m *cases.KfMessage, ev *wecom.KfEvent) error {
	incoming := bot.Incoming{MsgID: m.MsgID, OpenKfID: m.OpenKfID, ExternalUserID: m.ExternalUserID, Kind: "enter_session", At: m.SendTime}
	var res bot.Result
	err := in.repo.InTx(ctx, func(r cases.Repo) error {
		var err error
		res, err = in.engine.Handle(ctx, r, in.desk(r), incoming)
		if err != nil {
			return fmt.Errorf("dialog: %w", err)
		}
		return in.markDone(ctx, r, m)
	})
	if err != nil || len(res.Replies) == 0 || ev.WelcomeCode == "" {
		return err
	}
	if in.now().Sub(m.SendTime) > welcomeValidity {
		return nil // too late for the welcome code; the citizen's first message opens the window
	}
	if _, err := in.api.SendKfOnEvent(ctx, ev.WelcomeCode, res.Replies[0]); err != nil {
		in.log.Warn("send welcome", "err", err)
	}
	return nil
}
