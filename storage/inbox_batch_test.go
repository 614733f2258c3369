package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

func TestSaveInbounds(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		before := &cases.Inbound{Key: "wkA:tok0", Kind: cases.InboundKf, Body: "<xml>0</xml>", ReceivedAt: at}
		if _, err := db.SaveInbound(ctx, before); err != nil {
			t.Fatal(err)
		}
		batch := []*cases.Inbound{
			{Key: "wkA:tok1", Kind: cases.InboundKf, Body: "<xml>1</xml>", ReceivedAt: at},
			{Key: "wkA:tok0", Kind: cases.InboundKf, Body: "<xml>0 again</xml>", ReceivedAt: at}, // stored before
			{Key: "msg-2", Kind: cases.InboundAppMessage, Body: "<xml>2</xml>", ReceivedAt: at},
			{Key: "wkA:tok1", Kind: cases.InboundKf, Body: "<xml>1 again</xml>", ReceivedAt: at}, // earlier in the batch
		}
		got, err := db.SaveInbounds(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bool{true, false, true, false}, got); diff != "" {
			t.Errorf("SaveInbounds new (-want +got):\n%s", diff)
		}
		// All new: no read back.
		got, err = db.SaveInbounds(ctx, []*cases.Inbound{{Key: "msg-3", Kind: cases.InboundAppMessage, Body: "<xml>3</xml>", ReceivedAt: at}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bool{true}, got); diff != "" {
			t.Errorf("SaveInbounds of one new (-want +got):\n%s", diff)
		}
		// All repeats.
		got, err = db.SaveInbounds(ctx, []*cases.Inbound{{Key: "msg-3", Kind: cases.InboundAppMessage, Body: "<xml>3 again</xml>", ReceivedAt: at}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bool{false}, got); diff != "" {
			t.Errorf("SaveInbounds of a repeat (-want +got):\n%s", diff)
		}
		pending, err := db.PendingInbound(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for _, p := range pending {
			bodies = append(bodies, p.Key+" "+p.Body)
			if !p.ReceivedAt.Equal(micro(at)) {
				t.Errorf("%s received at %v, want %v", p.Key, p.ReceivedAt, micro(at))
			}
		}
		// Within one batch (callbacks that arrived at the same moment) rows
		// are stored in the order of their keys.
		want := []string{"wkA:tok0 <xml>0</xml>", "msg-2 <xml>2</xml>", "wkA:tok1 <xml>1</xml>", "msg-3 <xml>3</xml>"}
		if diff := cmp.Diff(want, bodies); diff != "" {
			t.Errorf("stored callbacks (-want +got):\n%s", diff)
		}
	})
}

// A batch larger than one statement's rows is stored whole, in order.
func TestSaveInboundsManyStatements(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		const n = 1201
		batch := make([]*cases.Inbound, n)
		for i := range batch {
			batch[i] = &cases.Inbound{Key: fmt.Sprintf("wkA:tok%04d", i), Kind: cases.InboundKf, Body: fmt.Sprintf("<xml>%d</xml>", i),
				ReceivedAt: at.Add(time.Duration(i) * time.Millisecond)}
		}
		got, err := db.SaveInbounds(ctx, append(batch, batch[7]))
		if err != nil {
			t.Fatal(err)
		}
		for i, isNew := range got {
			if isNew != (i < n) {
				t.Errorf("callback %d new = %v", i, isNew)
			}
		}
		pending, err := db.PendingInbound(ctx, 2*n)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != n {
			t.Fatalf("%d callbacks stored, want %d", len(pending), n)
		}
		for i, p := range pending {
			if p.Key != batch[i].Key {
				t.Fatalf("stored callback %d is %s, want %s", i, p.Key, batch[i].Key)
			}
		}
	})
}

// The time of a callback's last attempt is kept: its next wait runs from it.
func TestInboundTriedAt(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		in := &cases.Inbound{Key: "wkA:tok1", Kind: cases.InboundKf, Body: "<xml>1</xml>", ReceivedAt: at}
		if _, err := db.SaveInbound(ctx, in); err != nil {
			t.Fatal(err)
		}
		pending, err := db.PendingInbound(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 1 || pending[0].TriedAt != nil {
			t.Fatalf("never tried: %+v, want one without TriedAt", pending)
		}
		tried := at.Add(time.Hour)
		in.Attempts, in.LastError, in.TriedAt = 1, "sync_msg failed", &tried
		if err := db.UpdateInbound(ctx, in); err != nil {
			t.Fatal(err)
		}
		if pending, err = db.PendingInbound(ctx, 10); err != nil {
			t.Fatal(err)
		}
		if len(pending) != 1 || pending[0].TriedAt == nil || !pending[0].TriedAt.Equal(micro(tried)) {
			t.Fatalf("tried: %+v, want TriedAt %v", pending, micro(tried))
		}
	})
}

// A run's kf messages are marked done in one statement, those done already
// left as they were.
func TestMarkKfMessagesDone(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		var ids []int64
		for i := range 3 {
			m := &cases.KfMessage{MsgID: fmt.Sprintf("m%d", i), OpenKfID: "wkA", ExternalUserID: "u1", Origin: 3, MsgType: "text",
				SendTime: at, Raw: "{}", ReceivedAt: at}
			if _, err := db.InsertKfMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		if n, err := db.MarkKfMessagesDone(ctx, ids[:1], at.Add(time.Second)); err != nil || n != 1 {
			t.Fatalf("MarkKfMessagesDone(first) = %d, %v; want 1", n, err)
		}
		done := at.Add(time.Minute)
		n, err := db.MarkKfMessagesDone(ctx, ids, done)
		if err != nil || n != 2 {
			t.Fatalf("MarkKfMessagesDone(all) = %d, %v; want 2 (one was done already)", n, err)
		}
		pending, err := db.PendingKfMessages(ctx, 10)
		if err != nil || len(pending) != 0 {
			t.Errorf("pending after marking: %v, %v", pending, err)
		}
		var attempts int
		var doneAt string
		if err := db.DB().QueryRowContext(ctx, "SELECT attempts, done_at FROM kf_messages WHERE id = ?", ids[2]).Scan(&attempts, &doneAt); err != nil {
			t.Fatal(err)
		}
		if attempts != 1 || doneAt == "" {
			t.Errorf("marked message: attempts %d, done_at %q; want 1 attempt and a time", attempts, doneAt)
		}
	})
}

// Two replicas storing batches that share keys in opposite orders (WeCom's
// retries of one burst, landing on both) neither deadlock nor fail: each key
// is new exactly once, on one of them.
func TestSaveInboundsOnTwoReplicasSharingKeys(t *testing.T) {
	dsn := storagetest.MySQLDSN(t)
	ctx := context.Background()
	sealer := storagetest.Sealer(t)
	var replicas [2]*storage.SQL
	for i := range replicas {
		db, err := storage.Open(ctx, storage.DriverMySQL, dsn, sealer)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		replicas[i] = db
	}
	for round := range 100 {
		var batches [2][]*cases.Inbound
		for i := range 20 {
			key := fmt.Sprintf("wkA:r%03d:%02d", round, i)
			batches[0] = append(batches[0], &cases.Inbound{Key: key, Kind: cases.InboundKf, Body: "<xml/>", ReceivedAt: at})
			batches[1] = append([]*cases.Inbound{{Key: key, Kind: cases.InboundKf, Body: "<xml/>", ReceivedAt: at}}, batches[1]...)
		}
		var got [2][]bool
		var errs [2]error
		var wg sync.WaitGroup
		for r := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[r], errs[r] = replicas[r].SaveInbounds(ctx, batches[r])
			}()
		}
		wg.Wait()
		for r, err := range errs {
			if err != nil {
				t.Fatalf("round %d, replica %d: %v", round, r, err)
			}
		}
		for i := range 20 {
			a, b := got[0][i], got[1][19-i] // the same key
			if a == b {
				t.Fatalf("round %d, key %d: new on replica 1 = %v, on replica 2 = %v; want new on exactly one", round, i, a, b)
			}
		}
	}
}
