package storage_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
)

func TestTimeline(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		c := mustCreate(t, db, newCase("BC2611280001", nil))
		other := mustCreate(t, db, newCase("BC2611280002", nil))
		// Appended out of time order on purpose: the timeline is append order.
		events := []cases.Event{
			{CaseID: c.ID, At: at, Actor: "citizen:wmReporter", Kind: cases.EventSubmitted, Body: "提交反映"},
			{CaseID: other.ID, At: at, Actor: "bot", Kind: cases.EventNote, Body: "别的案件"},
			{CaseID: c.ID, At: at.Add(time.Hour), Actor: "staff:zhangsan", Kind: cases.EventStatus, Body: "已受理", Data: `{"to":"accepted"}`},
			{CaseID: c.ID, At: at.Add(30 * time.Minute), Actor: "system", Kind: cases.EventNotification, Body: "已发送"},
		}
		for i := range events {
			if err := db.AppendEvent(ctx, &events[i]); err != nil {
				t.Fatalf("AppendEvent: %v", err)
			}
		}
		got, err := db.Timeline(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []cases.Event{events[0], events[2], events[3]}
		for i := range want {
			want[i].At = micro(want[i].At)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Timeline (-want +got):\n%s", diff)
		}
		err = db.AppendEvent(ctx, &cases.Event{CaseID: 424242, Kind: cases.EventNote})
		if !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("AppendEvent to a missing case: error = %v, want ErrNotFound", err)
		}
	})
}

func TestAttachments(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		c := mustCreate(t, db, newCase("BC2611280001", nil))
		voice := bytes.Repeat([]byte{0x23, 0x21, 0x41, 0x4d, 0x52, 0x00, 0xff}, 300_000) // 2.1 MB, with zero bytes
		atts := []*cases.Attachment{
			{CaseID: c.ID, Kind: "voice", MediaID: "media-1", FileName: "voice.amr", ContentType: "audio/amr", Data: voice, CreatedAt: at},
			{CaseID: c.ID, Kind: "image", FileName: "档案.jpg", ContentType: "image/jpeg", Data: []byte{0xff, 0xd8, 0xff}, CreatedAt: at},
		}
		for _, a := range atts {
			if err := db.AddAttachment(ctx, a); err != nil {
				t.Fatalf("AddAttachment: %v", err)
			}
		}
		list, err := db.Attachments(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var want []cases.Attachment
		for _, a := range atts {
			w := *a
			w.Data, w.CreatedAt = nil, micro(at)
			want = append(want, w)
		}
		if diff := cmp.Diff(want, list); diff != "" {
			t.Errorf("Attachments (-want +got):\n%s", diff)
		}
		if want[0].Size != int64(len(voice)) {
			t.Errorf("Size = %d, want %d", want[0].Size, len(voice))
		}
		for _, a := range atts {
			got, err := db.GetAttachment(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(a, got); diff != "" {
				t.Errorf("GetAttachment(%d) (-want +got):\n%s", a.ID, diff)
			}
		}
		if _, err := db.GetAttachment(ctx, 987654); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("GetAttachment(missing) error = %v, want ErrNotFound", err)
		}
	})
}

func TestOutbox(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		now := at
		msg := cases.Message{
			Text:     "您的案件有新进展",
			Menu:     []cases.MenuItem{{ID: "1", Text: "回复 1 查看进度"}},
			MenuTail: "谢谢",
			Card: &cases.Card{TaskID: "t1", Title: "新案件", Fields: []cases.CardField{{Key: "编号", Value: "BC2611280001"}},
				Buttons: []cases.CardButton{{Key: "accept", Text: "受理"}}},
		}
		ms := []*cases.OutboxMessage{
			{CaseID: 1, Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmX", Message: msg, NextAttemptAt: now.Add(-time.Minute), CreatedAt: now.Add(-2 * time.Minute)},
			{CaseID: 1, Channel: cases.ChannelApp, Recipient: "zhangsan", Message: cases.Message{Text: "到点"}, NextAttemptAt: now, CreatedAt: now.Add(-time.Minute)},
			{CaseID: 2, Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmX", Message: cases.Message{Text: "以后"}, NextAttemptAt: now.Add(time.Microsecond), CreatedAt: now},
			{CaseID: 2, Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmX", Message: cases.Message{Text: "等回复"}, Status: cases.OutboxHeld, NextAttemptAt: now.Add(-time.Hour), CreatedAt: now},
			{Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmY", Message: cases.Message{Text: "别人的"}, Status: cases.OutboxHeld, CreatedAt: now},
			{CaseID: 1, Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmZ", Message: cases.Message{Text: "最早"}, Priority: cases.PriorityCritical, NextAttemptAt: now.Add(-time.Hour), CreatedAt: now},
		}
		for _, m := range ms {
			if err := db.Enqueue(ctx, m); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
		}
		if ms[0].Status != cases.OutboxPending {
			t.Errorf("Enqueue left Status %q, want pending", ms[0].Status)
		}
		due, err := db.DueOutbox(ctx, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*cases.OutboxMessage{ms[5], ms[0], ms[1]}, due); diff != "" {
			t.Errorf("DueOutbox (-want +got):\n%s", diff)
		}
		if due, _ := db.DueOutbox(ctx, now, 1); len(due) != 1 || due[0].ID != ms[5].ID {
			t.Errorf("DueOutbox limit 1 = %v, want the oldest due", due)
		}
		// Queued after 以后, which waits for its next try: not due before it.
		behind := &cases.OutboxMessage{Channel: cases.ChannelKf, OpenKfID: "wkA", Recipient: "wmX", Message: cases.Message{Text: "在后"},
			NextAttemptAt: now.Add(-time.Hour), CreatedAt: now}
		if err := db.Enqueue(ctx, behind); err != nil {
			t.Fatal(err)
		}
		if due, _ := db.DueOutbox(ctx, now, 10); len(due) != 3 {
			t.Errorf("DueOutbox with a message queued behind one not yet due = %d messages, want the same 3", len(due))
		}
		if due, _ := db.DueOutbox(ctx, now.Add(time.Millisecond), 10); len(due) != 5 {
			t.Errorf("DueOutbox once 以后 is due = %d messages, want 5", len(due))
		}
		behind.Status = cases.OutboxSent
		if err := db.UpdateOutbox(ctx, behind); err != nil {
			t.Fatal(err)
		}

		sent := now.Add(time.Second)
		ms[5].Status, ms[5].Attempts, ms[5].SentAt, ms[5].WeComMsgID = cases.OutboxSent, 1, &sent, "wecom-1"
		ms[0].Status, ms[0].MergedInto = cases.OutboxMerged, ms[5].ID
		ms[1].Attempts, ms[1].LastError, ms[1].NextAttemptAt = 1, "errcode 45009", now.Add(time.Minute)
		for _, m := range []*cases.OutboxMessage{ms[5], ms[0], ms[1]} {
			if err := db.UpdateOutbox(ctx, m); err != nil {
				t.Fatalf("UpdateOutbox: %v", err)
			}
		}
		if due, err := db.DueOutbox(ctx, now, 10); err != nil || len(due) != 0 {
			t.Errorf("DueOutbox after update = %v, %v; want none", due, err)
		}
		due, err = db.DueOutbox(ctx, now.Add(time.Minute), 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*cases.OutboxMessage{ms[2], ms[1]}, due); diff != "" {
			t.Errorf("DueOutbox a minute later (-want +got):\n%s", diff)
		}

		held, err := db.HeldOutbox(ctx, "wkA", "wmX")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*cases.OutboxMessage{ms[3]}, held); diff != "" {
			t.Errorf("HeldOutbox (-want +got):\n%s", diff)
		}
		byCase, err := db.CaseOutbox(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*cases.OutboxMessage{ms[0], ms[1], ms[5]}, byCase); diff != "" {
			t.Errorf("CaseOutbox (-want +got):\n%s", diff)
		}
		if err := db.UpdateOutbox(ctx, &cases.OutboxMessage{ID: 99999, Status: cases.OutboxSent}); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("UpdateOutbox(missing) error = %v, want ErrNotFound", err)
		}
		// Saving unchanged is not "not found" (MySQL reports 0 rows changed).
		if err := db.UpdateOutbox(ctx, ms[1]); err != nil {
			t.Errorf("UpdateOutbox unchanged: %v", err)
		}
	})
}

func TestContacts(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		if _, err := db.GetContact(ctx, "wkA", "wmX"); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("GetContact(never seen) error = %v, want ErrNotFound", err)
		}
		saves := []cases.Contact{
			{OpenKfID: "wkA", ExternalUserID: "wmX", LastInboundAt: at, SentInWindow: 1, UpdatedAt: at},
			{OpenKfID: "wkA", ExternalUserID: "wmY", UpdatedAt: at},
			{OpenKfID: "wkB", ExternalUserID: "wmX", LastInboundAt: at, ServiceState: 3, UpdatedAt: at},
			{OpenKfID: "wkA", ExternalUserID: "wmX", LastInboundAt: at.Add(time.Hour), SentInWindow: 4, ServiceState: 1, UpdatedAt: at.Add(time.Hour)},
		}
		for i := range saves {
			if err := db.SaveContact(ctx, &saves[i]); err != nil {
				t.Fatalf("SaveContact: %v", err)
			}
		}
		for _, want := range []cases.Contact{saves[3], saves[1], saves[2]} {
			got, err := db.GetContact(ctx, want.OpenKfID, want.ExternalUserID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("GetContact(%s, %s) (-want +got):\n%s", want.OpenKfID, want.ExternalUserID, diff)
			}
		}
	})
}

// A handover changes only the citizen's session state: a window their
// latest message opened meanwhile stays as it is now.
func TestSetServiceStateLeavesTheWindow(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		c := &cases.Contact{OpenKfID: "wkA", ExternalUserID: "wmX", LastInboundAt: at, SentInWindow: 1, InboundSeq: 3, UpdatedAt: at}
		if err := db.SaveContact(ctx, c); err != nil {
			t.Fatal(err)
		}
		// The citizen writes again (another transaction) …
		c.LastInboundAt, c.SentInWindow, c.InboundSeq = at.Add(time.Minute), 0, 4
		if err := db.SaveContact(ctx, c); err != nil {
			t.Fatal(err)
		}
		// … and the handover sets the state.
		if err := db.SetServiceState(ctx, "wkA", "wmX", 2, at.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := db.GetContact(ctx, "wkA", "wmX")
		if err != nil {
			t.Fatal(err)
		}
		if got.ServiceState != 2 || got.InboundSeq != 4 || got.SentInWindow != 0 {
			t.Errorf("contact after handover = %+v, want state 2 and the window of message 4", got)
		}
		if err := db.SetServiceState(ctx, "wkA", "wmNew", 2, at); err != nil {
			t.Fatal(err)
		}
		if got, err := db.GetContact(ctx, "wkA", "wmNew"); err != nil || got.ServiceState != 2 {
			t.Errorf("contact never seen after handover = %+v, %v; want state 2", got, err)
		}
	})
}
