package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"banchengshi/sandbox"
)

// outcome is what the citizens got, read from WeCom's side (the sandbox's
// chats): each citizen's k-th answer belongs to their k-th message, since
// every scripted message gets exactly one answer, in order.
type outcome struct {
	Messages   int // queued at WeCom
	Acked      int // callbacks acknowledged with 200 (with WeCom's retries)
	Answered   int // messages with their answer
	Unanswered int // messages without one (lost, if the run has ended)
	Twice      int // answers beyond one per message
	WrongOrder int // answers that do not answer the message they follow
	Refused    map[int]int

	AckP50, AckP99     time.Duration
	AckRate            float64 // callbacks acknowledged per second
	ReplyP50, ReplyP99 time.Duration
	ReplyMax           time.Duration
	DrainRate          float64 // answers per second, first message to last answer
	LastAnswer         time.Time
	LoadEnd            time.Time // the last message queued
	replyTimes         []time.Time
	pairs              []qa
	first              time.Time // the first message sent
	troubled           []string  // citizens with a message lost, doubled or out of order
}

// qa is one message: when it was queued at WeCom and when its answer was
// accepted (zero if never).
type qa struct{ q, a time.Time }

// answeredAll reports whether every message has its answer.
func (o outcome) answeredAll() bool { return o.Unanswered == 0 }

// tally reads the chats of the load's citizens.
func tally(sb *sandbox.Sandbox, l *sendLog) outcome {
	l.mu.Lock()
	users := slices.Clone(l.users)
	o := outcome{Acked: l.acked, Refused: map[int]int{}, LoadEnd: l.lastSent}
	acks := slices.Clone(l.acks)
	if span := l.lastAck.Sub(l.first).Seconds(); span > 0 {
		o.AckRate = float64(l.acked) / span
	}
	first := l.first
	o.first = first
	l.mu.Unlock()
	var lat []time.Duration
	for _, u := range users {
		var asked []sandbox.ChatLine
		var answers []sandbox.ChatLine
		for _, line := range sb.Chat(u) {
			switch {
			case line.From == "citizen":
				asked = append(asked, line)
			case line.From == "bot" && line.ErrCode != 0:
				o.Refused[line.ErrCode]++
			case line.From == "bot":
				answers = append(answers, line)
				o.replyTimes = append(o.replyTimes, line.At)
				if line.At.After(o.LastAnswer) {
					o.LastAnswer = line.At
				}
			}
		}
		o.Messages += len(asked)
		lost, twice := o.Unanswered, o.Twice+o.WrongOrder
		o.match(asked, answers, &lat)
		switch {
		case o.Twice+o.WrongOrder > twice:
			// The rarer trouble first: these are the chats worth reading.
			o.troubled = append([]string{u}, o.troubled...)
		case o.Unanswered > lost:
			o.troubled = append(o.troubled, u)
		}
	}
	slices.Sort(acks)
	slices.Sort(lat)
	slices.SortFunc(o.replyTimes, func(a, b time.Time) int { return a.Compare(b) })
	o.AckP50, o.AckP99 = pct(acks, 50), pct(acks, 99)
	o.ReplyP50, o.ReplyP99 = pct(lat, 50), pct(lat, 99)
	if len(lat) > 0 {
		o.ReplyMax = lat[len(lat)-1]
	}
	if span := o.LastAnswer.Sub(first).Seconds(); o.Answered > 0 && span > 0 {
		o.DrainRate = float64(o.Answered) / span
	}
	return o
}

// match pairs a citizen's messages with the bot's answers. Each scripted
// message has one expected answer, recognised by its phrase; an answer goes
// to the first unanswered message whose phrase it mentions (the summary
// mentions what the description step expects too). An answer whose messages
// are all answered already counts as answered twice; an answer arriving after the answer to a later message, or
// answering no message, counts as out of order; a message without an answer
// is unanswered.
func (o *outcome) match(asked, answers []sandbox.ChatLine, lat *[]time.Duration) {
	got := make([]*sandbox.ChatLine, len(asked))
	latest := -1
	for i := range answers {
		a := &answers[i]
		// The first message, among those whose phrase the answer mentions,
		// that has no answer yet; -1 if it mentions none, and the first it
		// mentions when all of those are answered.
		k, seen := -1, -1
		for j := range asked {
			if !strings.Contains(a.Text, script[j%len(script)].expect) {
				continue
			}
			if seen < 0 {
				seen = j
			}
			if got[j] == nil {
				k = j
				break
			}
		}
		switch {
		case seen < 0:
			o.WrongOrder++
		case k < 0:
			o.Twice++
		default:
			got[k] = a
			if k < latest {
				o.WrongOrder++
			}
			latest = max(latest, k)
		}
	}
	for k, q := range asked {
		if got[k] == nil {
			o.Unanswered++
			o.pairs = append(o.pairs, qa{q: q.At})
			continue
		}
		o.Answered++
		*lat = append(*lat, got[k].At.Sub(q.At))
		o.pairs = append(o.pairs, qa{q.At, got[k].At})
	}
}

// firstReplyAfter is when the first answer after t was accepted; zero if none.
func (o outcome) firstReplyAfter(t time.Time) time.Time {
	i, _ := slices.BinarySearchFunc(o.replyTimes, t, func(a, b time.Time) int { return a.Compare(b) })
	if i < len(o.replyTimes) {
		return o.replyTimes[i]
	}
	return time.Time{}
}

// writeChats writes the chats of up to n troubled citizens, line by line,
// for the one who reads the product's logs next to them.
func writeChats(w io.Writer, sb *sandbox.Sandbox, users []string, n int) {
	for _, u := range users[:min(n, len(users))] {
		fmt.Fprintf(w, "== %s\n", u)
		for _, l := range sb.Chat(u) {
			fmt.Fprintf(w, "%s %-8s msgid=%s errcode=%d fail=%d %q\n", l.At.Format("15:04:05.000"), l.From, l.MsgID, l.ErrCode, l.FailType, l.Text)
		}
	}
}

// caughtUp is when every message queued before t had its answer; zero if
// one never did.
func (o outcome) caughtUp(t time.Time) time.Time {
	var last time.Time
	for _, p := range o.pairs {
		if p.q.After(t) {
			continue
		}
		if p.a.IsZero() {
			return time.Time{}
		}
		if p.a.After(last) {
			last = p.a
		}
	}
	return last
}

// waitAnswered polls the chats until every message is answered or the
// deadline passes, and returns the last tally.
func waitAnswered(ctx context.Context, sb *sandbox.Sandbox, l *sendLog, deadline time.Time) outcome {
	for {
		o := tally(sb, l)
		if o.answeredAll() || time.Now().After(deadline) || ctx.Err() != nil {
			return o
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100]
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// cpuSample is the CPU time used so far by the product, MariaDB and Redis.
type cpuSample struct{ product, mariadb, redis, tool time.Duration }

func (r *rig) cpu() cpuSample {
	var s cpuSample
	for _, rep := range r.replicas {
		s.product += rep.cpu()
	}
	if pid := findProcess("mariadbd", ""); pid != 0 {
		s.mariadb, _ = cpuOf(pid)
	}
	redisPid := 0
	if r.redis != nil {
		redisPid = r.redis.pid()
	} else {
		_, port, _ := strings.Cut(r.rdAddr, ":")
		redisPid = findProcess("redis-server", ":"+port)
	}
	if redisPid != 0 {
		s.redis, _ = cpuOf(redisPid)
	}
	s.tool, _ = cpuOf(os.Getpid())
	return s
}

// printLoad writes one run's figures, the way docs/load.md quotes them.
func printLoad(w io.Writer, title string, r *rig, o outcome, cpu0, cpu1 cpuSample) {
	fmt.Fprintf(w, "== %s\n", title)
	fmt.Fprintf(w, "messages %d from %d citizens; callbacks acked %d (%.0f/s), ack p50 %s, p99 %s\n",
		o.Messages, len(r.sb.Citizens()), o.Acked, o.AckRate, ms(o.AckP50), ms(o.AckP99))
	if at := r.lb.callbackTimes(); len(at) > 0 {
		slices.Sort(at)
		fmt.Fprintf(w, "the same callbacks at the balancer (request read -> answer written, %d callbacks): p50 %s, p99 %s\n",
			len(at), ms(pct(at, 50)), ms(pct(at, 99)))
	}
	fmt.Fprintf(w, "answered %d, unanswered %d, answered twice %d, out of order %d; %.1f replies/s while draining\n",
		o.Answered, o.Unanswered, o.Twice, o.WrongOrder, o.DrainRate)
	fmt.Fprintf(w, "reply latency (queued at WeCom -> reply accepted): p50 %s, p99 %s, max %s; last reply %s after the last message\n",
		ms(o.ReplyP50), ms(o.ReplyP99), ms(o.ReplyMax), ms(o.LastAnswer.Sub(o.LoadEnd)))
	if len(o.Refused) > 0 {
		fmt.Fprintf(w, "sends refused by WeCom, by errcode: %v\n", o.Refused)
	}
	if scraped, err := r.scrape(); err != nil {
		fmt.Fprintf(w, "the product's own figures: unknown (%v)\n", err)
	} else {
		if h, err := callbackTimes(scraped); err != nil {
			fmt.Fprintf(w, "the product's own answer to a callback: unknown (%v)\n", err)
		} else if h.count() > 0 {
			fmt.Fprintf(w, "the product's own answer to a callback (bcs_callback_seconds, all replicas, %d callbacks): p50 ≤ %s, p99 ≤ %s\n",
				int(h.count()), bound(h.quantile(0.50)), bound(h.quantile(0.99)))
		}
		fmt.Fprintf(w, "database pool (go_sql_*, all replicas): %.0f waits for a free connection, %s waited in all\n",
			counterSum(scraped, "go_sql_wait_count_total"), ms(time.Duration(counterSum(scraped, "go_sql_wait_duration_seconds_total")*float64(time.Second))))
	}
	lim := r.sb.Limits()
	for _, api := range []string{"/cgi-bin/kf/send_msg", "/cgi-bin/kf/sync_msg", "/cgi-bin/gettoken"} {
		st := r.sb.CeilingStats(api)
		fmt.Fprintf(w, "%-22s calls %6d, peak %5d a minute (ceiling %d), peak in flight %d, 45009 %d, 45033 %d\n",
			strings.TrimPrefix(api, "/cgi-bin/"), st.Calls, st.PeakMinute, lim.PerMinute, st.PeakConcurrent, st.Refused45009, st.Refused45033)
	}
	if o.Answered > 0 {
		per := func(d time.Duration) string { return ms(d / time.Duration(o.Answered)) }
		p, m, rd := cpu1.product-cpu0.product, cpu1.mariadb-cpu0.mariadb, cpu1.redis-cpu0.redis
		fmt.Fprintf(w, "CPU per answered message: product %s, MariaDB %s, Redis %s, together %s (this tool: sandbox, balancer, citizens %s)\n",
			per(p), per(m), per(rd), per(p+m+rd), per(cpu1.tool-cpu0.tool))
	}
}
