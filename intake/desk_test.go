package intake

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"banchengshi/bot"
	"banchengshi/cases"
	"banchengshi/desk"
	clock "banchengshi/internal/clocktest"
	"banchengshi/staff"
	"banchengshi/storage"
)

// exampleDirectory is the directory the product ships as its example.
func exampleDirectory(t testing.TB) *staff.Directory {
	t.Helper()
	dir, err := staff.LoadDirectory("../configs/directory.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// exampleDesk is a desk on the example directory and a calendar of plain
// weekdays, reading the time from now (the wall clock when nil).
func exampleDesk(t testing.TB, now func() time.Time) *desk.Desk {
	t.Helper()
	return desk.New(desk.Config{Directory: staff.StaticSource(exampleDirectory(t)), Calendar: cases.WeekdayCalendar(), Now: now})
}

// clockedIntake is an intake on a hand-moved clock that reports what it
// gives up to the window's duty staff, as the product's does.
func clockedIntake(t testing.TB, repo cases.Repo, api KfAPI, clk *clock.Fake) *Intake {
	t.Helper()
	d := exampleDesk(t, clk.Now)
	return New(Config{
		Repo: repo, API: api, Locker: storage.NewMemory().Locker(), Engine: bot.New(bot.Config{Now: clk.Now}),
		Desk: d.With, Timeline: d, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clk.Now, StaffTask: d.TellWindow,
	})
}
