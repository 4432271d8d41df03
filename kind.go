package analytics

import "github.com/analytics-client/analytics/internal/value"

// Kind says whether an item is an event or a snapshot (Outcome.Kind). Its
// String method gives the command's name, "event" or "snapshot", and
// Collection the service's collection, "events" or "snapshots". The
// service's store uses the same type.
type Kind = value.Kind

// The kinds.
const (
	KindEvent    = value.KindEvent
	KindSnapshot = value.KindSnapshot
)
