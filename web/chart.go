package web

import "math"

// bar is one bar of an inline SVG chart.
type bar struct {
	Label string
	Value string
	Width int // pixels of the bar
	Y     int
}

// chart is a horizontal bar chart drawn as inline SVG by the template.
type chart struct {
	Title  string
	Bars   []bar
	Height int
}

// chartWidth is the bars' full width in SVG units.
const chartWidth = 360

// newChart scales values to chartWidth against max (or the largest value when
// max is 0); negative values (no data) draw no bar and show "—".
func newChart(title string, labels []string, values []float64, max float64, format func(float64) string) chart {
	if max == 0 {
		for _, v := range values {
			max = math.Max(max, v)
		}
	}
	ch := chart{Title: title}
	for i, v := range values {
		b := bar{Label: labels[i], Value: textNoData, Y: i * 28}
		if v >= 0 {
			b.Value = format(v)
			if max > 0 {
				b.Width = int(math.Round(v / max * chartWidth))
			}
		}
		ch.Bars = append(ch.Bars, b)
	}
	ch.Height = len(values)*28 + 4
	return ch
}
