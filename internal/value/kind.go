package value

import "github.com/analytics-client/analytics/wire"

// Kind says whether an item is an event or a snapshot: the protocol's
// wire.Kind, named here so that the value model and the store that use it
// read as before.
type Kind = wire.Kind

// The kinds.
const (
	KindEvent    = wire.KindEvent
	KindSnapshot = wire.KindSnapshot
)
