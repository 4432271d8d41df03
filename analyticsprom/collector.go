// Package analyticsprom exports a Reporter's counters (its Stats) as
// Prometheus metrics. It is a package of its own so that the analytics
// package does not make every program that reports analytics depend on the
// Prometheus client library.
package analyticsprom

import (
	"github.com/analytics-client/analytics"
	"github.com/prometheus/client_golang/prometheus"
)

// StatsSource is what the collector reads: a *analytics.Reporter.
type StatsSource interface {
	Stats() analytics.ReporterStats
}

// dropReasons are the reasons always exported, at 0 until an item is
// dropped for them, so that rates and alerts see the series from the start.
var dropReasons = []analytics.DropReason{analytics.DropQueueFull, analytics.DropRejected, analytics.DropBadRequest,
	analytics.DropTooLarge, analytics.DropCorrupt, analytics.DropShutdown}

// Collector is a prometheus.Collector over a Reporter's Stats. Each scrape
// calls Stats once.
type Collector struct {
	src                                StatsSource
	enqueued, sent, retried, coalesced *prometheus.Desc
	dropped, items, bytes, oldest      *prometheus.Desc
	certExpiry, spoolLost              *prometheus.Desc
}

// NewCollector returns a collector of r's Stats with the metrics
// analytics_reporter_enqueued_total, _sent_total, _retried_total,
// _coalesced_total, _dropped_total{reason}, _queue_items, _queue_bytes,
// _oldest_pending_seconds, _certificate_expiry_timestamp_seconds and
// _spool_lost_total. constLabels, if any, are added to every metric (to
// tell several reporters of one program apart).
func NewCollector(r StatsSource, constLabels prometheus.Labels) *Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("analytics_reporter_"+name, help, labels, constLabels)
	}
	return &Collector{src: r,
		enqueued:   d("enqueued_total", "Events and snapshots accepted by Event and Snapshot."),
		sent:       d("sent_total", "Items the service acknowledged."),
		retried:    d("retried_total", "Deliveries tried again after a failure."),
		coalesced:  d("coalesced_total", "Snapshots merged into one still waiting in the queue."),
		dropped:    d("dropped_total", "Items given up, by reason.", "reason"),
		items:      d("queue_items", "Items not yet delivered, including those being sent."),
		bytes:      d("queue_bytes", "Bytes of the items not yet delivered."),
		oldest:     d("oldest_pending_seconds", "Age of the oldest item not yet delivered; 0 when none."),
		certExpiry: d("certificate_expiry_timestamp_seconds", "Unix time the client certificate in use expires; 0 without one."),
		spoolLost:  d("spool_lost_total", "Times the spool was found removed or replaced and recreated."),
	}
}

// Describe sends the descriptors of every metric.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.enqueued, c.sent, c.retried, c.coalesced, c.dropped,
		c.items, c.bytes, c.oldest, c.certExpiry, c.spoolLost} {
		ch <- d
	}
}

// Collect reads Stats once and sends every metric.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.src.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter(c.enqueued, st.Enqueued)
	counter(c.sent, st.Sent)
	counter(c.retried, st.Retried)
	counter(c.coalesced, st.Coalesced)
	counter(c.spoolLost, st.SpoolLost)
	for _, reason := range dropReasons {
		counter(c.dropped, st.Dropped[reason], string(reason))
	}
	for reason, n := range st.Dropped {
		if !isKnownReason(reason) {
			counter(c.dropped, n, string(reason))
		}
	}
	gauge(c.items, float64(st.QueueDepth))
	gauge(c.bytes, float64(st.QueueBytes))
	gauge(c.oldest, st.OldestPending.Seconds())
	expiry := 0.0
	if !st.CertExpiry.IsZero() {
		expiry = float64(st.CertExpiry.Unix())
	}
	gauge(c.certExpiry, expiry)
}

func isKnownReason(reason analytics.DropReason) bool {
	for _, r := range dropReasons {
		if r == reason {
			return true
		}
	}
	return false
}
