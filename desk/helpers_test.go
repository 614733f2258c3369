package desk_test

import (
	"path/filepath"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/staff"
)

// exampleDesk is a desk over the example directory and a weekday calendar,
// on the clock now.
func exampleDesk(t *testing.T, now func() time.Time) *desk.Desk {
	t.Helper()
	return desk.New(exampleConfig(t, now))
}

// exampleConfig is exampleDesk's configuration, for a test to add to.
func exampleConfig(t *testing.T, now func() time.Time) desk.Config {
	t.Helper()
	dir, err := staff.LoadDirectory(filepath.Join("..", "configs", "directory.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return desk.Config{Directory: staff.StaticSource(dir), Calendar: cases.WeekdayCalendar(), Now: now}
}
