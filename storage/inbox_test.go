package storage_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

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
		// The least tried first: the one that failed once goes after those
		// never tried.
		if diff := cmp.Diff(append(slices.Clone(stored[2:]), stored[1]), pending); diff != "" {
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

// A sync_msg page is stored in one statement: repeats (stored before, or
// twice in the page) are skipped, and the new messages keep the page's order.
// Handling then goes by citizen: each citizen's oldest unhandled message,
// the citizen who waited longest first, page by page, and one citizen's
// unhandled messages in order.
func TestKfMessagesByCitizen(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		msg := func(id, user string) *cases.KfMessage {
			return &cases.KfMessage{MsgID: id, OpenKfID: "wkA", ExternalUserID: user, Origin: 3, MsgType: "text",
				SendTime: at.Truncate(time.Second), Raw: `{"msgid":"` + id + `"}`, ReceivedAt: at}
		}
		if _, err := db.InsertKfMessage(ctx, msg("a1", "alice")); err != nil {
			t.Fatal(err)
		}
		page := []*cases.KfMessage{msg("b1", "bob"), msg("a1", "alice"), msg("a2", "alice"), msg("c1", "carol"),
			msg("b2", "bob"), msg("c1", "carol"), msg("a3", "alice")}
		var added int
		err := db.InTx(ctx, func(r cases.Repo) error {
			var err error
			added, err = r.InsertKfMessages(ctx, page)
			return err
		})
		if err != nil {
			t.Fatalf("InsertKfMessages: %v", err)
		}
		if added != 5 {
			t.Errorf("InsertKfMessages added %d, want 5 (a1 stored before, c1 twice in the page)", added)
		}
		if n, err := db.InsertKfMessages(ctx, nil); err != nil || n != 0 {
			t.Errorf("InsertKfMessages(none) = %d, %v", n, err)
		}
		ids := func(ms []*cases.KfMessage) []string {
			var out []string
			for _, m := range ms {
				out = append(out, m.MsgID)
			}
			return out
		}
		all, err := db.PendingKfMessages(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"a1", "b1", "a2", "c1", "b2", "a3"}, ids(all)); diff != "" {
			t.Errorf("stored order (-want +got):\n%s", diff)
		}
		byID := map[string]*cases.KfMessage{}
		for _, m := range all {
			byID[m.MsgID] = m
		}

		// The citizens by their oldest unhandled message; nothing sealed is
		// read for the list.
		first, err := db.PendingKfCitizens(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []*cases.KfMessage{byID["a1"], byID["b1"], byID["c1"]}
		if diff := cmp.Diff(want, first, cmpopts.IgnoreFields(cases.KfMessage{}, "Raw")); diff != "" {
			t.Errorf("PendingKfCitizens (-want +got):\n%s", diff)
		}
		for _, m := range first {
			if m.Raw != "" {
				t.Errorf("PendingKfCitizens read the sealed message %s", m.MsgID)
			}
		}
		// Page by page.
		page1, err := db.PendingKfCitizens(ctx, 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		page2, err := db.PendingKfCitizens(ctx, page1[len(page1)-1].ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"a1", "b1", "c1"}, append(ids(page1), ids(page2)...)); diff != "" {
			t.Errorf("PendingKfCitizens in pages of 2 (-want +got):\n%s", diff)
		}

		// Alice's first message handled: she is listed by her next, now
		// the newest of the three.
		done := at
		byID["a1"].DoneAt = &done
		if err := db.UpdateKfMessage(ctx, byID["a1"]); err != nil {
			t.Fatal(err)
		}
		first, err = db.PendingKfCitizens(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"b1", "a2", "c1"}, ids(first)); diff != "" {
			t.Errorf("PendingKfCitizens after a1 (-want +got):\n%s", diff)
		}
		alice, err := db.PendingKfMessagesOf(ctx, "wkA", "alice", 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*cases.KfMessage{byID["a2"], byID["a3"]}, alice); diff != "" {
			t.Errorf("PendingKfMessagesOf(alice) (-want +got):\n%s", diff)
		}
		if got, err := db.PendingKfMessagesOf(ctx, "wkB", "alice", 10); err != nil || len(got) != 0 {
			t.Errorf("PendingKfMessagesOf(another kf account) = %d messages, %v; want none", len(got), err)
		}
		if got, err := db.PendingKfMessagesOf(ctx, "wkA", "alice", 1); err != nil || len(got) != 1 || got[0].MsgID != "a2" {
			t.Errorf("PendingKfMessagesOf(alice, limit 1) = %v, %v; want a2", ids(got), err)
		}
	})
}

// When a kf message was last tried is kept with its attempts and read back
// by every listing, since its next retry waits from it; stored with a page,
// it is kept too.
func TestKfMessageTriedAtRoundTrips(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		msg := func(id string) *cases.KfMessage {
			return &cases.KfMessage{MsgID: id, OpenKfID: "wkA", ExternalUserID: "alice", Origin: 3, MsgType: "text",
				Raw: `{"msgid":"` + id + `"}`, ReceivedAt: at}
		}
		m1, m2 := msg("t1"), msg("t2")
		earlier := at.Add(-time.Minute)
		m2.Attempts, m2.TriedAt = 1, &earlier
		if n, err := db.InsertKfMessages(ctx, []*cases.KfMessage{m1, m2}); err != nil || n != 2 {
			t.Fatalf("InsertKfMessages = %d, %v; want 2 stored", n, err)
		}
		pending, err := db.PendingKfMessages(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 2 || pending[0].TriedAt != nil || pending[1].TriedAt == nil || !pending[1].TriedAt.Equal(micro(earlier)) {
			t.Fatalf("stored TriedAt = %v, %v; want nil and %v", pending[0].TriedAt, pending[1].TriedAt, micro(earlier))
		}

		tried := at.Add(3 * time.Second)
		m := pending[0]
		m.Attempts, m.LastError, m.TriedAt = 1, "media: timeout", &tried
		if err := db.UpdateKfMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		check := func(what string, got []*cases.KfMessage, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if len(got) == 0 || got[0].MsgID != "t1" || got[0].Attempts != 1 || got[0].TriedAt == nil || !got[0].TriedAt.Equal(micro(tried)) {
				t.Errorf("%s: first = %+v; want t1 tried once at %v", what, got, micro(tried))
				return
			}
			if got[0].TriedAt.Location() != time.UTC {
				t.Errorf("%s: TriedAt in %v, want UTC", what, got[0].TriedAt.Location())
			}
		}
		got, err := db.PendingKfMessages(ctx, 10)
		check("PendingKfMessages", got, err)
		got, err = db.PendingKfMessagesOf(ctx, "wkA", "alice", 10)
		check("PendingKfMessagesOf", got, err)
		got, err = db.PendingKfCitizens(ctx, 0, 10)
		check("PendingKfCitizens", got, err)
	})
}

// The callbacks one pull covered are marked done together; one handled
// meanwhile (by another replica) is left as it is.
func TestMarkInboundDone(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		var recs []*cases.Inbound
		for _, key := range []string{"kf:wkA:t1", "kf:wkA:t2", "kf:wkA:t3", "kf:wkA:t4"} {
			rec := &cases.Inbound{Key: key, Kind: cases.InboundKf, Body: "<xml/>", ReceivedAt: at}
			if _, err := db.SaveInbound(ctx, rec); err != nil {
				t.Fatal(err)
			}
			recs = append(recs, rec)
		}
		earlier := at.Add(-time.Hour)
		recs[1].DoneAt, recs[1].Attempts = &earlier, 1
		if err := db.UpdateInbound(ctx, recs[1]); err != nil {
			t.Fatal(err)
		}
		recs[2].Attempts, recs[2].LastError = 2, "sync_msg: timeout"
		if err := db.UpdateInbound(ctx, recs[2]); err != nil {
			t.Fatal(err)
		}
		n, err := db.MarkInboundDone(ctx, []int64{recs[0].ID, recs[1].ID, recs[2].ID}, at.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("MarkInboundDone marked %d, want 2 (one was done already)", n)
		}
		if n, err := db.MarkInboundDone(ctx, nil, at); err != nil || n != 0 {
			t.Errorf("MarkInboundDone(none) = %d, %v", n, err)
		}
		pending, err := db.PendingInbound(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 1 || pending[0].Key != "kf:wkA:t4" {
			t.Fatalf("pending after MarkInboundDone: %+v; want only t4", pending)
		}
		got := map[string][2]any{}
		rows, err := db.DB().QueryContext(ctx, "SELECT dedupe_key, attempts, last_error FROM inbound")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var key, lastError string
			var attempts int
			if err := rows.Scan(&key, &attempts, &lastError); err != nil {
				t.Fatal(err)
			}
			got[key] = [2]any{attempts, lastError}
		}
		want := map[string][2]any{"kf:wkA:t1": {1, ""}, "kf:wkA:t2": {1, ""}, "kf:wkA:t3": {3, "sync_msg: timeout"}, "kf:wkA:t4": {0, ""}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("callbacks after MarkInboundDone (-want +got):\n%s", diff)
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

// NewestInbound is the id of the newest callback stored, done or not, and 0
// before any.
func TestNewestInbound(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		if id, err := db.NewestInbound(ctx); err != nil || id != 0 {
			t.Fatalf("NewestInbound of none = %d, %v; want 0", id, err)
		}
		var last int64
		for _, key := range []string{"kf:wkA:t1", "kf:wkA:t2", "app:m3"} {
			rec := &cases.Inbound{Key: key, Kind: cases.InboundKf, Body: "<xml/>", ReceivedAt: at}
			if _, err := db.SaveInbound(ctx, rec); err != nil {
				t.Fatal(err)
			}
			last = rec.ID
		}
		if _, err := db.MarkInboundDone(ctx, []int64{last}, at); err != nil {
			t.Fatal(err)
		}
		if id, err := db.NewestInbound(ctx); err != nil || id != last {
			t.Errorf("NewestInbound = %d, %v; want %d, the last stored (done)", id, err, last)
		}
	})
}

// A callback's attempts and its own failures are kept apart.
func TestInboundFailures(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		rec := &cases.Inbound{Key: "kf:wkA:t1", Kind: cases.InboundKf, Body: "<xml/>", ReceivedAt: at}
		if _, err := db.SaveInbound(ctx, rec); err != nil {
			t.Fatal(err)
		}
		tried := at.Add(time.Minute)
		rec.Attempts, rec.Failures, rec.LastError, rec.TriedAt = 5, 2, "could not pull: sync_msg: HTTP status 502", &tried
		if err := db.UpdateInbound(ctx, rec); err != nil {
			t.Fatal(err)
		}
		pending, err := db.PendingInbound(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 1 || pending[0].Attempts != 5 || pending[0].Failures != 2 {
			t.Fatalf("pending: %+v; want the callback with 5 attempts, 2 failures", pending)
		}
	})
}
