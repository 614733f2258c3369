package intake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
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
	if in.isolate(ctx, batch, true) {
		in.Kick()
	}
}

// isolate stores batch and answers every caller in it; it reports whether
// any callback was new. One bad callback (a key too long for its column,
// say) must not fail the others that shared its batch: when the batch fails
// for a reason that may lie in one of its callbacks, each half of it is
// stored on its own, down to single callbacks. The halves of a whole batch
// share one more receiveTimeout, so that the callbacks queued behind it
// still get their answer within WeCom's patience.
func (in *Intake) isolate(ctx context.Context, batch []*arrival, whole bool) bool {
	isNew, err := in.saveArrivals(ctx, batch)
	if err == nil || len(batch) == 1 || !rowAtFault(err) || ctx.Err() != nil {
		return answer(batch, isNew, err)
	}
	if whole {
		in.log.Warn("storing a batch of callbacks failed; storing it again in parts", "callbacks", len(batch), "err", err)
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, receiveTimeout)
		defer cancel()
	}
	mid := len(batch) / 2
	first := in.isolate(ctx, batch[:mid], false)
	return in.isolate(ctx, batch[mid:], false) || first
}

// saveArrivals stores the callbacks of batch in one transaction and reports
// which were new, in order.
func (in *Intake) saveArrivals(ctx context.Context, batch []*arrival) ([]bool, error) {
	recs := make([]*cases.Inbound, len(batch))
	for i, a := range batch {
		recs[i] = a.rec
	}
	isNew, err := in.saveBatch(ctx, recs)
	if err == nil && len(isNew) != len(recs) {
		err = fmt.Errorf("the store answered for %d callbacks of %d", len(isNew), len(recs))
	}
	return isNew, err
}

// answer tells the callers of batch what became of their callbacks: isNew
// by position, or err for all; it reports whether any was new.
func answer(batch []*arrival, isNew []bool, err error) (kick bool) {
	if err != nil {
		err = fmt.Errorf("store %d callbacks: %w", len(batch), err)
	}
	for i, a := range batch {
		a.err = err
		if err == nil {
			a.isNew = isNew[i]
			kick = kick || isNew[i]
		}
		close(a.done)
	}
	return kick
}

// rowAtFault reports whether a failed batch may have failed because of one
// of its rows (the database refused a value), so that storing it in parts
// can save the others. A timeout, a lost connection, a transaction that lost
// to others after its retries or a panic say nothing about the rows: parts
// would only fail the same way, one after another.
func rowAtFault(err error) bool {
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, cases.ErrConflict), errors.Is(err, errPanic), errors.As(err, &netErr):
		return false
	}
	return true
}

// errPanic marks a batch whose store panicked.
var errPanic = errors.New("panic")

// saveBatch stores recs, turning a panic into an error: every caller of the
// batch is answered (WeCom gets its 500 and tries again), and the next batch
// is committed as usual.
func (in *Intake) saveBatch(ctx context.Context, recs []*cases.Inbound) (isNew []bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			in.log.Error("panic while storing callbacks", "callbacks", len(recs), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			isNew, err = nil, fmt.Errorf("%w: %v", errPanic, p)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, receiveTimeout)
	defer cancel()
	return in.repo.SaveInbounds(ctx, recs)
}
