package server

import (
	"github.com/analytics-client/analytics/server/checkin"
	"github.com/analytics-client/analytics/server/opsview"
)

// The operator documents and their vocabulary, reachable from server for
// the CLI, which decodes them, until it decodes the shared wire package's
// instead. The service itself uses opsview's and checkin's names.
type (
	// Status is the document of GET {prefix}/status.
	Status = opsview.Status
	// CheckInRecord is the outcome of one check-in, in a Status.
	CheckInRecord = checkin.Record
	// Preview is the document of GET {prefix}/checkin/preview.
	Preview = checkin.Preview
)

// Check-in modes and results, as checkin names them.
const (
	ModeOn         = checkin.ModeOn
	ModeOptedOut   = checkin.ModeOptedOut
	ModeNoProduct  = checkin.ModeNoProduct
	ModeNoUpstream = checkin.ModeNoUpstream
	CheckInSuccess = checkin.Success
	CheckInFailure = checkin.Failure
	CheckInSkipped = checkin.Skipped
)
