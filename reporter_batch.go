package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Batching is an extension of our own service: POST {prefix}/commands/batch
// carries many commands, each with its idempotency key, and answers each as
// the single command would. The JVM service answers 404 to it, after which
// the client sends single commands to that service.

// A Reporter worker sends at most maxBatch items, of at most maxBatchBytes
// (by their size estimates; one larger item goes alone), in one request.
// Larger batches cost the service less per event (one request, one
// commit); the byte bound keeps a batch of large items well under the
// service's default body limit (1 MiB), whose 413 would send them one by
// one.
const (
	maxBatch      = 256
	maxBatchBytes = 256 << 10
)

// errNoBatch means the service does not take batches.
var errNoBatch = errors.New("analytics: the service does not take batches")

// Batch capability, as far as the client knows.
const (
	batchUnknown int32 = iota
	batchYes
	batchNo
)

type batchItem struct {
	kind Kind
	key  string
	body []byte // the single command's payload
}

type batchResult struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// batchURL returns the batch command's URL beside the event command's, or
// "" when the entrypoint's command URLs do not have the expected shape.
func (e *Entrypoint) batchURL() string {
	ev := e.urls["event"]
	base, ok := strings.CutSuffix(ev, "/commands/event")
	if !ok {
		return ""
	}
	return base + "/commands/batch"
}

// batch sends items in one request and returns one result per item, in
// order. It returns errNoBatch when the service does not take batches.
func (c *Client) batch(ctx context.Context, items []batchItem) ([]batchResult, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if c.batchMode.Load() == batchNo {
		return nil, errNoBatch
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ep, err := c.entrypoint(ctx)
	if err != nil {
		return nil, err
	}
	target := ep.batchURL()
	if target == "" {
		c.batchMode.Store(batchNo)
		return nil, errNoBatch
	}
	status, hdr, raw, err := c.post(ctx, target, encodeBatch(items), newID())
	if err != nil {
		if !isTimeout(ctx, err) {
			c.ep.CompareAndSwap(ep, nil) // rediscover, as for single commands
		}
		return nil, err
	}
	if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
		c.batchMode.Store(batchNo)
		return nil, errNoBatch
	}
	if err := responseError(status, hdr, raw); err != nil {
		return nil, err
	}
	results, ok := decodeBatchAnswer(raw, len(items))
	if !ok {
		return nil, fmt.Errorf("analytics: batch answer does not hold %d results: %.200s", len(items), raw)
	}
	c.batchMode.Store(batchYes)
	return results, nil
}

// encodeBatch writes the batch envelope around the items' encoded payloads.
func encodeBatch(items []batchItem) []byte {
	n := 16
	for _, it := range items {
		n += len(it.body) + len(it.key) + 48
	}
	b := make([]byte, 0, n)
	b = append(b, `{"commands":[`...)
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"command":"`...)
		b = append(b, it.kind.String()...)
		b = append(b, `","key":`...)
		b = appendJSONString(b, it.key) // keys are ours (hex), but stay safe
		b = append(b, `,"payload":`...)
		b = append(b, it.body...)
		b = append(b, '}')
	}
	return append(b, `]}`...)
}
