package storage_test

import (
	"context"
	"testing"

	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// A notice wakes every subscriber of its topic and nobody subscribed to
// another; notices that come while one is unread wake it once, and it wakes
// again for the next.
func TestSignalWakesSubscribers(t *testing.T) {
	eachShared(t, func(t *testing.T, s storage.SharedStores) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sig := s.Signal()
		var subs []<-chan struct{}
		for _, topic := range []storage.Topic{"kf", "kf", "outbox"} {
			ch, err := sig.Subscribe(ctx, topic)
			if err != nil {
				t.Fatalf("Subscribe(%s): %v", topic, err)
			}
			subs = append(subs, ch)
		}
		for range 3 {
			if err := sig.Notify(ctx, "kf"); err != nil {
				t.Fatalf("Notify: %v", err)
			}
		}
		// (A notice that never comes fails at the test's deadline.)
		<-subs[0]
		<-subs[1]
		select {
		case <-subs[2]:
			t.Error("a notice of kf woke the outbox's subscriber")
		default:
		}
		if err := sig.Notify(ctx, "outbox"); err != nil {
			t.Fatal(err)
		}
		<-subs[2]
		if err := sig.Notify(ctx, "kf"); err != nil {
			t.Fatal(err)
		}
		<-subs[0]
	})
}

// Replicas on one Redis hear each other: a notice published through one
// connection wakes a subscriber on another.
func TestSignalAcrossReplicas(t *testing.T) {
	a := storagetest.Redis(t)
	b, err := storage.NewRedis(context.Background(), a.Client().Options().Addr, "", 0, a.Prefix())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	heard, err := b.Signal().Subscribe(ctx, "kf")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Signal().Notify(ctx, "kf"); err != nil {
		t.Fatal(err)
	}
	<-heard
	// Once the subscription ends, nothing more is read: a notice after it
	// is not an error for the one who sends it.
	cancel()
	if err := a.Signal().Notify(context.Background(), "kf"); err != nil {
		t.Errorf("Notify with nobody listening: %v", err)
	}
}
