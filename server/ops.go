package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/analytics-client/analytics/internal/logthrottle"
	"github.com/analytics-client/analytics/server/internal/jsonbody"
	"github.com/analytics-client/analytics/server/whitelist"
)

// Whitelist sources reported by Status.
const (
	WhitelistFromUpstream = "upstream" // fetched at start or replaced by a check-in answer
	WhitelistFromFile     = "file"     // Config.WhitelistFile
	WhitelistFromConfig   = "config"   // Config.Whitelist or SetWhitelist
	WhitelistNone         = "none"     // every event and field is accepted
)

// Check-in results reported by Status and counted by
// analytics_checkins_total.
const (
	CheckInSuccess = "success"
	CheckInFailure = "failure"
	CheckInSkipped = "skipped"
)

// maxArrivals is how many recent arrivals the service keeps for the page,
// and maxArrivalBytes how much of each: a longer entry is kept as a JSON
// string of its start, so the memory they take stays bounded.
const (
	maxArrivals     = 50
	maxArrivalBytes = 4 << 10
)

// ops is what the service remembers for its operators: when it started,
// the last check-in, where the whitelist came from, the latest arrivals,
// and the metrics.
type ops struct {
	started time.Time // wall clock: the check-in schedule runs on it
	metrics *metrics
	// throttle logs the repeated failures of operator endpoints.
	throttle *logthrottle.Logger
	// previewSlots bounds the previews built at once (each reads the
	// whole store).
	previewSlots chan struct{}

	mu        sync.Mutex
	last      *CheckInRecord
	wlSource  string
	wlFetched time.Time
	arrivals  [maxArrivals]Arrival
	arrived   uint64 // arrivals so far; the newest has ID arrived
}

func newOps(log *slog.Logger) *ops {
	return &ops{started: time.Now(), metrics: newMetrics(), throttle: logthrottle.New(log, time.Minute, nil),
		wlSource:     WhitelistNone,
		previewSlots: make(chan struct{}, 2)}
}

// Arrival is an entry stored recently, as the page shows it.
type Arrival struct {
	// ID counts arrivals since the service started (the first is 1).
	ID   uint64          `json:"id"`
	Kind string          `json:"kind"` // "events" or "snapshots"
	Data json.RawMessage `json:"data"` // as the collection holds it
}

// noteStored counts a committed command and keeps its entry among the
// latest arrivals. It runs for every command, so it stays small.
func (o *ops) noteStored(p prepared, dup bool, err error) {
	switch {
	case err != nil:
		return
	case dup:
		o.metrics.replays.Inc()
		return
	case p.data == nil:
		return
	}
	o.metrics.stored[p.kind].Inc()
	data := json.RawMessage(p.data)
	if len(data) > maxArrivalBytes {
		data = cutArrival(data)
	}
	o.mu.Lock()
	o.arrived++
	o.arrivals[o.arrived%maxArrivals] = Arrival{ID: o.arrived, Kind: p.kind.Collection(), Data: data}
	o.mu.Unlock()
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
func (o *ops) arrivalsAfter(after uint64) []Arrival {
	o.mu.Lock()
	defer o.mu.Unlock()
	if after > o.arrived {
		after = 0 // the page was served by an earlier run of the service
	}
	first := after + 1
	if o.arrived >= maxArrivals && first <= o.arrived-maxArrivals {
		first = o.arrived - maxArrivals + 1
	}
	out := []Arrival{}
	for id := first; id <= o.arrived; id++ {
		out = append(out, o.arrivals[id%maxArrivals])
	}
	return out
}

// noteWhitelist records where the current whitelist came from.
func (o *ops) noteWhitelist(source string, wl whitelist.List, at time.Time) {
	if wl == nil {
		source = WhitelistNone
	}
	o.mu.Lock()
	o.wlSource, o.wlFetched = source, at
	o.mu.Unlock()
}

// noteCheckIn records a check-in's outcome.
func (o *ops) noteCheckIn(at time.Time, res CheckInResult, err error) {
	rec := &CheckInRecord{Time: at, Events: res.Events, Snapshots: res.Snapshots}
	switch {
	case err != nil:
		rec.Result, rec.Error = CheckInFailure, publicCheckInError(err)
	case res.Skipped != "":
		rec.Result, rec.Skipped = CheckInSkipped, res.Skipped
	default:
		rec.Result = CheckInSuccess
	}
	o.metrics.checkins.WithLabelValues(rec.Result).Inc()
	if rec.Result == CheckInSuccess {
		o.metrics.lastCheckIn.Set(float64(at.UnixNano()) / 1e9)
	}
	o.mu.Lock()
	o.last = rec
	o.mu.Unlock()
}

// publicCheckInError is the text of a check-in error that operators see:
// a CheckInError names the URL and the reason only; anything else is a
// storage problem whose details stay in the log.
func publicCheckInError(err error) string {
	var ce *CheckInError
	if errors.As(err, &ce) {
		return ce.Error()
	}
	if errors.Is(err, context.Canceled) {
		return "server: check-in: cancelled"
	}
	return "server: check-in: storage error (see the service log)"
}

// lastCheckIn returns a copy of the last check-in's record, nil before
// the first.
func (o *ops) lastCheckIn() *CheckInRecord {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.last == nil {
		return nil
	}
	c := *o.last
	return &c
}

// whitelistSource returns where the whitelist came from and when.
func (o *ops) whitelistSource() (string, time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.wlSource, o.wlFetched
}

// nextCheckIn is when the periodic check-in fires next: the loop's ticker
// started with the service and fires every interval. Zero when there is
// no periodic check-in.
func (o *ops) nextCheckIn(interval time.Duration, now time.Time) time.Time {
	if interval <= 0 {
		return time.Time{}
	}
	n := now.Sub(o.started)/interval + 1
	return o.started.Add(n * interval)
}
