// Command bcs-sandbox serves the local WeCom sandbox on its own, for running
// the product in its production shape (MySQL, Redis, BCS_MODE=wecom) on one
// machine: the load run and fault runs. The product never serves the sandbox
// itself on such a configuration.
//
//	go run ./cmd/bcs-sandbox -addr 127.0.0.1:18090 \
//	  -callback http://127.0.0.1:18082/wecom/callback -env-file /tmp/bcs-sandbox.env &
//	set -a; . /tmp/bcs-sandbox.env; set +a
//	BCS_HTTP_ADDR=127.0.0.1:18082 BCS_DB_DRIVER=mysql ... go run ./cmd/banchengshi
//
// The env file holds the BCS_WECOM_* settings that point the product at this
// sandbox's corp. It listens on loopback only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"banchengshi/sandbox"
	"banchengshi/staff"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bcs-sandbox:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bcs-sandbox", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:18090", "listen address (loopback only)")
	callback := fs.String("callback", "http://127.0.0.1:8080/wecom/callback", "the product's /wecom/callback")
	directory := fs.String("directory", "configs/directory.example.yaml", "staff directory whose members can sign in")
	envFile := fs.String("env-file", "", "write the product's BCS_WECOM_* settings here (mode 0600)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*addr)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return fmt.Errorf("-addr %q must be a loopback host:port: anyone reaching the sandbox can sign in as any staff member", *addr)
	}
	dir, err := staff.LoadDirectory(*directory)
	if err != nil {
		return fmt.Errorf("%w — check -directory", err)
	}
	var members []sandbox.Member
	for _, m := range dir.Members() {
		members = append(members, sandbox.Member{UserID: m.ID, Name: m.Name})
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	sb, err := sandbox.New(sandbox.Config{CallbackURL: *callback, Staff: members, Log: log})
	if err != nil {
		return err
	}
	defer sb.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("%w — set -addr to a free host:port", err)
	}
	base := "http://" + ln.Addr().String() + "/sandbox"
	sc := sb.Config()
	env := strings.Join([]string{
		"BCS_MODE=wecom",
		"BCS_WECOM_API_BASE=" + base,
		"BCS_WECOM_SIGNIN_BASE=" + base,
		"BCS_WECOM_CORP_ID=" + sc.CorpID,
		fmt.Sprintf("BCS_WECOM_AGENT_ID=%d", sc.AgentID),
		"BCS_WECOM_SECRET=" + sc.Secret,
		"BCS_WECOM_TOKEN=" + sc.Token,
		"BCS_WECOM_AES_KEY=" + sc.EncodingAESKey,
	}, "\n") + "\n"
	if *envFile != "" {
		if err := os.WriteFile(*envFile, []byte(env), 0o600); err != nil {
			return err
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", sb.Handler()))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Info("sandbox serving", "url", base+"/", "callback", *callback, "env_file", *envFile)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
