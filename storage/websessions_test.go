package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
)

func TestWebSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		hash := func(c byte) string {
			b := make([]byte, 64)
			for i := range b {
				b[i] = c
			}
			return string(b)
		}
		mk := func(id byte, user string, created time.Time) *storage.WebSession {
			return &storage.WebSession{IDHash: hash(id), UserID: user, CreatedAt: micro(created), SeenAt: micro(created), ExpiresAt: micro(created.Add(8 * time.Hour))}
		}
		a, b, c := mk('a', "sunqi", at), mk('b', "sunqi", at.Add(time.Hour)), mk('c', "zhangsan", at)
		for _, ws := range []*storage.WebSession{a, b, c} {
			if err := db.CreateWebSession(ctx, ws); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.CreateWebSession(ctx, mk('a', "zhangsan", at)); !errors.Is(err, cases.ErrDuplicate) {
			t.Errorf("a second session with the same id: %v, want ErrDuplicate", err)
		}
		got, err := db.WebSession(ctx, a.IDHash)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("loaded (-want +got):\n%s", diff)
		}

		seen := micro(at.Add(2 * time.Hour))
		if err := db.TouchWebSession(ctx, a.IDHash, seen, seen.Add(8*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.TouchWebSession(ctx, a.IDHash, seen, seen.Add(8*time.Hour)); err != nil {
			t.Errorf("touching again with the same times: %v", err)
		}
		got, _ = db.WebSession(ctx, a.IDHash)
		if !got.SeenAt.Equal(seen) || !got.ExpiresAt.Equal(seen.Add(8*time.Hour)) {
			t.Errorf("after touch: seen %v, expires %v", got.SeenAt, got.ExpiresAt)
		}
		if err := db.TouchWebSession(ctx, hash('z'), seen, seen); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("touching a session that is gone: %v, want ErrNotFound", err)
		}

		list, err := db.WebSessionsOf(ctx, "sunqi")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].IDHash != a.IDHash || list[1].IDHash != b.IDHash {
			t.Errorf("sunqi's sessions: %+v", list)
		}

		// Purge removes what expired by then, and only that: b expires at
		// 9 h after at, a (touched) at 10 h, c at 8 h.
		n, err := db.PurgeWebSessions(ctx, at.Add(8*time.Hour+30*time.Minute))
		if err != nil || n != 1 {
			t.Fatalf("purge: %d, %v; want 1", n, err)
		}
		if _, err := db.WebSession(ctx, c.IDHash); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("expired session after purge: %v", err)
		}

		if err := db.DeleteWebSession(ctx, b.IDHash); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteWebSession(ctx, b.IDHash); err != nil {
			t.Errorf("deleting twice: %v", err)
		}
		if _, err := db.WebSession(ctx, b.IDHash); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("deleted session: %v", err)
		}

		for _, ws := range []*storage.WebSession{mk('d', "sunqi", at), mk('e', "zhangsan", at)} {
			if err := db.CreateWebSession(ctx, ws); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := db.DeleteWebSessionsOf(ctx, "sunqi"); err != nil || n != 2 {
			t.Errorf("delete sunqi's sessions: %d, %v; want 2", n, err)
		}
		if list, _ := db.WebSessionsOf(ctx, "sunqi"); len(list) != 0 {
			t.Errorf("sunqi still has %d sessions", len(list))
		}
		if list, _ := db.WebSessionsOf(ctx, "zhangsan"); len(list) != 1 {
			t.Errorf("zhangsan has %d sessions, want 1 (his own are not touched)", len(list))
		}
	})
}
