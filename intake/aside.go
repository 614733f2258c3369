package intake

import (
	"context"
	"fmt"

	"banchengshi/cases"
	"banchengshi/notify/queue"
)

// What citizens and duty staff are told when a stored row of theirs cannot
// be opened (never its content: nobody can read it).
const (
	asideText      = "抱歉，系统没能读取您刚才的消息（或之前填写的内容）。麻烦您再说一次；工作人员也会查看并联系您。"
	asideStaffText = "有一条群众记录无法解密（可能已损坏），已暂存待查，其他群众的消息照常处理：群众 %s，记录 %s %s。请联系该群众核实。"
)

// maxAsidePerRead bounds how many unreadable rows one read sets aside before
// it gives up for this round.
const maxAsidePerRead = 20

// setAside takes the unreadable row err names out of everybody's way (see
// cases.AsideStore), counts it, tells the citizen kindly and gives the
// window's duty staff a task, without the content. openKfID and user say
// whose conversation it is when the row does not. It reports whether err
// named an unreadable row and the row is now out of the way.
func (in *Intake) setAside(ctx context.Context, err error, openKfID, user string) bool {
	u := cases.AsUnreadable(err)
	if u == nil {
		return false
	}
	if u.OpenKfID == "" {
		u.OpenKfID, u.ExternalUserID = openKfID, user
	}
	moved := false
	err = in.repo.InTx(ctx, func(r cases.Repo) error {
		var err error
		if moved, err = r.SetAside(ctx, u, "unreadable"); err != nil || !moved {
			return err
		}
		if u.OpenKfID == "" {
			return nil // a callback: its kf messages stay at WeCom and are pulled again
		}
		// What was lost is theirs to say again; other rows (a case, an
		// event) stay in place for staff to look at.
		if u.ExternalUserID != "" && (u.Table == "kf_messages" || u.Table == "sessions") {
			if err := queue.Reply(ctx, r, u.OpenKfID, u.ExternalUserID, 0, []cases.Message{{Text: asideText}}, in.now()); err != nil {
				return err
			}
		}
		if in.staffTask == nil {
			return nil
		}
		return in.staffTask(ctx, r, u.OpenKfID, fmt.Sprintf(asideStaffText, u.ExternalUserID, u.Table, u.Key))
	})
	if err != nil {
		in.log.Error("set unreadable row aside", "table", u.Table, "column", u.Column, "key", u.Key, "err", err)
		return false
	}
	if moved {
		in.metrics.SetAside(u.Table)
		in.log.Error("unreadable row set aside", "table", u.Table, "column", u.Column, "key", u.Key, "open_kfid", u.OpenKfID)
		in.released()
	}
	return true
}

// pendingOf is PendingKfMessagesOf that sets unreadable messages aside, so
// that one of them does not stop the citizen's others.
func (in *Intake) pendingOf(ctx context.Context, c citizen) ([]*cases.KfMessage, error) {
	for range maxAsidePerRead {
		pending, err := in.repo.PendingKfMessagesOf(ctx, c.openKfID, c.user, citizenBatch)
		if err == nil || !in.setAside(ctx, err, c.openKfID, c.user) {
			return pending, err
		}
	}
	return in.repo.PendingKfMessagesOf(ctx, c.openKfID, c.user, citizenBatch)
}

// inboundPage is how many stored callbacks one listing holds.
const inboundPage = 100

// pendingInbound is PendingInbound that sets unreadable callbacks aside.
func (in *Intake) pendingInbound(ctx context.Context) ([]*cases.Inbound, error) {
	for range maxAsidePerRead {
		pending, err := in.repo.PendingInbound(ctx, inboundPage)
		if err == nil || !in.setAside(ctx, err, "", "") {
			return pending, err
		}
	}
	return in.repo.PendingInbound(ctx, inboundPage)
}
