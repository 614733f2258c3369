package intake

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"banchengshi/cases"
)

// Callbacks are stored by group commit. Under a burst WeCom has hundreds of
// callbacks in flight at once, each waiting for its row to be durable before
// it is answered; one transaction each would make them queue for the
// database's commits. Instead, whatever arrives while one batch commits goes
// into the next, one multi-row INSERT in one transaction: there is no timer,
// so a lone callback is stored at once, as before, and a crowd shares
// commits. Every caller is answered after its own row is durable (or known
// as a repeat); when a batch fails, every caller in it gets the error (and
// WeCom a 500, so it tries again).

// receiveBatch bounds the callbacks of one batch.
const receiveBatch = 500

// receiveTimeout bounds the commit of a batch. It does not follow the
// context of the caller that started it, whose WeCom may give up while the
// batch carries other callers' rows: WeCom waits 5 s for an answer.
const receiveTimeout = 10 * time.Second

// receiver is the group commit of stored callbacks; its zero value is ready.
type receiver struct {
	mu      sync.Mutex
	queue   []*arrival
	running bool // a batch is being committed; new arrivals wait for the next
}

// arrival is one callback waiting for its batch.
type arrival struct {
	rec   *cases.Inbound
	done  chan struct{}
	isNew bool
	err   error
}

// save stores rec in the next batch and reports whether it was new, once
// its batch has committed. A caller that finds no batch committing commits
// one itself (its own callback and any that joined meanwhile); the batches
// that queue behind it are committed by a goroutine, so that its own answer
// does not wait for them.
func (in *Intake) save(ctx context.Context, rec *cases.Inbound) (bool, error) {
	a := &arrival{rec: rec, done: make(chan struct{})}
	r := &in.receive
	r.mu.Lock()
	r.queue = append(r.queue, a)
	lead := !r.running
	r.running = true
	r.mu.Unlock()
	if lead {
		in.commitBatch(context.WithoutCancel(ctx))
		r.mu.Lock()
		more := len(r.queue) > 0
		r.running = more
		r.mu.Unlock()
		if more {
			go in.commitQueued(context.WithoutCancel(ctx))
		}
	}
	select {
	case <-a.done:
		return a.isNew, a.err
	case <-ctx.Done():
		// The batch may still store it; WeCom's retry is then a repeat.
		return false, ctx.Err()
	}
}

// commitQueued commits batches until none waits.
func (in *Intake) commitQueued(ctx context.Context) {
	r := &in.receive
	for {
		in.commitBatch(ctx)
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
	}
}

// commitBatch stores the callbacks waiting now (up to receiveBatch) in one
// transaction and answers their callers.
func (in *Intake) commitBatch(ctx context.Context) {
	r := &in.receive
	r.mu.Lock()
	n := min(len(r.queue), receiveBatch)
	batch := r.queue[:n:n]
	r.queue = r.queue[n:]
	r.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	recs := make([]*cases.Inbound, len(batch))
	for i, a := range batch {
		recs[i] = a.rec
	}
	isNew, err := in.saveBatch(ctx, recs)
	if err == nil && len(isNew) != len(recs) {
		err = fmt.Errorf("the store answered for %d callbacks of %d", len(isNew), len(recs))
	}
	kick := false
	if err != nil && len(batch) > 1 {
		// One bad callback (a key too long for its column, say) must not
		// fail the others that shared its batch: each is tried alone.
		in.log.Warn("storing a batch of callbacks failed; storing them one by one", "callbacks", len(batch), "err", err)
		for _, a := range batch {
			a.isNew, a.err = in.saveOne(ctx, a.rec)
			kick = kick || a.isNew
			close(a.done)
		}
	} else {
		if err != nil {
			err = fmt.Errorf("store %d callbacks: %w", len(recs), err)
		}
		for i, a := range batch {
			a.err = err
			if err == nil {
				a.isNew = isNew[i]
				kick = kick || isNew[i]
			}
			close(a.done)
		}
	}
	if kick {
		in.Kick()
	}
}

// saveOne stores one callback of a batch that failed, in a transaction of
// its own.
func (in *Intake) saveOne(ctx context.Context, rec *cases.Inbound) (isNew bool, err error) {
	got, err := in.saveBatch(ctx, []*cases.Inbound{rec})
	if err == nil && len(got) != 1 {
		err = fmt.Errorf("the store answered for %d callbacks of 1", len(got))
	}
	if err != nil {
		return false, fmt.Errorf("store callback: %w", err)
	}
	return got[0], nil
}

// saveBatch stores recs, turning a panic into an error: every caller of the
// batch is answered (WeCom gets its 500 and tries again), and the next batch
// is committed as usual.
func (in *Intake) saveBatch(ctx context.Context, recs []*cases.Inbound) (isNew []bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			in.log.Error("panic while storing callbacks", "callbacks", len(recs), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			isNew, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, receiveTimeout)
	defer cancel()
	return in.repo.SaveInbounds(ctx, recs)
}
