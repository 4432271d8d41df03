package analyticsprom_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticsprom"
	"github.com/analytics-client/analytics/analyticstest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newReporter returns a reporter that is closed when the test ends, with
// closeWait to deliver what is left.
func newReporter(t *testing.T, cfg analytics.Config, opts analytics.ReporterOptions, closeWait time.Duration) *analytics.Reporter {
	t.Helper()
	client, err := analytics.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := analytics.NewReporter(client, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), closeWait)
		defer cancel()
		_ = r.Close(ctx)
		client.Close()
	})
	return r
}

// TestCollectorDelivered reports to a real service and reads the
// counters back through a registry.
func TestCollectorDelivered(t *testing.T) {
	srv := analyticstest.NewServer(t)
	r := newReporter(t, srv.Config(), analytics.ReporterOptions{}, 5*time.Second)
	for i := range 3 {
		if err := r.Event(analytics.Event{Name: fmt.Sprint("prom.e", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Snapshot(analytics.Snapshot{Fields: analytics.Fields{"prom.f": 1}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(analyticsprom.NewCollector(r, nil))
	err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP analytics_reporter_enqueued_total Events and snapshots accepted by Event and Snapshot.
# TYPE analytics_reporter_enqueued_total counter
analytics_reporter_enqueued_total 4
# HELP analytics_reporter_sent_total Items the service acknowledged.
# TYPE analytics_reporter_sent_total counter
analytics_reporter_sent_total 4
# HELP analytics_reporter_queue_items Items not yet delivered, including those being sent.
# TYPE analytics_reporter_queue_items gauge
analytics_reporter_queue_items 0
# HELP analytics_reporter_oldest_pending_seconds Age of the oldest item not yet delivered; 0 when none.
# TYPE analytics_reporter_oldest_pending_seconds gauge
analytics_reporter_oldest_pending_seconds 0
# HELP analytics_reporter_certificate_expiry_timestamp_seconds Unix time the client certificate in use expires; 0 without one.
# TYPE analytics_reporter_certificate_expiry_timestamp_seconds gauge
analytics_reporter_certificate_expiry_timestamp_seconds `+fmt.Sprint(r.Stats().CertExpiry.Unix())+`
`), "analytics_reporter_enqueued_total", "analytics_reporter_sent_total", "analytics_reporter_queue_items",
		"analytics_reporter_oldest_pending_seconds", "analytics_reporter_certificate_expiry_timestamp_seconds")
	if err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(analyticsprom.NewCollector(r, nil), "analytics_reporter_dropped_total"); n != 6 {
		t.Errorf("%d dropped_total series, want one per reason (6)", n)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}
}

// TestCollectorQueueFull fills the queue of a reporter whose service is
// down: the refused items are counted by reason, the queue by size.
func TestCollectorQueueFull(t *testing.T) {
	srv := analyticstest.NewServer(t)
	cfg := srv.Config()
	srv.Close()
	r := newReporter(t, cfg, analytics.ReporterOptions{MaxBytes: 2048}, 0) // the service stays down
	full := 0
	for i := 0; i < 200 && full < 5; i++ {
		if err := r.Event(analytics.Event{Name: fmt.Sprint("prom.full.", i)}); errors.Is(err, analytics.ErrQueueFull) {
			full++
		}
	}
	if full != 5 {
		t.Fatalf("the queue never filled")
	}
	st := r.Stats()
	c := analyticsprom.NewCollector(r, prometheus.Labels{"reporter": "test"})
	err := testutil.CollectAndCompare(c, strings.NewReader(fmt.Sprintf(`
# HELP analytics_reporter_dropped_total Items given up, by reason.
# TYPE analytics_reporter_dropped_total counter
analytics_reporter_dropped_total{reason="bad-request",reporter="test"} 0
analytics_reporter_dropped_total{reason="corrupt",reporter="test"} 0
analytics_reporter_dropped_total{reason="queue-full",reporter="test"} %d
analytics_reporter_dropped_total{reason="rejected",reporter="test"} 0
analytics_reporter_dropped_total{reason="shutdown",reporter="test"} 0
analytics_reporter_dropped_total{reason="too-large",reporter="test"} 0
# HELP analytics_reporter_queue_bytes Bytes of the items not yet delivered.
# TYPE analytics_reporter_queue_bytes gauge
analytics_reporter_queue_bytes{reporter="test"} %d
# HELP analytics_reporter_queue_items Items not yet delivered, including those being sent.
# TYPE analytics_reporter_queue_items gauge
analytics_reporter_queue_items{reporter="test"} %d
`, full, st.QueueBytes, st.QueueDepth)), "analytics_reporter_dropped_total", "analytics_reporter_queue_bytes", "analytics_reporter_queue_items")
	if err != nil {
		t.Error(err)
	}
	if st.QueueDepth == 0 || st.QueueBytes == 0 {
		t.Errorf("nothing queued: %+v", st)
	}
}
