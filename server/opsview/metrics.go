package opsview

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsInFlight bounds concurrent scrapes of /metrics; more get 503.
const metricsInFlight = 4

// metrics are the service's Prometheus metrics, in a registry of its own
// so that several services in one process do not collide.
type metrics struct {
	reg            *prometheus.Registry
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	commitDuration prometheus.Histogram
	commitEntries  prometheus.Histogram
	stored         map[string]prometheus.Counter // by collection
	replays        prometheus.Counter
	checkins       *prometheus.CounterVec
	lastCheckIn    prometheus.Gauge

	// Children of requests and duration resolved once, so that counting a
	// request neither formats its status code nor hashes its labels.
	requestChildren sync.Map // requestKey → prometheus.Counter
	durations       map[string]prometheus.Observer
}

type requestKey struct {
	command string
	code    int
}

func newMetrics(commands []string) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "analytics_requests_total",
		Help: "Requests answered, by command and HTTP status code."}, []string{"command", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "analytics_request_duration_seconds",
		Help: "Time to answer a request, by command.", Buckets: prometheus.DefBuckets}, []string{"command"})
	m.commitDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "analytics_store_commit_duration_seconds",
		Help:    "Time of one store commit (one sync), shared by the writes grouped in it.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)})
	m.commitEntries = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "analytics_store_commit_entries",
		Help: "Writes grouped in one store commit.", Buckets: prometheus.ExponentialBuckets(1, 2, 12)})
	stored := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "analytics_stored_total",
		Help: "Entries stored, by collection."}, []string{"kind"})
	m.stored = map[string]prometheus.Counter{Events: stored.WithLabelValues(Events),
		Snapshots: stored.WithLabelValues(Snapshots)}
	m.replays = prometheus.NewCounter(prometheus.CounterOpts{Name: "analytics_idempotent_replays_total",
		Help: "Commands answered with the remembered answer of an earlier request with the same idempotency key."})
	m.checkins = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "analytics_checkins_total",
		Help: "Check-ins, by result (success, failure, skipped)."}, []string{"result"})
	m.lastCheckIn = prometheus.NewGauge(prometheus.GaugeOpts{Name: "analytics_last_checkin_timestamp_seconds",
		Help: "Unix time of the last successful check-in; 0 before the first."})
	m.durations = map[string]prometheus.Observer{"other": m.duration.WithLabelValues("other")}
	for _, c := range commands {
		m.durations[c] = m.duration.WithLabelValues(c)
	}
	m.reg.MustRegister(m.requests, m.duration, m.commitDuration, m.commitEntries, stored, m.replays,
		m.checkins, m.lastCheckIn, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observeRequest counts one answered request. A command that is not one
// of Config.Commands is counted as "other", so both label sets stay
// bounded whatever the caller passes.
func (m *metrics) observeRequest(command string, code int, d time.Duration) {
	o, ok := m.durations[command]
	if !ok {
		command, o = "other", m.durations["other"]
	}
	k := requestKey{command, code}
	c, ok := m.requestChildren.Load(k)
	if !ok {
		c, _ = m.requestChildren.LoadOrStore(k, m.requests.WithLabelValues(command, strconv.Itoa(code)))
	}
	c.(prometheus.Counter).Inc()
	o.Observe(d.Seconds())
}

// stateCollector reads the gauges that describe the service's state when
// scraped: the store's entries and size, and the whitelist's entries.
type stateCollector struct{ v *Views }

var (
	descStoreEntries = prometheus.NewDesc("analytics_store_entries",
		"Entries stored and waiting for the next check-in, by collection.", []string{"kind"}, nil)
	descStoreBytes = prometheus.NewDesc("analytics_store_bytes",
		"Bytes the stored entries take, as analytics.max-store-bytes counts them.", nil, nil)
	descQuarantined = prometheus.NewDesc("analytics_store_quarantined_entries",
		"Stored entries that failed their checksum and were set aside, never served or uploaded.", nil, nil)
	descBacklog = prometheus.NewDesc("analytics_store_log_backlog_bytes",
		"Bytes of acknowledged entries in the store's write-ahead log and not yet in its file: near 0 normally, rising while the file cannot be written.", nil, nil)
	descWhitelist = prometheus.NewDesc("analytics_whitelist_entries",
		"Event names and snapshot fields in the whitelist; 0 when there is none.", nil, nil)
)

// Describe sends the descriptors of the state gauges.
func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descStoreEntries
	ch <- descStoreBytes
	ch <- descQuarantined
	ch <- descBacklog
	ch <- descWhitelist
}

// Collect reads the state gauges; a store that cannot be read leaves its
// gauges out of the scrape (and is logged).
func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descWhitelist, prometheus.GaugeValue, float64(len(c.v.cfg.Whitelist.Current())))
	cn := c.v.cfg.Counter
	if cn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, k := range []string{Events, Snapshots} {
		n, err := cn.Count(ctx, k)
		if err != nil {
			c.v.cfg.Throttle.Log(ctx, slog.LevelWarn, "metrics-count", "counting stored entries for the metrics",
				"kind", k, "err", err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(descStoreEntries, prometheus.GaugeValue, float64(n), k)
	}
	if n, err := cn.UsedBytes(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descStoreBytes, prometheus.GaugeValue, float64(n))
	}
	if n, err := cn.Quarantined(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descQuarantined, prometheus.GaugeValue, float64(n))
	}
	if n, err := cn.Backlog(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(n))
	}
}

// Registry returns the registry of the service's metrics (request, store,
// check-in and whitelist metrics plus the Go and process collectors).
func (v *Views) Registry() *prometheus.Registry { return v.metrics.reg }

// ServeMetrics answers GET {prefix}/metrics in the Prometheus text format.
func (v *Views) ServeMetrics(w http.ResponseWriter, r *http.Request) {
	v.handler.ServeHTTP(w, r)
}

func (v *Views) newMetricsHandler() http.Handler {
	return promhttp.HandlerFor(v.metrics.reg, promhttp.HandlerOpts{
		ErrorLog:            promLogger{v.cfg.Throttle},
		MaxRequestsInFlight: metricsInFlight,
	})
}

// promLogger passes promhttp's errors to the service's log.
type promLogger struct{ t Throttle }

func (l promLogger) Println(v ...any) {
	l.t.Log(context.Background(), slog.LevelError, "metrics-serve", "serving the metrics", "err", fmt.Sprint(v...))
}
