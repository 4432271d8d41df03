package wire

import "encoding/json"

// Preview is what the service's next check-in would send now, the
// document of GET {url}/checkin/preview (an operator endpoint of our
// service).
type Preview struct {
	Mode Mode `json:"mode"`
	// Reason says why nothing would be sent; empty in ModeOn.
	Reason string `json:"reason,omitempty"`
	// Upload is the exact body the check-in would POST to the update
	// server, or JSON null when nothing would be sent.
	Upload json.RawMessage `json:"upload"`
}
