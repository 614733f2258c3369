package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/storage"
)

func TestPurgeStale(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		for _, key := range []string{"kf1:wmA", "kf1:wmB"} {
			if err := db.SaveSession(ctx, key, []byte(`{"step":"desc"}`)); err != nil {
				t.Fatal(err)
			}
		}
		live, err := db.SaveDraftMedia(ctx, "kf1:wmA", &cases.Attachment{Kind: "voice", Data: []byte("amr"), CreatedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		oldOrphan, err := db.SaveDraftMedia(ctx, "kf1:gone", &cases.Attachment{Kind: "image", Data: []byte("jpg"), CreatedAt: time.Now().Add(-30 * 24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		newOrphan, err := db.SaveDraftMedia(ctx, "kf1:gone", &cases.Attachment{Kind: "image", Data: []byte("jpg"), CreatedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		exists := func(id int64) bool {
			_, err := db.DraftMedia(ctx, id)
			if err != nil && !errors.Is(err, cases.ErrNotFound) {
				t.Fatal(err)
			}
			return err == nil
		}

		// A week's silence has not passed: only the old orphan goes.
		n, err := db.PurgeStale(ctx, 7*24*time.Hour)
		if err != nil || n != 0 {
			t.Fatalf("PurgeStale(7 days) = %d, %v; want 0 sessions", n, err)
		}
		if !exists(live) || exists(oldOrphan) || !exists(newOrphan) {
			t.Errorf("after purging orphans older than a week: live %v, old orphan %v, new orphan %v", exists(live), exists(oldOrphan), exists(newOrphan))
		}
		if _, err := db.LoadSession(ctx, "kf1:wmA"); err != nil {
			t.Errorf("a fresh session was purged: %v", err)
		}

		// Everything is older than "a minute in the future".
		n, err = db.PurgeStale(ctx, -time.Minute)
		if err != nil || n != 2 {
			t.Fatalf("PurgeStale(all) = %d, %v; want 2 sessions", n, err)
		}
		if _, err := db.LoadSession(ctx, "kf1:wmA"); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("stale session still there: %v", err)
		}
		if exists(live) || exists(newOrphan) {
			t.Error("draft files of purged sessions are still there")
		}
	})
}

func TestSentSince(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		base := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
		for i, m := range []struct {
			user, msgid string
			status      cases.OutboxStatus
			sent        time.Time
		}{
			{"wmA", "m1", cases.OutboxSent, base.Add(-time.Minute)}, // before the window
			{"wmA", "m2", cases.OutboxSent, base},
			{"wmA", "m3", cases.OutboxSent, base.Add(time.Hour)},
			{"wmA", "", cases.OutboxSent, base.Add(time.Hour)}, // a handover: no message
			{"wmA", "m5", cases.OutboxHeld, base.Add(time.Hour)},
			{"wmB", "m6", cases.OutboxSent, base.Add(time.Hour)},
		} {
			sent := m.sent
			out := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wk1", Recipient: m.user, Message: cases.Message{Text: "x"},
				Status: m.status, WeComMsgID: m.msgid, CreatedAt: base.Add(-time.Hour)}
			if err := db.Enqueue(ctx, out); err != nil {
				t.Fatal(err)
			}
			if m.status == cases.OutboxSent {
				out.SentAt = &sent
			}
			if err := db.UpdateOutbox(ctx, out); err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
		}
		n, err := db.SentSince(ctx, "wk1", "wmA", base)
		if err != nil || n != 2 {
			t.Fatalf("SentSince = %d, %v; want 2", n, err)
		}
	})
}
