package storage_test

import (
	"context"
	"testing"
	"time"

	"banchengshi/cases"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// backend opens a fresh database of one dialect.
type backend struct {
	name string
	open func(testing.TB) *storage.SQL
}

var backends = []backend{
	{"sqlite", storagetest.SQLite},
	{"mysql", storagetest.MySQL},
}

// eachBackend runs the same test on SQLite and on MySQL, each with a fresh
// database.
func eachBackend(t *testing.T, fn func(t *testing.T, db *storage.SQL)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b.open(t))
		})
	}
}

// at is a fixed instant with sub-microsecond digits, to show that storage
// keeps microseconds and drops the rest.
var at = time.Date(2026, 11, 28, 9, 30, 15, 123456789, time.UTC)

// micro is t as storage returns it.
func micro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func ptr[T any](v T) *T { return &v }

// newCase returns a filled-in case; fields the test cares about are set by mod.
func newCase(number string, mod func(*cases.Case)) *cases.Case {
	c := &cases.Case{
		Number:       number,
		OpenKfID:     "wkAAA",
		ReporterID:   "wmReporter",
		ReporterName: "李阿姨",
		Affected:     cases.Person{Name: "王大爷", IDNumber: "11010519610715123X", Phone: "13812345678"},
		Relation:     "邻居",
		Consent:      "同意",
		ContactPhone: "13987654321",
		Category:     "pension",
		TriedWindow:  "社保中心3号窗口",
		TriedWhen:    "去年6月",
		TriedAnswer:  "系统里查不到",
		Description:  "养老保险转不过来，跑了两年了",
		LeadDept:     "社保中心",
		CoDepts:      []string{"档案馆", "就业中心"},
		Assignee:     "zhangsan",
		Status:       cases.StatusSubmitted,
		Deadline:     at.Add(10 * 24 * time.Hour),
		LimitDays:    10,
		Light:        cases.LightGreen,
		CreatedAt:    at,
		UpdatedAt:    at,
	}
	if mod != nil {
		mod(c)
	}
	return c
}

func mustCreate(t testing.TB, db *storage.SQL, c *cases.Case) *cases.Case {
	t.Helper()
	if err := db.CreateCase(context.Background(), c); err != nil {
		t.Fatalf("create case %s: %v", c.Number, err)
	}
	return c
}
