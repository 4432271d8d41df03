package server

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/analytics-client/analytics/internal/store"
)

// MaxBatchCommands is the most commands one POST {prefix}/commands/batch
// may carry; a larger batch gets 413.
const MaxBatchCommands = 1000

// batchWorkers bounds the goroutines that store one batch. Each item's
// Append waits for its group commit, so a batch of up to batchWorkers items
// shares one or two commits, and a larger one about n/batchWorkers + 1.
const batchWorkers = 128

// batchItem is one command of a batch envelope.
type batchItem struct {
	kind    store.Kind
	key     string
	payload any
}

// serveBatch answers POST {prefix}/commands/batch: every item is prepared
// and committed as its single command would be, the items' appends run
// concurrently so that they share group commits, and the answer, one
// result per item in request order, is sent once every item is durable.
func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request) {
	m, aerr := s.readObject(w, r)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	items, aerr := parseBatch(m)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	writeBody(w, http.StatusOK, encodeResults(s.runBatch(r.Context(), items)))
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
		return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Kind: KindTooLarge,
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

// runBatch prepares every item, then commits the prepared ones
// concurrently. An item whose key repeats an earlier item's (same command,
// same key) is not stored: it gets the earlier item's answer, as a repeated
// single command would.
func (s *Server) runBatch(ctx context.Context, items []batchItem) []outcome {
	out := make([]outcome, len(items))
	todo := make([]prepared, 0, len(items))
	at := make([]int, 0, len(items)) // at[n] is the item todo[n] answers
	first := map[string]int{}        // key of an item to store -> its index
	repeats := map[int]int{}         // index of a repeat -> index of its first
	for i, it := range items {
		p, aerr := s.prepareItem(it)
		if aerr != nil {
			out[i] = aerr.outcome()
			continue
		}
		if p.key != "" {
			if j, seen := first[p.key]; seen {
				repeats[i] = j
				continue
			}
			first[p.key] = i
		}
		todo, at = append(todo, p), append(at, i)
	}
	s.commitAll(ctx, todo, func(n int, o outcome) { out[at[n]] = o })
	for i, j := range repeats {
		out[i] = out[j]
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

// commitAll commits ps and calls done with each index and outcome (each
// index once). It returns when every entry is on stable storage. A store
// that appends many records at once (the Bolt store) gets the whole batch
// in one ordered step, so the batch's entries keep their order in the
// collections; any other store gets concurrent appends on at most
// batchWorkers goroutines, which share group commits but may land in any
// order.
func (s *Server) commitAll(ctx context.Context, ps []prepared, done func(int, outcome)) {
	if b, ok := s.store.(store.Batcher); ok {
		recs := make([]store.Record, 0, len(ps))
		at := make([]int, 0, len(ps))
		for n, p := range ps {
			if p.key == "" && p.data == nil {
				done(n, outcome{p.status, p.body}) // nothing to store or remember
				continue
			}
			recs = append(recs, p.record())
			at = append(at, n)
		}
		for i, r := range b.AppendAll(ctx, recs) {
			done(at[i], s.committed(ps[at[i]], r.Prior, r.Dup, r.Err))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(ps), batchWorkers) {
		wg.Go(func() {
			for n := int(next.Add(1) - 1); n < len(ps); n = int(next.Add(1) - 1) {
				done(n, s.commit(ctx, ps[n]))
			}
		})
	}
	wg.Wait()
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
