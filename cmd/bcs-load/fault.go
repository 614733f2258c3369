package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"banchengshi/sandbox"
)

// faultEvent is one fault the suite caused: from start until end (the
// restart, the restore, the end of a burst of errors).
type faultEvent struct {
	name       string
	start, end time.Time
	back       time.Duration // how long the restarted part took to be ready
}

type eventLog struct {
	mu     sync.Mutex
	events []faultEvent
}

func (e *eventLog) add(name string, start, end time.Time) {
	e.addBack(name, start, end, 0)
}

func (e *eventLog) addBack(name string, start, end time.Time, back time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, faultEvent{name, start, end, back})
}

// steady is the steady load the scenarios run under: paced kf messages.
type steady struct {
	rate     float64
	seconds  int
	citizens int
}

func (s steady) messages() int { return int(s.rate * float64(s.seconds)) }

// scenario is one fault under load.
type scenario struct {
	name string
	what string
	// setup adjusts the rig (replicas, own Redis, MariaDB through a proxy).
	setup func(*rigConfig)
	// load sends the messages; faults runs beside it from the load's start.
	load   func(ctx context.Context, r *rig, run string) *sendLog
	faults func(ctx context.Context, r *rig, ev *eventLog) error
	// bound: every message must be answered within it after the last one.
	bound time.Duration
	// named: run only when named, not by "all" (it takes minutes).
	named bool
}

// after sleeps until d after t0, or returns false when ctx ends.
func after(ctx context.Context, t0 time.Time, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(time.Until(t0.Add(d))):
		return true
	}
}

// killRestart SIGKILLs a replica and starts it again at once.
func killRestart(ctx context.Context, rep *replica, ev *eventLog, name string) error {
	t := time.Now()
	rep.kill()
	end := time.Now()
	err := rep.start(ctx)
	ev.addBack(name, t, end, time.Since(end))
	return err
}

func pacedLoad(s steady) func(context.Context, *rig, string) *sendLog {
	return func(ctx context.Context, r *rig, run string) *sendLog {
		return paced(ctx, r.sb, run, s.citizens, s.messages(), s.rate)
	}
}

// scenarios are the suite: issue 10's acceptance, then (a) to (g).
func scenarios(s steady) []scenario {
	return []scenario{
		{
			name: "acceptance",
			what: "burst of 1,000 messages from 200 citizens, 3 × SIGKILL of the one replica during it, each followed by an immediate restart",
			load: func(ctx context.Context, r *rig, run string) *sendLog { return burst(ctx, r.sb, run, 200, 5) },
			faults: func(ctx context.Context, r *rig, ev *eventLog) error {
				t0 := time.Now()
				for i := range 3 {
					if !after(ctx, t0, 300*time.Millisecond) {
						return ctx.Err()
					}
					if err := killRestart(ctx, r.replicas[0], ev, fmt.Sprintf("SIGKILL %d", i+1)); err != nil {
						return err
					}
					t0 = time.Now().Add(700 * time.Millisecond)
				}
				return nil
			},
			bound: time.Minute,
		},
		{
			name: "kill",
			what: fmt.Sprintf("(a) steady %.0f messages/s; SIGKILL at 5 s, 12 s, 19 s, each followed by an immediate restart", s.rate),
			load: pacedLoad(s),
			faults: func(ctx context.Context, r *rig, ev *eventLog) error {
				t0 := time.Now()
				for i, at := range []time.Duration{5 * time.Second, 12 * time.Second, 19 * time.Second} {
					if at >= time.Duration(s.seconds)*time.Second || !after(ctx, t0, at) {
						break
					}
					if err := killRestart(ctx, r.replicas[0], ev, fmt.Sprintf("SIGKILL %d", i+1)); err != nil {
						return err
					}
				}
				return ctx.Err()
			},
			bound: time.Minute,
		},
		{
			name:  "redis",
			what:  fmt.Sprintf("(b) steady %.0f messages/s; Redis (the suite's own redis-server) stopped at 5 s, started again 5 s later", s.rate),
			setup: func(c *rigConfig) { c.Redis = "" },
			load:  pacedLoad(s),
			faults: func(ctx context.Context, r *rig, ev *eventLog) error {
				if !after(ctx, time.Now(), 5*time.Second) {
					return ctx.Err()
				}
				t := time.Now()
				r.redis.stop()
				if !after(ctx, t, 5*time.Second) {
					return ctx.Err()
				}
				end := time.Now()
				err := r.redis.start(ctx)
				ev.addBack("Redis down 5 s", t, end, time.Since(end))
				return err
			},
			bound: time.Minute,
		},
		{
			name:   "mariadb",
			what:   fmt.Sprintf("(c) steady %.0f messages/s; every MariaDB connection cut and new ones refused at 5 s, for 5 s (a TCP proxy; the server itself is shared and untouched)", s.rate),
			setup:  func(c *rigConfig) { c.ProxyDB = true },
			load:   pacedLoad(s),
			faults: mariaDBDown(5*time.Second, 5*time.Second, "MariaDB down 5 s"),
			bound:  time.Minute,
		},
		{
			name: "wecom",
			what: fmt.Sprintf("(d) steady %.0f messages/s; WeCom API bursts: 5xx for 3 s at 3 s, timeouts for 2 s at 8 s, 42001 on 5 calls at 13 s, 45009 for 3 s at 16 s", s.rate),
			load: pacedLoad(s),
			faults: func(ctx context.Context, r *rig, ev *eventLog) error {
				t0 := time.Now()
				bursts := []struct {
					at   time.Duration
					f    sandbox.Fault
					name string
				}{
					{3 * time.Second, sandbox.Fault{Kind: sandbox.Fault5xx, For: 3 * time.Second}, "5xx for 3 s"},
					{8 * time.Second, sandbox.Fault{Kind: sandbox.FaultTimeout, For: 2 * time.Second, Hold: 12 * time.Second}, "timeouts for 2 s"},
					{13 * time.Second, sandbox.Fault{Kind: sandbox.FaultTokenExpired, Count: 5}, "42001 × 5"},
					{16 * time.Second, sandbox.Fault{Kind: sandbox.FaultFreqLimit, For: 3 * time.Second}, "45009 for 3 s"},
				}
				for _, b := range bursts {
					if b.at >= time.Duration(s.seconds)*time.Second || !after(ctx, t0, b.at) {
						break
					}
					t := time.Now()
					if err := r.sb.InjectFault(b.f); err != nil {
						return err
					}
					end := t.Add(b.f.For)
					if b.f.Kind == sandbox.FaultTimeout {
						end = end.Add(b.f.Hold) // the last held call lets go then
					}
					ev.add(b.name, t, end)
				}
				return nil
			},
			// After a 45009 WeCom blocks the API for 60 s, and the product
			// waits that long before it calls again: the answers owed then
			// are due a minute later than in the other scenarios.
			bound: time.Minute + wecomBlock,
		},
		weComDown("outage", fmt.Sprintf("(f) steady %.0f messages/s; the WeCom API answers 502 to every call for 20 s at 3 s", s.rate),
			"WeCom down 20 s", nil, s),
		weComDown("sends", fmt.Sprintf("(g) steady %.0f messages/s; kf send_msg answers 502 for 20 s at 3 s (pulling goes on)", s.rate),
			"send_msg down 20 s", []string{"/cgi-bin/kf/send_msg"}, s),
		{
			name:  "quietdb",
			what:  "(i) no steady load: every MariaDB connection cut and new ones refused for 30 s; three citizens write once, 3 s into it (WeCom gives their callbacks up), and nobody after them (run only when named)",
			setup: func(c *rigConfig) { c.ProxyDB = true },
			load: func(ctx context.Context, r *rig, run string) *sendLog {
				if !after(ctx, time.Now(), 3*time.Second) {
					return &sendLog{}
				}
				return burst(ctx, r.sb, run, 3, 1)
			},
			faults: mariaDBDown(0, 30*time.Second, "MariaDB down 30 s"),
			bound:  12 * time.Minute,
			named:  true,
		},
		{
			name: "quiet",
			what: "(h) the WeCom API answers 502 to every call for 5 minutes; three citizens write once, 3 s into it, and nobody writes after them (run only when named)",
			load: func(ctx context.Context, r *rig, run string) *sendLog {
				if !after(ctx, time.Now(), 3*time.Second) {
					return &sendLog{}
				}
				return burst(ctx, r.sb, run, 3, 1)
			},
			faults: weComFails(0, 5*time.Minute, nil, "WeCom down 5 min"),
			// Long enough to see when a message written early in a long
			// outage is answered, however late.
			bound: 12 * time.Minute,
			named: true,
		},
		{
			name:  "replicas",
			what:  fmt.Sprintf("(e) steady %.0f messages/s on three replicas; one SIGKILLed at 5 s and left down", s.rate),
			setup: func(c *rigConfig) { c.Replicas = 3 },
			load:  pacedLoad(s),
			faults: func(ctx context.Context, r *rig, ev *eventLog) error {
				if !after(ctx, time.Now(), 5*time.Second) {
					return ctx.Err()
				}
				t := time.Now()
				r.replicas[1].kill()
				ev.add("replica 2 of 3 SIGKILLed", t, time.Now())
				return nil
			},
			bound: time.Minute,
		},
	}
}

// weComDown is a scenario under the steady load s in which the WeCom API
// answers 502 for 20 s from 3 s on: every call but gettoken, or those to
// paths.
func weComDown(name, what, event string, paths []string, s steady) scenario {
	return scenario{
		name:   name,
		what:   what,
		load:   pacedLoad(s),
		faults: weComFails(3*time.Second, 20*time.Second, paths, event),
		bound:  time.Minute,
	}
}

// mariaDBDown is the fault of a scenario in which every MariaDB connection
// is cut and new ones refused for length from at on (the rig's TCP proxy;
// the server itself is shared and untouched).
func mariaDBDown(at, length time.Duration, event string) func(context.Context, *rig, *eventLog) error {
	return func(ctx context.Context, r *rig, ev *eventLog) error {
		if !after(ctx, time.Now(), at) {
			return ctx.Err()
		}
		t := time.Now()
		r.dbProxy.Cut()
		if !after(ctx, t, length) {
			r.dbProxy.Restore()
			return ctx.Err()
		}
		end := time.Now()
		err := r.dbProxy.Restore()
		ev.add(event, t, end)
		return err
	}
}

// weComFails is the fault of a scenario in which the WeCom API answers 502
// for length from at on: every call but gettoken, or those to paths.
func weComFails(at, length time.Duration, paths []string, event string) func(context.Context, *rig, *eventLog) error {
	return func(ctx context.Context, r *rig, ev *eventLog) error {
		if !after(ctx, time.Now(), at) {
			return ctx.Err()
		}
		t := time.Now()
		f := sandbox.Fault{Kind: sandbox.Fault5xx, Paths: paths, For: length}
		if err := r.sb.InjectFault(f); err != nil {
			return err
		}
		ev.add(event, t, t.Add(f.For))
		return nil
	}
}

// faultResult is one scenario's line in docs/reliability.md.
type faultResult struct {
	sc      scenario
	out     outcome
	events  []faultEvent
	err     error
	allIn   time.Duration // last answer after the last message
	invalid []string      // invariants broken
	chats   string        // where the chats of troubled citizens were written
}

// runScenario runs one scenario on a rig of its own and checks the
// invariants: nothing lost, nothing answered twice, everything answered
// within the bound after the load.
func runScenario(ctx context.Context, base rigConfig, sc scenario) faultResult {
	cfg := base
	if sc.setup != nil {
		sc.setup(&cfg)
	}
	res := faultResult{sc: sc}
	r, err := startRig(ctx, cfg)
	if err != nil {
		res.err = err
		res.invalid = []string{"rig: " + err.Error()}
		return res
	}
	defer r.Close()
	ev := &eventLog{}
	faultErr := make(chan error, 1)
	fctx, stopFaults := context.WithCancel(ctx)
	defer stopFaults()
	go func() { faultErr <- sc.faults(fctx, r, ev) }()
	l := sc.load(ctx, r, fmt.Sprintf("%s%d", sc.name, time.Now().UnixMilli()%1e6))
	err = <-faultErr
	l.retries.Wait()
	// Every citizen message must be answered within the bound after the
	// last one was sent.
	res.out = waitAnswered(ctx, r.sb, l, l.lastSent.Add(sc.bound))
	r.sb.ClearFaults()
	res.events = ev.events
	res.err = err
	if !res.out.LastAnswer.IsZero() && res.out.answeredAll() {
		res.allIn = max(0, res.out.LastAnswer.Sub(res.out.LoadEnd))
	}
	if err != nil {
		res.invalid = append(res.invalid, "fault step: "+err.Error())
	}
	if res.out.Unanswered > 0 {
		res.invalid = append(res.invalid, fmt.Sprintf("%d lost (unanswered %s after the last message)", res.out.Unanswered, sc.bound))
	}
	if res.out.Twice > 0 {
		res.invalid = append(res.invalid, fmt.Sprintf("%d answered twice", res.out.Twice))
	}
	if len(res.out.troubled) > 0 {
		path := filepath.Join(cfg.Dir, sc.name+"-chats.txt")
		if f, err := os.Create(path); err == nil {
			writeChats(f, r.sb, res.out.troubled, 10)
			f.Close()
			res.chats = path
		}
	}
	return res
}

// suiteSteady is the steady load of the fault suite's command.
var suiteSteady = steady{rate: 20, seconds: 25, citizens: 100}

// faultSuite runs the chosen scenarios (comma-separated names, or "all")
// under the steady load s, printing each as it ends and then the table of
// docs/reliability.md.
func faultSuite(ctx context.Context, w io.Writer, base rigConfig, names string, s steady) ([]faultResult, error) {
	chosen := map[string]bool{}
	for _, n := range strings.Split(names, ",") {
		chosen[strings.TrimSpace(n)] = true
	}
	var results []faultResult
	for _, sc := range scenarios(s) {
		if !chosen[sc.name] && (!chosen["all"] || sc.named) {
			continue
		}
		if ctx.Err() != nil {
			return results, ctx.Err()
		}
		fmt.Fprintf(w, "-- %s: %s\n", sc.name, sc.what)
		res := runScenario(ctx, base, sc)
		printScenario(w, res)
		results = append(results, res)
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("no scenario matches %q", names)
	}
	fmt.Fprintln(w)
	printFaultTable(w, results)
	return results, nil
}

func printScenario(w io.Writer, r faultResult) {
	o := r.out
	fmt.Fprintf(w, "   messages %d, acked %d, answered %d, lost %d, twice %d, out of order %d; reply p50 %s p99 %s max %s; refused sends %v\n",
		o.Messages, o.Acked, o.Answered, o.Unanswered, o.Twice, o.WrongOrder, ms(o.ReplyP50), ms(o.ReplyP99), ms(o.ReplyMax), o.Refused)
	for _, e := range r.events {
		fmt.Fprintf(w, "   %-26s ended %s into the load (back up after %s); first reply after it %s later; every message queued before its end answered %s later\n",
			e.name, ms(e.end.Sub(r.out.first)), ms(e.back), firstReply(o, e), recovery(o, e))
	}
	for _, v := range r.invalid {
		fmt.Fprintf(w, "   BROKEN: %s\n", v)
	}
	if r.chats != "" {
		fmt.Fprintf(w, "   chats of citizens with a message lost, doubled or out of order: %s\n", r.chats)
	}
}

// recovery is the time to recover from a fault: from its end until every
// message queued before then has its answer.
func recovery(o outcome, e faultEvent) string {
	t := o.caughtUp(e.end)
	if t.IsZero() {
		return "never"
	}
	return ms(max(0, t.Sub(e.end)))
}

func firstReply(o outcome, e faultEvent) string {
	t := o.firstReplyAfter(e.end)
	if t.IsZero() {
		return "never"
	}
	return ms(t.Sub(e.end))
}

func allIn(r faultResult) string {
	if !r.out.answeredAll() {
		return "never"
	}
	return ms(r.allIn)
}

func printFaultTable(w io.Writer, results []faultResult) {
	fmt.Fprintln(w, "| scenario | messages | acked | answered | lost | twice | out of order | reply p99 | last answer after load | time to recover |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range results {
		o := r.out
		var rec []string
		for _, e := range r.events {
			rec = append(rec, fmt.Sprintf("%s: %s", e.name, recovery(o, e)))
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d | %s | %s | %s |\n", r.sc.name, o.Messages, o.Acked, o.Answered,
			o.Unanswered, o.Twice, o.WrongOrder, ms(o.ReplyP99), allIn(r), strings.Join(rec, "; "))
	}
}

// wecomBlock is how long WeCom blocks an API after answering 45009 for its
// minute ceiling ("访问频率限制"); the product pauses that API as long.
const wecomBlock = 60 * time.Second
