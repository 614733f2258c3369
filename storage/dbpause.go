package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DBPauses are WeCom's pauses of an API (after 45009 or 45033) in MySQL, for
// a deployment without Redis: every replica waits the same pause. The end of
// a pause is kept by the MySQL server's clock, so replicas with skewed clocks
// agree on it.
type DBPauses struct{ db *sql.DB }

var _ APIPauses = DBPauses{}

// Pause makes calls to api wait for d from now, never shortening a longer
// pause.
func (p DBPauses) Pause(ctx context.Context, api string, d time.Duration) error {
	_, err := p.db.ExecContext(ctx, "INSERT INTO api_pauses (api, until_us) VALUES (?, "+nowUS+" + ?) "+
		"ON DUPLICATE KEY UPDATE until_us = GREATEST(until_us, VALUES(until_us))", api, d.Microseconds())
	if err != nil {
		return fmt.Errorf("pause %s: %w", api, err)
	}
	return nil
}

// PausedFor says how long calls to api must still wait; 0 when they need
// not.
func (p DBPauses) PausedFor(ctx context.Context, api string) (time.Duration, error) {
	var left int64
	err := p.db.QueryRowContext(ctx, "SELECT until_us - "+nowUS+" FROM api_pauses WHERE api = ?", api).Scan(&left)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pause of %s: %w", api, err)
	}
	if left <= 0 {
		return 0, nil
	}
	return time.Duration(left) * time.Microsecond, nil
}
