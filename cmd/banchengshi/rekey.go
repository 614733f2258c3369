package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"banchengshi/app"
	"banchengshi/configs"
)

// runRekey is "banchengshi rekey": it seals every personal value anew with
// BCS_DATA_KEY while the product runs (see the README's Keys section).
func runRekey(ctx context.Context, args, environ []string, stderr io.Writer) error {
	getenv := configs.EnvFrom(environ)
	fs := flag.NewFlagSet("banchengshi rekey", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv(configs.EnvConfig), "optional YAML config file (env BCS_CONFIG)")
	batch := fs.Int("batch", 200, "rows sealed anew per transaction")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("rekey: command line: %v — run with -h for the flags", err)
	}
	cfg, err := configs.LoadEnviron(*configPath, environ)
	if err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	res, err := app.Rekey(ctx, cfg, app.RekeyOptions{Log: log, Batch: *batch})
	if res != nil {
		for _, t := range res.Tables {
			fmt.Fprintf(stderr, "%-12s rows %d, sealed anew %d, written meanwhile %d, unreadable (set aside) %d\n",
				t.Table, t.Rows, t.Resealed, t.Changed, t.Unreadable)
		}
	}
	if err != nil {
		return err
	}
	if len(res.Retired) > 0 {
		fmt.Fprintf(stderr, "done: every value is sealed with the new key (id %s); retired key id(s) %v. "+
			"Remove BCS_DATA_KEY_PREVIOUS from the replicas at their next restart.\n", res.KeyID, res.Retired)
	} else {
		fmt.Fprintf(stderr, "done: every value is sealed with the data key (id %s).\n", res.KeyID)
	}
	return nil
}
