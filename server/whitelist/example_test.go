package whitelist_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/analytics-client/analytics/server/whitelist"
)

// Parse a whitelist and check an event name and snapshot fields against
// it; a Holder lets the service swap it while requests use it.
func ExampleParse() {
	wl, err := whitelist.Parse("example.json", []byte(`{
		"puppetserver.start": {"datatype": "event"},
		"puppetserver.agents": {"datatype": "number", "description": "agents served"}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", wl.CheckEvent("puppetserver.start"))
	fmt.Printf("%q\n", wl.CheckEvent("puppetserver.stop"))
	fmt.Printf("%q\n", wl.CheckField("puppetserver.agents", json.Number("12")))
	fmt.Printf("%q\n", wl.CheckField("puppetserver.agents", "twelve"))

	var h whitelist.Holder
	h.Set(wl, whitelist.FromFile, time.Now())
	src, _ := h.Source()
	fmt.Println(len(h.Current()), src)
	// Output:
	// ""
	// "Not an expected event"
	// ""
	// "Expected a value of type number"
	// 2 file
}
