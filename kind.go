package analytics

import "github.com/analytics-client/analytics/wire"

// Kind says whether an item is an event or a snapshot (Outcome.Kind). Its
// numbers are the protocol's wire.Kind: Kind(k) and wire.Kind(k) convert
// between the two.
type Kind uint8

// The kinds.
const (
	KindEvent    = Kind(wire.KindEvent)
	KindSnapshot = Kind(wire.KindSnapshot)
)

// String returns "event" or "snapshot", the command's name.
func (k Kind) String() string { return wire.Kind(k).String() }

// Collection returns "events" or "snapshots", the name of the service's
// collection of that kind ({url}/collections/events).
func (k Kind) Collection() string { return wire.Kind(k).Collection() }
