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

func TestInboundDedupe(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		saves := []struct {
			in   cases.Inbound
			want bool
		}{
			{cases.Inbound{Key: "wkA:tok1", Kind: cases.InboundKf, Body: "<xml>1</xml>", ReceivedAt: at}, true},
			{cases.Inbound{Key: "msg-2", Kind: cases.InboundAppMessage, Body: "<xml>2</xml>", ReceivedAt: at}, true},
			{cases.Inbound{Key: "wkA:tok1", Kind: cases.InboundKf, Body: "<xml>1 again</xml>", ReceivedAt: at.Add(time.Second)}, false},
			{cases.Inbound{Key: "WKA:TOK1", Kind: cases.InboundKf, Body: "<xml>case differs</xml>", ReceivedAt: at}, true},
		}
		var stored []*cases.Inbound
		for i := range saves {
			in := saves[i].in
			got, err := db.SaveInbound(ctx, &in)
			if err != nil {
				t.Fatalf("SaveInbound(%s): %v", in.Key, err)
			}
			if got != saves[i].want {
				t.Errorf("SaveInbound(%s) new = %v, want %v", in.Key, got, saves[i].want)
			}
			if got {
				in.ReceivedAt = micro(in.ReceivedAt)
				stored = append(stored, &in)
			} else if in.ID != 0 {
				t.Errorf("repeat SaveInbound set ID %d", in.ID)
			}
		}
		pending, err := db.PendingInbound(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(stored, pending); diff != "" {
			t.Errorf("PendingInbound (-want +got):\n%s", diff)
		}
		done := at.Add(time.Minute)
		stored[0].DoneAt, stored[0].Attempts = &done, 1
		stored[1].Attempts, stored[1].LastError = 1, "handler failed"
		for _, in := range stored[:2] {
			if err := db.UpdateInbound(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		pending, err = db.PendingInbound(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(stored[1:], pending); diff != "" {
			t.Errorf("PendingInbound after update (-want +got):\n%s", diff)
		}
		if err := db.UpdateInbound(ctx, &cases.Inbound{ID: 777}); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("UpdateInbound(missing) error = %v, want ErrNotFound", err)
		}
		// A second replica that handled the same callback meanwhile is told
		// it is done, so its transaction rolls back its effects.
		again := *stored[0]
		again.Attempts = 2
		if err := db.UpdateInbound(ctx, &again); !errors.Is(err, cases.ErrDone) {
			t.Errorf("UpdateInbound(done already) error = %v, want ErrDone", err)
		}
	})
}

func TestKfMessagesDedupe(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		msg := func(id string) *cases.KfMessage {
			return &cases.KfMessage{MsgID: id, OpenKfID: "wkA", ExternalUserID: "wmX", Origin: 3, MsgType: "text",
				SendTime: at.Truncate(time.Second), Raw: `{"msgid":"` + id + `"}`, ReceivedAt: at}
		}
		var want []*cases.KfMessage
		for _, id := range []string{"m1", "m2", "m1", "M1"} {
			m := msg(id)
			isNew, err := db.InsertKfMessage(ctx, m)
			if err != nil {
				t.Fatalf("InsertKfMessage(%s): %v", id, err)
			}
			if wantNew := id != "m1" || len(want) == 0; isNew != wantNew {
				t.Errorf("InsertKfMessage(%s) new = %v, want %v", id, isNew, wantNew)
			}
			if isNew {
				m.ReceivedAt = micro(m.ReceivedAt)
				want = append(want, m)
			}
		}
		got, err := db.PendingKfMessages(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("PendingKfMessages (-want +got):\n%s", diff)
		}
		done := at
		want[1].DoneAt = &done
		if err := db.UpdateKfMessage(ctx, want[1]); err != nil {
			t.Fatal(err)
		}
		got, err = db.PendingKfMessages(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[:1], got); diff != "" {
			t.Errorf("PendingKfMessages limit 1 (-want +got):\n%s", diff)
		}

		// A page of sync_msg is stored with its cursor in one transaction;
		// repeats inside it must not abort it.
		err = db.InTx(ctx, func(r cases.Repo) error {
			for _, id := range []string{"m2", "m3", "m3", "m4"} {
				if _, err := r.InsertKfMessage(ctx, msg(id)); err != nil {
					return err
				}
			}
			if _, err := r.SaveInbound(ctx, &cases.Inbound{Key: "k", Kind: cases.InboundKf}); err != nil {
				return err
			}
			if _, err := r.SaveInbound(ctx, &cases.Inbound{Key: "k", Kind: cases.InboundKf}); err != nil {
				return err
			}
			return r.SaveCursor(ctx, "wkA", "cursor-after-m4")
		})
		if err != nil {
			t.Fatalf("InTx with repeats: %v", err)
		}
		got, err = db.PendingKfMessages(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range got {
			ids = append(ids, m.MsgID)
		}
		if diff := cmp.Diff([]string{"m1", "M1", "m3", "m4"}, ids); diff != "" {
			t.Errorf("pending after transaction (-want +got):\n%s", diff)
		}
		if c, err := db.Cursor(ctx, "wkA"); err != nil || c != "cursor-after-m4" {
			t.Errorf("Cursor = %q, %v; want the one saved in the transaction", c, err)
		}
	})
}

func TestCursor(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		if c, err := db.Cursor(ctx, "wkA"); err != nil || c != "" {
			t.Errorf("Cursor(never synced) = %q, %v; want empty", c, err)
		}
		for _, s := range []struct{ kf, cursor string }{{"wkA", "c1"}, {"wkB", "b1"}, {"wkA", "c2"}} {
			if err := db.SaveCursor(ctx, s.kf, s.cursor); err != nil {
				t.Fatal(err)
			}
		}
		for kf, want := range map[string]string{"wkA": "c2", "wkB": "b1"} {
			if c, err := db.Cursor(ctx, kf); err != nil || c != want {
				t.Errorf("Cursor(%s) = %q, %v; want %q", kf, c, err, want)
			}
		}
	})
}

func TestSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		if _, err := db.LoadSession(ctx, "s1"); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("LoadSession(none) error = %v, want ErrNotFound", err)
		}
		steps := []struct {
			key  string
			data string
		}{{"s1", `{"step":"greet"}`}, {"s2", "二"}, {"s1", `{"step":"phone","answers":{"name":"王大爷"}}`}}
		for _, s := range steps {
			if err := db.SaveSession(ctx, s.key, []byte(s.data)); err != nil {
				t.Fatal(err)
			}
		}
		for key, want := range map[string]string{"s1": steps[2].data, "s2": "二"} {
			got, err := db.LoadSession(ctx, key)
			if err != nil || string(got) != want {
				t.Errorf("LoadSession(%s) = %q, %v; want %q", key, got, err, want)
			}
		}
		if err := db.DeleteSession(ctx, "s1"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.LoadSession(ctx, "s1"); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("LoadSession after delete: error = %v, want ErrNotFound", err)
		}
		if err := db.DeleteSession(ctx, "s1"); err != nil {
			t.Errorf("DeleteSession twice: %v", err)
		}
	})
}
