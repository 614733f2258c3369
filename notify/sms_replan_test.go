package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"banchengshi/cases"
)

// An answer planned a second time, as a crash between its text and its
// record would leave it (due again, its text queued already), sends no
// second text: one text per answer, and the timeline says why.
func TestAnswerPlannedAgainTextsOnce(t *testing.T) {
	f := newSMSFixture(t)
	ctx := context.Background()
	f.contact(t, "wmUser", f.now.Add(-49*time.Hour), 0)
	cs := f.answeredCase(t, "wmUser", "13812345678")
	m := f.enqueue(t, cs.ID, "wmUser", "您反映的事项已办结。", cases.PriorityCritical)
	flush := func() {
		t.Helper()
		if err := f.out.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := f.sms.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	flush()
	if len(f.texter.sent) != 1 {
		t.Fatalf("%d texts for the answer, want 1", len(f.texter.sent))
	}

	out, err := f.db.CaseOutbox(ctx, cs.ID)
	if err != nil {
		t.Fatal(err)
	}
	again := out[0]
	if again.ID != m.ID || again.Status != cases.OutboxSMS {
		t.Fatalf("the answer is %s, want sms", again.Status)
	}
	again.Status, again.NextAttemptAt = cases.OutboxPending, f.now
	if err := f.db.UpdateOutbox(ctx, again); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Hour)
	flush()

	if f.texter.calls != 1 || len(f.texter.sent) != 1 {
		t.Errorf("after planning the answer again: %d calls, %d texts; want the first only", f.texter.calls, len(f.texter.sent))
	}
	out, err = f.db.CaseOutbox(ctx, cs.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0]; got.Status != cases.OutboxSMS || !strings.Contains(got.LastError, "同一事项已发短信告知") {
		t.Errorf("the answer planned again is %s (%s), want sms, covered by the text sent", got.Status, got.LastError)
	}
	timeline, err := f.db.Timeline(ctx, cs.ID)
	if err != nil {
		t.Fatal(err)
	}
	covered := false
	for _, e := range timeline {
		covered = covered || (e.Kind == cases.EventNotification && strings.Contains(e.Body, "同一事项已发短信告知"))
	}
	if !covered {
		t.Errorf("the timeline does not say the answer was texted already: %+v", timeline)
	}
}
