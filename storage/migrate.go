package storage

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

//go:embed migrations/sqlite/*.sql migrations/mysql/*.sql
var migrationFiles embed.FS

// migrationLock names the MySQL advisory lock that serialises migrations of
// replicas starting at the same time.
const migrationLock = "banchengshi.migrate"

// step is one statement of a migration file, recorded as file#n once applied.
type step struct {
	version string
	stmt    string
}

// steps reads the embedded migrations of a dialect in file order, split into
// statements. Files are append-only, so a step's version never changes.
func steps(dialect string) ([]step, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var out []step
	for _, name := range names {
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		for i, stmt := range splitStatements(string(b)) {
			out = append(out, step{version: fmt.Sprintf("%s#%d", name, i+1), stmt: stmt})
		}
	}
	return out, nil
}

// splitStatements splits a migration file at semicolons that end a line,
// dropping comment lines. Migrations keep no semicolons inside literals.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(t, ";") {
			if s := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"); s != "" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version VARCHAR(255) NOT NULL PRIMARY KEY,
	applied_at VARCHAR(32) NOT NULL
)`

// migrate applies the steps not yet recorded in schema_migrations.
func (s *SQL) migrate(ctx context.Context) error {
	all, err := steps(s.d.name)
	if err != nil {
		return err
	}
	if s.d.name == DriverMySQL {
		return s.migrateMySQL(ctx, all)
	}
	return s.migrateSQLite(ctx, all)
}

// migrateSQLite applies all pending steps in one transaction: SQLite DDL is
// transactional, and the immediate write lock keeps a second process out
// until the first has finished.
func (s *SQL) migrateSQLite(ctx context.Context, all []step) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	done, err := appliedSteps(ctx, tx)
	if err != nil {
		return err
	}
	if err := refuseNewer(done, all); err != nil {
		return err
	}
	for _, st := range all {
		if done[st.version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, st.stmt); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", st.version, err)
		}
		if err := recordStep(ctx, tx, st.version); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// migrateMySQL applies pending steps one by one under an advisory lock held
// on one connection, recording each as it succeeds: MySQL commits DDL
// implicitly, so a crash leaves a schema that the next start resumes.
func (s *SQL) migrateMySQL(ctx context.Context, all []step) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: get connection: %w", err)
	}
	defer conn.Close()
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", migrationLock, 120).Scan(&got); err != nil {
		return fmt.Errorf("migrate: take lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return fmt.Errorf("migrate: another process holds the migration lock")
	}
	defer func() {
		// A fresh context: the lock must go even when ctx was cancelled.
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, rerr := conn.ExecContext(rctx, "SELECT RELEASE_LOCK(?)", migrationLock); rerr != nil && err == nil {
			err = fmt.Errorf("migrate: release lock: %w", rerr)
		}
	}()
	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	done, err := appliedSteps(ctx, conn)
	if err != nil {
		return err
	}
	if err := refuseNewer(done, all); err != nil {
		return err
	}
	for _, st := range all {
		if done[st.version] {
			continue
		}
		if _, err := conn.ExecContext(ctx, st.stmt); err != nil {
			return fmt.Errorf("migrate: apply %s: %w", st.version, err)
		}
		if err := recordStep(ctx, conn, st.version); err != nil {
			return err
		}
	}
	return nil
}

// refuseNewer fails when the database holds steps this build does not have:
// a newer version of the product migrated it (a rollback, or an older
// replica started beside newer ones). Such a build would misread what the
// newer one writes — since 0019 it cannot open the outbox messages and
// timeline events sealed to their seal_ref, and would set them aside, a
// reply never sent — so it is refused at start instead.
func refuseNewer(done map[string]bool, all []step) error {
	known := make(map[string]bool, len(all))
	for _, st := range all {
		known[st.version] = true
	}
	var newer []string
	for v := range done {
		if !known[v] {
			newer = append(newer, v)
		}
	}
	if len(newer) == 0 {
		return nil
	}
	sort.Strings(newer)
	return fmt.Errorf("migrate: the database was migrated by a newer version of the product (steps %s, unknown to this build): run that version or a later one", strings.Join(newer, ", "))
}

func appliedSteps(ctx context.Context, q querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	defer rows.Close()
	done := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
		}
		done[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	return done, nil
}

func recordStep(ctx context.Context, q querier, version string) error {
	at := time.Now().UTC().Format(time.RFC3339Nano)
	if _, err := q.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", version, at); err != nil {
		return fmt.Errorf("migrate: record %s: %w", version, err)
	}
	return nil
}
