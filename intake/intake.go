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
	"banchengshi/notify/queue"
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
type DeskFunc func(r cases.Repo) cases.Desk

// StaffHandler handles what staff send to the self-built app: typed commands
// and card clicks. It runs inside the transaction that marks the callback done.
type StaffHandler interface {
	HandleApp(ctx context.Context, r cases.Repo, m cases.AppMessage) error
}

// Events receives kf system events that concern messages we sent
// (msg_send_fail), inside the transaction that marks the event handled.
type Events interface {
	SendFailed(ctx context.Context, r cases.Repo, openKfID, externalUserID, msgID string, failType int) error
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
	every     time.Duration
	catchUp   time.Duration
	metrics   *metrics.Metrics
	timeline  Timeline

	kick     chan struct{}
	released func() // called when held messages became sendable
	mu       sync.Mutex

	signal   storage.Signal // nil: other replicas' pulls are found by polling
	workers  *workers
	receive  receiver  // stores callbacks by group commit (receive.go)
	lastPull time.Time // when Run's latest pulling round started (pull)
	// pulledTo is, by kf account, the newest callback stored before a pull
	// of this process began that took everything WeCom had (guarded by mu).
	// A callback whose id is no greater was stored before that pull, so its
	// message was at WeCom by then and the pull took it: the callbacks left
	// over from a backlog of more than one listing (after an outage, say)
	// are marked done without a pull for each page, which would use a Token
	// long expired and fall back to pulling without one, which WeCom allows
	// a few times a minute (the sandbox: noTokenPerMinute) before it blocks
	// sync_msg for a minute.
	pulledTo map[string]int64
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
	Log    *slog.Logger // nil discards
	Now    func() time.Time
	// Released is called after a citizen's message reopened their window, so the
	// outbox can send what it held for them.
	Released func()
	// StaffTask tells the window's duty staff of a kf account something they
	// must do by hand (a message the product could not handle). May be nil.
	StaffTask func(ctx context.Context, r cases.Repo, openKfID, text string) error
	// Every is how often Run looks for work besides being woken: callbacks
	// to retry, messages another replica pulled when there is no Signal;
	// default DefaultEvery.
	Every time.Duration
	// KfAccounts lists the kf accounts to pull now and then without a
	// callback (see CatchUp). May be nil.
	KfAccounts func() []string
	// CatchUpEvery is how often Run catches up every kf account; default
	// five minutes (catchUpEvery).
	CatchUpEvery time.Duration
	// Metrics counts messages handled, retried and given up; nil counts
	// nothing.
	Metrics *metrics.Metrics
	// Signal carries the news of stored kf messages to every replica's
	// workers; nil: each replica hears its own pulls only, and finds the
	// others' messages by polling.
	Signal storage.Signal

	// Timeline records on the citizen's case what passed in the chat outside
	// the dialog (while a person has it); nil records nothing.
	Timeline Timeline
}

// New returns an Intake; call Run to start its puller and workers.
func New(cfg Config) *Intake {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Released == nil {
		cfg.Released = func() {}
	}
	if cfg.Every <= 0 {
		cfg.Every = DefaultEvery
	}
	if cfg.CatchUpEvery <= 0 {
		cfg.CatchUpEvery = catchUpEvery
	}
	return &Intake{
		repo: cfg.Repo, api: cfg.API, locker: cfg.Locker, engine: cfg.Engine, desk: cfg.Desk,
		staff: cfg.Staff, events: cfg.Events, log: cfg.Log, now: cfg.Now, released: cfg.Released, staffTask: cfg.StaffTask,
		accounts: cfg.KfAccounts, every: cfg.Every, catchUp: cfg.CatchUpEvery, metrics: cfg.Metrics, timeline: cfg.Timeline,
		kick: make(chan struct{}, 1), signal: cfg.Signal, workers: newWorkers(),
	}
}

// Receive makes a verified, decrypted callback durable. It returns only after
// the callback is stored (or known to be a repeat), so the caller may then
// answer WeCom; the work it brings follows on the worker.
func (in *Intake) Receive(ctx context.Context, cb *wecom.Callback, plain []byte) (isNew bool, err error) {
	// Stored with the callbacks that arrive meanwhile (receive.go).
	rec := &cases.Inbound{Key: cb.DedupeKey(), Kind: cb.Kind(), Body: string(plain), ReceivedAt: in.now().UTC()}
	return in.save(ctx, rec)
}

// Kick wakes the puller: a callback was stored.
func (in *Intake) Kick() {
	select {
	case in.kick <- struct{}{}:
	default:
	}
}

// DefaultEvery is how often Run looks for work besides being woken, unless
// Config says otherwise.
const DefaultEvery = 2 * time.Second

// Run works until ctx ends: it pulls on every kick (a callback) and every
// Config.Every (to retry what failed and to catch up after a restart), and,
// side by side, handles what was pulled, here or by another replica
// (workers.go), as soon as it is stored.
func (in *Intake) Run(ctx context.Context) {
	handling := make(chan struct{})
	go func() {
		defer close(handling)
		in.runWorkers(ctx)
	}()
	defer func() { <-handling }()
	t := time.NewTicker(in.every)
	defer t.Stop()
	catchUp := time.NewTicker(in.catchUp)
	defer catchUp.Stop()
	for {
		in.pull(ctx)
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

// catchUpEvery is how often every kf account is pulled without a callback,
// unless Config says otherwise.
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

// Drain handles everything pending once: stored callbacks (pulling what
// kf callbacks announce), then pulled kf messages, waiting for the workers.
// Tests call it directly.
func (in *Intake) Drain(ctx context.Context) {
	in.pullNow(ctx)
	if err := in.handlePending(ctx); err != nil && ctx.Err() == nil {
		in.log.Error("handle kf messages", "err", err)
	}
	// What was handled may have queued messages: wake the outbox.
	in.released()
}

// pullGap is the least time between the starts of two pulling rounds of
// Run. A round pulls for every callback stored before it (one sync_msg per
// account, with the newest Token, valid for minutes), so callbacks arriving
// during the gap share the next round: at 50 messages a second, one pull
// covers about five instead of one or two, and so do the statements, calls
// and wake-ups that follow a pull. A callback after a quiet moment is pulled
// for at once; one in a busy stream waits at most pullGap.
const pullGap = 100 * time.Millisecond

// pull is pullNow, paced: each of its rounds of pulling starts no sooner
// than pullGap after the start of the previous one.
func (in *Intake) pull(ctx context.Context) {
	in.pullRounds(ctx, true)
}

// pace waits until pullGap has passed since the start of the previous
// paced round, and reports false when ctx ended first.
func (in *Intake) pace(ctx context.Context) bool {
	if wait := pullGap - time.Since(in.lastPull); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
	in.lastPull = time.Now()
	return true
}

// pullNow handles the stored callbacks: staff's app callbacks one by one, kf
// callbacks by pulling their accounts.
func (in *Intake) pullNow(ctx context.Context) {
	in.pullRounds(ctx, false)
}

// pullRounds is pullNow, its rounds paced (pace) or not.
func (in *Intake) pullRounds(ctx context.Context, paced bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if err := in.drainInbound(ctx, paced); err != nil && ctx.Err() == nil {
		in.log.Error("handle callbacks", "err", err)
	}
	// A staff member's command may have queued messages: wake the outbox.
	in.released()
}

// maxAttempts bounds retries of one callback or message; after that it is
// marked done with its last error, visible in the database, and the next
// sync or message carries on. Messages stay at WeCom and the cursor does not
// skip them, so a kf event given up on loses nothing. A kf pull that could
// not be made at all gives nothing up (see notPulled).
const maxAttempts = 8

// inboundRounds bounds how often one pulling round lists the stored
// callbacks again. After a pull it lists them again: kf callbacks stored
// meanwhile, here or on a replica that found the account busy, are pulled
// for before the puller rests.
const inboundRounds = 20

func (in *Intake) drainInbound(ctx context.Context, paced bool) error {
	for range inboundRounds {
		if paced && !in.pace(ctx) {
			return ctx.Err()
		}
		progressed, err := in.drainInboundOnce(ctx)
		if err != nil || !progressed {
			return err
		}
	}
	return nil
}

// drainInboundOnce handles one page of stored callbacks and reports whether
// it handled or pulled for any.
func (in *Intake) drainInboundOnce(ctx context.Context) (bool, error) {
	pending, err := in.pendingInbound(ctx)
	if err != nil {
		return false, fmt.Errorf("list pending callbacks: %w", err)
	}
	progressed := false
	var accounts []string
	kf := map[string][]*cases.Inbound{}
	// The Token of each account's newest callback, valid longest (the page
	// lists the least tried first, not the newest last).
	type newestToken struct {
		id    int64
		token string
	}
	token := map[string]newestToken{}
	for _, rec := range pending {
		if ctx.Err() != nil {
			return progressed, ctx.Err()
		}
		if rec.Kind == cases.InboundKf {
			// Pulled for by account below; one that cannot be read is
			// handled (and fails) alone.
			if cb, err := wecom.ParseCallback([]byte(rec.Body)); err == nil && cb.OpenKfID != "" {
				if kf[cb.OpenKfID] == nil {
					accounts = append(accounts, cb.OpenKfID)
				}
				kf[cb.OpenKfID] = append(kf[cb.OpenKfID], rec)
				if rec.ID > token[cb.OpenKfID].id {
					token[cb.OpenKfID] = newestToken{rec.ID, cb.Token}
				}
				continue
			}
		}
		if !inboundDue(rec, in.now()) {
			continue
		}
		err := in.handleInboundSafely(ctx, rec)
		if _, later := wecom.RetryAfter(err); later {
			// WeCom's frequency limit: not an attempt; the next tick tries
			// again, and the client does not call WeCom before the pause ends.
			in.log.Warn("callback waits for WeCom's frequency limit", "key", rec.Key, "err", err)
			continue
		}
		progressed = true
		if errors.Is(err, errDone) || errors.Is(err, cases.ErrDone) {
			continue // handled here, or by another replica meanwhile
		}
		if err := in.finish(ctx, in.repo, rec, err); err != nil && !errors.Is(err, cases.ErrDone) {
			return progressed, err
		}
	}
	for _, id := range accounts {
		if ctx.Err() != nil {
			return progressed, ctx.Err()
		}
		pulled, err := in.pullFor(ctx, id, token[id].token, kf[id], len(pending) == inboundPage)
		if err != nil {
			return progressed, err
		}
		progressed = progressed || pulled
	}
	return progressed, nil
}

// pullFor pulls a kf account for its stored callbacks recs, with the newest
// callback's Token, and reports whether it pulled or marked any done. One
// pull covers every callback stored before it began: each said only "there
// is something new", and the pull takes everything up to WeCom's present. So
// recs are marked done together, also those waiting for a retry after a
// failed pull; a failed pull counts an attempt for each that was due.
// Callbacks listed after a pull that took everything, and stored before it
// began, are marked done without another (see pulledTo).
func (in *Intake) pullFor(ctx context.Context, openKfID, token string, recs []*cases.Inbound, backlog bool) (bool, error) {
	var covered, rest []*cases.Inbound
	for _, rec := range recs {
		if rec.ID <= in.pulledTo[openKfID] {
			covered = append(covered, rec)
		} else {
			rest = append(rest, rec)
		}
	}
	if err := in.markInboundDone(ctx, covered); err != nil {
		return false, err
	}
	pulled, err := in.pullDue(ctx, openKfID, token, rest, backlog)
	return pulled || len(covered) > 0, err
}

// pullDue is pullFor for callbacks no pull has covered yet. With a backlog
// (more callbacks stored than one listing holds), a pull that takes
// everything records what it covered in pulledTo.
func (in *Intake) pullDue(ctx context.Context, openKfID, token string, recs []*cases.Inbound, backlog bool) (bool, error) {
	var due []*cases.Inbound
	for _, rec := range recs {
		if inboundDue(rec, in.now()) {
			due = append(due, rec)
		}
	}
	if len(due) == 0 {
		return false, nil
	}
	var newest int64 // every callback up to it was stored before the pull began
	if backlog {
		if id, err := in.repo.NewestInbound(ctx); err == nil {
			newest = id
		}
	}
	all, err := in.syncSafely(ctx, openKfID, token)
	if wecom.ErrCode(err) == wecom.CodeInvalidMsgToken && token != "" {
		// The newest callback's Token is no longer valid (it lasts ten
		// minutes: a pull held back by an outage or a busy account). It will
		// never be valid again, so a retry with it would only fail; WeCom
		// still lets us pull without one, at a stricter limit, and the
		// callbacks said there is something new.
		in.log.Warn("kf callback token refused; pulling without it", "open_kfid", openKfID, "callbacks", len(due))
		all, err = in.syncSafely(ctx, openKfID, "")
	}
	if errors.Is(err, errBusy) {
		// Another worker pulls the account; it lists the callbacks again
		// when it is done, and these are covered then.
		return false, nil
	}
	if _, later := wecom.RetryAfter(err); later {
		in.log.Warn("kf pull waits for WeCom's frequency limit", "open_kfid", openKfID, "err", err)
		return false, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if errors.Is(err, errNotPulled) {
			in.log.Warn("kf pull could not be made; its callbacks wait", "open_kfid", openKfID, "callbacks", len(due), "err", err)
		} else {
			in.log.Warn("kf pull failed", "open_kfid", openKfID, "callbacks", len(due), "err", err)
		}
		for _, rec := range due {
			if err := in.recordFailure(ctx, rec, err); err != nil && !errors.Is(err, cases.ErrDone) {
				return false, err
			}
		}
		return false, nil
	}
	if all && newest > in.pulledTo[openKfID] {
		if in.pulledTo == nil {
			in.pulledTo = map[string]int64{}
		}
		in.pulledTo[openKfID] = newest
	}
	if err := in.markInboundDone(ctx, recs); err != nil {
		return true, err
	}
	return true, nil
}

// markInboundDone marks the callbacks recs done.
func (in *Intake) markInboundDone(ctx context.Context, recs []*cases.Inbound) error {
	if len(recs) == 0 {
		return nil
	}
	ids := make([]int64, len(recs))
	for i, rec := range recs {
		ids[i] = rec.ID
	}
	if _, err := in.repo.MarkInboundDone(ctx, ids, in.now().UTC()); err != nil {
		return fmt.Errorf("mark kf callbacks done: %w", err)
	}
	return nil
}

// syncSafely is sync, turning a panic into an error that counts as an
// attempt: one bad page cannot crash every replica in turn.
func (in *Intake) syncSafely(ctx context.Context, openKfID, token string) (all bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			in.log.Error("panic while pulling kf messages", "open_kfid", openKfID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return in.syncAll(ctx, openKfID, token)
}

// recordFailure counts a failed attempt at a kf callback; after maxAttempts
// failures of its own it is marked done with its error (its messages stay
// at WeCom, and the next pull takes them). A pull that could not be made
// (errNotPulled) is an attempt but not a failure of the callback's (see
// notPulled).
func (in *Intake) recordFailure(ctx context.Context, rec *cases.Inbound, handleErr error) error {
	now := in.now().UTC()
	rec.Attempts++
	unmade := errors.Is(handleErr, errNotPulled)
	if !unmade {
		rec.Failures++
	}
	rec.LastError, rec.TriedAt = handleErr.Error(), &now
	if rec.Failures >= maxAttempts && !unmade {
		rec.DoneAt = &now
	}
	return in.repo.UpdateInbound(ctx, rec)
}

// errDone says the callback was marked done inside the transaction of its work.
var errDone = errors.New("done")

// finish records the outcome of handling a callback on r. A staff member's
// command or card click given up after maxAttempts is reported to them, in
// the transaction that marks it done: they must not believe it took effect.
func (in *Intake) finish(ctx context.Context, r cases.Repo, rec *cases.Inbound, handleErr error) error {
	tried := in.now().UTC()
	rec.Attempts++
	rec.TriedAt = &tried
	if handleErr != nil {
		rec.Failures++
		rec.LastError = handleErr.Error()
		in.log.Warn("callback not handled", "key", rec.Key, "kind", rec.Kind, "attempt", rec.Attempts, "err", handleErr)
		if rec.Failures < maxAttempts {
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
	msg := cases.Message{Text: fmt.Sprintf(staffGivenUpText, at, what)}
	if err := queue.ToStaff(ctx, r, cb.FromUserName, 0, msg, cases.PriorityNormal, in.now()); err != nil {
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
			if err := in.staff.HandleApp(ctx, r, appMessage(cb)); err != nil {
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
