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
