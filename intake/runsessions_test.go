package intake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/bot"
	"banchengshi/cases"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// conversationState is what handling a citizen's messages leaves behind
// that the citizen or staff can tell: the stored dialog session, the
// replies to each message, the cases with their files, and draft files.
type conversationState struct {
	Session     string // "" when there is none
	Replies     []reply
	Cases       int
	Attachments int
	Drafts      int
}

type reply struct {
	To      int64
	Message cases.Message
}

func stateOf(t *testing.T, repo *storage.SQL, user string) conversationState {
	t.Helper()
	ctx := context.Background()
	key := bot.SessionKey("wkSANDBOX001", user)
	var st conversationState
	data, err := repo.LoadSession(ctx, key)
	switch {
	case err == nil:
		st.Session = string(data)
	case !errors.Is(err, cases.ErrNotFound):
		t.Fatal(err)
	}
	due, err := repo.DueOutbox(ctx, time.Now().Add(time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range due {
		if m.Recipient == user {
			st.Replies = append(st.Replies, reply{m.ReplyTo, m.Message})
		}
	}
	for _, c := range []struct {
		query, arg string
		n          *int
	}{
		{"SELECT COUNT(*) FROM cases WHERE reporter_id = ?", user, &st.Cases},
		{"SELECT COUNT(*) FROM attachments a JOIN cases c ON c.id = a.case_id WHERE c.reporter_id = ?", user, &st.Attachments},
		{"SELECT COUNT(*) FROM draft_media WHERE session_key = ?", key, &st.Drafts},
	} {
		if err := repo.DB().QueryRowContext(ctx, c.query, c.arg).Scan(c.n); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// sessionStatements counts the statements on the sessions table in
// queries: reads, and writes (saved or deleted).
func sessionStatements(queries map[string]int) (reads, writes int) {
	for q, n := range queries {
		switch {
		case strings.HasPrefix(q, "SELECT data FROM sessions "):
			reads += n
		case strings.HasPrefix(q, "INSERT INTO sessions "), strings.HasPrefix(q, "DELETE FROM sessions "):
			writes += n
		}
	}
	return reads, writes
}

// A run of a citizen's quick messages reads the dialog session once and
// writes it at most once, and leaves exactly what the same messages leave
// handled one at a time: the same session, the same replies, the same case
// with its files. Each conversation first has some messages handled one at
// a time (before), then the rest arrive together (run).
func TestARunReadsAndWritesTheSessionOnce(t *testing.T) {
	conversations := []struct {
		name   string
		before []string
		photo  bool // a photo after before, handled alone (it is downloaded)
		run    []string
		// writes is how often the run writes the session: its last state
		// once, or nothing when it is gone and was not stored before.
		writes int
	}{
		{name: "a report begun", run: report[:5], writes: 1},
		{name: "a report continued", before: report[:3], run: report[3:8], writes: 1},
		{name: "a whole report", run: report, writes: 0},
		{name: "a report finished, then what next", before: report[:2], run: append(slices.Clone(report[2:]), "2", "你好"), writes: 1},
		{name: "a report with a photo finished", before: report[:9], photo: true, run: report[9:], writes: 1},
	}
	for name, open := range map[string]func(testing.TB) (*storage.SQL, *storagetest.Counter){
		"sqlite": storagetest.CountedSQLite, "mysql": storagetest.CountedMySQL,
	} {
		t.Run(name, func(t *testing.T) {
			// One citizen per conversation, in the same order in both
			// databases (case numbers follow one another): in alone every
			// message is handled by itself, in repo the run comes at once.
			alone, _ := open(t)
			repo, counter := open(t)
			for i, c := range conversations {
				t.Run(c.name, func(t *testing.T) {
					ctx := context.Background()
					at := time.Now().Unix()
					user := fmt.Sprintf("u%d", i)
					n := 0
					next := func(line string) wecom.KfMessage {
						n++
						return text(fmt.Sprintf("%s-m%d", user, n), user, line, at)
					}
					var before, run []wecom.KfMessage
					for _, line := range c.before {
						before = append(before, next(line))
					}
					if c.photo {
						before = append(before, image(user+"-p", user, 1, at))
					}
					for _, line := range c.run {
						run = append(run, next(line))
					}

					in := newIntake(t, alone, &pagedKf{})
					for _, m := range append(before, run...) {
						storePending(t, in, m)
						in.Drain(ctx)
					}
					want := stateOf(t, alone, user)
					if c.photo && (want.Attachments != 1 || want.Drafts != 0) {
						t.Fatalf("handled alone: %+v; want the photo on the case and no draft file left", want)
					}

					in = newIntake(t, repo, &pagedKf{})
					for _, m := range before {
						storePending(t, in, m)
						in.Drain(ctx)
					}
					storePending(t, in, run...)
					counter.Reset()
					in.Drain(ctx)
					if got := counter.Counts(); got.Begins != 1 || got.Rollbacks != 0 {
						t.Fatalf("transactions: %+v; want the run in one", got)
					}
					if reads, writes := sessionStatements(counter.Queries()); reads != 1 || writes != c.writes {
						t.Errorf("the run read the session %d times and wrote it %d times; want once and %d", reads, writes, c.writes)
					}
					if pending, err := repo.PendingKfMessages(ctx, 10); err != nil || len(pending) != 0 {
						t.Fatalf("pending after the run: %d, %v", len(pending), err)
					}
					if diff := cmp.Diff(want, stateOf(t, repo, user)); diff != "" {
						t.Errorf("the run left (-alone +run):\n%s", diff)
					}
				})
			}
		})
	}
}

// A run that fails after the session was written is rolled back whole: its
// messages, handled again one by one, start from the session stored before
// the run, never from what the failed run held.
func TestAFailedRunLeavesTheSessionAsItWas(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			at := time.Now().Unix()
			var msgs []wecom.KfMessage
			for i, line := range report[:6] {
				msgs = append(msgs, text(fmt.Sprintf("m%d", i), "u1", line, at))
			}

			// m0 and m1 handled, m2 failing: what handling m0 and m1 leaves.
			alone := open(t)
			in := newIntake(t, alone, &fakeKf{})
			for _, m := range msgs[:2] {
				storePending(t, in, m)
				in.Drain(ctx)
			}
			want := stateOf(t, alone, "u1")

			// The run writes its session, then fails to mark its messages
			// done; one by one, m2 fails again and m3… wait behind it.
			repo := open(t)
			in = newIntake(t, failingDone{repo, "m2"}, &fakeKf{})
			storePending(t, in, msgs...)
			in.Drain(ctx)
			if diff := cmp.Diff(want, stateOf(t, repo, "u1")); diff != "" {
				t.Errorf("after the failed run (-m0 and m1 alone +after):\n%s", diff)
			}
		})
	}
}

// runSessions writes the last state of each session a run changed, and
// nothing for one that is gone and was not stored: whatever the turns did
// in between, the database ends as if each had been written at once.
func TestRunSessionsWriteTheLastState(t *testing.T) {
	key := bot.SessionKey("wkSANDBOX001", "u1")
	type op struct {
		name string // load, save, delete
		data string // saved; or, for load, what it must return ("" for none)
	}
	for _, c := range []struct {
		name   string
		stored string // the session before the run; "" for none
		ops    []op
		want   string // the session after the run; "" for none
		writes int
	}{
		{name: "read only", stored: "a", ops: []op{{"load", "a"}}, want: "a", writes: 0},
		{name: "saved twice", stored: "a", ops: []op{{"load", "a"}, {"save", "b"}, {"load", "b"}, {"save", "c"}}, want: "c", writes: 1},
		{name: "deleted", stored: "a", ops: []op{{"load", "a"}, {"delete", ""}, {"load", ""}}, want: "", writes: 1},
		{name: "deleted, then saved again", stored: "a", ops: []op{{"load", "a"}, {"delete", ""}, {"load", ""}, {"save", "b"}}, want: "b", writes: 1},
		{name: "begun and done within the run", ops: []op{{"load", ""}, {"save", "b"}, {"load", "b"}, {"delete", ""}}, want: "", writes: 0},
		{name: "deleted unread", stored: "a", ops: []op{{"delete", ""}}, want: "", writes: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			repo, counter := storagetest.CountedSQLite(t)
			if c.stored != "" {
				if err := repo.InTx(ctx, func(r cases.Repo) error { return r.SaveSession(ctx, key, []byte(c.stored)) }); err != nil {
					t.Fatal(err)
				}
			}
			counter.Reset()
			err := repo.InTx(ctx, func(r cases.Repo) error {
				s := newRunSessions(r)
				for _, o := range c.ops {
					switch o.name {
					case "load":
						data, err := s.LoadSession(ctx, key)
						if errors.Is(err, cases.ErrNotFound) {
							data, err = nil, nil
						}
						if err != nil || string(data) != o.data {
							t.Errorf("load: %q, %v; want %q", data, err, o.data)
						}
					case "save":
						if err := s.SaveSession(ctx, key, []byte(o.data)); err != nil {
							return err
						}
					case "delete":
						if err := s.DeleteSession(ctx, key); err != nil {
							return err
						}
					}
				}
				return s.flush(ctx)
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, writes := sessionStatements(counter.Queries()); writes != c.writes {
				t.Errorf("%d writes; want %d", writes, c.writes)
			}
			if got := stateOf(t, repo, "u1").Session; got != c.want {
				t.Errorf("stored %q; want %q", got, c.want)
			}
		})
	}
}
