package main

import (
	"bufio"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// histogram is a Prometheus histogram read from /metrics: the cumulative
// count of observations at or under each upper bound (seconds; +Inf last).
type histogram struct {
	bounds []float64
	counts []float64
}

func (h histogram) count() float64 {
	if len(h.counts) == 0 {
		return 0
	}
	return h.counts[len(h.counts)-1]
}

// quantile is the upper bound of the first bucket holding the q-th
// observation: the quantile is at or under it.
func (h histogram) quantile(q float64) float64 {
	want := q * h.count()
	for i, c := range h.counts {
		if c >= want {
			return h.bounds[i]
		}
	}
	return math.Inf(1)
}

// bound words an upper bound in seconds as the report's milliseconds.
func bound(s float64) string {
	if math.IsInf(s, 1) {
		return "∞"
	}
	return ms(time.Duration(s * float64(time.Second)))
}

// callbackTimes sums the replicas' bcs_callback_seconds: how long each
// product took to answer a callback, from reading it to its answer, as the
// product itself measures it. Beside the round trip the citizens' side
// measures, it tells the product's own time from the time spent in this
// tool, the balancer and the machine's run queue.
func (r *rig) callbackTimes() (histogram, error) {
	sum := map[float64]float64{}
	client := &http.Client{Timeout: 5 * time.Second}
	for _, rep := range r.replicas {
		req, err := http.NewRequest(http.MethodGet, rep.url+"/metrics", nil)
		if err != nil {
			return histogram{}, err
		}
		req.Header.Set("Authorization", "Bearer "+r.metricsToken)
		res, err := client.Do(req)
		if err != nil {
			return histogram{}, fmt.Errorf("replica %d: %w", rep.n, err)
		}
		h, err := parseHistogram(bufio.NewScanner(res.Body), "bcs_callback_seconds")
		res.Body.Close()
		if err != nil {
			return histogram{}, fmt.Errorf("replica %d: %w", rep.n, err)
		}
		for i, b := range h.bounds {
			sum[b] += h.counts[i]
		}
	}
	var h histogram
	for b := range sum {
		h.bounds = append(h.bounds, b)
	}
	slices.Sort(h.bounds)
	for _, b := range h.bounds {
		h.counts = append(h.counts, sum[b])
	}
	return h, nil
}

// parseHistogram reads the buckets of the histogram name from Prometheus's
// text format: lines `name_bucket{le="0.05"} 998`.
func parseHistogram(sc *bufio.Scanner, name string) (histogram, error) {
	var h histogram
	prefix := name + `_bucket{le="`
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), prefix)
		if !ok {
			continue
		}
		le, rest, ok := strings.Cut(line, `"}`)
		if !ok {
			return h, fmt.Errorf("%s: unreadable bucket %q", name, sc.Text())
		}
		b, err := strconv.ParseFloat(le, 64) // "+Inf" parses as +Inf
		if err != nil {
			return h, fmt.Errorf("%s: bucket bound %q: %w", name, le, err)
		}
		c, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			return h, fmt.Errorf("%s: bucket count %q: %w", name, rest, err)
		}
		h.bounds, h.counts = append(h.bounds, b), append(h.counts, c)
	}
	if err := sc.Err(); err != nil {
		return h, err
	}
	if len(h.bounds) == 0 {
		return h, fmt.Errorf("no %s in /metrics", name)
	}
	return h, nil
}
