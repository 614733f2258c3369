package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"banchengshi/bot"
	"banchengshi/cases"
	"banchengshi/metrics"
	"banchengshi/storage"
	"banchengshi/wecom"
)

// KfAPI is what intake needs from WeCom.
type KfAPI interface {
	SyncMsg(ctx context.Context, req wecom.SyncRequest) (*wecom.SyncResponse, error)
	GetMedia(ctx context.Context, mediaID string) (data []byte, contentType, fileName string, err error)
	SendKfOnEvent(ctx context.Context, code string, m cases.Message) (string, error)
}

// DeskFunc returns the bureau's side of the dialog bound to a transaction.
type DeskFunc func(r cases.Repo) bot.Desk

// StaffHandler handles what staff send to the self-built app: typed commands
// and card clicks. It runs inside the transaction that marks the callback done.
type StaffHandler interface {
	HandleApp(ctx context.Context, r cases.Repo, cb *wecom.Callback) error
}

// Events receives kf system events that concern messages we sent
// (msg_send_fail), inside the transaction that marks the event handled.
type Events interface {
	SendFailed(ctx context.Context, r cases.Repo, msgID string, failType int) error
}

// Intake is the pipeline from callback to case.
type Intake struct {
	repo   cases.Repo
	api    KfAPI
	locker storage.Locker
	engine *bot.Engine
	desk   DeskFunc
	staff  StaffHandler
	events Events
	log    *slog.Logger
	now    func() time.Time

	// staffTask tells the window's duty staff of a kf account something they
	// must do by hand.
	staffTask func(ctx context.Context, r cases.Repo, openKfID, text string) error
	accounts  func() []string
	metrics   *metrics.Metrics
	timeline  Timeline

	kick     chan struct{}
	released func() // called when held messages became sendable
	mu       sync.Mutex
}

// Config wires an Intake.
type Config struct {
	Repo   cases.Repo
	API    KfAPI
	Locker storage.Locker
	Engine *bot.Engine
	Desk   DeskFunc
	Staff  StaffHandler // nil: app callbacks are recorded and acknowledged only
	Events Events       // nil: send failures are logged only
	Log    *slog.Logger
	Now    func() time.Time
	// Released is called after a citizen's message reopened their window, so the
	// outbox can send what it held for them.
	Released func()
	// StaffTask tells the window's duty staff of a kf account something they
	// must do by hand (a message the product could not handle). May be nil.
	StaffTask func(ctx context.Context, r cases.Repo, openKfID, text string) error
	// KfAccounts lists the kf accounts to pull now and then without a
	// callback (see CatchUp). May be nil.
	KfAccounts func() []string
	// Metrics counts messages handled, retried and given up; nil counts
	// nothing.
	Metrics *metrics.Metrics

	// Timeline records on the citizen's case what passed in the chat outside
	// the dialog (while a person has it); nil records nothing.
	Timeline Timeline
}

// New returns an Intake; call Run to start its worker.
func New(cfg Config) *Intake {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Released == nil {
		cfg.Released = func() {}
	}
	return &Intake{
		repo: cfg.Repo, api: cfg.API, locker: cfg.Locker, engine: cfg.Engine, desk: cfg.Desk,
		staff: cfg.Staff, events: cfg.Events, log: cfg.Log, now: cfg.Now, released: cfg.Released, staffTask: cfg.StaffTask,
		accounts: cfg.KfAccounts, metrics: cfg.Metrics, timeline: cfg.Timeline,
		kick: make(chan struct{}, 1),
	}
}

// Receive makes a verified, decrypted callback durable. It returns only after
// the callback is stored (or known to be a repeat), so the caller may then
// answer WeCom; the work it brings follows on the worker.
func (in *Intake) Receive(ctx context.Context, cb *wecom.Callback, plain []byte) (isNew bool, err error) {
	rec := &cases.Inbound{Key: cb.DedupeKey(), Kind: cb.Kind(), Body: string(plain), ReceivedAt: in.now().UTC()}
	isNew, err = in.repo.SaveInbound(ctx, rec)
	if err != nil {
		return false, fmt.Errorf("store callback: %w", err)
	}
	if isNew {
		in.Kick()
	}
	return isNew, nil
}

// Kick wakes the worker.
func (in *Intake) Kick() {
	select {
	case in.kick <- struct{}{}:
	default:
	}
}

// Run works until ctx ends: on every kick, and every interval to retry what
// failed and to catch up after a restart.
func (in *Intake) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	catchUp := time.NewTicker(catchUpEvery)
	defer catchUp.Stop()
	for {
		in.Drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-in.kick:
		case <-t.C:
		case <-catchUp.C:
			in.CatchUp(ctx)
		}
	}
}

// catchUpEvery is how often every kf account is pulled without a callback.
// Without a callback's Token WeCom rate-limits sync_msg strictly, so this is
// rare; it exists for the message whose callback WeCom gave up on, in a
// window where nobody writes again soon.
const catchUpEvery = 5 * time.Minute

// CatchUp pulls every known kf account from its saved cursor.
func (in *Intake) CatchUp(ctx context.Context) {
	if in.accounts == nil {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, id := range in.accounts() {
		if err := in.sync(ctx, id, ""); err != nil && !errors.Is(err, errBusy) && ctx.Err() == nil {
			in.log.Warn("catch-up sync", "open_kfid", id, "err", err)
		}
	}
}

// Drain handles everything pending once: stored callbacks, then pulled kf
// messages. Tests call it directly.
func (in *Intake) Drain(ctx context.Context) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if err := in.drainInbound(ctx); err != nil && ctx.Err() == nil {
		in.log.Error("handle callbacks", "err", err)
	}
	if err := in.drainKf(ctx); err != nil && ctx.Err() == nil {
		in.log.Error("handle kf messages", "err", err)
	}
	// Whatever was handled may have queued messages: wake the outbox.
	in.released()
}

// maxAttempts bounds retries of one callback or message; after that it is
// marked done with its last error, visible in the database, and the next
// sync or message carries on. Messages stay at WeCom and the cursor does not
// skip them, so a kf event given up on loses nothing.
const maxAttempts = 8

func (in *Intake) drainInbound(ctx context.Context) error {
	pending, err := in.pendingInbound(ctx)
	if err != nil {
		return fmt.Errorf("list pending callbacks: %w", err)
	}
	for _, rec := range pending {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !retryDue(rec.Attempts, rec.ReceivedAt, in.now()) {
			continue
		}
		err := in.handleInboundSafely(ctx, rec)
		if errors.Is(err, errBusy) {
			continue // another replica is pulling this kf account; retry later
		}
		if _, later := wecom.RetryAfter(err); later {
			// WeCom's frequency limit: not an attempt; the next tick tries
			// again, and the client does not call WeCom before the pause ends.
			in.log.Warn("callback waits for WeCom's frequency limit", "key", rec.Key, "err", err)
			continue
		}
		if errors.Is(err, errDone) || errors.Is(err, cases.ErrDone) {
			continue // handled here, or by another replica meanwhile
		}
		if err := in.finish(ctx, in.repo, rec, err); err != nil && !errors.Is(err, cases.ErrDone) {
			return err
		}
	}
	return nil
}

// errDone says the callback was marked done inside the transaction of its work.
var errDone = errors.New("done")

// finish records the outcome of handling a callback on r. A staff member's
// command or card click given up after maxAttempts is reported to them, in
// the transaction that marks it done: they must not believe it took effect.
func (in *Intake) finish(ctx context.Context, r cases.Repo, rec *cases.Inbound, handleErr error) error {
	rec.Attempts++
	if handleErr != nil {
		rec.LastError = handleErr.Error()
		in.log.Warn("callback not handled", "key", rec.Key, "kind", rec.Kind, "attempt", rec.Attempts, "err", handleErr)
		if rec.Attempts < maxAttempts {
			return r.UpdateInbound(ctx, rec)
		}
	}
	now := in.now().UTC()
	rec.DoneAt = &now
	if handleErr == nil || (rec.Kind != cases.InboundAppMessage && rec.Kind != cases.InboundAppEvent) {
		return r.UpdateInbound(ctx, rec)
	}
	in.log.Error("staff callback given up", "key", rec.Key, "attempts", rec.Attempts)
	return r.InTx(ctx, func(r cases.Repo) error {
		if err := r.UpdateInbound(ctx, rec); err != nil {
			return err
		}
		return in.reportGivenUp(ctx, r, rec)
	})
}

// reportGivenUp tells the staff member whose command or click was given up
// that it did not take effect. What they typed is not repeated (it may hold
// a citizen's ID number); when they sent it is.
func (in *Intake) reportGivenUp(ctx context.Context, r cases.Repo, rec *cases.Inbound) error {
	cb, err := wecom.ParseCallback([]byte(rec.Body))
	if err != nil || cb.FromUserName == "" {
		return nil // nobody to tell; the row keeps its error
	}
	what := staffActionCommand
	if cb.MsgType == "event" {
		what = staffActionClick
	}
	at := time.Unix(cb.CreateTime, 0).In(cases.Shanghai).Format("1月2日 15:04")
	now := in.now().UTC()
	m := &cases.OutboxMessage{Channel: cases.ChannelApp, Recipient: cb.FromUserName,
		Message:  cases.Message{Text: fmt.Sprintf(staffGivenUpText, at, what)},
		Priority: cases.PriorityNormal, Status: cases.OutboxPending, NextAttemptAt: now, CreatedAt: now}
	if err := r.Enqueue(ctx, m); err != nil {
		return fmt.Errorf("report given-up staff callback: %w", err)
	}
	return nil
}

// handleInboundSafely handles rec, turning a panic into an error that counts
// as an attempt: one bad callback cannot crash every replica in turn.
func (in *Intake) handleInboundSafely(ctx context.Context, rec *cases.Inbound) (err error) {
	defer func() {
		if p := recover(); p != nil {
			in.log.Error("panic while handling a callback", "key", rec.Key, "kind", rec.Kind, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return in.handleInbound(ctx, rec)
}

func (in *Intake) handleInbound(ctx context.Context, rec *cases.Inbound) error {
	cb, err := wecom.ParseCallback([]byte(rec.Body))
	if err != nil {
		return fmt.Errorf("parse stored callback: %w", err)
	}
	switch rec.Kind {
	case cases.InboundKf:
		return in.sync(ctx, cb.OpenKfID, cb.Token)
	case cases.InboundAppMessage, cases.InboundAppEvent:
		if in.staff == nil {
			return nil
		}
		done := *rec
		err := in.repo.InTx(ctx, func(r cases.Repo) error {
			if err := in.staff.HandleApp(ctx, r, cb); err != nil {
				return err
			}
			return in.finish(ctx, r, &done, nil)
		})
		if err != nil {
			return err
		}
		return errDone
	}
	return fmt.Errorf("unknown callback kind %q", rec.Kind)
}
