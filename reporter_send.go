package analytics

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/analytics-client/analytics/internal/spool"
)

// ExponentialBackoff returns a backoff policy with full jitter: retry n
// waits a random time up to base·2ⁿ⁻¹, capped at limit. Full jitter spreads
// many reporters' retries after a shared outage instead of having them hit
// the service in waves.
func ExponentialBackoff(base, limit time.Duration) BackoffPolicy {
	return func(attempt int) time.Duration {
		d := limit
		if attempt >= 1 && attempt < 40 {
			d = base << (attempt - 1)
		}
		if d <= 0 || d > limit {
			d = limit
		}
		return rand.N(d) + 1
	}
}

// verdict says what to do with an item after an attempt.
type verdict uint8

const (
	delivered verdict = iota
	retry
	retryAtCap // a configuration problem: keep the data, wait the longest
	drop
)

// work is one sender goroutine.
func (r *Reporter) work() {
	defer r.workers.Done()
	for {
		if r.stopCtx.Err() != nil {
			return // stopped: what is queued stays queued, for Close to count (and the spool to keep)
		}
		p := r.q.take(r.stopCtx)
		if p == nil {
			return
		}
		if !r.client.batches() {
			r.deliver(p)
			continue
		}
		r.deliverBatch(append(make([]*item, 0, maxBatch), p))
	}
}

// deliverBatch sends p and whatever else is queued (up to maxBatch items)
// in batch requests until each item is delivered or dropped, or the
// reporter stops. A service that takes no batches gets them one by one.
func (r *Reporter) deliverBatch(batch []*item) {
	batch = r.q.takeMore(batch, maxBatch, maxBatchBytes)
	for len(batch) > 0 {
		var items []batchItem
		var err error
		batch, items, err = r.prepare(batch)
		switch {
		case errors.Is(err, spool.ErrClosed):
			return // Close began: the items stay on disk
		case err != nil: // cannot happen for validated items; keep them moving
			for _, p := range batch {
				r.deliver(p)
			}
			return
		case len(batch) == 0:
			return
		}
		gen := r.certGeneration()
		results, err := r.client.batch(r.stopCtx, items)
		r.q.tick()
		switch {
		case r.stopCtx.Err() != nil && err != nil:
			return // still pending: Close counts them, the spool keeps them
		case errors.Is(err, errNoBatch):
			for _, p := range batch {
				p.attempts-- // the batch attempt did not reach a command
				r.deliver(p)
			}
			return
		case err != nil:
			if !r.retryBatch(batch, err, gen) {
				return
			}
			continue
		}
		batch = r.settle(batch, results)
		if len(batch) > 0 && !r.sleep(r.retryWait(retry, nil, int(batch[0].attempts))) {
			return
		}
	}
}

// prepare encodes each item (once) and counts the attempt. The payloads
// of a batch are encoded into one buffer, one allocation rather than one
// per item. An item whose spooled record cannot be read back is dropped
// and left out of the returned batch.
func (r *Reporter) prepare(batch []*item) ([]*item, []batchItem, error) {
	items := make([]batchItem, 0, len(batch))
	kept := batch[:0]
	var size int64
	for _, p := range batch {
		if !p.inRec && p.body == nil {
			size += p.size + 16
		}
	}
	arena := make([]byte, 0, size)
	for i, p := range batch {
		var err error
		if arena, err = r.encodeInto(p, arena); errors.Is(err, errUnreadable) {
			r.dropUnreadable(p, err)
			continue
		} else if err != nil {
			return append(kept, batch[i:]...), nil, err
		}
		p.attempts++
		items = append(items, batchItem{kind: p.kind, key: p.idemKey(), body: p.payload()})
		kept = append(kept, p)
	}
	return kept, items, nil
}

// dropUnreadable drops p, whose spooled record cannot be read back (damaged
// on disk, or lost with its spool): there is nothing left to send.
func (r *Reporter) dropUnreadable(p *item, err error) {
	r.warnDropped(p, DropCorrupt, err)
	r.finish(p, DropCorrupt, err, nil)
}

// retryBatch handles a failure of the whole batch request: transient ones
// wait and retry the batch; anything the request itself provoked (a 413,
// say) sends the items one by one instead. It reports whether to go on.
// gen is the client's certificate generation when the batch was sent.
func (r *Reporter) retryBatch(batch []*item, err error, gen uint64) bool {
	v, _ := classify(err)
	if v == drop {
		for _, p := range batch {
			r.deliver(p)
		}
		return false
	}
	wait := r.retryWait(v, err, int(batch[0].attempts))
	if v == retryAtCap {
		r.log.Error("analytics: cannot deliver because of a configuration problem; keeping the data and retrying",
			slog.Any("error", err), slog.Duration("retry_in", wait))
	}
	r.q.countRetry()
	return r.pause(v, wait, gen)
}

// settle finishes the items whose results are final and returns those to
// retry.
func (r *Reporter) settle(batch []*item, results []batchResult) []*item {
	again := batch[:0]
	for i, p := range batch {
		res := results[i]
		err := responseError(res.Status, nil, res.Body)
		v, reason := classify(err)
		switch v {
		case delivered:
			r.finish(p, "", nil, rejectedFields(res))
		case drop:
			r.warnDropped(p, reason, err)
			r.finish(p, reason, err, nil)
		default:
			r.q.countRetry()
			again = append(again, p)
		}
	}
	return again
}

func rejectedFields(res batchResult) map[string]string {
	if res.Status != http.StatusPartialContent {
		return nil
	}
	var sr SnapshotResult
	if decodeJSON(res.Body, &sr) != nil {
		return nil
	}
	return sr.Rejected
}

// deliver sends p until it is delivered, dropped or the reporter stops.
func (r *Reporter) deliver(p *item) {
	for {
		p.attempts++
		gen := r.certGeneration()
		rejected, err := r.send(p)
		r.q.tick()
		switch {
		case (r.stopCtx.Err() != nil && err != nil) || errors.Is(err, spool.ErrClosed):
			return // still pending: Close counts it, the spool keeps it
		case errors.Is(err, errUnreadable):
			r.dropUnreadable(p, err)
			return
		}
		v, reason := classify(err)
		switch v {
		case delivered:
			r.finish(p, "", nil, rejected)
			return
		case drop:
			r.warnDropped(p, reason, err)
			r.finish(p, reason, err, nil)
			return
		}
		wait := r.retryWait(v, err, int(p.attempts))
		if v == retryAtCap {
			r.log.Error("analytics: cannot deliver "+p.kind.String()+" because of a configuration problem; keeping it and retrying",
				slog.Any("error", err), slog.Duration("retry_in", wait))
		}
		r.q.countRetry()
		if !r.pause(v, wait, gen) {
			return
		}
	}
}

// retryWait is the wait before retrying after an attempt that failed with
// err: the backoff for attempt (MaxBackoff for a configuration problem),
// but not less than the service's Retry-After, as far as MaxRetryAfter.
func (r *Reporter) retryWait(v verdict, err error, attempt int) time.Duration {
	wait := r.opts.MaxBackoff
	if v != retryAtCap {
		wait = min(r.opts.Backoff(attempt), r.opts.MaxBackoff)
	}
	var re *ResponseError
	if errors.As(err, &re) {
		if ra, ok := re.RetryAfter(r.clock.Now()); ok {
			wait = max(wait, min(ra, r.opts.MaxRetryAfter))
		}
	}
	return wait
}

// sleep waits d on the reporter's clock unless the reporter stops first.
func (r *Reporter) sleep(d time.Duration) bool {
	select {
	case <-r.clock.After(d):
		return true
	case <-r.stopCtx.Done():
		return false
	}
}

// send makes one attempt. The payload is encoded and the key chosen once,
// so every attempt sends the same bytes under the same key.
func (r *Reporter) send(p *item) (map[string]string, error) {
	if err := r.encode(p); err != nil {
		return nil, err
	}
	ctx := WithIdempotencyKey(r.stopCtx, p.idemKey())
	status, raw, err := r.client.command(ctx, p.kind.String(), p.payload())
	if err != nil || status != http.StatusPartialContent {
		return nil, err
	}
	var res SnapshotResult
	if decodeJSON(raw, &res) == nil {
		return res.Rejected, nil
	}
	return nil, nil
}

// encode fixes p's payload bytes and idempotency key before its first
// attempt.
func (r *Reporter) encode(p *item) error {
	_, err := r.encodeInto(p, nil)
	return err
}

// encodeInto is encode, appending p's payload to arena (nil: a buffer of
// its own), which it returns. p.body is cut from it to its exact length,
// so later appends to arena never touch it.
func (r *Reporter) encodeInto(p *item, arena []byte) ([]byte, error) {
	if err := r.load(p); err != nil {
		return arena, err
	}
	if p.body == nil {
		if arena == nil {
			arena = make([]byte, 0, p.size+16)
		}
		start := len(arena)
		var err error
		if p.kind == KindSnapshot {
			arena, err = appendSnapshotJSON(arena, p.event.Metadata)
		} else {
			arena, err = appendEventJSON(arena, p.event)
		}
		if err != nil {
			return arena[:start], &ValidationError{Path: p.kind.String(), Reason: "cannot be encoded: " + err.Error()}
		}
		p.body = arena[start:len(arena):len(arena)]
	}
	if p.key == "" && !p.inRec {
		var key [32]byte
		p.key = string(appendID(key[:0], p.at))
	}
	return arena, nil
}

// warnDropped logs a dropped item: at most one line a minute per kind and
// reason, with the count of those not logged ("repeated"), so a service
// that refuses everything does not flood the log.
func (r *Reporter) warnDropped(p *item, reason DropReason, err error) {
	r.dropLog.Log(context.Background(), slog.LevelWarn, p.kind.String()+"/"+string(reason),
		"analytics: dropped "+p.kind.String(), slog.String("reason", string(reason)), slog.Any("error", err))
}

// finish records the end of p and tells OnOutcome.
func (r *Reporter) finish(p *item, reason DropReason, err error, rejected map[string]string) {
	notify := r.opts.OnOutcome != nil
	if r.durable() {
		// Acknowledged and removed from the queue in one step, as far as
		// a recreation of the spool is concerned.
		r.spmu.RLock()
		r.ack(p)
		r.q.done(p, reason, notify)
		r.spmu.RUnlock()
	} else {
		r.q.done(p, reason, notify)
	}
	if notify {
		// Flush waits until the callback returns: a caller of Flush sees
		// every outcome of what it flushed.
		o := Outcome{Kind: p.kind, Key: p.idemKey(), Attempts: int(p.attempts), Dropped: reason, Err: err, Rejected: rejected}
		r.calls.enter(callbackOutcome)
		defer r.calls.leave(callbackOutcome)
		defer r.q.notified(p.seq)
		r.opts.OnOutcome(o)
	}
}

// classify decides, from one attempt's error, whether to retry.
func classify(err error) (verdict, DropReason) {
	if err == nil {
		return delivered, ""
	}
	var ve *ValidationError
	var rej *RejectedError
	var re *ResponseError
	switch {
	case errors.As(err, &ve):
		return drop, DropBadRequest
	case errors.As(err, &rej):
		return drop, DropRejected
	case errors.As(err, &re):
		return classifyStatus(re.StatusCode)
	case isCertificateAlert(err):
		// The service refused our certificate. The client has reloaded
		// its files and tried again already; during a CA rotation the
		// service may take the new ones a moment later, so this is
		// retried on the usual schedule, not parked.
		return retry, ""
	case isTLSConfigError(err), errors.Is(err, ErrClosed):
		return retryAtCap, ""
	}
	return retry, ""
}

func classifyStatus(code int) (verdict, DropReason) {
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		return retry, ""
	case code == http.StatusUnauthorized, code == http.StatusForbidden, code == http.StatusNotFound:
		// Wrong certificate or wrong URL: an operator must fix it.
		return retryAtCap, ""
	case code == http.StatusRequestEntityTooLarge:
		return drop, DropTooLarge
	case code == http.StatusUnprocessableEntity:
		return drop, DropRejected
	}
	return drop, DropBadRequest
}

// isTLSConfigError reports a certificate the other side will not accept, or
// one we cannot verify: retrying soon cannot help, and new certificate
// files might.
func isTLSConfigError(err error) bool {
	var cve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cve) || errors.As(err, &ua) || errors.As(err, &he) ||
		errors.As(err, &ci) || isCertificateAlert(err)
}

// certificateAlerts are the TLS alerts by which a peer refuses a
// certificate (RFC 8446, section 6.2).
var certificateAlerts = [...]tls.AlertError{
	42,  // bad_certificate
	43,  // unsupported_certificate
	44,  // certificate_revoked
	45,  // certificate_expired
	46,  // certificate_unknown
	48,  // unknown_ca
	49,  // access_denied
	116, // certificate_required
}

// isCertificateAlert reports a TLS alert from the service refusing our
// certificate. Over TCP, crypto/tls returns an alert it received as a
// *net.OpError with Op "remote error" around an unexported type whose
// message is the alert's (tls.AlertError comes from QUIC connections
// only), so the alert is recognized by that message.
func isCertificateAlert(err error) bool {
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return slices.Contains(certificateAlerts[:], ae)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "remote error" || oe.Err == nil {
		return false
	}
	msg := oe.Err.Error()
	return slices.ContainsFunc(certificateAlerts[:], func(a tls.AlertError) bool { return a.Error() == msg })
}
