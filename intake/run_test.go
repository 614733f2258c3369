package intake

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// storePending stores kf messages as a sync_msg page would.
func storePending(t *testing.T, in *Intake, msgs ...wecom.KfMessage) {
	t.Helper()
	err := in.repo.InTx(context.Background(), func(r cases.Repo) error {
		for i := range msgs {
			if _, err := r.InsertKfMessage(context.Background(), in.record(&msgs[i])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// repliesByMessage lists, per citizen, the message numbers (Contact.InboundSeq)
// their queued replies answer, in the order queued.
func repliesByMessage(t *testing.T, repo cases.Repo) map[string][]int64 {
	t.Helper()
	due, err := repo.DueOutbox(context.Background(), time.Now().Add(time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]int64{}
	for _, m := range due {
		if m.Channel == cases.ChannelKf {
			out[m.Recipient] = append(out[m.Recipient], m.ReplyTo)
		}
	}
	return out
}

// A citizen's quick messages share one transaction, and each is handled as
// alone: counted in the window, answered in order, marked done.
func TestQuickMessagesShareATransaction(t *testing.T) {
	for name, open := range map[string]func(testing.TB) (*storage.SQL, *storagetest.Counter){
		"sqlite": storagetest.CountedSQLite, "mysql": storagetest.CountedMySQL,
	} {
		t.Run(name, func(t *testing.T) {
			repo, counter := open(t)
			ctx := context.Background()
			in := newIntake(t, repo, &fakeKf{})
			at := time.Now().Unix()
			var msgs []wecom.KfMessage
			for i, line := range []string{"你好", "1", "1", "王桂香", "不知道"} {
				msgs = append(msgs, text(fmt.Sprintf("m%d", i), "u1", line, at))
			}
			msgs = append(msgs, text("n0", "u2", "你好", at))
			storePending(t, in, msgs...)

			counter.Reset()
			in.Drain(ctx)
			if got := counter.Counts(); got.Begins != 2 || got.Commits != 2 || got.Rollbacks != 0 {
				t.Errorf("transactions: %+v; want one for u1's five messages and one for u2's", got)
			}
			if pending, err := repo.PendingKfMessages(ctx, 10); err != nil || len(pending) != 0 {
				t.Fatalf("pending after the drain: %d, %v", len(pending), err)
			}
			want := map[string][]int64{"u1": {1, 2, 3, 4, 5}, "u2": {1}}
			if diff := cmp.Diff(want, repliesByMessage(t, repo)); diff != "" {
				t.Errorf("replies by message (-want +got):\n%s", diff)
			}
			if c, err := repo.GetContact(ctx, "wkSANDBOX001", "u1"); err != nil || c.InboundSeq != 5 {
				t.Errorf("u1's window: %+v, %v; want message number 5", c, err)
			}
		})
	}
}

// failingDone fails to mark one message done, as a database error in the
// middle of a run would.
type failingDone struct {
	cases.Repo
	victim string
}

func (f failingDone) UpdateKfMessage(ctx context.Context, m *cases.KfMessage) error {
	if m.MsgID == f.victim && m.DoneAt != nil {
		return errors.New("connection reset by peer")
	}
	return f.Repo.UpdateKfMessage(ctx, m)
}

// MarkKfMessagesDone fails: a run marks its messages done together, and the
// victim is among them.
func (f failingDone) MarkKfMessagesDone(context.Context, []int64, time.Time) (int, error) {
	return 0, errors.New("connection reset by peer")
}

func (f failingDone) InTx(ctx context.Context, fn func(cases.Repo) error) error {
	return f.Repo.InTx(ctx, func(r cases.Repo) error { return fn(failingDone{r, f.victim}) })
}

// When one message of a run fails, the run is rolled back whole and its
// messages are handled one by one: those before the failing one once each,
// the failing one with its attempt counted, those after it waiting.
func TestAFailedRunIsHandledOneByOne(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			repo := open(t)
			ctx := context.Background()
			in := newIntake(t, failingDone{repo, "m2"}, &fakeKf{})
			at := time.Now().Unix()
			var msgs []wecom.KfMessage
			for i, line := range []string{"你好", "1", "1", "王桂香"} {
				msgs = append(msgs, text(fmt.Sprintf("m%d", i), "u1", line, at))
			}
			storePending(t, in, msgs...)

			in.Drain(ctx)
			pending, err := repo.PendingKfMessages(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			type left struct {
				MsgID    string
				Attempts int
			}
			var got []left
			for _, m := range pending {
				got = append(got, left{m.MsgID, m.Attempts})
			}
			if diff := cmp.Diff([]left{{"m2", 1}, {"m3", 0}}, got); diff != "" {
				t.Errorf("left pending (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string][]int64{"u1": {1, 2}}, repliesByMessage(t, repo)); diff != "" {
				t.Errorf("replies by message (-want +got):\n%s", diff)
			}
			if c, err := repo.GetContact(ctx, "wkSANDBOX001", "u1"); err != nil || c.InboundSeq != 2 {
				t.Errorf("u1's window: %+v, %v; want message number 2 (the rolled-back run counted nothing)", c, err)
			}
		})
	}
}
