package intake

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"banchengshi/storage"
)

// Pulled kf messages are handled by citizen, on every replica. A worker
// takes a citizen with unhandled messages (the one who has waited longest
// first) under a lease of the citizen's own, handles their messages in
// order (handleCitizen) for a bounded while (leaseBatches) and lets the
// lease go. Two workers, here or on another replica, never serve one citizen
// at once, and a citizen's message is never handled before an earlier one,
// not even one waiting for its retry; different citizens are handled side
// by side everywhere, so another replica adds handling capacity. The puller wakes the workers of every
// replica as it stores each page (stored); workers also look every
// Config.Every, for retries and for notices that were lost.

// kfStored is the Signal topic of a stored page of kf messages.
const kfStored storage.Topic = "kf_stored"

// handleWorkers bounds how many citizens one replica handles at once. A
// worker spends most of a message waiting, on the database's commits and,
// for a photo or a voice message, on WeCom's media download: eight keep the
// two cores of a small replica busy while leaving most of its 24 database
// connections (storage.MySQLMaxOpenConns) to the outbox's senders and the
// callbacks. On MySQL without Redis each worker also holds a lock connection
// (storage.DBLocker) while it serves a citizen.
const handleWorkers = 8

const (
	// citizenPage is how many citizens one listing reads; a round reads on
	// while the pages are full.
	citizenPage = 100
	// citizenBatch is how many of one citizen's messages one read takes; a
	// worker reads again while it makes progress.
	citizenBatch = 100
	// leaseBatches bounds the reads one worker serves a citizen for before
	// it lets them go: a citizen who keeps writing must not hold a worker
	// for good, or a few of them would hold every worker while everyone
	// else waits. Let go, they are found again by the next round, behind
	// the citizens who have waited longer.
	leaseBatches = 5
)

// citizenLease names the lease of one citizen's kf messages.
func citizenLease(c citizen) string { return "kf-citizen:" + c.openKfID + ":" + c.user }

// citizen is one citizen's conversation with one kf account.
type citizen struct{ openKfID, user string }

// workers is one replica's handling of pulled kf messages.
type workers struct {
	slots chan struct{} // one per worker running
	wake  chan struct{} // there may be work: look now

	mu sync.Mutex
	// busy holds the citizens served here; true once a round passed one
	// over, so that the round after it is done looks again (new messages
	// may have come after the worker's last read).
	busy map[citizen]bool
}

func newWorkers() *workers {
	return &workers{slots: make(chan struct{}, handleWorkers), wake: make(chan struct{}, 1), busy: map[citizen]bool{}}
}

// poke asks the workers' loop to look for work now.
func (w *workers) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// claim marks c served here, or reports false (and marks it passed over)
// when it is already.
func (w *workers) claim(c citizen) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.busy[c]; ok {
		w.busy[c] = true
		return false
	}
	w.busy[c] = false
	return true
}

// done ends the service of c here; a round passed over meanwhile looks
// again.
func (w *workers) done(c citizen) {
	w.mu.Lock()
	passed := w.busy[c]
	delete(w.busy, c)
	w.mu.Unlock()
	if passed {
		w.poke()
	}
}

// stored tells the workers of every replica that a page of kf messages was
// stored: this replica's at once, the others' through the Signal. A lost
// notice costs latency only: workers look every interval anyway.
func (in *Intake) stored(ctx context.Context) {
	in.workers.poke()
	if in.signal == nil {
		return
	}
	if err := in.signal.Notify(ctx, kfStored); err != nil && ctx.Err() == nil {
		in.log.Warn("tell other replicas of stored kf messages", "err", err)
	}
}

// runWorkers handles pulled kf messages until ctx ends: when woken by a
// puller (here or on another replica) and every Config.Every, for retries.
// It returns after its workers.
func (in *Intake) runWorkers(ctx context.Context) {
	var running sync.WaitGroup
	defer running.Wait()
	var notices <-chan struct{}
	subscribe := func() {
		if in.signal == nil || notices != nil {
			return
		}
		ch, err := in.signal.Subscribe(ctx, kfStored)
		if err != nil {
			// Polling serves meanwhile; the next tick tries again.
			in.log.Warn("listen for other replicas' kf messages", "err", err)
			return
		}
		notices = ch
	}
	subscribe()
	t := time.NewTicker(in.every)
	defer t.Stop()
	for {
		if err := in.handleRound(ctx, &running); err != nil && ctx.Err() == nil {
			in.log.Error("handle kf messages", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-in.workers.wake:
		case <-notices:
		case <-t.C:
			subscribe()
		}
	}
}

// handleRound starts a worker for every citizen with messages due, the
// citizen who has waited longest first, as slots free up, and returns when
// each listed citizen has a worker (added to running), is served elsewhere
// or must wait. Workers outlive the round.
func (in *Intake) handleRound(ctx context.Context, running *sync.WaitGroup) error {
	after := int64(0)
	for {
		list, err := in.repo.PendingKfCitizens(ctx, after, citizenPage)
		if err != nil {
			return fmt.Errorf("list citizens with pending kf messages: %w", err)
		}
		for _, first := range list {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !kfDue(first, in.now()) {
				continue // their later messages wait with it
			}
			c := citizen{first.OpenKfID, first.ExternalUserID}
			if !in.workers.claim(c) {
				continue
			}
			select {
			case in.workers.slots <- struct{}{}:
			case <-ctx.Done():
				in.workers.done(c)
				return ctx.Err()
			}
			lock, ok, err := in.locker.TryLock(ctx, citizenLease(c), lockTTL)
			if err != nil || !ok {
				<-in.workers.slots
				in.workers.done(c)
				if err != nil {
					return fmt.Errorf("lease citizen: %w", err)
				}
				continue // another replica serves them now
			}
			running.Add(1)
			go func() {
				defer running.Done()
				in.serve(ctx, c, lock)
			}()
		}
		if len(list) < citizenPage {
			return nil
		}
		after = list[len(list)-1].ID
	}
}

// serve handles c's messages under the lease lock, then lets it go.
func (in *Intake) serve(ctx context.Context, c citizen, lock storage.Lock) {
	// The lease is renewed while c is served; leased ends when it is lost,
	// before another worker could take c over.
	leased, stop := storage.KeepLease(ctx, lock, lockTTL, in.log)
	more, err := in.serveLeased(leased, c)
	stop()
	lock.Unlock(context.WithoutCancel(ctx))
	// In this order: a round that finds c still busy here looks again
	// after done, when the lease is free.
	in.workers.done(c)
	<-in.workers.slots
	if more {
		in.workers.poke() // c back in line
	}
	in.released()
	if err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
		in.log.Error("handle a citizen's kf messages", "open_kfid", c.openKfID, "external_userid", c.user, "err", err)
	}
}

// serveLeased handles c's pending messages in order while it makes
// progress: messages stored while it worked are handled under the same
// lease, and it stops at a message that must wait. After leaseBatches reads
// it stops anyway and reports more: c may have messages left, to be served
// in a later round.
func (in *Intake) serveLeased(ctx context.Context, c citizen) (more bool, err error) {
	var first int64
	for range leaseBatches {
		msgs, err := in.pendingOf(ctx, c)
		if err != nil {
			return false, fmt.Errorf("read pending kf messages: %w", err)
		}
		if len(msgs) == 0 || msgs[0].ID == first {
			return false, nil // all handled, or the first must wait
		}
		first = msgs[0].ID
		if err := in.handleCitizen(ctx, msgs); err != nil {
			return false, err
		}
	}
	return true, nil
}

// handlePending handles what is pending once, waiting for its workers.
func (in *Intake) handlePending(ctx context.Context) error {
	var running sync.WaitGroup
	err := in.handleRound(ctx, &running)
	running.Wait()
	return err
}
