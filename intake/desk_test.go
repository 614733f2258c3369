package intake

import (
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/desk"
	"banchengshi/staff"
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
	return desk.New(staff.StaticSource(exampleDirectory(t)), cases.WeekdayCalendar(), now)
}
