package storage_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
)

func TestDraftMedia(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		photo := bytes.Repeat([]byte{0xff, 0xd8, 0x00, 0x7f}, 1<<19) // 2 MB, zero bytes included
		keep := func(key string, a cases.Attachment) int64 {
			t.Helper()
			id, err := db.SaveDraftMedia(ctx, key, &a)
			if err != nil {
				t.Fatalf("SaveDraftMedia(%s, %s): %v", key, a.Kind, err)
			}
			return id
		}
		voice := keep("kf1:wmA", cases.Attachment{Kind: "voice", MediaID: "m1", FileName: "1.amr", ContentType: "audio/amr", Data: []byte("amr"), CreatedAt: at})
		big := keep("kf1:wmA", cases.Attachment{Kind: "image", MediaID: "m2", FileName: "证明.jpg", ContentType: "image/jpeg", Data: photo, CreatedAt: at})
		empty := keep("kf1:wmA", cases.Attachment{Kind: "file", CreatedAt: at})
		other := keep("kf1:wmB", cases.Attachment{Kind: "voice", Data: []byte("b"), CreatedAt: at})

		got, err := db.DraftMedia(ctx, big)
		if err != nil {
			t.Fatal(err)
		}
		want := &cases.Attachment{Kind: "image", MediaID: "m2", FileName: "证明.jpg", ContentType: "image/jpeg", Size: int64(len(photo)), Data: photo, CreatedAt: micro(at)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("DraftMedia (-want +got):\n%s", diff)
		}
		if got, err := db.DraftMedia(ctx, empty); err != nil || got.Data == nil || got.Size != 0 {
			t.Errorf("DraftMedia(empty) = %+v, %v", got, err)
		}

		// Keep what the session still refers to, drop the rest of it only.
		if err := db.DeleteDraftMedia(ctx, "kf1:wmA", []int64{big}); err != nil {
			t.Fatal(err)
		}
		present := func() map[int64]bool {
			out := map[int64]bool{}
			for _, id := range []int64{voice, big, empty, other} {
				_, err := db.DraftMedia(ctx, id)
				switch {
				case err == nil:
					out[id] = true
				case !errors.Is(err, cases.ErrNotFound):
					t.Fatalf("DraftMedia(%d): %v", id, err)
				}
			}
			return out
		}
		if diff := cmp.Diff(map[int64]bool{big: true, other: true}, present()); diff != "" {
			t.Errorf("after deleting all but one (-want +got):\n%s", diff)
		}
		for range 2 {
			if err := db.DeleteDraftMedia(ctx, "kf1:wmA", nil); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff(map[int64]bool{other: true}, present()); diff != "" {
			t.Errorf("after deleting the session's files (-want +got):\n%s", diff)
		}
	})
}

func TestDraftMediaCommitsWithTheSession(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		var id int64
		failed := errors.New("the message failed")
		err := db.InTx(ctx, func(r cases.Repo) error {
			var err error
			if id, err = r.SaveDraftMedia(ctx, "kf1:wmA", &cases.Attachment{Kind: "image", Data: []byte("jpg")}); err != nil {
				return err
			}
			if err := r.SaveSession(ctx, "kf1:wmA", []byte(`{"atts":[{"media":1}]}`)); err != nil {
				return err
			}
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatalf("InTx = %v", err)
		}
		if _, err := db.DraftMedia(ctx, id); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("a file kept by a rolled-back message: err = %v, want ErrNotFound", err)
		}
	})
}
