// Command bcs-load is the documented load run and the fault suite (see
// docs/load.md and docs/reliability.md).
//
//	-mode burst   every citizen sends its messages at once
//	-mode paced   messages at a fixed rate
//	-mode fault   the fault suite: crashes, Redis and MariaDB outages, WeCom
//	              errors, one of three replicas killed
//	-mode script  the first load run, against a product serving its own sandbox
//
// In the burst, paced and fault modes the tool builds the real product binary
// and runs 1, 2 or 3 replicas of it as separate processes on MariaDB and
// Redis, behind a round-robin balancer of its own, with the WeCom sandbox as a
// server of its own (call ceilings, a configurable API round trip). Every
// message takes the product's real path: encrypted callback, kf sync, dialog,
// outbox, send_msg. It only talks to loopback addresses and stops by itself
// after its messages or its time limit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"banchengshi/sandbox"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bcs-load:", err)
		os.Exit(1)
	}
}

// options are the flags of the burst, paced and fault modes.
type options struct {
	mode      string
	replicas  int
	latency   time.Duration
	citizens  int
	messages  int
	rate      float64
	drain     time.Duration
	timeout   time.Duration
	mysql     string
	redis     string
	bin       string
	dir       string
	perMinute int
	perHour   int
	scenarios string
}

func run(args []string) error {
	mode := "script"
	for i, a := range args {
		if a == "-mode" && i+1 < len(args) {
			mode = args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "-mode="); ok {
			mode = v
		}
	}
	if mode == "script" {
		return runScript(dropMode(args))
	}
	o := options{}
	fs := flag.NewFlagSet("bcs-load", flag.ContinueOnError)
	fs.StringVar(&o.mode, "mode", "script", "burst, paced, fault or script")
	fs.IntVar(&o.replicas, "replicas", 1, "product replicas behind the balancer: 1, 2 or 3")
	fs.DurationVar(&o.latency, "latency", 30*time.Millisecond, "WeCom API round trip the sandbox adds to every call")
	fs.IntVar(&o.citizens, "citizens", 200, "citizens writing")
	fs.IntVar(&o.messages, "messages", 1000, "messages in all (at most 11 per citizen: one report)")
	fs.Float64Var(&o.rate, "rate", 50, "paced mode: messages a second")
	fs.DurationVar(&o.drain, "drain", 2*time.Minute, "longest wait for the answers after the last message")
	fs.DurationVar(&o.timeout, "timeout", 15*time.Minute, "stop after this long whatever is left")
	fs.StringVar(&o.mysql, "mysql", "127.0.0.1:3306", "MariaDB (root without a password); the run creates and drops its own database")
	fs.StringVar(&o.redis, "redis", "127.0.0.1:6379", "Redis, used with a key prefix of the run's own; empty starts a redis-server of the run's own")
	fs.StringVar(&o.bin, "bin", "", "product binary; empty builds ./cmd/banchengshi")
	fs.StringVar(&o.dir, "dir", "", "where product logs go; empty is a temporary directory, removed after a good run")
	fs.IntVar(&o.perMinute, "calls-per-minute", sandbox.DefaultCallsPerMinute, "the sandbox's ceiling per API per minute")
	fs.IntVar(&o.perHour, "calls-per-hour", sandbox.DefaultCallsPerHour, "the sandbox's ceiling per API per hour")
	fs.StringVar(&o.scenarios, "scenarios", "all", "fault mode: comma-separated among acceptance,kill,redis,mariadb,wecom,outage,sends,replicas (all of these: all), and quiet, quietdb (only when named)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.citizens < 1 || o.messages < 1 || o.messages > 11*o.citizens {
		return errors.New("-messages must be between 1 and 11 × -citizens (one report each)")
	}
	if o.rate <= 0 {
		return errors.New("-rate must be positive")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir := o.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "bcs-load-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if o.bin == "" {
		fmt.Fprintln(os.Stderr, "building ./cmd/banchengshi …")
		if o.bin, err = buildProduct(ctx, root, dir); err != nil {
			return err
		}
	}
	base := rigConfig{Replicas: o.replicas, Latency: o.latency, Bin: o.bin, MySQL: o.mysql, Redis: o.redis,
		Ceilings: sandbox.Ceilings{PerMinute: o.perMinute, PerHour: o.perHour}, Dir: dir, Root: root, Log: os.Stderr}

	switch o.mode {
	case "burst", "paced":
		err = loadRun(ctx, os.Stdout, base, o)
	case "fault":
		var results []faultResult
		results, err = faultSuite(ctx, os.Stdout, base, o.scenarios, suiteSteady)
		var failed []string
		for _, r := range results {
			if len(r.invalid) > 0 {
				failed = append(failed, r.sc.name)
			}
		}
		if err == nil && len(failed) > 0 {
			err = fmt.Errorf("invariants broken in: %v (product logs in %s)", failed, dir)
		}
	default:
		return fmt.Errorf("unknown -mode %q", o.mode)
	}
	if err == nil && o.dir == "" {
		os.RemoveAll(dir)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "product logs:", dir)
	}
	return err
}

// loadRun is one burst or paced run, reported as docs/load.md shows it.
func loadRun(ctx context.Context, w io.Writer, base rigConfig, o options) error {
	r, err := startRig(ctx, base)
	if err != nil {
		return err
	}
	defer r.Close()
	run := fmt.Sprintf("%s%d", o.mode, time.Now().Unix())
	cpu0 := r.cpu()
	var l *sendLog
	var title string
	if o.mode == "burst" {
		title = fmt.Sprintf("burst: %d messages from %d citizens, %d replica(s), WeCom round trip %s", o.messages, o.citizens, o.replicas, o.latency)
		l = burstOf(ctx, r.sb, run, o.citizens, o.messages)
	} else {
		title = fmt.Sprintf("paced: %d messages at %.0f/s from %d citizens, %d replica(s), WeCom round trip %s", o.messages, o.rate, o.citizens, o.replicas, o.latency)
		l = paced(ctx, r.sb, run, o.citizens, o.messages, o.rate)
	}
	l.retries.Wait()
	out := waitAnswered(ctx, r.sb, l, time.Now().Add(o.drain))
	printLoad(w, title, r, out, cpu0, r.cpu())
	if out.Unanswered > 0 || out.Twice > 0 {
		return fmt.Errorf("%d unanswered, %d answered twice", out.Unanswered, out.Twice)
	}
	return nil
}

// burstOf spreads messages over citizens as evenly as whole steps allow:
// citizens × steps, steps = messages / citizens rounded up, trimmed to the
// count by giving the last citizens one step fewer.
func burstOf(ctx context.Context, sb *sandbox.Sandbox, run string, citizens, messages int) *sendLog {
	steps := (messages + citizens - 1) / citizens
	if steps*citizens == messages {
		return burst(ctx, sb, run, citizens, steps)
	}
	// Uneven: two groups, both at once.
	full := messages - (steps-1)*citizens
	var a, b *sendLog
	done := make(chan struct{})
	go func() { a = burst(ctx, sb, run+"a", full, steps); close(done) }()
	b = burst(ctx, sb, run+"b", citizens-full, steps-1)
	<-done
	return mergeLogs(a, b)
}

func mergeLogs(a, b *sendLog) *sendLog {
	a.retries.Wait()
	b.retries.Wait()
	m := &sendLog{users: append(a.users, b.users...), acks: append(a.acks, b.acks...),
		messages: a.messages + b.messages, acked: a.acked + b.acked}
	m.first, m.lastAck, m.lastSent = a.first, a.lastAck, a.lastSent
	if b.first.Before(m.first) {
		m.first = b.first
	}
	if b.lastAck.After(m.lastAck) {
		m.lastAck = b.lastAck
	}
	if b.lastSent.After(m.lastSent) {
		m.lastSent = b.lastSent
	}
	return m
}

func dropMode(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == "-mode" {
			i++
			continue
		}
		if strings.HasPrefix(args[i], "-mode=") {
			continue
		}
		out = append(out, args[i])
	}
	return out
}
