package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"banchengshi/cases"
	"banchengshi/metrics"
	"banchengshi/storage"
	"banchengshi/wecom"
)

// Sender is what the outbox needs from WeCom.
type Sender interface {
	// SendKf sends m with msgID as its idempotency key (send_msg's msgid):
	// the same on every retry of one message.
	SendKf(ctx context.Context, openKfID, externalUserID, msgID string, m cases.Message) (string, error)
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

// Outbox sends due messages, each with an effect WeCom sees once:
//
//   - Each recipient is served by one sender at a time (a short lease,
//     renewed while it sends), recipients side by side, on every replica.
//   - Every state change is conditional on the version read (a stale copy is
//     refused, never written back and sent again), and a message is claimed
//     (its attempt counted and its next try set a lease ahead) before it is
//     sent, so a crash or a panic in the middle of a send counts as an
//     attempt and a message that kills its sender is given up after
//     maxSendAttempts instead of killing every replica in turn.
//   - Each message carries an idempotency key (kf msgid; app messages with
//     WeCom's duplicate check), so the retry after a crash between WeCom's
//     answer and the status update is not a second message.
type Outbox struct {
	repo    cases.Repo
	api     Sender
	locker  storage.Locker
	limiter storage.RateLimiter
	cards   CardSink
	tasks   Tasks
	log     *slog.Logger
	now     func() time.Time
	every   time.Duration
	wake    chan struct{}

	phoneAfter time.Duration
	nudgeLead  time.Duration
	metrics    *metrics.Metrics
	sms        *SMS

	mu sync.Mutex
	// kfWaitUntil: kf send_msg is paused (WeCom's frequency limit) or its
	// call budget is spent until then; citizens' messages wait, in order.
	kfWaitUntil time.Time
	// shortUntil: the call budget was found short; until then each
	// citizen's waiting texts are merged into as few messages as fit.
	shortUntil time.Time

	// unreachable, settled: see wecomFailed. lastAnswer: when WeCom last
	// answered a kf call of this sender; suspectAt: when a kf call failed
	// for WeCom's reasons soon after an answer (not counted yet);
	// nextProbe: when probe may next make a reply due; probeWait: the wait
	// after the last one; probing: the reply it made due.
	unreachable, settled atomic.Int64
	lastAnswer           time.Time
	suspectAt            time.Time
	nextProbe            time.Time
	probeWait            time.Duration
	probing              probed
}

// shortFor is how long the outbox merges citizens' texts after the call
// budget was found short.
const shortFor = time.Minute

// kfWaiting reports whether kf sends must wait at now.
func (o *Outbox) kfWaiting(now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return now.Before(o.kfWaitUntil)
}

// short reports whether the call budget was short recently.
func (o *Outbox) short(now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return now.Before(o.shortUntil)
}

// kfWait makes kf sends wait for d; budget says the call budget is short.
func (o *Outbox) kfWait(now time.Time, d time.Duration, budget bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.kfWaitUntil = now.Add(d)
	if budget {
		o.shortUntil = now.Add(shortFor)
	}
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
	Log   *slog.Logger // nil discards
	Now   func() time.Time
	// Every is how often Run looks for due messages besides being kicked;
	// default DefaultEvery.
	Every time.Duration
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

// DefaultEvery is how often Run looks for due messages besides being kicked,
// unless Config says otherwise; SMS looks as often.
const DefaultEvery = 2 * time.Second

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
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Every <= 0 {
		cfg.Every = DefaultEvery
	}
	if cfg.PhoneAfter <= 0 {
		cfg.PhoneAfter = DefaultPhoneAfter
	}
	if cfg.NudgeLead <= 0 {
		cfg.NudgeLead = DefaultNudgeLead
	}
	o := &Outbox{repo: cfg.Repo, api: cfg.API, locker: cfg.Locker, limiter: cfg.Limiter, cards: cfg.Cards, tasks: cfg.Tasks,
		log: cfg.Log, now: cfg.Now, every: cfg.Every, wake: make(chan struct{}, 1), phoneAfter: cfg.PhoneAfter, nudgeLead: cfg.NudgeLead,
		metrics: cfg.Metrics, sms: cfg.SMS}
	o.unreachable.Store(1)
	return o
}

// Kick asks the sender to look at the outbox now.
func (o *Outbox) Kick() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx ends, on every kick and every Config.Every.
func (o *Outbox) Run(ctx context.Context) {
	t := time.NewTicker(o.every)
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
// staff member's texts merged into one. Recipients are served side by side
// (at most sendWorkers at once), each under a lease of their own, so that
// every replica sends and each recipient's messages still go out in order,
// one sender at a time; the claim of each message (versioned) keeps a copy
// read before another sender's settled from going out again.
func (o *Outbox) Flush(ctx context.Context) error {
	o.probe(ctx, o.now())
	for round := 0; round < 20; round++ {
		now := o.now().UTC()
		var due []*cases.OutboxMessage
		var err error
		if o.kfWaiting(now) {
			// Citizens' messages keep their place in the queue while kf
			// sends wait; a page of them must not hide staff messages,
			// which another API carries.
			due, err = o.repo.DueOutboxExcept(ctx, now, cases.ChannelKf, duePage)
		} else {
			due, err = o.repo.DueOutbox(ctx, now, duePage)
		}
		if u := cases.AsUnreadable(err); u != nil {
			// A message nobody can open must not stop the others.
			if moved, err := o.repo.SetAside(ctx, u, "unreadable"); err != nil {
				return fmt.Errorf("set unreadable message aside: %w", err)
			} else if moved {
				o.metrics.SetAside(u.Table)
				o.log.Error("unreadable message set aside", "table", u.Table, "key", u.Key)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("load due messages: %w", err)
		}
		if len(due) == 0 {
			return nil
		}
		progressed, err := o.deliverPage(ctx, due)
		if err != nil || !progressed {
			return err
		}
	}
	return nil
}

// duePage is how many due messages one round reads.
const duePage = 500

// sendWorkers bounds how many recipients one replica serves at once: WeCom
// answers in tens of milliseconds, so a few dozen calls in flight keep
// replies flowing at WeCom's own ceiling without crowding the database.
const sendWorkers = 16

// recipientLease names the lease of one recipient's messages.
func recipientLease(m *cases.OutboxMessage) string {
	return "outbox:" + string(m.Channel) + ":" + m.OpenKfID + ":" + m.Recipient
}

// deliverPage serves the recipients of one page of due messages side by side
// and reports whether it served any.
func (o *Outbox) deliverPage(ctx context.Context, due []*cases.OutboxMessage) (bool, error) {
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		first      error
		progressed bool
		slots      = make(chan struct{}, sendWorkers)
	)
	fail := func(err error) {
		mu.Lock()
		first = cmp.Or(first, err)
		mu.Unlock()
	}
	// Recipients in the order of their oldest due message: the citizens
	// who waited longest go first, and while kf sends must wait (WeCom's
	// limit, or the call budget is spent) their messages keep their place
	// instead of being pushed behind newer ones.
	for _, g := range groupByRecipient(due) {
		if ctx.Err() != nil {
			break
		}
		if g[0].Channel == cases.ChannelKf && o.kfWaiting(o.now()) {
			continue
		}
		slots <- struct{}{}
		lock, ok, err := o.locker.TryLock(ctx, recipientLease(g[0]), outboxLockTTL)
		if err != nil || !ok {
			<-slots
			if err != nil {
				fail(fmt.Errorf("lock recipient: %w", err))
				break
			}
			continue // another sender serves this recipient now
		}
		progressed = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			defer lock.Unlock(context.WithoutCancel(ctx))
			// The lease is renewed while this recipient is served; ctx ends
			// when it is lost, before another sender could overlap.
			leased, stop := storage.KeepLease(ctx, lock, outboxLockTTL, o.log)
			defer stop()
			err := o.deliverSafely(leased, g)
			if errors.Is(err, cases.ErrConflict) {
				// Changed meanwhile (the citizen wrote, a scheduler acted):
				// the next round reads it afresh.
				o.log.Warn("outbox message changed while being sent; read again next round", "err", err)
				return
			}
			if err != nil && leased.Err() != nil && ctx.Err() == nil {
				// The lease on the recipient was lost (Redis slow or
				// restarted): what went is settled, another sender may
				// have them now; the round goes on with the others. What
				// else went wrong is reported.
				o.log.Warn("lease on a recipient lost while sending; read again next round", "err", err)
				err = without(err, context.Canceled, storage.ErrLockLost)
			}
			if err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	return progressed, first
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

// deliverSafely delivers g, recovering from a panic: the message being sent
// has its attempt counted already (claim), so a message that panics every
// time is given up after maxSendAttempts, and the other recipients are
// served meanwhile.
func (o *Outbox) deliverSafely(ctx context.Context, g []*cases.OutboxMessage) (err error) {
	defer func() {
		if p := recover(); p != nil {
			ids := make([]int64, len(g))
			for i, m := range g {
				ids[i] = m.ID
			}
			o.metrics.Notification(string(g[0].Channel), "panic")
			o.log.Error("panic while sending; the attempt counts and the message is retried later",
				"outbox_ids", ids, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = nil
		}
	}()
	return o.deliverGroup(ctx, g)
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
		if err := o.settle(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// maxSendAttempts bounds retries of one message; then it is failed, visibly
// (or, if it must reach the citizen, becomes a phone task).
const maxSendAttempts = 10

// claimFor is how long a claimed message is left alone: should its sender
// die in the middle of the send, the message is due again as the sender's
// lease runs out, and the next sender retries it under the same key.
const claimFor = storage.LeaseTTL

// claim counts an attempt at m and moves its next try a lease ahead, before
// anything is sent, on the stored row at the version read. It reports false
// (and sends nothing) when the row changed since it was read (ErrConflict is
// returned: the copy is stale) or when m has had all its attempts, in which
// case m is given up on here. A crash or panic after the claim has spent the
// attempt.
func (o *Outbox) claim(ctx context.Context, m *cases.OutboxMessage, now time.Time) (bool, error) {
	if m.Attempts >= maxSendAttempts {
		giveUp(m)
		return false, o.settle(ctx, m)
	}
	m.Attempts++
	next := m.NextAttemptAt
	m.NextAttemptAt = now.Add(claimFor).UTC()
	if err := o.repo.UpdateOutbox(ctx, m); err != nil {
		m.Attempts--
		m.NextAttemptAt = next
		return false, fmt.Errorf("claim outbox message %d: %w", m.ID, err)
	}
	return true, nil
}

// giveUp fails m after its last attempt; settleIn turns a message that must
// reach the citizen into a phone task instead.
func giveUp(m *cases.OutboxMessage) {
	m.Status = cases.OutboxFailed
	if m.MustReach() {
		m.LastError = reasonSendFailed
	}
}

func (o *Outbox) retryLater(m *cases.OutboxMessage, err error, now time.Time) {
	m.LastError = err.Error()
	o.log.Warn("message not sent", "outbox_id", m.ID, "channel", m.Channel, "attempt", m.Attempts, "err", err)
	if m.Attempts >= maxSendAttempts {
		giveUp(m)
		return
	}
	backoff := 5 * time.Second << min(m.Attempts, 7) // 10 s … about 10 min
	m.NextAttemptAt = now.Add(backoff).UTC()
}

// When WeCom cannot be reached, every citizen's reply fails and waits out
// its own backoff (retryLater), and each citizen's later replies wait
// behind it. So that they are answered as soon as WeCom answers again, not
// when those backoffs run out (10 s to minutes later), the sender keeps two
// counts: kf calls that failed for WeCom's reasons with WeCom answering
// nothing from this sender for downAfter before or after the failure
// (unreachable; it starts at 1, for a replica restarted after an outage),
// and those of them dealt with (settled). While some are not, it tries
// early, every probeEvery or more, the reply whose next try comes soonest
// (probe), giving back its attempt and its next try should it fail
// (probeFailed): probing spends none of a message's attempts. Once WeCom
// answers a kf call, the replies waiting out a backoff are due at once
// (resumeRetries). A message WeCom keeps failing while it takes the others
// (a failure of its own that looks like WeCom's) is not counted, so it
// keeps its own backoff and attempts; where traffic is sparse (an answer
// less often than every 2 s), its failure can count and the next answer
// bring it forward for one more attempt.

// downAfter is how long WeCom must have answered nothing from this sender,
// before or after a kf call failed for WeCom's reasons, for the failure to
// count as WeCom unreachable.
const downAfter = 2 * time.Second

// resumeAfter is how far ahead a kf message's next try must be for
// resumeRetries and probe to bring it forward: past any claim's end
// (claimFor from the claim, plus a second for a replica whose clock runs
// ahead), so that a message in flight is normally left to its sender.
// (Were it brought forward, its recipient's lease and its versioned
// settlement would still keep another sender off it, and WeCom would
// answer its send key as taken.)
const resumeAfter = claimFor + time.Second

// probeEvery is how often, at first, a reply is tried early while WeCom
// seems unreachable; each early try WeCom fails doubles the wait, up to
// probeAtMost.
const (
	probeEvery  = 3 * time.Second
	probeAtMost = 10 * time.Second
)

// wecomFailed is called once the fate of a kf call that failed for WeCom's
// reasons is written, so that a resume after it sees the message's backoff.
func (o *Outbox) wecomFailed() {
	now := o.now()
	o.mu.Lock()
	recent := now.Sub(o.lastAnswer) < downAfter
	if recent {
		// Counted once WeCom has answered nothing for downAfter after it
		// either (probe): a burst of replies cut off by an outage, with
		// nothing to send after it, must not wait out its backoff.
		o.suspectAt = now
	}
	o.mu.Unlock()
	if !recent {
		o.unreachable.Add(1)
	}
}

// confirmSuspect counts the last failure wecomFailed did not count, if
// WeCom has answered nothing for downAfter since it.
func (o *Outbox) confirmSuspect(now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.suspectAt.IsZero() || now.Sub(o.suspectAt) < downAfter {
		return
	}
	if o.lastAnswer.Before(o.suspectAt) {
		o.unreachable.Add(1)
	}
	o.suspectAt = time.Time{}
}

// wecomAnswered is called once the fate of a kf call WeCom answered (it
// took the message, or refused it for the message's own reasons) is
// written: the replies waiting after WeCom's failures are due now.
func (o *Outbox) wecomAnswered(ctx context.Context) {
	o.mu.Lock()
	o.lastAnswer = o.now()
	o.probeWait = 0
	o.mu.Unlock()
	o.resumeRetries(ctx)
}

// answered reports whether a call that ended with err (nil: it went) was
// answered by WeCom: not a call cut short by the sender (its lease lost, a
// shutdown), refused before it was made, or failed for WeCom's reasons.
func answered(err error) bool {
	return err == nil || (wecom.ErrCode(err) != 0 && !wecom.Transient(err))
}

// resumeRetries makes due now, if WeCom seemed unreachable, the kf messages
// waiting out a backoff after a failed send (WeCom's failures or, now and
// then, the message's own: they come forward for one more attempt).
func (o *Outbox) resumeRetries(ctx context.Context) {
	failed := o.unreachable.Load()
	if failed <= o.settled.Load() {
		return
	}
	ctx, cancel := recordCtx(ctx)
	defer cancel()
	now := o.now()
	n, err := o.repo.ResumeKfRetries(ctx, now, now.Add(resumeAfter))
	if err != nil {
		// The next message WeCom takes tries again.
		o.log.Warn("resume retries after WeCom answered again", "err", err)
		return
	}
	o.settledUpTo(failed)
	if n > 0 {
		o.log.Info("WeCom answers again: citizens' messages waiting to be retried are due now", "messages", n)
		o.Kick()
	}
}

// settledUpTo records that the failures counted up to failed are dealt
// with (a later failure counts beyond it).
func (o *Outbox) settledUpTo(failed int64) {
	for {
		s := o.settled.Load()
		if failed <= s || o.settled.CompareAndSwap(s, failed) {
			return
		}
	}
}

// probed is a message made due early to find out whether WeCom answers
// again: its id, the version probe wrote, and when it was due before.
type probed struct {
	id      int64
	version int64
	next    time.Time
}

// probe makes due now the reply waiting out a backoff whose next try comes
// soonest, if WeCom seems unreachable, kf sends are not paused, and the
// last early try was long enough ago.
func (o *Outbox) probe(ctx context.Context, now time.Time) {
	o.confirmSuspect(now)
	failed := o.unreachable.Load()
	if failed <= o.settled.Load() || o.kfWaiting(now) {
		return
	}
	o.mu.Lock()
	wait := now.Before(o.nextProbe)
	o.mu.Unlock()
	if wait {
		return
	}
	m, err := o.repo.NextKfRetry(ctx, now.Add(resumeAfter))
	if errors.Is(err, cases.ErrNotFound) {
		o.settledUpTo(failed) // nothing waits
		return
	}
	if err != nil {
		o.log.Warn("find a retry to try WeCom with", "err", err)
		return
	}
	next := m.NextAttemptAt
	m.NextAttemptAt = now.UTC()
	if err := o.repo.UpdateOutbox(ctx, m); err != nil {
		// Changed meanwhile (sent, the citizen wrote): the next probe
		// looks again.
		o.log.Warn("make a retry due to try WeCom with", "outbox_id", m.ID, "err", err)
		return
	}
	o.mu.Lock()
	o.probing = probed{id: m.ID, version: m.Version, next: next}
	o.probeWait = min(max(2*o.probeWait, probeEvery), probeAtMost)
	o.nextProbe = now.Add(o.probeWait)
	o.mu.Unlock()
}

// failedKf decides the next try of m, a kf message whose call failed with
// err (not WeCom's "later"): the one it had before, if it was tried early
// (probeFailed), else after its backoff (retryLater).
func (o *Outbox) failedKf(m *cases.OutboxMessage, err error, now time.Time) {
	if !o.probeFailed(m, err) {
		o.retryLater(m, err, now)
	}
}

// probeFailed reports whether m, which failed, is the message probe made
// due, claimed from the version probe wrote; if so, m gets back its attempt
// and the next try it had, whatever the failure.
func (o *Outbox) probeFailed(m *cases.OutboxMessage, err error) bool {
	o.mu.Lock()
	p := o.probing
	ours := p.id != 0 && p.id == m.ID && m.Version == p.version+1
	if ours {
		o.probing = probed{}
	}
	o.mu.Unlock()
	if !ours {
		return false
	}
	m.Attempts--
	m.LastError = err.Error()
	m.NextAttemptAt = p.next
	o.log.Info("a message tried early to see whether WeCom answers again failed; it waits for its own next try",
		"outbox_id", m.ID, "err", err)
	return true
}

// later handles WeCom's frequency limit (45009, 45033), the pause kept after
// one, or the call budget spent for now (err): WeCom did not take the
// message, so the attempt is given back. A message to a citizen keeps its
// place in the queue (due, its next try as before the claim) and kf sends
// wait as a whole; other messages wait until the API may be called again.
func (o *Outbox) later(ctx context.Context, m *cases.OutboxMessage, due time.Time, err error, wait time.Duration, now time.Time) error {
	o.postpone(m, due, err, wait, now)
	return o.settle(ctx, m)
}

// postpone is later without the settlement, for a caller that writes it
// with others (settleRun).
func (o *Outbox) postpone(m *cases.OutboxMessage, due time.Time, err error, wait time.Duration, now time.Time) {
	m.Attempts--
	m.LastError = reasonFreqLimit
	if wecom.IsBudget(err) {
		m.LastError = reasonCallBudget
	}
	m.NextAttemptAt = now.Add(wait).UTC()
	if m.Channel == cases.ChannelKf {
		o.kfWait(now, wait, wecom.IsBudget(err))
		m.NextAttemptAt = due
	}
}

// settle saves the message's new state and the notification's fate on the
// case timeline, in one transaction.
func (o *Outbox) settle(ctx context.Context, m *cases.OutboxMessage) error {
	ctx, cancel := recordCtx(ctx)
	defer cancel()
	return o.repo.InTx(ctx, func(r cases.Repo) error { return o.settleIn(ctx, r, m, o.now()) })
}

// fateLabel is a notification's fate as a metric label: a pending message
// that failed is waiting for a retry.
func fateLabel(m *cases.OutboxMessage) string {
	if m.Status == cases.OutboxPending {
		return "retry"
	}
	return string(m.Status)
}

// outboxLockTTL is a recipient's lease: short, and renewed while their
// messages are sent (storage.KeepLease), so that a sender that died is
// replaced within seconds.
const outboxLockTTL = storage.LeaseTTL

// recordCtx is the context for saving what WeCom answered. Once a message has
// gone out its fate must be written even while the process shuts down;
// otherwise the next start would send it a second time.
func recordCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

func (o *Outbox) settleIn(ctx context.Context, r cases.Repo, m *cases.OutboxMessage, now time.Time) error {
	if err := o.phoneInstead(ctx, r, m); err != nil {
		return err
	}
	o.metrics.Notification(string(m.Channel), fateLabel(m))
	return writeSettled(ctx, r, m, now)
}

// settleRows is settleIn without counting the fate in the metrics, for a
// caller that counts it once its transaction has committed (settleRun,
// which may write the same settlement again when that fails).
func (o *Outbox) settleRows(ctx context.Context, r cases.Repo, m *cases.OutboxMessage, now time.Time) error {
	if err := o.phoneInstead(ctx, r, m); err != nil {
		return err
	}
	return writeSettled(ctx, r, m, now)
}

// phoneInstead turns a failed message that must reach the citizen into a
// phone task, in r's transaction.
func (o *Outbox) phoneInstead(ctx context.Context, r cases.Repo, m *cases.OutboxMessage) error {
	if m.Status == cases.OutboxFailed && m.MustReach() && o.tasks != nil {
		// The answer, a material request or the rating question that WeChat
		// cannot deliver: staff phone the citizen.
		m.Status = cases.OutboxPhoneTask
		if err := o.tasks.PhoneTask(ctx, r, m.CaseID, m.LastError); err != nil {
			return err
		}
	}
	return nil
}

// writeSettled writes m's new state and the notification's fate. (A
// contact is never written with it: the window counts m by its own state,
// and a contact saved whole would count it twice; see storage.SaveContact.)
func writeSettled(ctx context.Context, r cases.Repo, m *cases.OutboxMessage, now time.Time) error {
	if err := r.UpdateOutbox(ctx, m); err != nil {
		return fmt.Errorf("save message state: %w", err)
	}
	return appendFate(ctx, r, m, now)
}

// appendFate puts the fate of m, a message about a case, on the case's
// timeline; a message still pending has none yet.
func appendFate(ctx context.Context, r cases.Repo, m *cases.OutboxMessage, now time.Time) error {
	if m.CaseID == 0 || m.Status == cases.OutboxPending {
		return nil
	}
	ev := &cases.Event{CaseID: m.CaseID, At: now.UTC(), Actor: cases.ActorSystem, Kind: cases.EventNotification, Body: Fate(m),
		Data: cases.EventData(cases.OutboxFate{OutboxID: m.ID, Status: m.Status})}
	if err := r.AppendEvent(ctx, ev); err != nil {
		return fmt.Errorf("record notification fate: %w", err)
	}
	return nil
}
