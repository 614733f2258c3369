package intake

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	clock "banchengshi/internal/clocktest"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// welcomingKf is fakeKf that records the greetings sent with an
// enter_session's welcome code.
type welcomingKf struct {
	fakeKf
	welcomes []string // code: text
}

func (w *welcomingKf) SendKfOnEvent(_ context.Context, code string, m cases.Message) (string, error) {
	w.welcomes = append(w.welcomes, code+": "+m.Text)
	return "msg-" + code, nil
}

// sendFailures records the msg_send_fail events handed on.
type sendFailures []string

func (f *sendFailures) SendFailed(_ context.Context, _ cases.Repo, _, _, msgID string, failType int) error {
	*f = append(*f, fmt.Sprintf("%s/%d", msgID, failType))
	return nil
}

// eventsIntake is an intake on a hand-moved clock whose WeCom records
// greetings, handing send failures to failures (none when nil).
func eventsIntake(t *testing.T, repo cases.Repo, api *welcomingKf, clk *clock.Fake, failures Events) *Intake {
	t.Helper()
	in := clockedIntake(t, repo, api, clk)
	in.events = failures
	return in
}

// A citizen opening the chat is greeted with the event's welcome code,
// which WeCom takes once and only for 20 seconds: an event found later, or
// one without a code, is handled without a greeting (the citizen's first
// message opens the window instead). Each event is handled once.
func TestEnterSessionGreets(t *testing.T) {
	repo := storagetest.SQLite(t)
	clk := clock.NewFake(time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC))
	at := clk.Now().Unix()
	api := &welcomingKf{fakeKf: fakeKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{
		kfEvent("e1", "u1", wecom.KfEventEnterSession, at, map[string]any{"welcome_code": "W1"}),
		kfEvent("e2", "u2", wecom.KfEventEnterSession, at, nil),
		kfEvent("e3", "u3", wecom.KfEventEnterSession, at-60, map[string]any{"welcome_code": "W3"}),
	}}}}}
	in := eventsIntake(t, repo, api, clk, nil)
	pullAndHandle(t, in, "tok")
	if len(api.welcomes) != 1 || api.welcomes[0][:4] != "W1: " || len(api.welcomes[0]) == len("W1: ") {
		t.Errorf("greetings sent: %q; want one, with W1", api.welcomes)
	}
	if left := pendingIDs(t, repo); len(left) != 0 {
		t.Errorf("events left unhandled: %v", left)
	}
	in.Drain(context.Background())
	if len(api.welcomes) != 1 {
		t.Errorf("greetings after a second drain: %q", api.welcomes)
	}
}

// A message WeCom could not deliver is handed to whoever settles its fate,
// in the transaction that marks the event handled; without one it is only
// logged. Either way the event is done.
func TestSendFailureHandedOn(t *testing.T) {
	for name, failures := range map[string]*sendFailures{"handed on": {}, "logged": nil} {
		t.Run(name, func(t *testing.T) {
			repo := storagetest.SQLite(t)
			clk := clock.NewFake(time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC))
			api := &welcomingKf{fakeKf: fakeKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{
				kfEvent("e1", "u1", wecom.KfEventMsgSendFail, clk.Now().Unix(), map[string]any{"fail_msgid": "OUT7", "fail_type": 4}),
			}}}}}
			var events Events
			if failures != nil {
				events = failures
			}
			pullAndHandle(t, eventsIntake(t, repo, api, clk, events), "tok")
			if failures != nil {
				if diff := cmp.Diff(sendFailures{"OUT7/4"}, *failures); diff != "" {
					t.Errorf("send failures handed on (-want +got):\n%s", diff)
				}
			}
			if left := pendingIDs(t, repo); len(left) != 0 {
				t.Errorf("events left unhandled: %v", left)
			}
		})
	}
}

// A servicer taking the chat, or it ending, changes who has the citizen:
// the contact's service state follows WeCom's change type; a change type
// the product does not know changes nothing.
func TestSessionStatusFollowsWeCom(t *testing.T) {
	repo := storagetest.SQLite(t)
	clk := clock.NewFake(time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC))
	at := clk.Now().Unix()
	change := func(msgid, user string, changeType int) wecom.KfMessage {
		return kfEvent(msgid, user, wecom.KfEventSessionStatusChange, at, map[string]any{"change_type": changeType, "new_servicer_userid": "servicer1"})
	}
	api := &welcomingKf{fakeKf: fakeKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{
		change("e1", "u1", 1), // taken from the pool
		change("e2", "u2", 1),
		change("e3", "u2", 3), // ended
		change("e4", "u3", 9), // unknown
		kfEvent("e5", "u3", wecom.KfEventServicerStatusChange, at, map[string]any{"status": 2}),
	}}}}}
	pullAndHandle(t, eventsIntake(t, repo, api, clk, nil), "tok")
	got := map[string]string{}
	for _, user := range []string{"u1", "u2", "u3"} {
		c, err := repo.GetContact(context.Background(), "wkSANDBOX001", user)
		switch {
		case errors.Is(err, cases.ErrNotFound):
			got[user] = "no contact"
		case err != nil:
			t.Fatal(err)
		default:
			got[user] = fmt.Sprint(c.ServiceState)
		}
	}
	want := map[string]string{"u1": fmt.Sprint(cases.StateHuman), "u2": fmt.Sprint(cases.StateEnded), "u3": "no contact"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("service states (-want +got):\n%s", diff)
	}
	if left := pendingIDs(t, repo); len(left) != 0 {
		t.Errorf("events left unhandled: %v", left)
	}
}

// Now and then every known kf account is pulled from its saved cursor
// without a callback's Token, for a message whose callback WeCom gave up
// on.
func TestCatchUpPullsEveryAccount(t *testing.T) {
	repo := storagetest.SQLite(t)
	ctx := context.Background()
	if err := repo.SaveCursor(ctx, "wkSANDBOX001", "c7"); err != nil {
		t.Fatal(err)
	}
	api := &fakeKf{}
	in := New(Config{Repo: repo, API: api, Locker: storage.NewMemory().Locker(), Desk: exampleDesk(t, nil).With,
		KfAccounts: func() []string { return []string{"wkSANDBOX001", "wkOTHER"} }})
	in.CatchUp(ctx)
	if diff := cmp.Diff([]string{"c7", ""}, api.cursors); diff != "" {
		t.Errorf("cursors pulled from (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"", ""}, api.tokens); diff != "" {
		t.Errorf("tokens sent (-want +got):\n%s", diff)
	}
}
