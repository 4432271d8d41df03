package loadgen

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRunPostsExactlyAndStopsOnRefusal(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if n.Add(1) > 100 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	clients := []*http.Client{srv.Client(), srv.Client(), srv.Client()}

	if _, err := Run(clients, srv.URL, []byte(`{}`), 100, OK); err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got != 100 {
		t.Fatalf("%d posts, want 100", got)
	}
	_, err := Run(clients, srv.URL, []byte(`{}`), 10, OK)
	if err == nil || !strings.Contains(err.Error(), "status 503") {
		t.Fatalf("err = %v, want the refused answer", err)
	}
	want := errors.New("refused")
	if _, err := Run(clients[:1], srv.URL, nil, 1, func(int, []byte) error { return want }); !errors.Is(err, want) {
		t.Fatalf("err = %v, want the check's error", err)
	}
}
