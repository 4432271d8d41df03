package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/wire"
)

// MaxBatchCommands is the most commands one POST {prefix}/commands/batch
// may carry; a larger batch gets 413.
const MaxBatchCommands = 1000

// batchItem is one command of a batch envelope.
type batchItem struct {
	kind    store.Kind
	key     string
	payload any
}

// serveBatch answers POST {prefix}/commands/batch: every item is prepared
// and committed as its single command would be, all in one ordered append
// (one group commit), and the answer, one result per item in request
// order, is sent once every item is durable.
func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request) {
	m, release, aerr := s.readObject(w, r)
	defer release()
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	items, aerr := parseBatch(m)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	out := s.runBatch(withClient(r), items)
	writeOutcome(w, outcome{status: http.StatusOK, body: encodeResults(out), retryAfter: batchRetryAfter(out)})
}

// parseBatch checks the envelope {"commands":[{"command","key","payload"}]}.
// A payload is not checked here: a bad one fails its own item only.
func parseBatch(m map[string]any) ([]batchItem, *apiError) {
	if ps := disallowed(m, "commands"); ps != nil {
		return nil, schemaViolation(ps...)
	}
	raw, ok := m["commands"]
	if !ok {
		return nil, schemaViolation(problem{"commands", "missing-required-key"})
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, schemaViolation(problem{"commands", notA("sequential", raw)})
	}
	if len(list) > MaxBatchCommands {
		return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Kind: wire.ErrorTooLarge,
			Msg: "The batch has " + strconv.Itoa(len(list)) + " commands, more than the limit of " + strconv.Itoa(MaxBatchCommands) + "."}
	}
	items := make([]batchItem, len(list))
	for i, v := range list {
		var ps []problem
		if items[i], ps = parseBatchItem("commands."+strconv.Itoa(i), v); ps != nil {
			return nil, schemaViolation(ps...)
		}
	}
	return items, nil
}

// parseBatchItem checks one envelope item; path names it in problems.
func parseBatchItem(path string, v any) (batchItem, []problem) {
	m, ok := v.(map[string]any)
	if !ok {
		return batchItem{}, []problem{{path, notA("map", v)}}
	}
	ps := disallowed(m, "command", "key", "payload")
	for i := range ps {
		ps[i].key = path + "." + ps[i].key
	}
	var it batchItem
	if cmd, ok := m["command"]; !ok {
		ps = append(ps, problem{path + ".command", "missing-required-key"})
	} else if it.kind = commandKind(cmd); it.kind == 0 {
		ps = append(ps, problem{path + ".command", `(not (#{"event" "snapshot"} ` + literal(cmd) + `))`})
	}
	if key, ok := m["key"]; ok {
		if it.key, ok = key.(string); !ok {
			ps = append(ps, problem{path + ".key", notA("string", key)})
		}
	}
	if it.payload, ok = m["payload"]; !ok {
		ps = append(ps, problem{path + ".payload", "missing-required-key"})
	}
	return it, ps
}

// commandKind is the collection of a batch item's "command", 0 for none.
func commandKind(cmd any) store.Kind {
	switch cmd {
	case "event":
		return store.Events
	case "snapshot":
		return store.Snapshots
	}
	return 0
}

// runBatch prepares every item, then commits the prepared ones in one
// ordered step. An item whose key repeats an earlier item's (same command,
// same key) is not stored: it gets the earlier item's answer when its
// payload is the same, and 422 idempotency-key-reused when not, as a
// repeated single command would.
func (s *Server) runBatch(ctx context.Context, items []batchItem) []outcome {
	out := make([]outcome, len(items))
	todo := make([]prepared, 0, len(items))
	at := make([]int, 0, len(items)) // at[n] is the item todo[n] answers
	for i, it := range items {
		p, aerr := s.prepareItem(it)
		if aerr != nil {
			out[i] = aerr.outcome()
			continue
		}
		todo, at = append(todo, p), append(at, i)
	}
	for n, o := range s.commit(ctx, todo) {
		out[at[n]] = o
	}
	return out
}

// prepareItem is prepare for one batch item, whose payload must be an
// object exactly as a single command's body must.
func (s *Server) prepareItem(it batchItem) (prepared, *apiError) {
	m, aerr := asObject(it.payload)
	if aerr != nil {
		return prepared{}, aerr
	}
	return s.prepare(it.kind, m, it.key)
}

// batchRetryAfter is the longest Retry-After of the items, for the
// envelope's header: a client that retries the whole batch waits for the
// slowest item.
func batchRetryAfter(out []outcome) int {
	n := 0
	for _, o := range out {
		n = max(n, o.retryAfter)
	}
	return n
}

// encodeResults builds {"results":[{"status":S,"body":B},...]} from
// answers whose bodies are already compact JSON.
func encodeResults(out []outcome) []byte {
	n := len(`{"results":[]}`)
	for _, o := range out {
		n += len(`{"status":000,"body":},`) + len(o.body)
	}
	b := make([]byte, 0, n)
	b = append(b, `{"results":[`...)
	for i, o := range out {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"status":`...)
		b = strconv.AppendInt(b, int64(o.status), 10)
		b = append(b, `,"body":`...)
		b = append(b, o.body...)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}
