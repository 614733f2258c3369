package queue

import (
	"context"
	"time"

	"banchengshi/cases"
)

// Batch is a transaction's repo that keeps the outbox messages queued
// through it and stores them together, in one statement, when Flush is
// called: a run of a citizen's messages, handled in one transaction, queues
// several replies (intake), one INSERT instead of one each. Anything that
// reads or changes the outbox through the Batch stores what it keeps
// first, so every turn of the run sees the outbox as if each message had
// been stored when queued; the stored messages' IDs are not set.
//
// A Batch lives as long as its transaction: what it keeps when the
// transaction fails goes with it. The caller flushes before the
// transaction commits.
type Batch struct {
	cases.Repo
	kept []*cases.OutboxMessage
}

// NewBatch returns a Batch over r, a repo bound to a transaction.
func NewBatch(r cases.Repo) *Batch { return &Batch{Repo: r} }

// Enqueue keeps m until Flush.
func (b *Batch) Enqueue(_ context.Context, m *cases.OutboxMessage) error {
	b.kept = append(b.kept, m)
	return nil
}

// EnqueueMany keeps ms, after what is kept already, until Flush.
func (b *Batch) EnqueueMany(_ context.Context, ms []*cases.OutboxMessage) error {
	b.kept = append(b.kept, ms...)
	return nil
}

// Flush stores what the Batch keeps, in the order queued.
func (b *Batch) Flush(ctx context.Context) error {
	if len(b.kept) == 0 {
		return nil
	}
	kept := b.kept
	b.kept = nil
	return b.Repo.EnqueueMany(ctx, kept)
}

// InTx runs fn in the same transaction, with the Batch as its repo.
func (b *Batch) InTx(ctx context.Context, fn func(cases.Repo) error) error {
	return b.Repo.InTx(ctx, func(cases.Repo) error { return fn(b) })
}

// What reads or changes the outbox stores what is kept first.

func (b *Batch) DueOutbox(ctx context.Context, now time.Time, limit int) ([]*cases.OutboxMessage, error) {
	if err := b.Flush(ctx); err != nil {
		return nil, err
	}
	return b.Repo.DueOutbox(ctx, now, limit)
}

func (b *Batch) DueOutboxExcept(ctx context.Context, now time.Time, skip cases.Channel, limit int) ([]*cases.OutboxMessage, error) {
	if err := b.Flush(ctx); err != nil {
		return nil, err
	}
	return b.Repo.DueOutboxExcept(ctx, now, skip, limit)
}

func (b *Batch) HeldOutbox(ctx context.Context, openKfID, externalUserID string) ([]*cases.OutboxMessage, error) {
	if err := b.Flush(ctx); err != nil {
		return nil, err
	}
	return b.Repo.HeldOutbox(ctx, openKfID, externalUserID)
}

func (b *Batch) CaseOutbox(ctx context.Context, caseID int64) ([]*cases.OutboxMessage, error) {
	if err := b.Flush(ctx); err != nil {
		return nil, err
	}
	return b.Repo.CaseOutbox(ctx, caseID)
}

func (b *Batch) UpdateOutbox(ctx context.Context, m *cases.OutboxMessage) error {
	if err := b.Flush(ctx); err != nil {
		return err
	}
	return b.Repo.UpdateOutbox(ctx, m)
}

func (b *Batch) UpdateOutboxMessage(ctx context.Context, m *cases.OutboxMessage) error {
	if err := b.Flush(ctx); err != nil {
		return err
	}
	return b.Repo.UpdateOutboxMessage(ctx, m)
}

func (b *Batch) UpdateOutboxes(ctx context.Context, ms []*cases.OutboxMessage) error {
	if err := b.Flush(ctx); err != nil {
		return err
	}
	return b.Repo.UpdateOutboxes(ctx, ms)
}

func (b *Batch) ClaimOutboxes(ctx context.Context, ms []*cases.OutboxMessage, until time.Time) error {
	if err := b.Flush(ctx); err != nil {
		return err
	}
	return b.Repo.ClaimOutboxes(ctx, ms, until)
}

func (b *Batch) UpdateOutboxSent(ctx context.Context, ms []*cases.OutboxMessage) error {
	if err := b.Flush(ctx); err != nil {
		return err
	}
	return b.Repo.UpdateOutboxSent(ctx, ms)
}

func (b *Batch) OutboxByWeComMsgID(ctx context.Context, msgID string) (*cases.OutboxMessage, error) {
	if err := b.Flush(ctx); err != nil {
		return nil, err
	}
	return b.Repo.OutboxByWeComMsgID(ctx, msgID)
}

func (b *Batch) OutboxReported(ctx context.Context, openKfID, externalUserID, msgID string) (*cases.OutboxMessage, error) {
	if err := b.Flush(ctx); err != nil {
		return nil, err
	}
	return b.Repo.OutboxReported(ctx, openKfID, externalUserID, msgID)
}

func (b *Batch) HeldOutboxSince(ctx context.Context, before time.Time, min cases.Priority, limit int) ([]*cases.OutboxMessage, error) {
	if err := b.Flush(ctx); err != nil {
		return nil, err
	}
	return b.Repo.HeldOutboxSince(ctx, before, min, limit)
}

// OpenWindow counts the messages sent in the citizen's window from the
// outbox.
func (b *Batch) OpenWindow(ctx context.Context, openKfID, externalUserID string, messages int, sentAt, receivedAt, now time.Time) (*cases.Contact, bool, error) {
	if err := b.Flush(ctx); err != nil {
		return nil, false, err
	}
	return b.Repo.OpenWindow(ctx, openKfID, externalUserID, messages, sentAt, receivedAt, now)
}

// ResumeKfRetries changes outbox rows.
func (b *Batch) ResumeKfRetries(ctx context.Context, now, after time.Time) (int64, error) {
	if err := b.Flush(ctx); err != nil {
		return 0, err
	}
	return b.Repo.ResumeKfRetries(ctx, now, after)
}

func (b *Batch) NextKfRetry(ctx context.Context, after time.Time) (*cases.OutboxMessage, error) {
	if err := b.Flush(ctx); err != nil {
		return nil, err
	}
	return b.Repo.NextKfRetry(ctx, after)
}

// SetAside may take an outbox row out of the way.
func (b *Batch) SetAside(ctx context.Context, u *cases.UnreadableError, reason string) (bool, error) {
	if err := b.Flush(ctx); err != nil {
		return false, err
	}
	return b.Repo.SetAside(ctx, u, reason)
}
