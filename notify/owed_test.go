package notify_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// A citizen with several replies due gets them for one commit each and one
// more: each sent message is settled in the transaction that claims the
// next, the first claim and the last settlement on their own. Every
// message is still counted in the window and its fate is on the timeline.
func TestRepliesToOneCitizenShareCommits(t *testing.T) {
	for name, open := range map[string]func(testing.TB) (*storage.SQL, *storagetest.Counter){
		"sqlite": storagetest.CountedSQLite, "mysql": storagetest.CountedMySQL,
	} {
		t.Run(name, func(t *testing.T) {
			db, counter := open(t)
			api := &weCom{}
			f := effectsFixture(t, db, api)
			ctx := context.Background()
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			c := f.newCase(t, "wmA", cases.StatusResolved)
			f.enqueue(t, 0, "wmA", "一", cases.PriorityNormal)
			f.enqueue(t, 0, "wmA", "二", cases.PriorityNormal)
			f.enqueue(t, 0, "wmA", "三", cases.PriorityNormal)
			f.enqueue(t, c.ID, "wmA", "答复", cases.PriorityCritical)
			counter.Reset()
			if err := f.out.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			counts := counter.Counts()
			// One claim alone, then four transactions: settle and claim
			// three times, the last settlement alone.
			if got := counts.DatabaseCommits(); got != 5 {
				t.Errorf("the database committed %d times for 4 replies, want 5 (%+v)", got, counts)
			}
			want := []string{"答复", "一", "二", "三"}
			if diff := cmp.Diff(want, calledTexts(api)); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			assertSettled(t, f, c.ID, []string{"答复 sent"}, 4)
			due, err := db.DueOutbox(ctx, f.now.Add(time.Hour), 10)
			if err != nil || len(due) != 0 {
				t.Errorf("still due: %v, %v", due, err)
			}
		})
	}
}

// When the next message changed while the one before was being sent (its
// claim is refused), the message WeCom took is still settled: sent, counted
// in the window, its fate on the timeline. The changed message is read
// again and sent in the flush's next round (behind a message left claimed,
// it would wait).
func TestSettledWhenTheNextClaimIsRefused(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			ctx := context.Background()
			api := &weCom{}
			f := effectsFixture(t, db, api)
			f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
			c := f.newCase(t, "wmA", cases.StatusResolved)
			f.enqueue(t, c.ID, "wmA", "答复", cases.PriorityCritical)
			next := f.enqueue(t, c.ID, "wmA", "进展", cases.PriorityNormal)
			api.fail = func(call int, _ cases.Message) (bool, error) {
				if call == 1 {
					// Another writer changes the next message meanwhile.
					touchOutbox(t, db, c.ID, next.ID)
				}
				return true, nil
			}
			if err := f.out.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"答复", "进展"}, calledTexts(api)); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			assertSettled(t, f, c.ID, []string{"答复 sent", "进展 sent"}, 2)
		})
	}
}

// calledTexts are the texts of api's calls, in order.
func calledTexts(api *weCom) []string {
	api.mu.Lock()
	defer api.mu.Unlock()
	var out []string
	for _, c := range api.calls {
		text, _, _ := strings.Cut(c, "/")
		out = append(out, text)
	}
	return out
}

// touchOutbox changes message id of case caseID as another writer would:
// its version moves on.
func touchOutbox(t *testing.T, db *storage.SQL, caseID, id int64) {
	t.Helper()
	ctx := context.Background()
	list, err := db.CaseOutbox(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.ID == id {
			m.LastError = "touched"
			if err := db.UpdateOutbox(ctx, m); err != nil {
				t.Fatal(err)
			}

			return
		}
	}
	t.Fatalf("message %d not found", id)
}

// assertSettled checks the messages of case caseID (text and status), that
// each one sent has its fate on the case's timeline, and the citizen wmA's
// count of messages in the window.
func assertSettled(t *testing.T, f *fixture, caseID int64, want []string, inWindow int) {
	t.Helper()
	ctx := context.Background()
	if diff := cmp.Diff(want, f.fates(t, caseID)); diff != "" {
		t.Errorf("messages of the case (-want +got):\n%s", diff)
	}
	out, err := f.db.CaseOutbox(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	var wantFates []string
	for _, m := range out {
		if m.Status == cases.OutboxSent {
			wantFates = append(wantFates, fmt.Sprint(m.ID))
		}
	}
	tl, err := f.db.Timeline(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	var fates []string
	for _, e := range tl {
		if e.Kind != cases.EventNotification {
			continue
		}
		var fate cases.OutboxFate
		if err := cases.ParseData(e.Data, &fate); err != nil {
			t.Fatal(err)
		}
		fates = append(fates, fmt.Sprint(fate.OutboxID))
	}
	if diff := cmp.Diff(wantFates, fates); diff != "" {
		t.Errorf("fates on the timeline (-want +got):\n%s", diff)
	}
	contact, err := f.db.GetContact(ctx, "wk1", "wmA")
	if err != nil {
		t.Fatal(err)
	}
	if contact.SentInWindow != inWindow {
		t.Errorf("%d messages counted in the window, want %d", contact.SentInWindow, inWindow)
	}
}

// A lone reply about no case costs MySQL two commits: its claim, one
// statement committed on its own, and its settlement (the message's state
// and the window's count) in one transaction.
func TestLoneReplyCostsTwoCommitsOnMySQL(t *testing.T) {
	db, counter := storagetest.CountedMySQL(t)
	api := &weCom{}
	f := effectsFixture(t, db, api)
	ctx := context.Background()
	f.contact(t, "wmA", f.now.Add(-time.Minute), 0)
	f.enqueue(t, 0, "wmA", "您好", cases.PriorityNormal)
	counter.Reset()
	if err := f.out.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	counts := counter.Counts()
	if counts.Begins != 1 || counts.DatabaseCommits() != 2 {
		t.Errorf("%d transactions and %d commits for a lone reply, want 1 and 2 (%+v)", counts.Begins, counts.DatabaseCommits(), counts)
	}
	if diff := cmp.Diff([]string{"您好"}, calledTexts(api)); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
	contact, err := db.GetContact(ctx, "wk1", "wmA")
	if err != nil {
		t.Fatal(err)
	}
	if contact.SentInWindow != 1 {
		t.Errorf("%d messages counted in the window, want 1", contact.SentInWindow)
	}
}
