package analytics_test

import (
	"context"
	"fmt"
	"log"

	"github.com/analytics-client/analytics/wire"
)

func ExampleClient_Status() {
	client, stop := startClient()
	defer stop()
	st, err := client.Status(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	if st.CheckIn.Mode != wire.ModeOn {
		fmt.Println("nothing leaves the site:", st.CheckIn.Reason)
	}
	fmt.Println("stored events:", st.Store.Events)
	// Output:
	// nothing leaves the site: no product name configured
	// stored events: 0
}

func ExampleClient_CheckInPreview() {
	client, stop := startClient()
	defer stop()
	p, err := client.CheckInPreview(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %s (upload %s)\n", p.Mode, p.Reason, p.Upload)
	// Output: no-product: no product name configured (upload null)
}
