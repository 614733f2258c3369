package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"
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

// scrape reads every replica's /metrics.
func (r *rig) scrape() ([]map[string]*dto.MetricFamily, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	var all []map[string]*dto.MetricFamily
	for _, rep := range r.replicas {
		req, err := http.NewRequest(http.MethodGet, rep.url+"/metrics", nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+r.metricsToken)
		res, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("replica %d: %w", rep.n, err)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(res.Body)
		res.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("replica %d: read /metrics: %w", rep.n, err)
		}
		all = append(all, families)
	}
	return all, nil
}

// callbackTimes sums the replicas' bcs_callback_seconds: how long each
// product took to answer a callback, from reading it to its answer, as the
// product itself measures it. Beside the round trip the citizens' side
// measures, it tells the product's own time from the time spent in this
// tool, the balancer and the machine's run queue.
func callbackTimes(replicas []map[string]*dto.MetricFamily) (histogram, error) {
	sum := map[float64]float64{}
	for i, families := range replicas {
		h, err := histogramOf(families, "bcs_callback_seconds")
		if err != nil {
			return histogram{}, fmt.Errorf("replica %d: %w", i, err)
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

// counterSum adds up the counter name over the replicas (all its series).
func counterSum(replicas []map[string]*dto.MetricFamily, name string) float64 {
	var sum float64
	for _, families := range replicas {
		for _, m := range families[name].GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// parseHistogram reads the buckets of the histogram name from /metrics (the
// Prometheus text format).
func parseHistogram(in io.Reader, name string) (histogram, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(in)
	if err != nil {
		return histogram{}, fmt.Errorf("read /metrics: %w", err)
	}
	return histogramOf(families, name)
}

// histogramOf is the buckets of the histogram name.
func histogramOf(families map[string]*dto.MetricFamily, name string) (histogram, error) {
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
