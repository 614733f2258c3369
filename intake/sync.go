package intake

import (
	"context"
	"errors"
	"fmt"
	"time"

	"banchengshi/cases"
	"banchengshi/wecom"
)

// errBusy means another worker holds the kf account's lock.
var errBusy = errors.New("kf account is being pulled by another worker")

const (
	lockTTL = 2 * time.Minute
	// maxPages bounds one sync run; the next callback or tick carries on.
	maxPages  = 200
	syncLimit = 1000
)

func kfLockKey(openKfID string) string { return "kf:" + openKfID }

// sync pulls every new message of one kf account, saving the messages and the
// cursor after each page in one transaction, then handles them in order. Only
// one worker across all replicas does this for an account at a time: two
// pullers would handle messages twice or out of order.
func (in *Intake) sync(ctx context.Context, openKfID, token string) error {
	if openKfID == "" {
		return errors.New("kf callback without OpenKfId")
	}
	lock, ok, err := in.locker.TryLock(ctx, kfLockKey(openKfID), lockTTL)
	if err != nil {
		return fmt.Errorf("lock kf account: %w", err)
	}
	if !ok {
		return errBusy
	}
	defer lock.Unlock(context.WithoutCancel(ctx))

	cursor, err := in.repo.Cursor(ctx, openKfID)
	if err != nil {
		return fmt.Errorf("load cursor: %w", err)
	}
	for page := 0; page < maxPages; page++ {
		resp, err := in.api.SyncMsg(ctx, wecom.SyncRequest{Cursor: cursor, Token: token, OpenKfID: openKfID, Limit: syncLimit})
		if err != nil {
			return fmt.Errorf("sync_msg: %w", err)
		}
		err = in.repo.InTx(ctx, func(r cases.Repo) error {
			for i := range resp.Messages {
				m := &resp.Messages[i]
				if _, err := r.InsertKfMessage(ctx, in.record(m)); err != nil {
					return fmt.Errorf("store kf message: %w", err)
				}
			}
			if resp.NextCursor != "" {
				return r.SaveCursor(ctx, openKfID, resp.NextCursor)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if resp.NextCursor != "" {
			cursor = resp.NextCursor
		}
		if !resp.HasMore {
			break
		}
		if err := lock.Refresh(ctx, lockTTL); err != nil {
			return fmt.Errorf("keep kf lock: %w", err)
		}
	}
	return in.handleKfLocked(ctx, openKfID)
}

func (in *Intake) record(m *wecom.KfMessage) *cases.KfMessage {
	rec := m.Record()
	rec.SendTime = rec.SendTime.UTC()
	rec.ReceivedAt = in.now().UTC()
	return &rec
}

// drainKf handles stored messages left from an earlier run (a crash, a failed
// message), account by account under the account's lock.
func (in *Intake) drainKf(ctx context.Context) error {
	pending, err := in.repo.PendingKfMessages(ctx, 1000)
	if err != nil {
		return fmt.Errorf("list pending kf messages: %w", err)
	}
	seen := map[string]bool{}
	for _, m := range pending {
		if seen[m.OpenKfID] || ctx.Err() != nil {
			continue
		}
		seen[m.OpenKfID] = true
		lock, ok, err := in.locker.TryLock(ctx, kfLockKey(m.OpenKfID), lockTTL)
		if err != nil {
			return fmt.Errorf("lock kf account: %w", err)
		}
		if !ok {
			continue
		}
		err = in.handleKfLocked(ctx, m.OpenKfID)
		lock.Unlock(context.WithoutCancel(ctx))
		if err != nil {
			return err
		}
	}
	return nil
}

// handleKfLocked handles the account's pending messages in order. A citizen
// whose message failed has their later messages wait, so nobody's words are
// handled out of order; other citizens go on.
func (in *Intake) handleKfLocked(ctx context.Context, openKfID string) error {
	pending, err := in.repo.PendingKfMessages(ctx, 1000)
	if err != nil {
		return fmt.Errorf("list pending kf messages: %w", err)
	}
	blocked := map[string]bool{}
	for _, m := range pending {
		if m.OpenKfID != openKfID || blocked[m.ExternalUserID] {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := in.handleKf(ctx, m); err != nil {
			m.Attempts++
			m.LastError = err.Error()
			in.log.Warn("kf message not handled", "msgid", m.MsgID, "attempt", m.Attempts, "err", err)
			if m.Attempts >= maxAttempts {
				now := in.now().UTC()
				m.DoneAt = &now
				in.log.Error("kf message given up", "msgid", m.MsgID)
			} else {
				blocked[m.ExternalUserID] = true
			}
			if err := in.repo.UpdateKfMessage(ctx, m); err != nil {
				return fmt.Errorf("record kf message failure: %w", err)
			}
		}
	}
	return nil
}
