// Package loadgen drives the benchmarks' traffic: concurrent keep-alive
// clients POSTing one body until a given number of posts is answered, the
// way several processes reporting to one service would.
package loadgen

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Check judges one answer; nil accepts it.
type Check func(status int, body []byte) error

// OK accepts a 200 answer.
func OK(status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("status %d: %.200s", status, body)
	}
	return nil
}

// Run POSTs body to url posts times, spread over clients (each in its own
// goroutine, one request in flight at a time), and returns the time it
// took. It stops at the first answer check refuses or the first failed
// request, and returns that error.
func Run(clients []*http.Client, url string, body []byte, posts int, check Check) (time.Duration, error) {
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for _, c := range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(posts) {
				if err := post(c, url, body, check); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		return elapsed, err
	}
	return elapsed, nil
}

func post(c *http.Client, url string, body []byte, check Check) error {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	return check(resp.StatusCode, data)
}
