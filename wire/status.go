package wire

import "time"

// Status is the service's state as operators see it, the document of
// GET {url}/status (an operator endpoint of our service; the JVM service
// has none).
type Status struct {
	// Version is the service's version.
	Version string `json:"version"`
	// Started is when the service started.
	Started   time.Time       `json:"started"`
	CheckIn   CheckInStatus   `json:"checkin"`
	Whitelist WhitelistStatus `json:"whitelist"`
	Store     StoreStatus     `json:"store"`
	// CertificateExpires is when the TLS listener's certificate expires,
	// nil when there is no TLS listener.
	CertificateExpires *time.Time `json:"certificate-expires"`
}

// CheckInStatus says whether and when data leaves the site.
type CheckInStatus struct {
	Mode Mode `json:"mode"`
	// Reason says, in words, why nothing is sent (empty in ModeOn).
	Reason string `json:"reason,omitempty"`
	// OptOutFile is the file whose presence turns check-in off.
	OptOutFile string `json:"opt-out-file"`
	// Upstream is the update server's URL, empty when there is none.
	Upstream string `json:"upstream"`
	// Last is the last check-in since the start, nil before the first.
	Last *CheckInRecord `json:"last"`
	// Next is when the periodic check-in runs next, nil when none is
	// scheduled.
	Next *time.Time `json:"next"`
}

// CheckInRecord is the outcome of one check-in.
type CheckInRecord struct {
	Time   time.Time     `json:"time"`
	Result CheckInResult `json:"result"`
	// Events and Snapshots count what was uploaded.
	Events    int `json:"events"`
	Snapshots int `json:"snapshots"`
	// Error says why a failed check-in failed.
	Error string `json:"error,omitempty"`
	// Skipped says why a skipped check-in sent nothing.
	Skipped string `json:"skipped,omitempty"`
}

// WhitelistStatus describes the whitelist in force.
type WhitelistStatus struct {
	Source WhitelistSource `json:"source"`
	// Fetched is when it was installed, nil when there is none.
	Fetched *time.Time `json:"fetched"`
	// Events and Fields count its event names and snapshot fields.
	Events int `json:"events"`
	Fields int `json:"fields"`
}

// StoreStatus counts what is stored and waiting for the next check-in.
type StoreStatus struct {
	Events    int `json:"events"`
	Snapshots int `json:"snapshots"`
	// Bytes is the room the entries take, as Limit counts it.
	Bytes int64 `json:"bytes"`
	// Limit is the service's store limit: past it commands get 507
	// (ErrorStorageFull) until a check-in frees room.
	Limit int64 `json:"limit"`
	// Quarantined counts the stored entries that failed their checksum
	// and were set aside: never served, uploaded or deleted.
	Quarantined int64 `json:"quarantined"`
}

// Mode says whether the service's check-ins send the stored data to the
// update server, and if not why.
type Mode string

// The check-in modes.
const (
	// ModeOn: check-ins upload to the update server.
	ModeOn Mode = "on"
	// ModeOptedOut: the opt-out file exists; nothing is sent and stored
	// entries are discarded at each check-in.
	ModeOptedOut Mode = "opted-out"
	// ModeNoProduct: no product name is configured; nothing is sent and
	// stored entries are discarded at each check-in.
	ModeNoProduct Mode = "no-product"
	// ModeNoUpstream: no update server is configured; nothing is sent and
	// the entries are kept.
	ModeNoUpstream Mode = "no-upstream"
)

// CheckInResult is how one check-in ended. The service also counts
// check-ins by result (the metric analytics_checkins_total).
type CheckInResult string

// The check-in results.
const (
	// CheckInSuccess: the update server took the upload.
	CheckInSuccess CheckInResult = "success"
	// CheckInFailure: the upload failed; CheckInRecord.Error says why and
	// the entries are kept for the next check-in.
	CheckInFailure CheckInResult = "failure"
	// CheckInSkipped: nothing was sent; CheckInRecord.Skipped says why.
	CheckInSkipped CheckInResult = "skipped"
)

// WhitelistSource says where the whitelist in force came from.
type WhitelistSource string

// The whitelist sources.
const (
	// WhitelistFromUpstream: fetched from the update server at start or
	// replaced by a check-in's answer.
	WhitelistFromUpstream WhitelistSource = "upstream"
	// WhitelistFromFile: read from the service's whitelist file.
	WhitelistFromFile WhitelistSource = "file"
	// WhitelistFromConfig: given in the service's configuration or set by
	// its program.
	WhitelistFromConfig WhitelistSource = "config"
	// WhitelistNone: there is no whitelist; every event and field is
	// accepted.
	WhitelistNone WhitelistSource = "none"
)
