package storage_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

func TestInTx(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *storage.SQL) {
		ctx := context.Background()
		boom := errors.New("boom")
		write := func(r cases.Repo, number string) error {
			c := newCase(number, nil)
			if err := r.CreateCase(ctx, c); err != nil {
				return err
			}
			if err := r.AppendEvent(ctx, &cases.Event{CaseID: c.ID, Kind: cases.EventSubmitted}); err != nil {
				return err
			}
			if _, err := r.SaveInbound(ctx, &cases.Inbound{Key: "in-" + number, Kind: cases.InboundKf}); err != nil {
				return err
			}
			return r.SaveSession(ctx, "sess-"+number, []byte("x"))
		}
		tests := []struct {
			name    string
			fn      func(cases.Repo) error
			wantErr error
			kept    []string
		}{
			{"commit", func(r cases.Repo) error { return write(r, "BC0000000001") }, nil, []string{"BC0000000001"}},
			{"error rolls back", func(r cases.Repo) error {
				if err := write(r, "BC0000000002"); err != nil {
					return err
				}
				return boom
			}, boom, nil},
			{"nested commit joins the outer", func(r cases.Repo) error {
				return r.InTx(ctx, func(inner cases.Repo) error { return write(inner, "BC0000000003") })
			}, nil, []string{"BC0000000003"}},
			{"outer error undoes nested work", func(r cases.Repo) error {
				if err := r.InTx(ctx, func(inner cases.Repo) error { return write(inner, "BC0000000004") }); err != nil {
					return err
				}
				return boom
			}, boom, nil},
			{"duplicate inside fails the transaction", func(r cases.Repo) error {
				if err := write(r, "BC0000000005"); err != nil {
					return err
				}
				return r.CreateCase(ctx, newCase("BC0000000001", nil))
			}, cases.ErrDuplicate, nil},
		}
		for _, tt := range tests {
			err := db.InTx(ctx, tt.fn)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: InTx error = %v, want %v", tt.name, err, tt.wantErr)
			}
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Error("panic inside InTx was swallowed")
				}
			}()
			_ = db.InTx(ctx, func(r cases.Repo) error {
				_ = write(r, "BC0000000006")
				panic("boom")
			})
		}()

		var want []string
		for _, tt := range tests {
			want = append(want, tt.kept...)
		}
		var got []string
		for _, n := range []string{"BC0000000001", "BC0000000002", "BC0000000003", "BC0000000004", "BC0000000005", "BC0000000006"} {
			c, err := db.GetCase(ctx, n)
			if errors.Is(err, cases.ErrNotFound) {
				if _, err := db.LoadSession(ctx, "sess-"+n); !errors.Is(err, cases.ErrNotFound) {
					t.Errorf("%s rolled back but its session was kept (%v)", n, err)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if tl, err := db.Timeline(ctx, c.ID); err != nil || len(tl) != 1 {
				t.Errorf("%s: timeline has %d events (%v), want 1", n, len(tl), err)
			}
			got = append(got, n)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cases kept (-want +got):\n%s", diff)
		}
		in, err := db.PendingInbound(ctx, 10)
		if err != nil || len(in) != len(want) {
			t.Errorf("PendingInbound = %d rows, %v; want %d (rolled-back inbound kept?)", len(in), err, len(want))
		}
	})
}

func TestMigrationsIdempotent(t *testing.T) {
	dsns := []struct {
		driver string
		dsn    func(testing.TB) string
	}{
		{storage.DriverSQLite, func(t testing.TB) string { return storage.DefaultSQLiteDSN(t.TempDir() + "/new/dir/bcs.db") }},
		{storage.DriverMySQL, storagetest.MySQLDSN},
	}
	for _, d := range dsns {
		t.Run(d.driver, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn := d.dsn(t)
			sealer := storagetest.Sealer(t)
			// Two processes start at once on a fresh database.
			var wg sync.WaitGroup
			dbs := make([]*storage.SQL, 3)
			errs := make([]error, 3)
			for i := range dbs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					dbs[i], errs[i] = storage.Open(ctx, d.driver, dsn, sealer)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("concurrent Open %d: %v", i, err)
				}
				defer dbs[i].Close()
			}
			counts := func(db *storage.SQL) int {
				var n int
				if err := storage.RawDB(db).QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			first := counts(dbs[0])
			if first == 0 {
				t.Fatal("no migration recorded")
			}
			mustCreate(t, dbs[0], newCase("BC2611280001", nil))

			again, err := storage.Open(ctx, d.driver, dsn, sealer)
			if err != nil {
				t.Fatalf("re-open: %v", err)
			}
			defer again.Close()
			if n := counts(again); n != first {
				t.Errorf("re-open recorded %d steps, want %d", n, first)
			}
			if _, err := again.GetCase(ctx, "BC2611280001"); err != nil {
				t.Errorf("data lost on re-open: %v", err)
			}
		})
	}
}

// A build is refused at start on a database a newer build migrated: it
// would misread what the newer one writes (since 0019 it cannot open
// outbox messages sealed to their seal_ref and would set them aside).
func TestOlderBuildRefusedOnANewerSchema(t *testing.T) {
	for _, d := range freshDatabases {
		t.Run(d.driver, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, reopen := d.open(t)
			// What a newer build would have recorded.
			if _, err := storage.RawDB(db).ExecContext(ctx,
				"INSERT INTO schema_migrations (version, applied_at) VALUES ('9999_from_a_newer_build.sql#1', '2027-01-01T00:00:00Z')"); err != nil {
				t.Fatal(err)
			}
			db.Close()
			again, err := reopen()
			if err == nil {
				again.Close()
				t.Fatal("opened a database a newer build migrated; want it refused")
			}
			if !strings.Contains(err.Error(), "9999_from_a_newer_build.sql#1") {
				t.Errorf("error %q does not name the unknown step", err)
			}
		})
	}
}

// Migration 0020 keeps the window a citizen is in when the product is
// upgraded: the count kept on the contact until then stands, what was sent
// before is not counted again, and what is sent after counts on top.
func TestWindowKeptAcrossMigration0020(t *testing.T) {
	for _, d := range freshDatabases {
		t.Run(d.driver, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, reopen := d.open(t)
			// The database as a build before 0020 left it: two replies
			// sent in the window and counted on the contact; a citizen who
			// wrote and was sent nothing yet.
			raw := storage.RawDB(db)
			sendKf(t, db, "wmA", at.Add(time.Second), "a1")
			sendKf(t, db, "wmA", at.Add(2*time.Second), "a2")
			undo := []string{"DROP INDEX outbox_window", "ALTER TABLE outbox DROP COLUMN window_seq", "ALTER TABLE contacts DROP COLUMN window_from", "DELETE FROM schema_migrations WHERE version LIKE '0020%'"}
			if d.driver == storage.DriverMySQL {
				undo[0] = "DROP INDEX outbox_window ON outbox"
			}
			for _, q := range undo {
				if _, err := raw.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			for _, u := range []struct {
				user string
				sent int
			}{{"wmA", 2}, {"wmB", 0}} {
				if _, err := raw.ExecContext(ctx, "INSERT INTO contacts (open_kfid, external_userid, last_inbound_at, sent_in_window, service_state, updated_at, inbound_seq) VALUES (?, ?, ?, ?, 0, ?, 1)",
					"wkA", u.user, storage.TimeValue(d.driver, at), u.sent, storage.TimeValue(d.driver, at)); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()

			db, err := reopen()
			if err != nil {
				t.Fatalf("migrate to 0020: %v", err)
			}
			defer db.Close()
			inWindow := func(user string, want int) {
				t.Helper()
				c, err := db.GetContact(ctx, "wkA", user)
				if err != nil {
					t.Fatal(err)
				}
				if c.SentInWindow != want {
					t.Errorf("%s: %d in the window, want %d", user, c.SentInWindow, want)
				}
			}
			inWindow("wmA", 2)
			inWindow("wmB", 0)
			sendKf(t, db, "wmA", at.Add(3*time.Second), "a3")
			sendKf(t, db, "wmB", at.Add(3*time.Second), "b1")
			inWindow("wmA", 3)
			inWindow("wmB", 1)
		})
	}
}

// Migration 0022 counts the failures of a callback still pending from its
// attempts: until then every attempt counted was a failure of its own.
func TestCallbackFailuresKeptAcrossMigration0022(t *testing.T) {
	for _, d := range freshDatabases {
		t.Run(d.driver, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, reopen := d.open(t)
			raw := storage.RawDB(db)
			for _, q := range []string{"ALTER TABLE inbound DROP COLUMN failures", "DELETE FROM schema_migrations WHERE version LIKE '0022%'"} {
				if _, err := raw.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			// As a build before 0022 left them: one callback pending after
			// three failed tries, one given up after eight, one pending
			// after 20 pulls that could not be made (no failure of its own).
			for _, cb := range []struct {
				key       string
				attempts  int
				lastError string
				done      bool
			}{
				{"kf:wkA:t1", 3, "sync_msg: errcode 95000", false},
				{"kf:wkA:t2", 8, "sync_msg: errcode 95000", true},
				{"kf:wkA:t3", 20, "could not pull: sync_msg: HTTP status 502", false},
			} {
				var done any
				if cb.done {
					done = storage.TimeValue(d.driver, at)
				}
				if _, err := raw.ExecContext(ctx, "INSERT INTO inbound (dedupe_key, kind, body, received_at, done_at, attempts, last_error) VALUES (?, 'kf_event', '', ?, ?, ?, ?)",
					cb.key, storage.TimeValue(d.driver, at), done, cb.attempts, cb.lastError); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()

			db, err := reopen()
			if err != nil {
				t.Fatalf("migrate to 0022: %v", err)
			}
			defer db.Close()
			got := map[string]int{}
			rows, err := storage.RawDB(db).QueryContext(ctx, "SELECT dedupe_key, failures FROM inbound")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var key string
				var n int
				if err := rows.Scan(&key, &n); err != nil {
					t.Fatal(err)
				}
				got[key] = n
			}
			if want := map[string]int{"kf:wkA:t1": 3, "kf:wkA:t2": 0, "kf:wkA:t3": 0}; !maps.Equal(got, want) {
				t.Errorf("failures after 0022: %v, want %v (a pending callback's attempts of its own)", got, want)
			}
		})
	}
}

// freshDatabase is a new, empty database of one backend.
type freshDatabase struct {
	driver string
	dsn    func(testing.TB) string
}

// open starts the product on a new database of d (migrating it) and returns
// it with a function that opens that database again, as the product's next
// start would.
func (d freshDatabase) open(t *testing.T) (*storage.SQL, func() (*storage.SQL, error)) {
	t.Helper()
	dsn, sealer := d.dsn(t), storagetest.Sealer(t)
	reopen := func() (*storage.SQL, error) { return storage.Open(context.Background(), d.driver, dsn, sealer) }
	db, err := reopen()
	if err != nil {
		t.Fatal(err)
	}
	return db, reopen
}

// freshDatabases are a new, empty database of each backend, by driver.
var freshDatabases = []freshDatabase{
	{storage.DriverSQLite, func(t testing.TB) string { return storage.DefaultSQLiteDSN(t.TempDir() + "/bcs.db") }},
	{storage.DriverMySQL, storagetest.MySQLDSN},
}
