package notify

import (
	"context"
	"fmt"
	"time"

	"banchengshi/cases"
)

// Reply queues msgs to a citizen on kf account openKfID, inside r's
// transaction, in the order given, as the answer to their message number
// seq (Conversation.Seq; 0 when they answer no message of the citizen's).
// A handover (Message.Handover) is sent after the texts queued with it, so
// the citizen is told before the chat leaves the bot.
func Reply(ctx context.Context, r cases.Repo, openKfID, user string, seq int64, msgs []cases.Message, now time.Time) error {
	for _, msg := range msgs {
		p := cases.PriorityNormal
		if msg.Handover {
			p = cases.PriorityLow // the outbox sends by priority: the handover goes last
		}
		out := &cases.OutboxMessage{
			Channel: cases.ChannelKf, OpenKfID: openKfID, Recipient: user, Message: msg,
			Priority: p, Status: cases.OutboxPending, NextAttemptAt: now.UTC(), CreatedAt: now.UTC(), ReplyTo: seq,
		}
		if err := r.Enqueue(ctx, out); err != nil {
			return fmt.Errorf("queue reply: %w", err)
		}
	}
	return nil
}
