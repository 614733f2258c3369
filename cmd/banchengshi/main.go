// Command banchengshi runs 办成事: the WeCom front door of the bureau's
// "办不成事" reflection window. With no configuration it runs on SQLite with
// in-process stores and serves the local WeCom sandbox.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"banchengshi/app"
	"banchengshi/configs"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("banchengshi", flag.ContinueOnError)
	configPath := fs.String("config", getenv("BCS_CONFIG"), "optional YAML config file (env BCS_CONFIG)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := configs.Load(*configPath, getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	slog.SetDefault(log)
	log.Info("starting", "config", cfg)

	a, err := app.New(ctx, cfg, app.Options{Log: log})
	if err != nil {
		return err
	}
	a.Start()
	log.Info("serving", "url", a.URL())
	if a.Sandbox() != nil {
		fmt.Fprintf(os.Stderr, "\n  办成事 is running with the local WeCom sandbox.\n  Open %s/sandbox/ to write as a citizen and act as staff.\n\n", a.URL())
	}
	<-ctx.Done()
	log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := a.Close(shutdown); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
