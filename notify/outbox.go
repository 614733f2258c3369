// Package notify delivers the outbox: every message the bureau owes a citizen
// (through 微信客服) or a staff member (through the self-built app), within
// WeCom's limits, and records each message's fate where staff can see it.
//
// Messages to citizens are planned per citizen, not fired one by one (see
// budget.go): WeCom allows 5 messages within 48 hours after the citizen's last
// message, so low-priority updates are bundled, the last message of a window
// is kept for the answer and the follow-up, what cannot be sent is held until
// the citizen writes again, and an answer that cannot reach the citizen
// becomes a phone task for staff.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"banchengshi/cases"
	"banchengshi/metrics"
	"banchengshi/storage"
)

// Sender is what the outbox needs from WeCom.
type Sender interface {
	SendKf(ctx context.Context, openKfID, externalUserID string, m cases.Message) (string, error)
	SendApp(ctx context.Context, toUsers []string, m cases.Message) (msgid, responseCode string, err error)
	TransServiceState(ctx context.Context, openKfID, externalUserID string, state int, servicerUserID string) (string, error)
	UpdateCard(ctx context.Context, userIDs []string, responseCode, replaceText string) error
}

// CardSink is told the response code of a card it sent, so that a later click
// can update the card for everyone who got it.
type CardSink interface {
	CardSent(ctx context.Context, r cases.Repo, m *cases.OutboxMessage, responseCode string) error
}

// Tasks turns a message that cannot reach a citizen into work for staff.
type Tasks interface {
	// PhoneTask asks the window's duty staff, inside r's transaction, to phone
	// the contact of case caseID; reason says why WeChat did not reach them.
	PhoneTask(ctx context.Context, r cases.Repo, caseID int64, reason string) error
}

// Outbox sends due messages. Only one replica sends at a time (a lock), so no
// message goes out twice from two replicas. A crash between WeCom's answer and
// the status update can repeat one message: at least once, never lost.
type Outbox struct {
	repo    cases.Repo
	api     Sender
	locker  storage.Locker
	limiter storage.RateLimiter
	cards   CardSink
	tasks   Tasks
	log     *slog.Logger
	now     func() time.Time
	wake    chan struct{}

	phoneAfter time.Duration
	nudgeLead  time.Duration
	metrics    *metrics.Metrics
	sms        *SMS
}

// Config wires an Outbox.
type Config struct {
	Repo    cases.Repo
	API     Sender
	Locker  storage.Locker
	Limiter storage.RateLimiter
	Cards   CardSink // may be nil
	// Tasks receives answers that cannot reach the citizen; nil: they stay
	// held (or fail, when the citizen refuses messages).
	Tasks Tasks
	Log   *slog.Logger
	Now   func() time.Time
	// PhoneAfter is how long a held answer waits for the citizen to write
	// before it becomes a phone task; default DefaultPhoneAfter.
	PhoneAfter time.Duration
	// NudgeLead is how long before a citizen's window closes the nudge goes
	// out; default DefaultNudgeLead.
	NudgeLead time.Duration
	// Metrics counts notifications' fates; nil counts nothing.
	Metrics *metrics.Metrics
	// SMS texts what cannot wait when the citizen's window is closed
	// (sms.go); nil: such messages are held like the others.
	SMS *SMS
}

// Defaults of the budget planner.
const (
	// DefaultPhoneAfter: a day without the citizen writing means they will
	// not read the answer soon; the window phones people anyway.
	DefaultPhoneAfter = 24 * time.Hour
	// DefaultNudgeLead: the nudge goes out six hours before the window closes,
	// late enough to leave the window's messages for real news, early enough
	// that a citizen who reads WeChat twice a day still sees it.
	DefaultNudgeLead = 6 * time.Hour
)

// New returns an Outbox; call Run to start sending.
func New(cfg Config) *Outbox {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PhoneAfter <= 0 {
		cfg.PhoneAfter = DefaultPhoneAfter
	}
	if cfg.NudgeLead <= 0 {
		cfg.NudgeLead = DefaultNudgeLead
	}
	return &Outbox{repo: cfg.Repo, api: cfg.API, locker: cfg.Locker, limiter: cfg.Limiter, cards: cfg.Cards, tasks: cfg.Tasks,
		log: cfg.Log, now: cfg.Now, wake: make(chan struct{}, 1), phoneAfter: cfg.PhoneAfter, nudgeLead: cfg.NudgeLead,
		metrics: cfg.Metrics, sms: cfg.SMS}
}

// Kick asks the sender to look at the outbox now.
func (o *Outbox) Kick() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx ends, on every kick and every interval.
func (o *Outbox) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := o.Flush(ctx); err != nil && ctx.Err() == nil {
			o.log.Error("send outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-t.C:
		}
	}
}

// Flush sends everything due once. Due messages are taken a page at a time
// and planned per recipient: a citizen's messages together (budget.go), a
// staff member's texts merged into one.
func (o *Outbox) Flush(ctx context.Context) error {
	lock, ok, err := o.locker.TryLock(ctx, "outbox", outboxLockTTL)
	if err != nil {
		return fmt.Errorf("lock outbox: %w", err)
	}
	if !ok {
		return nil
	}
	defer lock.Unlock(context.WithoutCancel(ctx))
	// The lease is renewed while the round goes on; ctx ends when it is lost,
	// before another replica that took it over could send the same messages.
	ctx, stop := storage.KeepLease(ctx, lock, outboxLockTTL, o.log)
	defer stop()
	for round := 0; round < 20; round++ {
		due, err := o.repo.DueOutbox(ctx, o.now().UTC(), 100)
		if err != nil {
			return fmt.Errorf("load due messages: %w", err)
		}
		if len(due) == 0 {
			return nil
		}
		for _, g := range groupByRecipient(due) {
			if ctx.Err() != nil {
				return fmt.Errorf("keep outbox lease: %w", context.Cause(ctx))
			}
			if err := o.deliverGroup(ctx, g); err != nil {
				return err
			}
		}
	}
	return nil
}

// recipientKey groups due messages: one citizen on one kf account, or one
// staff member.
type recipientKey struct {
	channel   cases.Channel
	openKfID  string
	recipient string
}

// groupByRecipient splits due messages by recipient, keeping the order in
// which recipients first appear and each recipient's messages in due order.
func groupByRecipient(due []*cases.OutboxMessage) [][]*cases.OutboxMessage {
	idx := map[recipientKey]int{}
	var groups [][]*cases.OutboxMessage
	for _, m := range due {
		k := recipientKey{m.Channel, m.OpenKfID, m.Recipient}
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], m)
	}
	return groups
}

func (o *Outbox) deliverGroup(ctx context.Context, g []*cases.OutboxMessage) error {
	switch g[0].Channel {
	case cases.ChannelKf:
		return o.deliverCitizen(ctx, g)
	case cases.ChannelApp:
		return o.deliverStaff(ctx, g)
	}
	for _, m := range g {
		m.Status = cases.OutboxFailed
		m.LastError = fmt.Sprintf("unknown channel %q", m.Channel)
		if err := o.settle(ctx, m, nil); err != nil {
			return err
		}
	}
	return nil
}

// maxSendAttempts bounds retries of one message; then it is failed, visibly.
const maxSendAttempts = 10

func (o *Outbox) retryLater(m *cases.OutboxMessage, err error, now time.Time) {
	m.LastError = err.Error()
	o.log.Warn("message not sent", "outbox_id", m.ID, "channel", m.Channel, "attempt", m.Attempts, "err", err)
	if m.Attempts >= maxSendAttempts {
		m.Status = cases.OutboxFailed
		return
	}
	backoff := 5 * time.Second << min(m.Attempts, 7) // 10 s … about 10 min
	m.NextAttemptAt = now.Add(backoff).UTC()
}

// settle saves the message's new state, the contact's count, and the
// notification's fate on the case timeline, in one transaction.
func (o *Outbox) settle(ctx context.Context, m *cases.OutboxMessage, contact *cases.Contact) error {
	ctx, cancel := recordCtx(ctx)
	defer cancel()
	return o.repo.InTx(ctx, func(r cases.Repo) error { return o.settleIn(ctx, r, m, contact, o.now()) })
}

// fateLabel is a notification's fate as a metric label: a pending message
// that failed is waiting for a retry.
func fateLabel(m *cases.OutboxMessage) string {
	if m.Status == cases.OutboxPending {
		return "retry"
	}
	return string(m.Status)
}

// outboxLockTTL is the sender's lease: short, and renewed while it sends
// (storage.KeepLease), so that a sender that died is replaced within seconds.
const outboxLockTTL = storage.LeaseTTL

// recordCtx is the context for saving what WeCom answered. Once a message has
// gone out its fate must be written even while the process shuts down;
// otherwise the next start would send it a second time.
func recordCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

func (o *Outbox) settleIn(ctx context.Context, r cases.Repo, m *cases.OutboxMessage, contact *cases.Contact, now time.Time) error {
	o.metrics.Notification(string(m.Channel), fateLabel(m))
	if contact != nil {
		if err := r.SaveContact(ctx, contact); err != nil {
			return fmt.Errorf("save contact: %w", err)
		}
	}
	if err := r.UpdateOutbox(ctx, m); err != nil {
		return fmt.Errorf("save message state: %w", err)
	}
	if m.CaseID == 0 || m.Status == cases.OutboxPending {
		return nil
	}
	ev := &cases.Event{CaseID: m.CaseID, At: now.UTC(), Actor: "system", Kind: cases.EventNotification, Body: Fate(m),
		Data: fmt.Sprintf(`{"outbox_id":%d,"status":%q}`, m.ID, m.Status)}
	if err := r.AppendEvent(ctx, ev); err != nil {
		return fmt.Errorf("record notification fate: %w", err)
	}
	return nil
}
