package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"banchengshi/configs"
	"banchengshi/pii"
	"banchengshi/storage"
)

// RekeyOptions tune a key rotation run.
type RekeyOptions struct {
	Log *slog.Logger // nil discards
	// Batch is how many rows one transaction seals anew; default 200.
	Batch int
}

// Rekey seals every personal value in cfg's database anew with the data key
// (BCS_DATA_KEY, or the key file), reading what the previous key
// (BCS_DATA_KEY_PREVIOUS) sealed, while the product runs; see
// storage.SQL.Rekey and the README's Keys section. It never creates a key.
func Rekey(ctx context.Context, cfg configs.Config, opt RekeyOptions) (*storage.RekeyResult, error) {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	raw := cfg.DataKey
	if raw == "" {
		data, err := os.ReadFile(cfg.DataKeyFile)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("rekey: no data key: set BCS_DATA_KEY to the new key (data key file %s is missing)", cfg.DataKeyFile)
		}
		if err != nil {
			return nil, fmt.Errorf("rekey: read data key file: %w", err)
		}
		raw = string(data)
	}
	primary, err := pii.ParseKey(raw)
	if err != nil {
		return nil, fmt.Errorf("rekey: data key: %w", err)
	}
	var previous [][]byte
	if cfg.DataKeyPrevious != "" {
		prev, err := pii.ParseKey(cfg.DataKeyPrevious)
		if err != nil {
			return nil, fmt.Errorf("rekey: previous data key: %w", err)
		}
		previous = append(previous, prev)
	}
	sealer, err := pii.NewSealer(primary, previous...)
	if err != nil {
		return nil, fmt.Errorf("rekey: %w", err)
	}
	repo, err := storage.Open(ctx, cfg.DBDriver, cfg.DBDSN, sealer)
	if err != nil {
		return nil, fmt.Errorf("rekey: open database: %w", err)
	}
	defer repo.Close()
	opt.Log.Info("sealing personal data anew", "key_id", sealer.KeyID(), "keys", len(sealer.Keys()))
	res, err := repo.Rekey(ctx, opt.Batch, func(r storage.RekeyReport) {
		opt.Log.Info("rekey progress", "table", r.Table, "rows", r.Rows, "resealed", r.Resealed,
			"changed_meanwhile", r.Changed, "unreadable", r.Unreadable)
	})
	if err != nil {
		return res, fmt.Errorf("rekey (run it again to continue): %w", err)
	}
	if res.Left > 0 {
		return res, fmt.Errorf("rekey: no key retired: %d values were sealed with another key after this run had sealed "+
			"their table anew (%s), so a replica still seals with its old key; restart every replica with BCS_DATA_KEY set "+
			"to the new key (id %s) and the old one as BCS_DATA_KEY_PREVIOUS, then run rekey again", res.Left, staleSummary(res.Stale), res.KeyID)
	}
	return res, nil
}

// staleSummary says where the values left under other keys are, by table
// and key id.
func staleSummary(stale []storage.StaleValues) string {
	parts := make([]string, len(stale))
	for i, v := range stale {
		under := "under key id " + v.KeyID
		if v.KeyID == "" {
			under = "sealed before key ids or not sealed at all"
		}
		parts[i] = fmt.Sprintf("%s: %d %s", v.Table, v.Count, under)
	}
	return strings.Join(parts, "; ")
}
