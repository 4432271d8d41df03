package wire

// Kind says whether an item is an event or a snapshot. It is the one
// enumeration of the two: the client's Outcome.Kind, the Reporter's spool
// records and the service's store use it.
type Kind uint8

// The kinds. Their numbers are written in the Reporter's spool and the
// service's PostgreSQL table, so they never change.
const (
	// KindEvent is an event: {"event":NAME,"metadata":{...}}, stored in
	// the collection "events".
	KindEvent Kind = iota + 1
	// KindSnapshot is a snapshot: {"fields":{...}}, stored in the
	// collection "snapshots".
	KindSnapshot
)

// String returns "event" or "snapshot", the command's name in a batch
// ({"command":"event","payload":...}), or "unknown".
func (k Kind) String() string {
	switch k {
	case KindEvent:
		return "event"
	case KindSnapshot:
		return "snapshot"
	}
	return "unknown"
}

// Collection returns "events" or "snapshots", the name of the service's
// collection of that kind ({url}/collections/events), or "unknown".
func (k Kind) Collection() string {
	switch k {
	case KindEvent:
		return "events"
	case KindSnapshot:
		return "snapshots"
	}
	return "unknown"
}
