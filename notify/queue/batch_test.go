package queue_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/notify/queue"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// What a Batch keeps is stored in one statement, in the order queued, and
// before anything reads the outbox through it: a turn sees the messages the
// turns before it queued.
func TestBatchStoresInOrderBeforeTheOutboxIsRead(t *testing.T) {
	for name, open := range map[string]func(testing.TB) (*storage.SQL, *storagetest.Counter){"sqlite": storagetest.CountedSQLite, "mysql": storagetest.CountedMySQL} {
		t.Run(name, func(t *testing.T) {
			db, counter := open(t)
			ctx := context.Background()
			err := db.InTx(ctx, func(r cases.Repo) error {
				b := queue.NewBatch(r)
				if err := queue.Reply(ctx, b, "wk1", "wmA", 1, []cases.Message{{Text: "一"}, {Text: "二"}}, now); err != nil {
					return err
				}
				if err := queue.ToStaff(ctx, b, "zhangsan", 0, cases.Message{Text: "丙"}, cases.PriorityNormal, now); err != nil {
					return err
				}
				before := counter.Counts().Statements
				due, err := b.DueOutbox(ctx, now, 10)
				if err != nil {
					return err
				}
				if got := texts(due); !cmp.Equal(got, []string{"一", "二", "丙"}) {
					t.Errorf("due in the transaction: %v, want 一 二 丙", got)
				}
				// The data key's row (the transaction's first seal), one
				// INSERT, the read.
				if n := counter.Counts().Statements - before; n != 3 {
					t.Errorf("%d statements to store three messages and read them, want 3", n)
				}
				if err := queue.Reply(ctx, b, "wk1", "wmA", 2, []cases.Message{{Text: "丁"}}, now); err != nil {
					return err
				}
				return b.Flush(ctx)
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := texts(stored(t, db)); !cmp.Equal(got, []string{"一", "二", "丙", "丁"}) {
				t.Errorf("stored: %v, want 一 二 丙 丁", got)
			}
		})
	}
}

func texts(ms []*cases.OutboxMessage) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Message.Text)
	}
	return out
}

// calls records which repo methods a Batch called; every other method of
// the repo is the nil one embedded, and panics.
type calls struct {
	cases.Repo
	names []string
}

func (c *calls) EnqueueMany(context.Context, []*cases.OutboxMessage) error {
	c.names = append(c.names, "EnqueueMany")
	return nil
}

// Every method of the repo that reads or changes the outbox (its name says
// Outbox, or it counts the window from it, or may set an outbox row aside)
// stores what the Batch keeps before it runs, including any such method
// added to cases.Repo later.
func TestBatchFlushesBeforeEveryOutboxMethod(t *testing.T) {
	repo := reflect.TypeFor[cases.Repo]()
	checked := 0
	for i := range repo.NumMethod() {
		method := repo.Method(i)
		name := method.Name
		if !strings.Contains(name, "Outbox") && name != "OpenWindow" && name != "SetAside" {
			continue
		}
		checked++
		t.Run(name, func(t *testing.T) {
			rec := &calls{}
			b := queue.NewBatch(rec)
			if err := b.Enqueue(context.Background(), &cases.OutboxMessage{}); err != nil {
				t.Fatal(err)
			}
			args := []reflect.Value{}
			for j := range method.Type.NumIn() {
				in := method.Type.In(j)
				if in == reflect.TypeFor[context.Context]() {
					args = append(args, reflect.ValueOf(context.Background()))
					continue
				}
				args = append(args, reflect.Zero(in))
			}
			func() {
				defer func() { _ = recover() }() // the nil repo behind the Batch
				reflect.ValueOf(b).MethodByName(name).Call(args)
			}()
			if !cmp.Equal(rec.names, []string{"EnqueueMany"}) {
				t.Errorf("%s through a Batch: %v before it, want what it keeps stored first", name, rec.names)
			}
		})
	}
	if checked < 10 {
		t.Errorf("%d outbox methods found on cases.Repo; the test no longer finds them", checked)
	}
}
