package analytics

import "github.com/analytics-client/analytics/wire"

// Kind says whether an item is an event or a snapshot (Outcome.Kind). Its
// String method gives the command's name, "event" or "snapshot", and
// Collection the service's collection, "events" or "snapshots". It is the
// protocol's wire.Kind, which the service uses too.
type Kind = wire.Kind

// The kinds.
const (
	KindEvent    = wire.KindEvent
	KindSnapshot = wire.KindSnapshot
)
