// Command banchengshi runs 办成事: the WeCom front door of the bureau's
// "办不成事" reflection window. With no configuration it runs on SQLite with
// in-process stores and serves the local WeCom sandbox; anything
// production-like (MySQL, Redis, a WeCom setting, an address other machines
// reach) turns the sandbox off and needs a complete WeCom configuration.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	"banchengshi/app"
	"banchengshi/configs"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run starts the product with the command line args and the environment
// environ (os.Environ's KEY=value entries: the whole list, so that a BCS_
// variable the product does not read is refused rather than ignored), logs
// to stderr, and serves until ctx ends. A failed start returns an error whose
// text is one line saying what failed and what to do.
func run(ctx context.Context, args, environ []string, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "rekey" {
		return runRekey(ctx, args[1:], environ, stderr)
	}
	getenv := configs.EnvFrom(environ)
	fs := flag.NewFlagSet("banchengshi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv(configs.EnvConfig), "optional YAML config file (env BCS_CONFIG)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("cannot start: command line: %v — run with -h for the flags", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("cannot start: command line: unexpected argument %q — settings go in BCS_ variables or the -config file", fs.Arg(0))
	}
	cfg, err := configs.LoadEnviron(*configPath, environ)
	if err != nil {
		var cerr *configs.Error
		if errors.As(err, &cerr) {
			return fmt.Errorf("cannot start: %w", err)
		}
		return fmt.Errorf("cannot start: %w — check the -config flag or BCS_CONFIG", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	slog.SetDefault(log)
	redis.SetLogger(redisLog{log.With("component", "redis")})
	_ = mysql.SetLogger(mysqlLog{log.With("component", "mysql")}) // fails only on a nil logger
	log.Info("starting", "sandbox", cfg.Sandbox(), "config", cfg)

	a, err := app.New(ctx, cfg, app.Options{Log: log})
	if err != nil {
		return err
	}
	a.Start()
	log.Info("serving", "url", a.URL())
	if a.Sandbox() != nil {
		fmt.Fprintf(stderr, "\n  办成事 is running with the local WeCom sandbox.\n  Open %s/sandbox/ to write as a citizen and act as staff.\n\n", a.URL())
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

// redisLog and mysqlLog put the drivers' own messages (a failed dial, a
// dropped connection) in the product's log rather than raw lines on stderr.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)))
}

type mysqlLog struct{ log *slog.Logger }

func (l mysqlLog) Print(v ...any) { l.log.Warn(strings.TrimSpace(fmt.Sprint(v...))) }
