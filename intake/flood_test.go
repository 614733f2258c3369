package intake

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// floodingCitizen writes again each time one of their messages is handled,
// up to limit messages, and notes how many they had written when another
// citizen's message was handled.
type floodingCitizen struct {
	cases.Repo
	*floodLog
}

type floodLog struct {
	user, other string
	limit       int
	at          time.Time

	mu          sync.Mutex
	written     int
	otherServed int // written when the other's message was handled; 0 before
}

func (f floodingCitizen) UpdateKfMessage(ctx context.Context, m *cases.KfMessage) error {
	if err := f.Repo.UpdateKfMessage(ctx, m); err != nil || m.DoneAt == nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch m.ExternalUserID {
	case f.other:
		f.otherServed = f.written
	case f.user:
		if f.written < f.limit {
			f.written++
			msg := text(fmt.Sprintf("flood%d", f.written), f.user, "还有", f.at.Unix())
			rec := msg.Record()
			rec.ReceivedAt = f.at
			if _, err := f.Repo.InsertKfMessage(ctx, &rec); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f floodingCitizen) InTx(ctx context.Context, fn func(cases.Repo) error) error {
	return f.Repo.InTx(ctx, func(r cases.Repo) error { return fn(floodingCitizen{r, f.floodLog}) })
}

// A citizen who keeps writing does not keep the only worker: it lets them
// go after a while, and another citizen's message is handled while the
// first is still writing.
func TestCitizenWhoKeepsWritingDoesNotHoldAWorker(t *testing.T) {
	repo := storagetest.SQLite(t)
	at := time.Now().UTC()
	log := &floodLog{user: "uFlood", other: "uOther", limit: 200, at: at}
	api := &fakeKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{
		text("f0", "uFlood", "你好", at.Unix()), text("o1", "uOther", "你好", at.Unix()),
	}}}}
	in := newIntake(t, floodingCitizen{repo, log}, api)
	in.workers.slots = make(chan struct{}, 1) // one worker
	pullAndHandle(t, in, "tok")

	log.mu.Lock()
	written, otherServed := log.written, log.otherServed
	log.mu.Unlock()
	if otherServed == 0 || otherServed >= log.limit {
		t.Fatalf("the other citizen was served after %d of %d flooding messages; want while the flood went on", otherServed, log.limit)
	}
	// The flooding citizen is served on in later rounds, in order.
	for range log.limit {
		in.Drain(context.Background())
		if len(pendingIDs(t, repo)) == 0 {
			break
		}
	}
	if left := pendingIDs(t, repo); len(left) != 0 {
		t.Errorf("still pending after the flood: %v (written %d)", left, written)
	}
}
