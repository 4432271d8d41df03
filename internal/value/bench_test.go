package value_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/internal/value"
)

// benchBodies are an event as the ingest benchmarks send it and a batch of
// 64 of them.
var benchBodies = map[string]string{
	"event": `{"event":"puppetserver.bench.event","metadata":{"run":1337,"tags":["a","b"],"ok":true}}`,
	"batch64": `{"commands":[` + strings.TrimSuffix(strings.Repeat(
		`{"command":"event","payload":{"event":"puppetserver.bench.event","metadata":{"run":1337,"tags":["a","b"],"ok":true}}},`, 64), ",") + `]}`,
}

// BenchmarkDecode measures the strict decoder and, for comparison, what
// the service used before: encoding/json's Decoder with UseNumber, which
// checks none of the strict rules.
func BenchmarkDecode(b *testing.B) {
	for name, body := range benchBodies {
		data := []byte(body)
		b.Run(name+"/strict", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := value.Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				dec := json.NewDecoder(bytes.NewReader(data))
				dec.UseNumber()
				var v any
				if err := dec.Decode(&v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckEvent measures the value model's check of a decoded event.
func BenchmarkCheckEvent(b *testing.B) {
	v, err := value.Decode([]byte(benchBodies["event"]))
	if err != nil {
		b.Fatal(err)
	}
	m := v.(map[string]any)
	name, meta := m["event"].(string), m["metadata"].(map[string]any)
	b.ReportAllocs()
	for b.Loop() {
		if err := value.CheckEvent(name, meta); err != nil {
			b.Fatal(err)
		}
	}
}
