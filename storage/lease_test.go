package storage_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/storage"
)

// scriptedLock answers Refresh from a script, then nil forever.
type scriptedLock struct {
	mu      sync.Mutex
	answers []error
	calls   int
}

func (l *scriptedLock) Refresh(context.Context, time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if len(l.answers) == 0 {
		return nil
	}
	err := l.answers[0]
	l.answers = l.answers[1:]
	return err
}

func (l *scriptedLock) Unlock(context.Context) error { return nil }

// A lease held while work goes on ends the work as soon as it may be lost:
// at once when the lock is gone, after renewals kept failing for most of the
// TTL otherwise. One failed renewal is tried again.
func TestKeepLeaseStopsWorkWhenLost(t *testing.T) {
	down := errors.New("redis: connection refused")
	tests := []struct {
		name    string
		answers []error
		want    error // the cause ctx ends with; nil: it does not end
	}{
		{"lock taken by another", []error{nil, storage.ErrLockLost}, storage.ErrLockLost},
		{"renewals keep failing", []error{down, down, down, down, down, down, down, down}, storage.ErrLockLost},
		{"one failure is ridden out", []error{down, nil, nil, nil, nil, nil}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lock := &scriptedLock{answers: tt.answers}
			// A TTL of 30 ms renews every 10 ms; the script decides, not time.
			ctx, stop := storage.KeepLease(context.Background(), lock, 30*time.Millisecond, slog.New(slog.DiscardHandler))
			defer stop()
			if tt.want == nil {
				// Renewals beyond the script are answered nil: wait for them.
				for {
					lock.mu.Lock()
					n := lock.calls
					lock.mu.Unlock()
					if n > len(tt.answers)+2 {
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
				if ctx.Err() != nil {
					t.Fatalf("lease ended: %v", context.Cause(ctx))
				}
				return
			}
			<-ctx.Done()
			if got := context.Cause(ctx); !errors.Is(got, tt.want) {
				t.Errorf("cause = %v, want %v", got, tt.want)
			}
		})
	}
}

// stop ends the renewals: the lock is no longer touched afterwards.
func TestKeepLeaseStop(t *testing.T) {
	lock := &scriptedLock{}
	ctx, stop := storage.KeepLease(context.Background(), lock, 30*time.Millisecond, nil)
	stop()
	lock.mu.Lock()
	before := lock.calls
	lock.mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	lock.mu.Lock()
	after := lock.calls
	lock.mu.Unlock()
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("renewals after stop (-before +after):\n%s", diff)
	}
	if ctx.Err() == nil {
		t.Error("the lease's context is still live after stop")
	}
}

// hangingLock's renewals never answer until their context ends, like a
// MySQL connection whose packets are dropped.
type hangingLock struct{}

func (hangingLock) Refresh(ctx context.Context, _ time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

func (hangingLock) Unlock(context.Context) error { return nil }

// A renewal that hangs does not keep the work going: each try gives up in
// its turn, and the work stops as it does when renewals fail.
func TestKeepLeaseStopsWhenRenewalsHang(t *testing.T) {
	ttl := 60 * time.Millisecond
	leased, stop := storage.KeepLease(context.Background(), hangingLock{}, ttl, slog.New(slog.DiscardHandler))
	defer stop()
	select {
	case <-leased.Done():
		if !errors.Is(context.Cause(leased), storage.ErrLockLost) {
			t.Errorf("work stopped with %v, want ErrLockLost", context.Cause(leased))
		}
	case <-time.After(100 * ttl):
		t.Fatal("work still going while every renewal hangs")
	}
}
