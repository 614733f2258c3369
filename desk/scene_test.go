package desk_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// scene is the bureau's side of one story, as staff live it: the example
// directory, a SQLite database, a clock the story moves, and the WeCom app
// through which staff type commands and click cards. What the desk queues
// is read back from the outbox as stored, one line a message, in the order
// queued:
//
//	→zhangsan: 案件 BC2611300001：受理完成，当前状态：已受理。
//	→citizen wmA: 您反映的事项（编号 BC2611300001）已受理，我们会尽快办理。
//
// A line break in a message reads "⏎"; a card, a card update and a menu
// read as [卡片 …], [卡片更新 …] and [菜单 …].
type scene struct {
	t    *testing.T
	ctx  context.Context
	db   *storage.SQL
	desk *desk.Desk
	app  *desk.StaffApp
	now  time.Time
	seen int64 // the last outbox row read
}

// newScene starts a story on Monday 30 November 2026, 10:00 in China.
func newScene(t *testing.T) *scene {
	t.Helper()
	s := &scene{t: t, ctx: context.Background(), db: storagetest.SQLite(t), now: time.Date(2026, 11, 30, 10, 0, 0, 0, cases.Shanghai)}
	s.desk = exampleDesk(t, func() time.Time { return s.now })
	s.app = &desk.StaffApp{Desk: s.desk, Repo: s.db}
	return s
}

// later moves the story's clock on.
func (s *scene) later(d time.Duration) { s.now = s.now.Add(d) }

// report is a citizen's case as the dialog submits it: reporter wm, about
// themselves, in the sandbox's kf account.
func (s *scene) report(reporter, category, description string) *cases.Case {
	s.t.Helper()
	c := &cases.Case{OpenKfID: "wkSANDBOX001", ReporterID: reporter, ReporterName: "李阿姨", Relation: "本人",
		Affected: cases.Person{Name: "李阿姨", IDNumber: "11010519610715123X", Phone: "13812345678"},
		Category: category, Description: description}
	s.inTx(func(r cases.Repo) error { return s.desk.With(r).Submit(s.ctx, c, nil, []string{description}) })
	return s.reload(c.Number)
}

// types is staff member user typing text in the WeCom app, handled as the
// product handles it: in one transaction.
func (s *scene) types(user, text string) {
	s.t.Helper()
	s.send(cases.AppMessage{UserID: user, Kind: cases.AppText, Text: text})
}

// clicks is user clicking a card's button.
func (s *scene) clicks(user, buttonKey, taskID, responseCode string) {
	s.t.Helper()
	s.send(cases.AppMessage{UserID: user, Kind: cases.AppCardClick, ButtonKey: buttonKey, TaskID: taskID, ResponseCode: responseCode})
}

func (s *scene) send(m cases.AppMessage) {
	s.t.Helper()
	s.inTx(func(r cases.Repo) error { return s.app.HandleApp(s.ctx, r, m) })
}

func (s *scene) inTx(fn func(cases.Repo) error) {
	s.t.Helper()
	if err := s.db.InTx(s.ctx, fn); err != nil {
		s.t.Fatal(err)
	}
}

// queued is what the desk queued since the last look, one line a message.
func (s *scene) queued() []string {
	s.t.Helper()
	due, err := s.db.DueOutbox(s.ctx, s.now.Add(24*time.Hour), 1000)
	if err != nil {
		s.t.Fatal(err)
	}
	var lines []string
	for _, m := range due {
		if m.ID <= s.seen {
			continue
		}
		s.seen = m.ID
		lines = append(lines, outboxLine(m))
	}
	return lines
}

// expect checks that exactly want was queued since the last look.
func (s *scene) expect(want ...string) {
	s.t.Helper()
	if diff := cmp.Diff(want, s.queued()); diff != "" {
		s.t.Errorf("queued (-want +got):\n%s", diff)
	}
}

func outboxLine(m *cases.OutboxMessage) string {
	to := "→" + m.Recipient
	if m.Channel == cases.ChannelKf {
		to = "→citizen " + m.Recipient
	}
	msg := m.Message
	var body string
	switch {
	case msg.Card != nil:
		body = fmt.Sprintf("[卡片 %s %s：%s]", msg.Card.TaskID, msg.Card.Title, msg.Card.Desc)
	case msg.CardUpdate != nil:
		body = fmt.Sprintf("[卡片更新 %s: %s]", msg.CardUpdate.ResponseCode, msg.CardUpdate.ReplaceText)
	default:
		body = msg.Text
	}
	if len(msg.Menu) > 0 {
		var items []string
		for _, it := range msg.Menu {
			items = append(items, it.Text)
		}
		body += " [菜单 " + strings.Join(items, "、") + "]"
	}
	return to + ": " + strings.ReplaceAll(body, "\n", "⏎")
}

// reload reads the case as stored.
func (s *scene) reload(number string) *cases.Case {
	s.t.Helper()
	c, err := s.db.GetCase(s.ctx, number)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// timeline is the case's timeline from the event after the first skip,
// one line an event: who, what kind, what it says.
func (s *scene) timeline(number string, skip int) []string {
	s.t.Helper()
	events, err := s.db.Timeline(s.ctx, s.reload(number).ID)
	if err != nil {
		s.t.Fatal(err)
	}
	var lines []string
	for _, e := range events[min(skip, len(events)):] {
		lines = append(lines, fmt.Sprintf("%s %s: %s", e.Actor, e.Kind, strings.ReplaceAll(e.Body, "\n", "⏎")))
	}
	return lines
}
