package server_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/wire"
)

// FuzzBatch feeds arbitrary bodies to POST /commands/batch through the
// real handler and store. The service must never answer 500, must answer
// every error in the JSON error shape, must answer 200 exactly when the
// envelope is valid, and then give one result per command, 2xx exactly
// when the item is a valid payload with an acceptable key.
func FuzzBatch(f *testing.F) {
	for _, row := range batchRows() {
		if len(row.body) < 4<<10 {
			f.Add([]byte(row.body))
		}
	}
	for _, row := range protocolRows() {
		if row.method == "POST" && json.Valid([]byte(row.body)) {
			f.Add([]byte(batch(item("event", "k", row.body), item("snapshot", "", row.body))))
		}
	}
	srv := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("POST", "/analytics/commands/batch", bytes.NewReader(body)))
		checkFuzzBatch(t, body, rec)
	})
}

func checkFuzzBatch(t *testing.T, body []byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("answered %d to %q: %s", rec.Code, body, rec.Body)
	}
	items, valid := validEnvelope(body)
	if (rec.Code == 200) != valid {
		t.Fatalf("answered %d to %q (valid envelope: %v): %s", rec.Code, body, valid, rec.Body)
	}
	if !valid {
		var e struct{ Kind, Msg string }
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Kind == "" || e.Msg == "" {
			t.Fatalf("answered %d without the error shape to %q: %s", rec.Code, body, rec.Body)
		}
		return
	}
	var got struct {
		Results []struct {
			Status int
			Body   struct{ Kind wire.ErrorKind }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got.Results) != len(items) {
		t.Fatalf("%d results for %d commands (%v) to %q: %s", len(got.Results), len(items), err, body, rec.Body)
	}
	for i, it := range items {
		ok := got.Results[i].Status >= 200 && got.Results[i].Status < 300
		if got.Results[i].Body.Kind == wire.ErrorKeyReused && it.key != "" {
			continue // the key came with another payload before (in this body or an earlier one)
		}
		if want := validPayloadValue(it.command, it.payload) && len(it.key) <= server.MaxIdempotencyKeyLen; ok != want {
			t.Fatalf("item %d answered %d to %q (valid: %v): %s", i, got.Results[i].Status, body, want, rec.Body)
		}
	}
}

// fuzzItem is a batch command as the oracle reads it.
type fuzzItem struct {
	command, key string
	payload      any
}

// validEnvelope is the test's own reading of the batch envelope: one JSON
// object holding only "commands", an array of at most MaxBatchCommands
// objects with a known "command", a string "key" if any, and a "payload".
func validEnvelope(body []byte) ([]fuzzItem, bool) {
	v, ok := decodeOne(body)
	m, isMap := v.(map[string]any)
	if !ok || !isMap || len(m) != 1 {
		return nil, false
	}
	list, ok := m["commands"].([]any)
	if !ok || len(list) > server.MaxBatchCommands {
		return nil, false
	}
	items := make([]fuzzItem, len(list))
	for i, raw := range list {
		if items[i], ok = validItem(raw); !ok {
			return nil, false
		}
	}
	return items, true
}

func validItem(raw any) (fuzzItem, bool) {
	m, ok := raw.(map[string]any)
	if !ok {
		return fuzzItem{}, false
	}
	var it fuzzItem
	for k, v := range m {
		switch k {
		case "command":
			it.command, _ = v.(string)
		case "key":
			if it.key, ok = v.(string); !ok {
				return fuzzItem{}, false
			}
		case "payload":
			it.payload = v
		default:
			return fuzzItem{}, false
		}
	}
	_, hasPayload := m["payload"]
	return it, hasPayload && (it.command == "event" || it.command == "snapshot")
}
