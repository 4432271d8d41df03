package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/jsonoracle"
	"github.com/analytics-client/analytics/server"
)

const fuzzMaxBody = 64 << 10

// FuzzCommands feeds arbitrary bodies to both commands through the real
// handler and store. The service must never answer 500 (a panic would be
// recovered into one), must answer every error in the JSON error shape, and
// must answer 2xx exactly when the body is a valid payload (valid as the
// value model says; there is no whitelist here).
func FuzzCommands(f *testing.F) {
	for _, row := range protocolRows() {
		if row.method == "POST" {
			f.Add([]byte(row.body))
		}
	}
	for _, s := range []string{`{"fields":{"a":[{"k":1},2]}}`, `{"fields":{"a":[[1]]}}`, `{"event":"e","metadata":{"a":[{"b":{}}]}}`,
		`{"fields":{"":1}}`, `{"event":"\ud800"}`, `{"fields":{"a":1e999}}`, `{"fields":{"a":-0.0e-0}}`, "\ufeff{}", "\u00a0{\"fields\":{}}", `{"fields":{}} `} {
		f.Add([]byte(s))
	}
	srv := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, cmd := range []string{"event", "snapshot"} {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest("POST", "/analytics/commands/"+cmd, bytes.NewReader(body)))
			checkFuzzAnswer(t, cmd, body, rec)
		}
	})
}

func checkFuzzAnswer(t *testing.T, cmd string, body []byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s answered %d to %q: %s", cmd, rec.Code, body, rec.Body)
	}
	ok := rec.Code >= 200 && rec.Code < 300
	if want := validPayload(cmd, body); ok != want {
		t.Fatalf("%s answered %d to %q (valid: %v): %s", cmd, rec.Code, body, want, rec.Body)
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%s answered %d with invalid JSON to %q: %s", cmd, rec.Code, body, rec.Body)
	}
	if ok {
		return
	}
	var e struct{ Kind, Msg string }
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Kind == "" || e.Msg == "" {
		t.Fatalf("%s answered %d without the error shape to %q: %s", cmd, rec.Code, body, rec.Body)
	}
}

// validPayload is the test's own reading of docs/protocol.md: one JSON object
// (and nothing after it) with only the allowed keys, that the value model
// accepts.
func validPayload(cmd string, body []byte) bool {
	v, ok := decodeOne(body)
	return ok && validPayloadValue(cmd, v)
}

// decodeOne decodes a body within the size limit that is exactly one
// strict JSON value (valid UTF-8, no lone surrogate escape, no repeated
// key), with numbers as json.Number.
func decodeOne(body []byte) (any, bool) {
	if len(body) > fuzzMaxBody {
		return nil, false
	}
	v, problems := jsonoracle.Decode(body)
	return v, len(problems) == 0
}

// validPayloadValue reports whether a decoded payload is a valid cmd.
func validPayloadValue(cmd string, v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if cmd == "event" {
		return validEvent(m)
	}
	return validSnapshot(m)
}

func validEvent(m map[string]any) bool {
	name, ok := m["event"].(string)
	if !ok {
		return false
	}
	ev := analytics.Event{Name: name}
	for k, v := range m {
		switch k {
		case "event":
		case "metadata":
			meta, ok := v.(map[string]any)
			if !ok {
				return false
			}
			ev.Metadata = meta
		default:
			return false
		}
	}
	return ev.Validate() == nil
}

func validSnapshot(m map[string]any) bool {
	fields, ok := m["fields"].(map[string]any)
	if !ok {
		return false
	}
	for k := range m {
		if k != "fields" && k != "timestamp" {
			return false
		}
	}
	return analytics.Snapshot{Fields: fields}.Validate() == nil
}

// TestFuzzOracleAgreesOnProtocolRows keeps the fuzz oracle honest: it must
// call the protocol table's accepted rows valid and its error rows invalid.
func TestFuzzOracleAgreesOnProtocolRows(t *testing.T) {
	for _, row := range protocolRows() {
		if row.method != "POST" || row.whitelist || row.status == 413 {
			continue
		}
		cmd := "event"
		if row.path == "/commands/snapshot" {
			cmd = "snapshot"
		}
		if got, want := validPayload(cmd, []byte(row.body)), row.status == http.StatusOK; got != want {
			t.Errorf("%s: oracle says valid=%v, table says status %d", row.name, got, row.status)
		}
	}
}

// fuzzServer is a service for fuzz targets: real store, no listeners, no
// check-in; its handler is called in-process.
func fuzzServer(f *testing.F) *server.Server {
	f.Helper()
	srv, err := server.New(server.Config{DataDir: f.TempDir(), MaxBodyBytes: fuzzMaxBody, Logger: discard(),
		CheckIn: server.CheckInConfig{Interval: -1}, Authorization: openRules})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close(context.Background()) })
	return srv
}
