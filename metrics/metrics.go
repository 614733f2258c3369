// Package metrics counts what operators watch: callbacks in, citizens'
// messages handled, notifications and their fates, cases submitted, the
// scheduler's rounds. It is
// exposed for Prometheus at /metrics. A nil *Metrics counts nothing, so
// packages and tests that do not care pass nil.
package metrics

import (
	"database/sql"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the product's counters in a registry of its own.
type Metrics struct {
	reg       *prometheus.Registry
	callbacks *prometheus.CounterVec
	callbackT prometheus.Histogram
	kf        *prometheus.CounterVec
	outbox    *prometheus.CounterVec
	cases     prometheus.Counter
	aside     *prometheus.CounterVec
	rounds    *prometheus.CounterVec
}

// New registers the counters, with the Go runtime's and the process's.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcs_callbacks_total",
			Help: "WeCom callbacks by kind and result (stored, repeat, refused, error).",
		}, []string{"kind", "result"}),
		callbackT: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bcs_callback_seconds",
			Help:    "Time to answer a WeCom callback (WeCom waits 5 s).",
			Buckets: []float64{.001, .0025, .005, .01, .02, .03, .04, .05, .075, .1, .25, .5, 1, 2.5, 5},
		}),
		kf: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcs_kf_messages_total",
			Help: "微信客服 messages by result (handled, retry, given_up).",
		}, []string{"result"}),
		outbox: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcs_notifications_total",
			Help: "Notifications by channel and fate (sent, held, merged, phone_task, failed, retry).",
		}, []string{"channel", "fate"}),
		cases: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bcs_cases_submitted_total",
			Help: "Cases citizens submitted.",
		}),
		aside: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcs_set_aside_total",
			Help: "Stored rows whose personal data could not be opened (damaged, or sealed for another row), set aside by table.",
		}, []string{"table"}),
		rounds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcs_schedule_rounds_total",
			Help: "Rounds of the lifecycle scheduler (lights, reminders, follow-ups, nudges) done while this replica leads, by result (done, error).",
		}, []string{"result"}),
	}
	m.reg.MustRegister(m.callbacks, m.callbackT, m.kf, m.outbox, m.cases, m.aside, m.rounds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WatchDB adds the database connection pool's figures (connections open and
// in use, and how often and how long work waited for a free connection) as
// go_sql_* with db_name="bcs". A pool too small for the replica's workers
// shows as waits, which hold up everything that needs the database, the
// storing of WeCom's callbacks included.
func (m *Metrics) WatchDB(db *sql.DB) {
	if m == nil {
		return
	}
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, "bcs"))
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Callback counts one callback and how long its answer took.
func (m *Metrics) Callback(kind, result string, took time.Duration) {
	if m == nil {
		return
	}
	m.callbacks.WithLabelValues(kind, result).Inc()
	m.callbackT.Observe(took.Seconds())
}

// KfMessage counts one citizen, servicer or system message handled, retried
// or given up.
func (m *Metrics) KfMessage(result string) {
	if m == nil {
		return
	}
	m.kf.WithLabelValues(result).Inc()
}

// Notification counts one notification's fate.
func (m *Metrics) Notification(channel, fate string) {
	if m == nil {
		return
	}
	m.outbox.WithLabelValues(channel, fate).Inc()
}

// CaseSubmitted counts one new case.
func (m *Metrics) CaseSubmitted() {
	if m == nil {
		return
	}
	m.cases.Inc()
}

// SetAside counts one unreadable row set aside from table.
func (m *Metrics) SetAside(table string) {
	if m == nil {
		return
	}
	m.aside.WithLabelValues(table).Inc()
}

// ScheduleRound counts one round of the lifecycle scheduler, finished with
// err. The leader's count grows every tick: one that stops growing on every
// replica means nobody watches deadlines.
func (m *Metrics) ScheduleRound(err error) {
	if m == nil {
		return
	}
	result := "done"
	if err != nil {
		result = "error"
	}
	m.rounds.WithLabelValues(result).Inc()
}
