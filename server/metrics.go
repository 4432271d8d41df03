package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/analytics-client/analytics/internal/store"
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
	stored         [store.Snapshots + 1]prometheus.Counter // by store.Kind
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

func newMetrics() *metrics {
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
	m.stored[store.Events] = stored.WithLabelValues(store.Events.Collection())
	m.stored[store.Snapshots] = stored.WithLabelValues(store.Snapshots.Collection())
	m.replays = prometheus.NewCounter(prometheus.CounterOpts{Name: "analytics_idempotent_replays_total",
		Help: "Commands answered with the remembered answer of an earlier request with the same idempotency key."})
	m.checkins = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "analytics_checkins_total",
		Help: "Check-ins, by result (success, failure, skipped)."}, []string{"result"})
	m.lastCheckIn = prometheus.NewGauge(prometheus.GaugeOpts{Name: "analytics_last_checkin_timestamp_seconds",
		Help: "Unix time of the last successful check-in; 0 before the first."})
	m.durations = map[string]prometheus.Observer{"other": m.duration.WithLabelValues("other")}
	for _, c := range commandLabels {
		m.durations[c] = m.duration.WithLabelValues(c)
	}
	m.reg.MustRegister(m.requests, m.duration, m.commitDuration, m.commitEntries, stored, m.replays,
		m.checkins, m.lastCheckIn, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observeCommit is the store's commit hook.
func (m *metrics) observeCommit(entries int, d time.Duration) {
	m.commitDuration.Observe(d.Seconds())
	m.commitEntries.Observe(float64(entries))
}

// observeRequest counts one answered request. command is one of
// commandLabels or "other", so both label sets stay bounded.
func (m *metrics) observeRequest(command string, code int, d time.Duration) {
	k := requestKey{command, code}
	c, ok := m.requestChildren.Load(k)
	if !ok {
		c, _ = m.requestChildren.LoadOrStore(k, m.requests.WithLabelValues(command, strconv.Itoa(code)))
	}
	c.(prometheus.Counter).Inc()
	m.durations[command].Observe(d.Seconds())
}

// stateCollector reads the gauges that describe the service's state when
// scraped: the store's entries and size, and the whitelist's entries.
type stateCollector struct{ s *Server }

var (
	descStoreEntries = prometheus.NewDesc("analytics_store_entries",
		"Entries stored and waiting for the next check-in, by collection.", []string{"kind"}, nil)
	descStoreBytes = prometheus.NewDesc("analytics_store_bytes",
		"Bytes the stored entries take, as analytics.max-store-bytes counts them.", nil, nil)
	descQuarantined = prometheus.NewDesc("analytics_store_quarantined_entries",
		"Stored entries that failed their checksum and were set aside, never served or uploaded.", nil, nil)
	descWhitelist = prometheus.NewDesc("analytics_whitelist_entries",
		"Event names and snapshot fields in the whitelist; 0 when there is none.", nil, nil)
)

// Describe sends the descriptors of the state gauges.
func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descStoreEntries
	ch <- descStoreBytes
	ch <- descQuarantined
	ch <- descWhitelist
}

// Collect reads the state gauges; a store that cannot be read leaves its
// gauges out of the scrape (and is logged).
func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descWhitelist, prometheus.GaugeValue, float64(len(c.s.currentWhitelist())))
	cn, ok := c.s.store.(counter)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, k := range []store.Kind{store.Events, store.Snapshots} {
		n, err := cn.Count(ctx, k)
		if err != nil {
			c.s.ops.throttle.Log(ctx, slog.LevelWarn, "metrics-count", "counting stored entries for the metrics",
				"kind", k.Collection(), "err", err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(descStoreEntries, prometheus.GaugeValue, float64(n), k.Collection())
	}
	if n, err := cn.UsedBytes(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descStoreBytes, prometheus.GaugeValue, float64(n))
	}
	if q, ok := c.s.store.(store.Quarantiner); ok {
		if n, err := q.Quarantined(ctx); err == nil {
			ch <- prometheus.MustNewConstMetric(descQuarantined, prometheus.GaugeValue, float64(n))
		}
	}
}

// Metrics returns the registry of the service's metrics (request, store,
// check-in and whitelist metrics plus the Go and process collectors), for
// a host program that serves them itself. The service serves them at
// {prefix}/metrics and on the admin listener.
func (s *Server) Metrics() *prometheus.Registry { return s.ops.metrics.reg }

// serveMetrics answers GET {prefix}/metrics in the Prometheus text format.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	s.metricsHandler.ServeHTTP(w, r)
}

func (s *Server) newMetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.ops.metrics.reg, promhttp.HandlerOpts{
		ErrorLog:            promLogger{s},
		MaxRequestsInFlight: metricsInFlight,
	})
}

// promLogger passes promhttp's errors to the service's log.
type promLogger struct{ s *Server }

func (l promLogger) Println(v ...any) {
	l.s.ops.throttle.Log(context.Background(), slog.LevelError, "metrics-serve", "serving the metrics", "err", fmt.Sprint(v...))
}
