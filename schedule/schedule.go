// Package schedule runs the case lifecycle's clock: every tick it recomputes
// the lights of open cases and reminds people when one turns yellow or red,
// follows up resolved cases whose citizen has not rated them (a reminder,
// then a phone task for staff), and lets the message-budget planner nudge
// citizens whose window is closing and give staff the answers nobody could
// deliver.
//
// One replica runs it at a time: leadership is a short lease (Redis, a MySQL
// GET_LOCK without Redis, or in process on the embedded default;
// storage.LeaseTTL) renewed every third of
// it, between ticks and during them; a replica that dies loses it within
// seconds, and another, which tries to take it just as often, takes over and
// ticks at once. Nothing
// depends on leadership for correctness, though: every reminder is recorded
// as fired in the transaction that queues it (a once-mark, and the case's
// optimistic version for its light), so two replicas that both believe they
// lead still remind once.
//
// Every tick compares the state of each case with now, not with the previous
// tick, so a scheduler that was down catches up on its first tick: a case that
// went from green to red meanwhile gets its red reminder (the yellow one is no
// longer news), and a follow-up reminder that fell due is sent; the phone task
// then follows CallWait after that reminder actually went out.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/metrics"
	"banchengshi/storage"
)

// Follow-up timing: the citizen has FollowUpWait after the answer to rate it;
// after the reminder, CallWait more before staff phone them. Two days after
// the reminder rather than one: elderly citizens answer slowly, and the
// reminder may itself wait in the outbox for the citizen's window to reopen.
const (
	FollowUpWait = 72 * time.Hour
	CallWait     = 48 * time.Hour
)

// leaderKey names the leadership lock.
const leaderKey = "schedule:leader"

// pageSize is how many cases one query reads.
const pageSize = 200

// Planner is what the scheduler asks of the message-budget planner
// (notify.Outbox) every tick.
type Planner interface {
	// Nudge invites a reply from citizens whose window closes soon.
	Nudge(ctx context.Context) error
	// EscalateHeld turns answers held too long into phone tasks.
	EscalateHeld(ctx context.Context) error
	// Kick asks the outbox to send what the tick queued.
	Kick()
}

// Config wires a Scheduler.
type Config struct {
	Repo    cases.Repo
	Locker  storage.Locker
	Desk    *desk.Desk
	Planner Planner      // nil: no nudges and no escalation of held answers
	Log     *slog.Logger // nil discards
	Now     func() time.Time
	// Every is the tick interval; default one minute.
	Every time.Duration
	// Lease is how long leadership lasts unless renewed; default
	// storage.LeaseTTL. Run renews it (or, on a follower, tries to take it)
	// every third of it.
	Lease time.Duration
	// SessionTTL, when set, is how long an untouched dialog session (and its
	// draft files) is kept: drafts expire after BCS_DRAFT_TTL, so keeping
	// them longer only keeps citizens' words nobody will come back for.
	SessionTTL time.Duration
	// Metrics counts the rounds done while leading; nil counts nothing.
	Metrics *metrics.Metrics
}

// Scheduler is one replica's scheduler.
type Scheduler struct {
	cfg Config

	mu        sync.Mutex // one tick at a time: Run's and a test's
	lock      storage.Lock
	lastPurge time.Time
}

// New returns a Scheduler; call Run, or Tick from a test.
func New(cfg Config) *Scheduler {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Every <= 0 {
		cfg.Every = time.Minute
	}
	if cfg.Lease <= 0 {
		cfg.Lease = storage.LeaseTTL
	}
	return &Scheduler{cfg: cfg}
}

// Run ticks every interval until ctx ends, then gives up leadership. Between
// ticks it renews leadership, or on a follower tries to take it, every third
// of the lease; a follower that takes it over ticks at once.
func (s *Scheduler) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Every)
	defer t.Stop()
	lease := time.NewTicker(s.cfg.Lease / 3)
	defer lease.Stop()
	defer s.Resign(context.WithoutCancel(ctx))
	tick := true
	for {
		if tick {
			if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Log.Error("scheduler tick", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			tick = true
		case <-lease.C:
			tick = s.renew(ctx)
		}
	}
}

// renew keeps leadership between ticks, or takes it when nobody holds it; it
// reports whether this replica has just taken it over (and should tick now).
func (s *Scheduler) renew(ctx context.Context) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock != nil {
		if err := s.lock.Refresh(ctx, s.cfg.Lease); err != nil {
			s.lock = nil
			s.cfg.Log.Warn("scheduler leadership lost", "err", err)
		}
		return false
	}
	l, ok, err := s.cfg.Locker.TryLock(ctx, leaderKey, s.cfg.Lease)
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Log.Warn("take scheduler leadership", "err", err)
		}
		return false
	}
	if ok {
		s.lock = l
	}
	return ok
}

// Tick does one round if this replica leads (taking leadership when nobody
// holds it) and reports whether it did.
func (s *Scheduler) Tick(ctx context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok, err := s.lead(ctx)
	if err != nil || !ok {
		return false, err
	}
	// Renewed during the round too; ctx ends if leadership is lost.
	ctx, stop := storage.KeepLease(ctx, s.lock, s.cfg.Lease, s.cfg.Log)
	defer stop()
	now := s.cfg.Now()
	var errs []error
	if err := s.lights(ctx, now); err != nil {
		errs = append(errs, err)
	}
	if err := s.followUps(ctx, now); err != nil {
		errs = append(errs, err)
	}
	if err := s.purge(ctx); err != nil {
		errs = append(errs, err)
	}
	if p := s.cfg.Planner; p != nil {
		if err := p.Nudge(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := p.EscalateHeld(ctx); err != nil {
			errs = append(errs, err)
		}
		p.Kick()
	}
	err = errors.Join(errs...)
	s.cfg.Metrics.ScheduleRound(err)
	return true, err
}

// purge removes stale sessions and draft files, at most once an hour.
func (s *Scheduler) purge(ctx context.Context) error {
	if s.cfg.SessionTTL <= 0 || time.Since(s.lastPurge) < time.Hour {
		return nil
	}
	n, err := s.cfg.Repo.PurgeStale(ctx, s.cfg.SessionTTL)
	if err != nil {
		return fmt.Errorf("purge stale sessions: %w", err)
	}
	s.lastPurge = time.Now()
	if n > 0 {
		s.cfg.Log.Info("stale dialog sessions removed", "count", n)
	}
	return nil
}

// Resign gives up leadership so that another replica takes over at once.
func (s *Scheduler) Resign(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock != nil {
		_ = s.lock.Unlock(ctx) // an expired lock is given up already
		s.lock = nil
	}
}

// lead keeps or takes leadership.
func (s *Scheduler) lead(ctx context.Context) (bool, error) {
	ttl := s.cfg.Lease
	if s.lock != nil {
		err := s.lock.Refresh(ctx, ttl)
		if err == nil {
			return true, nil
		}
		s.lock = nil
		if !errors.Is(err, storage.ErrLockLost) {
			return false, fmt.Errorf("keep scheduler leadership: %w", err)
		}
		s.cfg.Log.Warn("scheduler leadership lost")
	}
	l, ok, err := s.cfg.Locker.TryLock(ctx, leaderKey, ttl)
	if err != nil {
		return false, fmt.Errorf("take scheduler leadership: %w", err)
	}
	if ok {
		s.lock = l
	}
	return ok, nil
}

// keep refreshes leadership between pages of a long tick; a replica that lost
// it stops, and the new leader carries on.
func (s *Scheduler) keep(ctx context.Context) error {
	if s.lock == nil {
		return storage.ErrLockLost
	}
	if err := s.lock.Refresh(ctx, s.cfg.Lease); err != nil {
		s.lock = nil
		return fmt.Errorf("keep scheduler leadership: %w", err)
	}
	return nil
}

// eachCase calls fn for every case in one of the statuses, newest first, a
// page at a time (keyset by id, so cases changing status meanwhile are
// neither repeated nor skipped among those that stay).
func (s *Scheduler) eachCase(ctx context.Context, statuses []cases.Status, fn func(*cases.Case) error) error {
	var after int64
	for {
		page, err := s.cfg.Repo.ListCases(ctx, cases.Filter{Status: statuses, AfterID: after, Limit: pageSize})
		if err != nil {
			return fmt.Errorf("list cases: %w", err)
		}
		for _, c := range page {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		after = page[len(page)-1].ID
		if err := s.keep(ctx); err != nil {
			return err
		}
	}
}
