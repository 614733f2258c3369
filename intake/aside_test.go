package intake

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"banchengshi/bot"
	"banchengshi/cases"
	"banchengshi/metrics"
	"banchengshi/storage"
	"banchengshi/wecom"
)

// asideIntake is an intake that reports to the window's duty staff and
// counts, as the product's does.
func asideIntake(t *testing.T, repo cases.Repo, api KfAPI) (*Intake, *metrics.Metrics, int) {
	t.Helper()
	dir := exampleDirectory(t)
	d := exampleDesk(t, nil)
	m := metrics.New()
	in := New(Config{
		Repo: repo, API: api, Locker: storage.NewMemory().Locker(), Engine: bot.New(bot.Config{}),
		Desk: d.With, Timeline: d, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), StaffTask: d.TellWindow, Metrics: m,
	})
	return in, m, len(dir.DutyStaff("wkSANDBOX001"))
}

// queued counts the messages queued for a citizen, or for staff (recipient
// ""), whose text contains part.
func queued(t *testing.T, repo *storage.SQL, recipient, part string) int {
	t.Helper()
	due, err := repo.DueOutbox(context.Background(), time.Now().Add(time.Hour), 500)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range due {
		toStaff := m.Channel == cases.ChannelApp
		if (recipient == "" && toStaff || !toStaff && m.Recipient == recipient) && strings.Contains(m.Message.Text, part) {
			n++
		}
	}
	return n
}

func counted(t *testing.T, m *metrics.Metrics, line string) bool {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return strings.Contains(rec.Body.String(), line)
}

// A kf message that cannot be opened (here: another citizen's message
// copied over it, which its associated data refuses) is set aside, reported
// and counted; the other citizens' messages are handled as usual.
func TestUnreadableMessageSetAside(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			repo := open(t)
			ctx := context.Background()
			now := time.Now().Unix()
			in, m, duty := asideIntake(t, repo, &fakeKf{})
			for _, msg := range []wecom.KfMessage{text("m1", "u1", "你好", now), text("m2", "u2", "你好", now), text("m3", "u2", "1", now)} {
				if _, err := repo.InsertKfMessage(ctx, in.record(&msg)); err != nil {
					t.Fatal(err)
				}
			}
			raw := repo.DB()
			var other string
			if err := raw.QueryRowContext(ctx, "SELECT raw FROM kf_messages WHERE msgid = 'm2'").Scan(&other); err != nil {
				t.Fatal(err)
			}
			if _, err := raw.ExecContext(ctx, "UPDATE kf_messages SET raw = ? WHERE msgid = 'm1'", other); err != nil {
				t.Fatal(err)
			}

			in.Drain(ctx)

			if pending, err := repo.PendingKfMessages(ctx, 10); err != nil || len(pending) != 0 {
				t.Fatalf("after the drain: %d pending, %v; want none", len(pending), err)
			}
			var lastError string
			if err := raw.QueryRowContext(ctx, "SELECT last_error FROM kf_messages WHERE msgid = 'm1'").Scan(&lastError); err != nil {
				t.Fatal(err)
			}
			if lastError != "set aside: unreadable" {
				t.Errorf("m1 last_error = %q", lastError)
			}
			rows, err := repo.SetAsideRows(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			want := []storage.AsideRow{{Table: "kf_messages", Column: "raw", Key: "m1", OpenKfID: "wkSANDBOX001", ExternalUserID: "u1", Reason: "unreadable"}}
			if diff := cmp.Diff(want, rows, cmpopts.IgnoreFields(storage.AsideRow{}, "At")); diff != "" {
				t.Errorf("set aside (-want +got):\n%s", diff)
			}
			if n := queued(t, repo, "u1", "没能读取"); n != 1 {
				t.Errorf("%d apologies to u1, want 1", n)
			}
			if n := queued(t, repo, "", "无法解密"); n != duty || duty == 0 {
				t.Errorf("%d staff tasks, want one per duty staff (%d)", n, duty)
			}
			if n := queued(t, repo, "u2", ""); n < 2 {
				t.Errorf("u2 got %d replies, want their two messages answered", n)
			}
			if !counted(t, m, `bcs_set_aside_total{table="kf_messages"} 1`) {
				t.Error("the set-aside row is not counted")
			}
			// A second drain finds nothing more to set aside.
			in.Drain(ctx)
			if rows, err := repo.SetAsideRows(ctx, 10); err != nil || len(rows) != 1 {
				t.Errorf("%d rows set aside after a second drain (%v), want 1", len(rows), err)
			}
		})
	}
}

// A citizen whose dialog session cannot be opened has it set aside (kept,
// sealed, for recovery) and their message handled by a new dialog; nobody
// else is held up.
func TestUnreadableSessionSetAside(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			repo := open(t)
			ctx := context.Background()
			now := time.Now().Unix()
			api := &fakeKf{pages: []wecom.SyncResponse{
				{NextCursor: "c1", Messages: []wecom.KfMessage{text("m1", "u1", "你好", now), text("m2", "u2", "你好", now)}},
				{NextCursor: "c2", Messages: []wecom.KfMessage{text("m3", "u1", "1", now), text("m4", "u2", "1", now)}},
			}}
			in, m, _ := asideIntake(t, repo, api)
			pullAndHandle(t, in, "tok1")
			raw := repo.DB()
			k1, k2 := bot.SessionKey("wkSANDBOX001", "u1"), bot.SessionKey("wkSANDBOX001", "u2")
			var swapped string
			if err := raw.QueryRowContext(ctx, "SELECT data FROM sessions WHERE skey = ?", k2).Scan(&swapped); err != nil {
				t.Fatal(err)
			}
			if _, err := raw.ExecContext(ctx, "UPDATE sessions SET data = ? WHERE skey = ?", swapped, k1); err != nil {
				t.Fatal(err)
			}
			before := queued(t, repo, "u1", "")

			pullAndHandle(t, in, "tok2")

			if pending, err := repo.PendingKfMessages(ctx, 10); err != nil || len(pending) != 0 {
				t.Fatalf("after the sync: %d pending, %v; want none", len(pending), err)
			}
			rows, err := repo.SetAsideRows(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			want := []storage.AsideRow{{Table: "sessions", Column: "data", Key: k1, OpenKfID: "wkSANDBOX001", ExternalUserID: "u1",
				Reason: "unreadable", Sealed: swapped}}
			if diff := cmp.Diff(want, rows, cmpopts.IgnoreFields(storage.AsideRow{}, "At")); diff != "" {
				t.Errorf("set aside (-want +got):\n%s", diff)
			}
			if _, err := repo.LoadSession(ctx, k1); err != nil {
				t.Errorf("u1's new dialog session: %v", err)
			}
			if n := queued(t, repo, "u1", "没能读取"); n != 1 {
				t.Errorf("%d apologies to u1, want 1", n)
			}
			if got := queued(t, repo, "u1", ""); got < before+2 {
				t.Errorf("u1 got %d new messages, want the apology and the new dialog's answer", got-before)
			}
			if !counted(t, m, `bcs_set_aside_total{table="sessions"} 1`) {
				t.Error("the set-aside session is not counted")
			}
		})
	}
}

// A stored callback that cannot be opened is set aside and counted; the
// callbacks after it are handled. Nobody is told: its kf messages stay at
// WeCom and the next sync pulls them.
func TestUnreadableCallbackSetAside(t *testing.T) {
	for name, open := range dialects {
		t.Run(name, func(t *testing.T) {
			repo := open(t)
			ctx := context.Background()
			api := &fakeKf{}
			in, m, _ := asideIntake(t, repo, api)
			body := "<xml><ToUserName>ww1</ToUserName><MsgType>event</MsgType><Event>kf_msg_or_event</Event>" +
				"<Token>%s</Token><OpenKfId>wkSANDBOX001</OpenKfId></xml>"
			for _, k := range []string{"k1", "k2"} {
				if _, err := repo.SaveInbound(ctx, &cases.Inbound{Key: k, Kind: cases.InboundKf, Body: strings.Replace(body, "%s", k, 1)}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := repo.DB().ExecContext(ctx, "UPDATE inbound SET body = (SELECT body FROM (SELECT body FROM inbound WHERE dedupe_key = 'k2') AS b) WHERE dedupe_key = 'k1'"); err != nil {
				t.Fatal(err)
			}

			in.Drain(ctx)

			if pending, err := repo.PendingInbound(ctx, 10); err != nil || len(pending) != 0 {
				t.Fatalf("after the drain: %d pending, %v; want none", len(pending), err)
			}
			if diff := cmp.Diff([]string{"k2"}, api.tokens); diff != "" {
				t.Errorf("syncs by callback token (-want +got):\n%s", diff)
			}
			rows, err := repo.SetAsideRows(ctx, 10)
			want := []storage.AsideRow{{Table: "inbound", Column: "body", Key: "k1", Reason: "unreadable"}}
			if diff := cmp.Diff(want, rows, cmpopts.IgnoreFields(storage.AsideRow{}, "At")); err != nil || diff != "" {
				t.Errorf("set aside (-want +got), %v:\n%s", err, diff)
			}
			if !counted(t, m, `bcs_set_aside_total{table="inbound"} 1`) {
				t.Error("the set-aside callback is not counted")
			}
		})
	}
}
