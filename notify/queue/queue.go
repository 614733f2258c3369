// Package queue holds the only functions that put a message in the outbox.
// Each builds the row (channel, recipient, priority, purpose, what it
// answers) and stores it through the caller's cases.Repo, inside the
// caller's transaction, so that a change and the messages it owes commit
// together. notify delivers what is queued.
//
// It imports nothing of ours but cases, so that every package that owes
// people a message may use it: desk (below notify in the layers), intake
// and notify itself. No other package calls Enqueue.
package queue

import (
	"context"
	"fmt"
	"time"

	"banchengshi/cases"
)

// Reply queues msgs to citizen user on kf account openKfID, in the order
// given, as the answer to their message number seq (Contact.InboundSeq; 0
// when they answer no message of the citizen's). A handover
// (Message.Handover) is sent after the texts queued with it, so the citizen
// is told before the chat leaves the bot.
func Reply(ctx context.Context, r cases.Repo, openKfID, user string, seq int64, msgs []cases.Message, now time.Time) error {
	for _, msg := range msgs {
		p := cases.PriorityNormal
		if msg.Handover {
			p = cases.PriorityLow // the outbox sends by priority: the handover goes last
		}
		out := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: openKfID, Recipient: user, Message: msg, Priority: p, ReplyTo: seq}
		if err := enqueue(ctx, r, out, now, "reply"); err != nil {
			return err
		}
	}
	return nil
}

// ToReporter queues msg about case c to its reporter, on the kf account the
// case came through, with priority p (which decides whether it may wait
// for the citizen to write, see cases.Priority). The case must have a
// reporter with a WeCom chat (ReporterID and OpenKfID).
func ToReporter(ctx context.Context, r cases.Repo, c *cases.Case, msg cases.Message, p cases.Priority, now time.Time) error {
	out := &cases.OutboxMessage{CaseID: c.ID, Channel: cases.ChannelKf, OpenKfID: c.OpenKfID, Recipient: c.ReporterID, Message: msg, Priority: p}
	return enqueue(ctx, r, out, now, "citizen message")
}

// Nudge queues msg to citizen user on kf account openKfID, about their case
// caseID, as a nudge: critical, so that it may spend the last message of
// their window, but only an invitation to reply (cases.PurposeNudge).
func Nudge(ctx context.Context, r cases.Repo, openKfID, user string, caseID int64, msg cases.Message, now time.Time) error {
	out := &cases.OutboxMessage{CaseID: caseID, Channel: cases.ChannelKf, OpenKfID: openKfID, Recipient: user, Message: msg,
		Priority: cases.PriorityCritical, Purpose: cases.PurposeNudge}
	return enqueue(ctx, r, out, now, "nudge")
}

// ToStaff queues msg to staff member userID through the self-built app
// (several members' ids joined by "|" get one message, as one card must),
// about case caseID (0 when it is about no case), with priority p.
func ToStaff(ctx context.Context, r cases.Repo, userID string, caseID int64, msg cases.Message, p cases.Priority, now time.Time) error {
	out := &cases.OutboxMessage{CaseID: caseID, Channel: cases.ChannelApp, Recipient: userID, Message: msg, Priority: p}
	return enqueue(ctx, r, out, now, "staff message")
}

// enqueue stores m as pending and due at once, queued at now; what names it
// in the error.
func enqueue(ctx context.Context, r cases.Repo, m *cases.OutboxMessage, now time.Time, what string) error {
	m.Status = cases.OutboxPending
	m.NextAttemptAt, m.CreatedAt = now.UTC(), now.UTC()
	if err := r.Enqueue(ctx, m); err != nil {
		return fmt.Errorf("queue %s: %w", what, err)
	}
	return nil
}
