package wire_test

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/analytics-client/analytics/wire"
)

// A program that reads the service's status decodes it into Status and
// switches on the typed mode.
func ExampleStatus() {
	answer := []byte(`{"version":"1.4.0","checkin":{"mode":"no-upstream","reason":"no update server configured"},
		"whitelist":{"source":"none"},"store":{"events":5,"snapshots":1,"bytes":20480,"limit":1073741824}}`)
	var st wire.Status
	if err := json.Unmarshal(answer, &st); err != nil {
		log.Fatal(err)
	}
	switch st.CheckIn.Mode {
	case wire.ModeOn:
		fmt.Println("check-ins upload to", st.CheckIn.Upstream)
	default:
		fmt.Printf("nothing leaves the site (%s): %s\n", st.CheckIn.Mode, st.CheckIn.Reason)
	}
	fmt.Printf("waiting: %d events, %d snapshots\n", st.Store.Events, st.Store.Snapshots)
	// Output:
	// nothing leaves the site (no-upstream): no update server configured
	// waiting: 5 events, 1 snapshots
}

// An error answer's kind tells a program what to do.
func ExampleError() {
	var e wire.Error
	if err := json.Unmarshal([]byte(`{"kind":"storage-full","msg":"The store is full."}`), &e); err != nil {
		log.Fatal(err)
	}
	if e.Kind == wire.ErrorStorageFull {
		fmt.Println("retry after the next check-in, as the", wire.HeaderRetryAfter, "header says")
	}
	// Output: retry after the next check-in, as the Retry-After header says
}

func ExampleKind() {
	k := wire.KindEvent
	fmt.Println(k, k.Collection())
	// Output: event events
}

// A preview in a mode other than on says why nothing would be sent, and
// its upload is JSON null.
func ExamplePreview() {
	var p wire.Preview
	if err := json.Unmarshal([]byte(`{"mode":"opted-out","reason":"opted out: /etc/puppetlabs/analytics-opt-out exists","upload":null}`), &p); err != nil {
		log.Fatal(err)
	}
	if p.Mode != wire.ModeOn {
		fmt.Printf("nothing would be sent (%s); upload %s\n", p.Reason, p.Upload)
	}
	// Output: nothing would be sent (opted out: /etc/puppetlabs/analytics-opt-out exists); upload null
}
