package analytics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
)

func ExampleClient_Status() {
	client, stop := startClient()
	defer stop()
	raw, err := client.Status(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	var st struct {
		CheckIn struct {
			Mode   string `json:"mode"`
			Reason string `json:"reason"`
		} `json:"checkin"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.CheckIn.Mode+":", st.CheckIn.Reason)
	// Output: no-product: no product name configured
}

func ExampleClient_CheckInPreview() {
	client, stop := startClient()
	defer stop()
	raw, err := client.CheckInPreview(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(raw))
	// Output: {"mode":"no-product","reason":"no product name configured","upload":null}
}
