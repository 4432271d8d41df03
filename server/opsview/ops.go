// Package opsview is what operators see of the service: the status
// document (GET status), the page and its live data (GET view, view/live),
// the Prometheus metrics (GET metrics), the access log, the recent
// arrivals the page lists, and the checks of the admin listener that
// serves them to local users.
//
// The service core builds one [Views] at start, tells it what happens
// (NoteStored, NoteCheckIn, ObserveCommit, and every request through
// Observe) and routes the operator endpoints to its handlers. Views reads
// the rest from the pieces it is given in [Config]: the check-in's
// [checkin.Checker] (mode, last check-in, preview), the
// [whitelist.Holder], the store's counts. It imports checkin and whitelist
// for those documents and authz only to name a request's certname in the
// access log; it never imports the core.
//
// # Concurrency
//
// Every method of Views may be called from any goroutine. mu guards the
// ring of recent arrivals; the metrics are Prometheus collectors, safe for
// concurrent use; everything else is set by New and read only.
package opsview

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/analytics-client/analytics/server/checkin"
	"github.com/analytics-client/analytics/server/internal/jsonbody"
	"github.com/analytics-client/analytics/server/whitelist"
	"github.com/analytics-client/analytics/wire"
)

// maxArrivals is how many recent arrivals the service keeps for the page,
// and maxArrivalBytes how much of each: a longer entry is kept as a JSON
// string of its start, so the memory they take stays bounded.
const (
	maxArrivals     = 50
	maxArrivalBytes = 4 << 10
)

// The collections, as Counter and NoteStored name them.
const (
	Events    = "events"
	Snapshots = "snapshots"
)

// Counter counts what the store holds: the entries of a collection
// (Events, Snapshots) and the room they take.
type Counter interface {
	Count(ctx context.Context, collection string) (int, error)
	UsedBytes(ctx context.Context) (int64, error)
	// Quarantined is the number of entries set aside as damaged.
	Quarantined(ctx context.Context) (int64, error)
	// Backlog is the bytes acknowledged but not yet in the store's main
	// file (its write-ahead log's backlog); 0 for a store without one.
	Backlog(ctx context.Context) (int64, error)
}

// Throttle logs a condition at most once per interval per key, counting
// the others (internal/logthrottle's Logger).
type Throttle interface {
	Log(ctx context.Context, level slog.Level, key, msg string, args ...any)
}

// Errors writes the two error answers of the operator endpoints in the
// core's JSON error shape.
type Errors interface {
	// StoreUnreadable answers a request whose data could not be read from
	// the store (503, safe to retry).
	StoreUnreadable(w http.ResponseWriter)
	// BadParameter answers a request with a bad query parameter (400).
	BadParameter(w http.ResponseWriter, msg string)
}

// Config is what Views reads. Every field is required unless it says
// otherwise.
type Config struct {
	Version string    // reported as the status's version
	Started time.Time // when the service started
	Checker *checkin.Checker
	// Whitelist is the whitelist in force.
	Whitelist *whitelist.Holder
	// Counter, when set, gives the status and the metrics the store's
	// counts; nil shows none.
	Counter Counter
	// MaxStoreBytes is the store's limit, reported with its size.
	MaxStoreBytes int64
	// CertificateExpiry is when the TLS listener's certificate expires,
	// zero when there is none.
	CertificateExpiry func() time.Time
	// CRLs, when set, are the TLS listener's revocation lists, which the
	// status describes.
	CRLs func() []*x509.RevocationList
	// Commands are the command labels of the request metrics: the
	// metrics are resolved for them once; any other is "other".
	Commands []string
	// AccessLog, when true, logs every request Observe sees at Info.
	AccessLog bool
	// RequestID reads the id the core gave a response.
	RequestID func(http.ResponseWriter) string
	Logger    *slog.Logger
	// Throttle logs the repeated failures of operator endpoints.
	Throttle Throttle
	Errors   Errors
}

// Views serves the operator endpoints and keeps what they show. Create it
// with New.
type Views struct {
	cfg     Config
	metrics *metrics
	handler http.Handler

	mu       sync.Mutex // guards arrivals and arrived
	arrivals [maxArrivals]Arrival
	arrived  uint64 // arrivals so far; the newest has ID arrived
}

// New builds the views of one service.
func New(cfg Config) *Views {
	v := &Views{cfg: cfg, metrics: newMetrics(cfg.Commands)}
	v.metrics.reg.MustRegister(stateCollector{v})
	v.handler = v.newMetricsHandler()
	return v
}

// Arrival is an entry stored recently, as the page shows it.
type Arrival struct {
	// ID counts arrivals since the service started (the first is 1).
	ID   uint64          `json:"id"`
	Kind string          `json:"kind"` // "events" or "snapshots"
	Data json.RawMessage `json:"data"` // as the collection holds it
	Text string          `json:"text"` // as the page shows it (arrivalText)
}

// NoteStored counts a committed command and keeps its entry among the
// latest arrivals: collection is Events or Snapshots, data the entry
// stored (nil when the command stored nothing), dup says it was a repeat
// answered from its idempotency key, err that storing failed. It runs for
// every command, so it stays small.
func (v *Views) NoteStored(collection string, data []byte, dup bool, err error) {
	switch {
	case err != nil:
		return
	case dup:
		v.metrics.replays.Inc()
		return
	case data == nil:
		return
	}
	if c, ok := v.metrics.stored[collection]; ok {
		c.Inc()
	}
	raw := json.RawMessage(data)
	if len(raw) > maxArrivalBytes {
		raw = cutArrival(raw)
	}
	v.mu.Lock()
	v.arrived++
	v.arrivals[v.arrived%maxArrivals] = Arrival{ID: v.arrived, Kind: collection, Data: raw}
	v.mu.Unlock()
}

// cutArrival is the start of a long entry as a JSON string, with its size.
func cutArrival(data []byte) json.RawMessage {
	s := strings.ToValidUTF8(string(data[:maxArrivalBytes]), "")
	cut, err := jsonbody.Marshal(s + "... (" + strconv.Itoa(len(data)) + " bytes)")
	if err != nil {
		return json.RawMessage(`"(an entry too long to show)"`)
	}
	return cut
}

// arrivalsAfter returns the kept arrivals with an ID above after, oldest
// first.
func (v *Views) arrivalsAfter(after uint64) []Arrival {
	v.mu.Lock()
	defer v.mu.Unlock()
	if after > v.arrived {
		after = 0 // the page was served by an earlier run of the service
	}
	first := after + 1
	if v.arrived >= maxArrivals && first <= v.arrived-maxArrivals {
		first = v.arrived - maxArrivals + 1
	}
	out := []Arrival{}
	for id := first; id <= v.arrived; id++ {
		out = append(out, v.arrivals[id%maxArrivals])
	}
	return out
}

// NoteCheckIn counts a check-in's outcome in the metrics; it is the
// Checker's Config.Done.
func (v *Views) NoteCheckIn(rec wire.CheckInRecord) {
	v.metrics.checkins.WithLabelValues(string(rec.Result)).Inc()
	if rec.Result == wire.CheckInSuccess {
		v.metrics.lastCheckIn.Set(float64(rec.Time.UnixNano()) / 1e9)
	}
}

// ObserveCommit counts one store commit (one sync) of entries writes,
// which took took.
func (v *Views) ObserveCommit(entries int, took time.Duration) {
	v.metrics.commitDuration.Observe(took.Seconds())
	v.metrics.commitEntries.Observe(float64(entries))
}

// writeJSON encodes v and sends it. A document that cannot be encoded
// panics, for the caller's recovery to answer (the core's answers 500 in
// its JSON error shape).
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := jsonbody.Marshal(v)
	if err != nil {
		panic(err)
	}
	jsonbody.Write(w, status, body)
}
