package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"
)

// runScript is the first load run (-mode script): against a product that
// serves its own sandbox (go run ./cmd/banchengshi), N citizens each walk
// through a whole report, waiting for each answer before the next message.
func runScript(args []string) error {
	flag := flag.NewFlagSet("bcs-load -mode script", flag.ContinueOnError)
	base := flag.String("url", "http://127.0.0.1:8080", "the product's address (its /sandbox must be served)")
	citizens := flag.Int("citizens", 50, "citizens writing at the same time")
	limit := flag.Duration("timeout", 3*time.Minute, "stop after this long whatever is left")
	wait := flag.Duration("wait", 15*time.Second, "longest wait for one answer")
	if err := flag.Parse(args); err != nil {
		return err
	}

	u, err := url.Parse(*base)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return errors.New("only loopback addresses may be loaded (127.0.0.0/8, ::1, localhost)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()

	run := fmt.Sprintf("load%d", time.Now().Unix())
	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  int
		wg        sync.WaitGroup
	)
	start := time.Now()
	for i := 0; i < *citizens; i++ {
		wg.Add(1)
		go func(user string) {
			defer wg.Done()
			c := &citizen{base: *base, user: user, wait: *wait}
			for _, line := range script {
				took, err := c.say(ctx, line.say)
				mu.Lock()
				if err != nil {
					failures++
					if failures <= 3 {
						fmt.Fprintf(os.Stderr, "%s: %v\n", user, err)
					}
					mu.Unlock()
					return
				}
				latencies = append(latencies, took)
				mu.Unlock()
			}
		}(fmt.Sprintf("%s-%03d", run, i))
	}
	wg.Wait()
	elapsed := time.Since(start)

	slices.Sort(latencies)
	fmt.Printf("citizens %d, messages answered %d, failed %d, in %s (%.1f answers/s)\n",
		*citizens, len(latencies), failures, elapsed.Round(time.Millisecond), float64(len(latencies))/elapsed.Seconds())
	if len(latencies) > 0 {
		fmt.Printf("wait for the bot's answer: p50 %s  p95 %s  p99 %s  max %s\n",
			pct(latencies, 50).Round(time.Millisecond), pct(latencies, 95).Round(time.Millisecond), pct(latencies, 99).Round(time.Millisecond), latencies[len(latencies)-1])
	}
	if failures > 0 {
		return fmt.Errorf("%d citizens did not get every answer", failures)
	}
	return nil
}

type citizen struct {
	base, user string
	wait       time.Duration
	answers    int
}

// say sends one line and waits until the bot has answered it.
func (c *citizen) say(ctx context.Context, text string) (time.Duration, error) {
	body, _ := json.Marshal(map[string]string{"user": c.user, "text": text})
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/sandbox/api/say", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("say: HTTP %d", resp.StatusCode)
	}
	deadline := time.Now().Add(c.wait)
	for time.Now().Before(deadline) {
		n, err := c.botAnswers(ctx)
		if err != nil {
			return 0, err
		}
		if n > c.answers {
			c.answers = n
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("no answer to %q within %s", text, c.wait)
}

func (c *citizen) botAnswers(ctx context.Context) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/sandbox/api/chat?user="+url.QueryEscape(c.user), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var lines []struct {
		From    string `json:"from"`
		ErrCode int    `json:"errcode"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&lines); err != nil {
		return 0, fmt.Errorf("read chat: %w", err)
	}
	n := 0
	for _, l := range lines {
		if l.From == "bot" && l.ErrCode == 0 {
			n++
		}
	}
	return n, nil
}
