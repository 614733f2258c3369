package app

import (
	"context"
	"log/slog"
	"time"

	"banchengshi/storage"
)

// dataKeyRefresh is how often a replica re-reads data_keys. A replica
// started before a key rotation began seals with the new key at most this
// long after the rotation recorded it, when it has that key; the rotation's
// last step does not depend on it (see storage.SQL.Rekey).
const dataKeyRefresh = 30 * time.Second

// watchKeys re-reads data_keys every dataKeyRefresh until ctx ends.
func (a *App) watchKeys(ctx context.Context) {
	t := time.NewTicker(dataKeyRefresh)
	defer t.Stop()
	watchDataKeys(ctx, a.repo, a.log, t.C)
}

// keyWatcher is what watchDataKeys needs of the storage.
type keyWatcher interface {
	KeyState() storage.KeyState
	RefreshKeys(ctx context.Context) (storage.KeyState, error)
}

// watchDataKeys re-reads the data keys at every tick and logs each change
// of what this replica seals with once: the move to the key in use; a
// rotation to a key this replica does not have, which it cannot finish while
// this replica writes; and, once the rotation retired its key, its refusal
// to write personal data until it is restarted.
func watchDataKeys(ctx context.Context, keys keyWatcher, log *slog.Logger, tick <-chan time.Time) {
	last := keys.KeyState()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		now, err := keys.RefreshKeys(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("re-read data keys", "err", err)
			}
			continue
		}
		if now != last {
			logKeyState(log, last, now)
			last = now
		}
	}
}

func logKeyState(log *slog.Logger, was, now storage.KeyState) {
	const restart = "restart this replica with BCS_DATA_KEY set to the key in use and its old key as BCS_DATA_KEY_PREVIOUS"
	switch {
	case now.Refused():
		log.Error("data key retired: this replica writes no personal data until it is restarted with the key in use",
			"in_use", now.InUse, "retired", was.Sealing, "do", restart)
	case now.Behind():
		log.Error("a data key rotation began with a key this replica does not have: it goes on sealing with its old key, "+
			"and the rotation cannot retire that key while it does", "sealing_with", now.Sealing, "in_use", now.InUse, "do", restart)
	case now.Sealing != was.Sealing:
		log.Info("sealing personal data with the data key in use", "key_id", now.Sealing, "was", was.Sealing)
	}
}
