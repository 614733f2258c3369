package intake

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"banchengshi/cases"
	"banchengshi/notify/queue"
	"banchengshi/storage"
	"banchengshi/wecom"
)

// errBusy means another worker holds the kf account's lock.
var errBusy = errors.New("kf account is being pulled by another worker")

// errNotPulled marks a pull that failed for want of what pulling needs, not
// for anything the callbacks or the messages hold: WeCom did not take
// sync_msg for its own reasons or the network's (wecom.Transient: no
// answer, an HTTP status, errcode -1, the access token refused even fresh,
// as after the corp secret was changed; not an answer that cannot be read),
// or the lease that keeps pullers one at a time could not be taken or was
// lost. Trying again later will do; see notPulled.
var errNotPulled = errors.New("could not pull")

// A pull that could not be made says nothing against its callbacks. It is
// recorded on them as an attempt, so that callbacks stored since are listed
// before them and the row shows why they wait, but not as a failure: it
// never gives one up, and their next try waits at most restMost. Counted as
// failures, they were given up after about four minutes of an outage, or
// waited minutes for their next try, and the messages written meanwhile
// waited for the next callback or the catch-up (up to five minutes after
// WeCom was back). So pulling resumes within restMost of WeCom answering
// again, however long it was away, on any replica and after a restart alike
// (the rows say it), at about six calls a minute for each page of callbacks
// waiting, besides the pull each new callback brings. Only the callback's
// own failures (cases.Inbound's Failures) give it up: the outage's tries
// neither bring that forward nor put it off.
const restMost = 10 * time.Second

// notPulled reports whether the last attempt at rec was a pull that could
// not be made.
func notPulled(rec *cases.Inbound) bool {
	return strings.HasPrefix(rec.LastError, errNotPulled.Error()+":")
}

const (
	// lockTTL is the lease of a kf account's puller and of a citizen's
	// worker: short, and renewed while they work (storage.KeepLease), so
	// that one that died is replaced within seconds.
	lockTTL = storage.LeaseTTL
	// maxPages bounds one sync run; the next callback or tick carries on.
	maxPages  = 200
	syncLimit = 1000
)

func kfLockKey(openKfID string) string { return "kf:" + openKfID }

// sync pulls every new message of one kf account and stores each page with
// the cursor that follows it, in one transaction, until WeCom has no more.
// Only one worker across all replicas pulls an account at a time (its lease
// is held for pulling alone): two pullers would store pages out of order. It
// does not handle what it pulls: each stored page wakes the workers of every
// replica (workers.go), and the puller goes on to the next page at once.
func (in *Intake) sync(ctx context.Context, openKfID, token string) error {
	_, err := in.syncAll(ctx, openKfID, token)
	return err
}

// syncAll is sync, reporting whether it took everything WeCom had when it
// began: false when it stopped at maxPages.
func (in *Intake) syncAll(ctx context.Context, openKfID, token string) (all bool, err error) {
	if openKfID == "" {
		return false, errors.New("kf callback without OpenKfId")
	}
	lock, ok, err := in.locker.TryLock(ctx, kfLockKey(openKfID), lockTTL)
	if err != nil {
		return false, fmt.Errorf("%w: lock kf account: %w", errNotPulled, err)
	}
	if !ok {
		return false, errBusy
	}
	defer lock.Unlock(context.WithoutCancel(ctx))
	ctx, stop := storage.KeepLease(ctx, lock, lockTTL, in.log)
	defer stop()
	defer func() {
		if err != nil && !errors.Is(err, errNotPulled) && errors.Is(context.Cause(ctx), storage.ErrLockLost) {
			err = fmt.Errorf("%w: lease lost: %w", errNotPulled, err)
		}
	}()

	cursor, err := in.repo.Cursor(ctx, openKfID)
	if err != nil {
		return false, fmt.Errorf("load cursor: %w", err)
	}
	for page := 0; page < maxPages; page++ {
		resp, err := in.api.SyncMsg(ctx, wecom.SyncRequest{Cursor: cursor, Token: token, OpenKfID: openKfID, Limit: syncLimit})
		if err != nil {
			if wecom.Transient(err) && !errors.Is(err, wecom.ErrUnreadableAnswer) {
				// WeCom gave no answer to read. An answer it gave that cannot
				// be read (a page whose item does not decode) would be the
				// same at the next try: that is the callbacks' failure.
				return false, fmt.Errorf("%w: sync_msg: %w", errNotPulled, err)
			}
			return false, fmt.Errorf("sync_msg: %w", err)
		}
		recs := make([]*cases.KfMessage, len(resp.Messages))
		for i := range resp.Messages {
			recs[i] = in.record(&resp.Messages[i])
		}
		added := 0
		err = in.repo.InTx(ctx, func(r cases.Repo) error {
			var err error
			if added, err = r.InsertKfMessages(ctx, recs); err != nil {
				return fmt.Errorf("store kf messages: %w", err)
			}
			if resp.NextCursor != "" {
				return r.SaveCursor(ctx, openKfID, resp.NextCursor)
			}
			return nil
		})
		if err != nil {
			return false, err
		}
		if added > 0 {
			in.stored(ctx)
		}
		if resp.NextCursor != "" {
			cursor = resp.NextCursor
		}
		if !resp.HasMore {
			return true, nil
		}
	}
	return false, nil
}

func (in *Intake) record(m *wecom.KfMessage) *cases.KfMessage {
	rec := m.Record()
	rec.SendTime = rec.SendTime.UTC()
	rec.ReceivedAt = in.now().UTC()
	return &rec
}

// handleCitizen handles one citizen's pending messages in order, stopping at
// the first that must wait.
func (in *Intake) handleCitizen(ctx context.Context, msgs []*cases.KfMessage) error {
	runs := true
	for len(msgs) > 0 {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Several messages at once share a transaction where they can; after
		// a run failed, the rest go one by one.
		if runs {
			n, ok := in.handleRun(ctx, msgs)
			for range n {
				in.metrics.KfMessage("handled")
			}
			msgs, runs = msgs[n:], ok
			if n > 0 {
				continue
			}
		}
		m := msgs[0]
		msgs = msgs[1:]
		if !kfDue(m, in.now()) {
			return nil // later messages wait their turn
		}
		err := in.handleKfSafely(ctx, m)
		if u := cases.AsUnreadable(err); u != nil && in.setAside(ctx, err, m.OpenKfID, m.ExternalUserID) && u.Table == "sessions" {
			err = in.handleKfSafely(ctx, m) // their dialog, set aside, starts afresh
		}
		if err == nil {
			in.metrics.KfMessage("handled")
			continue
		}
		if _, later := wecom.RetryAfter(err); later {
			// WeCom's frequency limit (a media download): not the message's
			// fault, not an attempt; it and the later ones wait.
			in.log.Warn("kf message waits for WeCom's frequency limit", "msgid", m.MsgID, "err", err)
			return nil
		}
		if errors.Is(err, cases.ErrDone) {
			// Another worker handled it (and so the rest of this citizen's
			// messages): nothing of ours was kept.
			in.log.Warn("kf message handled by another worker", "msgid", m.MsgID)
			return nil
		}
		tried := in.now().UTC()
		m.Attempts++
		m.LastError, m.TriedAt = err.Error(), &tried
		in.log.Warn("kf message not handled", "msgid", m.MsgID, "attempt", m.Attempts, "err", err)
		if m.Attempts >= kfMaxAttempts {
			in.metrics.KfMessage("given_up")
			if err := in.giveUp(ctx, m); err != nil {
				return err
			}
			continue
		}
		in.metrics.KfMessage("retry")
		if err := in.repo.UpdateKfMessage(ctx, m); err != nil && !errors.Is(err, cases.ErrDone) {
			return fmt.Errorf("record kf message failure: %w", err)
		}
		return nil
	}
	return nil
}

// handleKfSafely handles m, turning a panic into an error: it counts as an
// attempt like any failure, so one bad message is given up after
// kfMaxAttempts instead of crashing every replica in turn.
func (in *Intake) handleKfSafely(ctx context.Context, m *cases.KfMessage) (err error) {
	defer func() {
		if p := recover(); p != nil {
			in.metrics.KfMessage("panic")
			in.log.Error("panic while handling a kf message", "msgid", m.MsgID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return in.handleKf(ctx, m)
}

// kfMaxAttempts bounds the tries of one kf message: the waits between them
// (see retryWait) add up to about 51 minutes, so a database outage of most
// of an hour is ridden out before a message is given up.
const kfMaxAttempts = 12

// retryWait is the wait after the attempts-th failed attempt: it doubles
// from 2 s to about 17 minutes, and stays there however many attempts a
// callback whose pulls could not be made has counted.
func retryWait(attempts int) time.Duration {
	if attempts <= 0 {
		return 0
	}
	return min(2*time.Second<<min(attempts-1, 10), 17*time.Minute)
}

// inboundDue reports whether the stored callback rec may be tried now: at
// once when never tried, else one wait after its last attempt, as for kf
// messages (kfDue): counted from its arrival, a callback that waited long
// (its account's pull busy, WeCom's pause) would spend its attempts with no
// wait between them. The wait is retryWait of its own failures, or, after a
// pull that could not be made, retryWait of its attempts up to restMost.
func inboundDue(rec *cases.Inbound, now time.Time) bool {
	wait := retryWait(rec.Failures)
	if notPulled(rec) {
		wait = min(retryWait(rec.Attempts), restMost)
	}
	return waited(wait, rec.ReceivedAt, rec.TriedAt, now)
}

// waited reports whether wait has passed since the last attempt at
// something received at received and last tried at tried (nil: never).
func waited(wait time.Duration, received time.Time, tried *time.Time, now time.Time) bool {
	since := received
	if tried != nil && tried.After(since) {
		since = *tried
	}
	return !now.Before(since.Add(wait))
}

// kfDue reports whether the kf message m may be tried now: at once when
// never tried, else one wait (retryWait) after its last attempt. The wait
// runs from the attempt, not from its arrival, because a message may wait
// long behind an earlier one of the same citizen; counted from its arrival,
// its attempts would follow one another with no wait at all, and a short
// hiccup (a media download) would spend them all.
func kfDue(m *cases.KfMessage, now time.Time) bool {
	return waited(retryWait(m.Attempts), m.ReceivedAt, m.TriedAt, now)
}

// giveUp ends the retries of a message the product could not handle, so the
// citizen's next messages are not held up behind it forever, and makes it
// visible: the citizen is told kindly that a person will look at it, and the
// window's duty staff get a task, in the same transaction that marks it done.
// The message itself stays in the database with its last error.
func (in *Intake) giveUp(ctx context.Context, m *cases.KfMessage) error {
	in.log.Error("kf message given up", "msgid", m.MsgID, "attempts", m.Attempts)
	return in.repo.InTx(ctx, func(r cases.Repo) error {
		done := *m
		now := in.now().UTC()
		done.DoneAt = &now
		if err := r.UpdateKfMessage(ctx, &done); err != nil {
			return fmt.Errorf("record kf message given up: %w", err)
		}
		if m.Origin != originCitizen {
			return nil
		}
		if err := queue.Reply(ctx, r, m.OpenKfID, m.ExternalUserID, 0, []cases.Message{{Text: givenUpText}}, now); err != nil {
			return err
		}
		if in.staffTask == nil {
			return nil
		}
		return in.staffTask(ctx, r, m.OpenKfID, fmt.Sprintf(givenUpStaffText, m.ExternalUserID, m.MsgID, m.SendTime.In(cases.Shanghai).Format("1月2日 15:04")))
	})
}
