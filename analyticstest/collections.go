package analyticstest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/analytics-client/analytics"
)

// Events returns the stored events in arrival order. Numbers are
// json.Number, as sent. On failure it reports with t.Errorf and returns
// nil.
func (s *Server) Events() []analytics.EventResult {
	evs, err := s.events(context.Background())
	if err != nil {
		s.t.Errorf("analyticstest: %v", err)
	}
	return evs
}

// Snapshots returns the stored snapshots in arrival order, each the map of
// accepted fields with their receive times. On failure it reports with
// t.Errorf and returns nil.
func (s *Server) Snapshots() []map[string]analytics.Stamped {
	snaps, err := s.snapshots(context.Background())
	if err != nil {
		s.t.Errorf("analyticstest: %v", err)
	}
	return snaps
}

func (s *Server) events(ctx context.Context) ([]analytics.EventResult, error) {
	raws, err := s.collection(ctx, "events")
	if err != nil {
		return nil, err
	}
	out := make([]analytics.EventResult, len(raws))
	for i, raw := range raws {
		if err := decode(raw, &out[i]); err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
		out[i].Raw = raw
	}
	return out, nil
}

func (s *Server) snapshots(ctx context.Context) ([]map[string]analytics.Stamped, error) {
	raws, err := s.collection(ctx, "snapshots")
	if err != nil {
		return nil, err
	}
	out := make([]map[string]analytics.Stamped, len(raws))
	for i, raw := range raws {
		if err := decode(raw, &out[i]); err != nil {
			return nil, fmt.Errorf("snapshot %d: %w", i, err)
		}
	}
	return out, nil
}

// collection fetches GET {URL}/collections/{name}.
func (s *Server) collection(ctx context.Context, name string) ([]json.RawMessage, error) {
	u := s.URL + "/collections/" + name
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, strings.TrimSpace(string(data)))
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return raws, nil
}

func decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// testWriter writes log lines to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
