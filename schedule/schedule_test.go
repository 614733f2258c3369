package schedule_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/internal/clocktest"
	"banchengshi/schedule"
	"banchengshi/staff"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// monday is 09:00 in Shanghai on Monday 30 November 2026.
var monday = time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)

type fixture struct {
	t     *testing.T
	db    *storage.SQL
	desk  *desk.Desk
	clock *clocktest.Fake
	skip  map[int64]bool // outbox messages queued by staff moves, not by the scheduler
}

func newFixture(t *testing.T, db *storage.SQL) *fixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "configs", "directory.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := staff.ParseDirectory(data)
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktest.NewFake(monday)
	return &fixture{t: t, db: db, desk: desk.New(desk.Config{Directory: staff.StaticSource(dir), Calendar: cases.WeekdayCalendar(), Now: clk.Now}), clock: clk, skip: map[int64]bool{}}
}

// scheduler returns a replica's scheduler; it resigns when the test ends so
// that the next test on the same locker can lead.
func (f *fixture) scheduler(l storage.Locker) *schedule.Scheduler {
	s := schedule.New(schedule.Config{Repo: f.db, Locker: l, Desk: f.desk, Now: f.clock.Now})
	f.t.Cleanup(func() { s.Resign(context.Background()) })
	return s
}

// newCase stores a case of category personal_data (社保中心, 10 working days)
// submitted now, assigned to 王五.
func (f *fixture) newCase(reporter string) *cases.Case {
	f.t.Helper()
	ctx := context.Background()
	now := f.clock.Now()
	num, err := f.db.NextNumber(ctx, now)
	if err != nil {
		f.t.Fatal(err)
	}
	c := &cases.Case{Number: num, OpenKfID: "wkSANDBOX001", ReporterID: reporter, ReporterName: "李阿姨",
		Relation: "本人", ContactPhone: "13812345678", Description: "名字在系统里写错了"}
	cat, _ := f.desk.Directory().CategoryByKey("personal_data")
	if _, err := cases.NewCase(c, cat, now, f.desk.Calendar()); err != nil {
		f.t.Fatal(err)
	}
	c.Status, c.Assignee = cases.StatusAssigned, "wangwu"
	if err := f.db.CreateCase(ctx, c); err != nil {
		f.t.Fatal(err)
	}
	return c
}

// staffTexts counts, per "recipient: first line", the app messages queued
// for staff about case c.
func (f *fixture) staffTexts(c *cases.Case) map[string]int {
	f.t.Helper()
	out, err := f.db.CaseOutbox(context.Background(), c.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range out {
		if m.Channel == cases.ChannelApp && !f.skip[m.ID] {
			got[m.Recipient+": "+strings.SplitN(m.Message.Text, "】", 2)[0]+"】"]++
		}
	}
	return got
}

func (f *fixture) citizenTexts(c *cases.Case) []string {
	f.t.Helper()
	out, err := f.db.CaseOutbox(context.Background(), c.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	var got []string
	for _, m := range out {
		if m.Channel == cases.ChannelKf && !f.skip[m.ID] {
			got = append(got, m.Message.Text)
		}
	}
	return got
}

// reminders lists the case's reminder events' bodies.
func (f *fixture) reminders(c *cases.Case) []string {
	f.t.Helper()
	tl, err := f.db.Timeline(context.Background(), c.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	var got []string
	for _, e := range tl {
		if e.Kind == cases.EventReminder {
			got = append(got, e.Body)
		}
	}
	return got
}

func eachBackend(t *testing.T, fn func(t *testing.T, db *storage.SQL, locker func() storage.Locker)) {
	t.Run("mysql+redis", func(t *testing.T) {
		t.Parallel()
		db, r := storagetest.MySQL(t), storagetest.Redis(t)
		fn(t, db, func() storage.Locker { return r.Locker() })
	})
	t.Run("sqlite+memory", func(t *testing.T) {
		t.Parallel()
		db, m := storagetest.SQLite(t), storage.NewMemory()
		t.Cleanup(func() { m.Close() })
		fn(t, db, func() storage.Locker { return m.Locker() })
	})
}

// Two replicas tick side by side every hour for three weeks, and leadership
// changes hands halfway: each tick exactly one leads, and every light
// reminder goes out once, to the right people.
func TestTwoReplicasRemindOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL, locker func() storage.Locker) {
		f := newFixture(t, db)
		a, b := f.scheduler(locker()), f.scheduler(locker())
		c := f.newCase("wmQuiet")
		ctx := context.Background()
		for hour := 0; hour < 21*24; hour++ {
			if hour == 10*24 {
				a.Resign(ctx) // a deploy: the other replica takes over
			}
			var wg sync.WaitGroup
			led := make([]bool, 2)
			for i, s := range []*schedule.Scheduler{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := s.Tick(ctx)
					if err != nil {
						t.Errorf("hour %d: tick: %v", hour, err)
					}
					led[i] = ok
				}()
			}
			wg.Wait()
			if led[0] == led[1] {
				t.Fatalf("hour %d: leaders %v, want exactly one", hour, led)
			}
			f.clock.Advance(time.Hour)
		}
		want := map[string]int{
			"wangwu: 【黄灯提醒】":  1,
			"wangwu: 【红灯提醒】":  1,
			"liufang: 【红灯提醒】": 1, // 社保中心's supervisor
			"sunqi: 【红灯提醒】":   1, // the bureau's supervisor
		}
		if diff := cmp.Diff(want, f.staffTexts(c)); diff != "" {
			t.Errorf("reminders to staff (-want +got):\n%s", diff)
		}
		wantEvents := []string{"办理时限由绿灯变为黄灯，已提醒：王五", "办理时限由黄灯变为红灯，已提醒：王五、刘芳、孙七"}
		if diff := cmp.Diff(wantEvents, f.reminders(c)); diff != "" {
			t.Errorf("timeline reminders (-want +got):\n%s", diff)
		}
		got, err := db.GetCase(ctx, c.Number)
		if err != nil || got.Light != cases.LightRed {
			t.Errorf("stored light %v, %v; want red", got.Light, err)
		}
	})
}

// Replicas that do not share a lock (a split brain, or a Redis failover that
// lost the key) still remind once: the once-marks and the case's version
// decide, not leadership.
func TestUnlockedReplicasStillRemindOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL, _ func() storage.Locker) {
		f := newFixture(t, db)
		var sched []*schedule.Scheduler
		for range 3 {
			m := storage.NewMemory() // a locker of its own: every replica leads
			t.Cleanup(func() { m.Close() })
			sched = append(sched, f.scheduler(m.Locker()))
		}
		c := f.newCase("wmQuiet")
		ctx := context.Background()
		for step := 0; step < 4*21; step++ {
			var wg sync.WaitGroup
			for _, s := range sched {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.Tick(ctx); err != nil {
						t.Errorf("tick: %v", err)
					}
				}()
			}
			wg.Wait()
			f.clock.Advance(6 * time.Hour)
		}
		want := map[string]int{"wangwu: 【黄灯提醒】": 1, "wangwu: 【红灯提醒】": 1, "liufang: 【红灯提醒】": 1, "sunqi: 【红灯提醒】": 1}
		if diff := cmp.Diff(want, f.staffTexts(c)); diff != "" {
			t.Errorf("reminders to staff (-want +got):\n%s", diff)
		}
	})
}

// A scheduler down for a month catches up on its first tick: the case that
// went from green to red meanwhile gets its red reminder (the yellow one is no
// longer news), once.
func TestCatchUpAfterDowntime(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL, locker func() storage.Locker) {
		f := newFixture(t, db)
		s := f.scheduler(locker())
		ctx := context.Background()
		c := f.newCase("wmQuiet")
		if _, err := s.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := f.staffTexts(c); len(got) != 0 {
			t.Fatalf("green case reminded: %v", got)
		}
		f.clock.Advance(30 * 24 * time.Hour)
		for range 3 {
			if _, err := s.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		want := map[string]int{"wangwu: 【红灯提醒】": 1, "liufang: 【红灯提醒】": 1, "sunqi: 【红灯提醒】": 1}
		if diff := cmp.Diff(want, f.staffTexts(c)); diff != "" {
			t.Errorf("reminders after downtime (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"办理时限由绿灯变为红灯，已提醒：王五、刘芳、孙七"}, f.reminders(c)); diff != "" {
			t.Errorf("timeline (-want +got):\n%s", diff)
		}
	})
}

// An extension after the red light turns the case green again; when it runs
// late again under the new deadline, the reminders come again, once each.
func TestExtensionRemindsAgainUnderNewDeadline(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL, locker func() storage.Locker) {
		f := newFixture(t, db)
		s := f.scheduler(locker())
		ctx := context.Background()
		c := f.newCase("wmQuiet")
		f.clock.Advance(16 * 24 * time.Hour) // past 10 working days
		if _, err := s.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		err := db.InTx(ctx, func(r cases.Repo) error {
			_, err := f.desk.Act(ctx, r, "wangwu", staff.Command{Verb: "延期", Action: cases.ActionExtend, CaseRef: c.Number, Days: 10, Text: "需要外省回函"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 * 24 {
			if _, err := s.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(8 * time.Hour)
		}
		got := f.staffTexts(c)
		if got["wangwu: 【红灯提醒】"] != 2 || got["wangwu: 【黄灯提醒】"] != 1 {
			t.Errorf("reminders to the assignee: %v; want red twice (once per deadline), yellow once (after the extension)", got)
		}
	})
}

// Follow-up of a resolved case whose citizen stays silent: nothing for three
// days, then one reminder to the citizen, then two days after that reminder
// one phone task for the window's duty staff, each on the timeline; a
// scheduler that was down catches up without firing both at once.
func TestFollowUpReminderThenPhoneTask(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL, locker func() storage.Locker) {
		ctx := context.Background()
		for _, tc := range []struct {
			name     string
			downtime time.Duration // before the first tick after resolving
		}{
			{"ticking every hour", 0},
			{"down for ten days", 10 * 24 * time.Hour},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := newFixture(t, db)
				s := f.scheduler(locker())
				c := f.newCase("wmSilent-" + strings.ReplaceAll(tc.name, " ", ""))
				f.resolve(c)
				resolved := f.clock.Now()
				f.clock.Advance(tc.downtime)
				var reminderAt, callAt time.Time
				for f.clock.Now().Before(resolved.Add(tc.downtime + 8*24*time.Hour)) {
					if _, err := s.Tick(ctx); err != nil {
						t.Fatal(err)
					}
					if reminderAt.IsZero() && len(f.citizenTexts(c)) > 0 {
						reminderAt = f.clock.Now()
					}
					if callAt.IsZero() && len(f.staffTexts(c)) > 0 {
						callAt = f.clock.Now()
					}
					f.clock.Advance(time.Hour)
				}
				wantReminder := resolved.Add(max(tc.downtime, schedule.FollowUpWait))
				if !reminderAt.Equal(wantReminder) || !callAt.Equal(wantReminder.Add(schedule.CallWait)) {
					t.Errorf("reminder at +%v, phone task at +%v; want +%v and +%v", reminderAt.Sub(resolved), callAt.Sub(resolved),
						wantReminder.Sub(resolved), wantReminder.Add(schedule.CallWait).Sub(resolved))
				}
				texts := f.citizenTexts(c)
				if len(texts) != 1 || !strings.Contains(texts[0], "还想听听您的意见") {
					t.Errorf("to the citizen: %q; want one reminder", texts)
				}
				want := map[string]int{"zhangsan: 【电话联系】": 1, "lisi: 【电话联系】": 1, "qianyi: 【电话联系】": 1}
				if diff := cmp.Diff(want, f.staffTexts(c)); diff != "" {
					t.Errorf("phone tasks (-want +got):\n%s", diff)
				}
				out, _ := db.CaseOutbox(ctx, c.ID)
				for _, m := range out {
					if m.Channel == cases.ChannelApp && !f.skip[m.ID] && !strings.Contains(m.Message.Text, "13812345678") {
						t.Errorf("duty staff may see the case: phone not shown in full to %s: %q", m.Recipient, m.Message.Text)
					}
				}
				if diff := cmp.Diff([]string{"群众3天未回复回访，已再次询问", "需电话联系群众：群众办结后5天未回复回访，已提醒：张三、李四、钱一"}, f.reminders(c)); diff != "" {
					t.Errorf("timeline (-want +got):\n%s", diff)
				}
			})
		}
	})
}

// A citizen who rated is not reminded.
func TestRatedCaseIsNotFollowedUp(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL, locker func() storage.Locker) {
		f := newFixture(t, db)
		s := f.scheduler(locker())
		ctx := context.Background()
		c := f.newCase("wmHappy")
		f.resolve(c)
		f.clock.Advance(24 * time.Hour)
		err := db.InTx(ctx, func(r cases.Repo) error {
			_, err := f.desk.Rate(ctx, r, c.Number, "wmHappy", 1, true, "")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for range 10 {
			f.clock.Advance(24 * time.Hour)
			if _, err := s.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := f.citizenTexts(c); len(got) != 0 {
			t.Errorf("rated citizen was sent %q", got)
		}
		if got := f.staffTexts(c); len(got) != 0 {
			t.Errorf("staff got %v for a rated case", got)
		}
	})
}

// resolve answers the case through the desk as 王五 does.
func (f *fixture) resolve(c *cases.Case) {
	f.t.Helper()
	ctx := context.Background()
	err := f.db.InTx(ctx, func(r cases.Repo) error {
		_, err := f.desk.Act(ctx, r, "wangwu", staff.Command{Verb: "办结", Action: cases.ActionResolve, CaseRef: c.Number, Text: "已更正姓名"})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	// What the resolve queued is not the scheduler's doing.
	out, err := f.db.CaseOutbox(ctx, c.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, m := range out {
		f.skip[m.ID] = true
	}
}
