package opsview

import (
	"encoding/json"

	"github.com/analytics-client/analytics/internal/bytesize"
)

// roomText is the store's room for the page, "1.0 MiB of 1.0 GiB".
func roomText(st StoreStatus) string { return bytesize.Of(st.Bytes, st.Limit) }

// arrivalText is an arrival as the page shows it, one way for every
// entry: its JSON text. An entry too long to keep whole (cutArrival keeps
// it as a JSON string: stored entries are objects) shows the start of
// its JSON as written, not escaped again, and its size.
func arrivalText(data json.RawMessage) string {
	var cut string
	if len(data) > 0 && data[0] == '"' && json.Unmarshal(data, &cut) == nil {
		return cut
	}
	return string(data)
}
