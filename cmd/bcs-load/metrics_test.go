package main

import (
	"strings"
	"testing"
)

func TestCallbackHistogramQuantiles(t *testing.T) {
	text := `# HELP bcs_callback_seconds Time to answer a WeCom callback (WeCom waits 5 s).
# TYPE bcs_callback_seconds histogram
bcs_callback_seconds_bucket{le="0.001"} 0
bcs_callback_seconds_bucket{le="0.005"} 400
bcs_callback_seconds_bucket{le="0.025"} 980
bcs_callback_seconds_bucket{le="0.05"} 995
bcs_callback_seconds_bucket{le="0.1"} 1000
bcs_callback_seconds_bucket{le="+Inf"} 1000
bcs_callback_seconds_sum 9.5
bcs_callback_seconds_count 1000
bcs_callbacks_total{kind="kf",result="stored"} 1000
`
	h, err := parseHistogram(strings.NewReader(text), "bcs_callback_seconds")
	if err != nil {
		t.Fatal(err)
	}
	if h.count() != 1000 {
		t.Errorf("count %v; want 1000", h.count())
	}
	for _, c := range []struct {
		q    float64
		want string
	}{{0.4, "5.0 ms"}, {0.5, "25 ms"}, {0.99, "50 ms"}, {0.995, "50 ms"}, {0.999, "100 ms"}} {
		if got := bound(h.quantile(c.q)); got != c.want {
			t.Errorf("quantile %v ≤ %s; want ≤ %s", c.q, got, c.want)
		}
	}
	if _, err := parseHistogram(strings.NewReader("bcs_other 1\n"), "bcs_callback_seconds"); err == nil {
		t.Error("a /metrics without the histogram was read as empty")
	}
}
