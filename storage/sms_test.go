package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
)

func TestSMSMessages(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		c := mustCreate(t, db, newCase("BC2611280001", nil))
		first := &cases.SMSMessage{EventKey: "answer:1:100", CaseID: c.ID, OutboxID: 7, Urgent: cases.UrgentAnswer,
			Params: []string{"BC2611280001", "已办结。答复：已恢复发放"}, CreatedAt: at}
		if err := db.EnqueueSMS(ctx, first); err != nil {
			t.Fatal(err)
		}
		// The same event again: refused, so that nobody is texted twice.
		again := &cases.SMSMessage{EventKey: "answer:1:100", CaseID: c.ID, OutboxID: 8, Urgent: cases.UrgentAnswer, Params: []string{"x"}, CreatedAt: at}
		if err := db.EnqueueSMS(ctx, again); !errors.Is(err, cases.ErrDuplicate) {
			t.Fatalf("second text for one event: %v, want ErrDuplicate", err)
		}
		later := &cases.SMSMessage{EventKey: "material:9", CaseID: c.ID, OutboxID: 9, Urgent: cases.UrgentMaterial,
			Params: []string{"BC2611280001", "请提供原单位的证明"}, CreatedAt: at, NextAttemptAt: at.Add(time.Hour)}
		if err := db.EnqueueSMS(ctx, later); err != nil {
			t.Fatal(err)
		}

		due, err := db.DueSMS(ctx, cases.SMSPending, at.Add(time.Minute), 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []*cases.SMSMessage{{ID: first.ID, EventKey: "answer:1:100", CaseID: c.ID, OutboxID: 7, Urgent: cases.UrgentAnswer,
			Params: []string{"BC2611280001", "已办结。答复：已恢复发放"}, Status: cases.SMSPending, NextAttemptAt: micro(at), CreatedAt: micro(at)}}
		if diff := cmp.Diff(want, due); diff != "" {
			t.Errorf("due (-want +got):\n%s", diff)
		}

		first.Status, first.Attempts, first.ProviderID, first.SentAt = cases.SMSSent, 1, "2433:1", ptr(at.Add(time.Second))
		if err := db.UpdateSMS(ctx, first); err != nil {
			t.Fatal(err)
		}
		all, err := db.CaseSMS(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || all[0].Status != cases.SMSSent || all[0].ProviderID != "2433:1" || !all[0].SentAt.Equal(micro(at.Add(time.Second))) || all[1].ID != later.ID {
			t.Errorf("case texts = %+v", all)
		}
		if err := db.UpdateSMS(ctx, &cases.SMSMessage{ID: 999999, Params: []string{}}); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("update of a missing text: %v, want ErrNotFound", err)
		}
		// What the text says is sealed at rest.
		if v := rawRow(t, db, "SELECT params FROM sms_messages WHERE id = ?", first.ID)["params"]; !strings.HasPrefix(v, "v2:") || strings.Contains(v, "恢复") {
			t.Errorf("params stored as %q, want sealed", v)
		}
	})
}
