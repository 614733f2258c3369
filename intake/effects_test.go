package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/bot"
	"banchengshi/cases"
	clock "banchengshi/internal/clocktest"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

var dialects = map[string]func(testing.TB) *storage.SQL{"sqlite": storagetest.SQLite, "mysql": storagetest.MySQL}

// panickySessions panics while saving the dialog of one citizen, as a bug
// triggered by one message would.
type panickySessions struct {
	cases.Repo
	victim string
}

func (p panickySessions) SaveSession(ctx context.Context, key string, data []byte) error {
	if strings.Contains(key, p.victim) {
		panic("runtime error: invalid memory address or nil pointer dereference")
	}
	return p.Repo.SaveSession(ctx, key, data)
}

func (p panickySessions) InTx(ctx context.Context, fn func(cases.Repo) error) error {
	return p.Repo.InTx(ctx, func(r cases.Repo) error { return fn(panickySessions{r, p.victim}) })
}

// A message that panics the handler is recovered: it counts as an attempt
// and is given up visibly after the last one, while another citizen's
// message is answered at once. Nothing escapes to crash the replica.
func TestPanickingMessageIsContained(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			repo := open(t)
			clk := clock.NewFake(time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC))
			api := &fakeKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{
				text("m1", "uBad", "你好", clk.Now().Unix()), text("m2", "uGood", "你好", clk.Now().Unix()),
			}}}}
			in := clockedIntake(t, panickySessions{repo, "uBad"}, api, clk)
			ctx := context.Background()
			pullAndHandle(t, in, "tok")
			replies := func(user string) int {
				due, err := repo.DueOutbox(ctx, clk.Now().Add(time.Hour), 100)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, m := range due {
					if m.Recipient == user {
						n++
					}
				}
				return n
			}
			if replies("uGood") == 0 {
				t.Error("the other citizen got no reply while one message panicked")
			}
			pending, err := repo.PendingKfMessages(ctx, 10)
			if err != nil || len(pending) != 1 || pending[0].Attempts != 1 || !strings.Contains(pending[0].LastError, "panic") {
				t.Fatalf("after the panic: %+v, %v; want the bad message pending with one attempt", pending, err)
			}
			for range 40 {
				clk.Advance(5 * time.Minute)
				in.Drain(ctx)
			}
			if pending, err := repo.PendingKfMessages(ctx, 10); err != nil || len(pending) != 0 {
				t.Fatalf("still pending after its attempts: %+v, %v", pending, err)
			}
			if replies("uBad") != 1 {
				t.Errorf("the citizen whose message was given up got %d messages, want the apology", replies("uBad"))
			}
		})
	}
}

// failingStaff fails every command, as a database in trouble would.
type failingStaff struct{ calls int }

func (f *failingStaff) HandleApp(context.Context, cases.Repo, cases.AppMessage) error {
	f.calls++
	return errors.New("deadlock found when trying to get lock")
}

// A staff member's command given up after its retries is reported to that
// staff member in the app, not only logged; what they typed is not repeated.
func TestStaffCommandGivenUpIsReported(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			repo := open(t)
			clk := clock.NewFake(time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC))
			st := &failingStaff{}
			in := New(Config{Repo: repo, API: &fakeKf{}, Locker: storage.NewMemory().Locker(), Engine: bot.New(bot.Config{}),
				Staff: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clk.Now})
			ctx := context.Background()
			plain := fmt.Sprintf(`<xml><ToUserName>ww1</ToUserName><FromUserName>zhangsan</FromUserName><CreateTime>%d</CreateTime>`+
				`<MsgType>text</MsgType><Content>受理 BC2611300001 身份证110101195001011234</Content><MsgId>9001</MsgId><AgentID>1000002</AgentID></xml>`,
				clk.Now().Unix())
			cb, err := wecom.ParseCallback([]byte(plain))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := in.Receive(ctx, cb, []byte(plain)); err != nil {
				t.Fatal(err)
			}
			for range 60 {
				in.Drain(ctx)
				clk.Advance(5 * time.Minute)
			}
			if st.calls != maxAttempts {
				t.Errorf("command tried %d times, want %d", st.calls, maxAttempts)
			}
			due, err := repo.DueOutbox(ctx, clk.Now(), 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range due {
				got = append(got, fmt.Sprintf("%s %s: %s", m.Channel, m.Recipient, m.Message.Text))
			}
			want := []string{"app zhangsan: 您在11月30日 10:00发给本应用的指令，系统多次处理失败，已停止重试，该操作没有生效。请稍后重新操作；如仍不成功，请联系系统管理员。"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("queued (-want +got):\n%s", diff)
			}
			if pending, err := repo.PendingInbound(ctx, 10); err != nil || len(pending) != 0 {
				t.Errorf("callback still pending: %+v, %v", pending, err)
			}
		})
	}
}
