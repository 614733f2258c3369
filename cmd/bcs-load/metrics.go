package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
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
		h, err := parseHistogram(res.Body, "bcs_callback_seconds")
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

// parseHistogram reads the buckets of the histogram name from /metrics (the
// Prometheus text format).
func parseHistogram(in io.Reader, name string) (histogram, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(in)
	if err != nil {
		return histogram{}, fmt.Errorf("read /metrics: %w", err)
	}
	var h histogram
	for _, m := range families[name].GetMetric() {
		ph := m.GetHistogram()
		for _, b := range ph.GetBucket() {
			h.bounds, h.counts = append(h.bounds, b.GetUpperBound()), append(h.counts, float64(b.GetCumulativeCount()))
		}
		if len(h.bounds) == 0 || !math.IsInf(h.bounds[len(h.bounds)-1], 1) {
			h.bounds, h.counts = append(h.bounds, math.Inf(1)), append(h.counts, float64(ph.GetSampleCount()))
		}
	}
	if len(h.bounds) == 0 {
		return h, fmt.Errorf("no %s in /metrics", name)
	}
	return h, nil
}
