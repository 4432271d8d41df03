package limits_test

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/analytics-client/analytics/server/limits"
)

// TestShares: a client holds at most its share of the budget, the
// unauthenticated ones together theirs, except that a request whose client
// holds nothing else may go on; past the budget it is ErrBusy; Give
// returns both.
func TestShares(t *testing.T) {
	budget := limits.NewBudget(1000)
	s := limits.NewShares(budget, 250, 60)
	a, b, anon := s.For("cn:a"), s.For("cn:b"), s.For("")
	if a.Limit() != 250 || anon.Limit() != 60 {
		t.Fatalf("limits %d %d", a.Limit(), anon.Limit())
	}
	if err := a.Reserve(200, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Reserve(100, 0); !errors.Is(err, limits.ErrShare) {
		t.Errorf("a second request past the client's share: %v", err)
	}
	if err := a.Reserve(400, 200); err != nil {
		t.Errorf("the client's only request growing past its share: %v", err)
	}
	if err := b.Reserve(250, 0); err != nil {
		t.Errorf("another client within its share: %v", err)
	}
	if err := anon.Reserve(100, 0); err != nil {
		t.Errorf("the first unauthenticated request: %v", err)
	}
	if err := anon.Reserve(10, 0); !errors.Is(err, limits.ErrShare) {
		t.Errorf("unauthenticated past their share: %v", err)
	}
	if err := s.For("cn:c").Reserve(100, 0); !errors.Is(err, limits.ErrBusy) {
		t.Errorf("past the budget: %v", err)
	}
	a.Give(600)
	b.Give(250)
	anon.Give(100)
	if budget.Used() != 0 {
		t.Errorf("budget used %d after every share was given back", budget.Used())
	}
	if err := a.Reserve(250, 0); err != nil {
		t.Errorf("the client's share after it gave back: %v", err)
	}
	a.Give(250)
}

// TestConnShares: a client's busy connections past its share are closed
// at their next request; idle ones do not count; unauthenticated clients
// share one smaller share; uncounted connections are left alone.
func TestConnShares(t *testing.T) {
	names := map[net.Conn]string{}
	pipe := func(name string) *trackedConn {
		c, other := net.Pipe()
		t.Cleanup(func() { _ = c.Close(); _ = other.Close() })
		tc := &trackedConn{Conn: c}
		names[tc] = name
		return tc
	}
	var mu sync.Mutex
	refused := 0
	cs := limits.NewConnShares(2, 1, func(c net.Conn) (string, bool) {
		name := names[c]
		return name, name != "uncounted"
	}, func() { mu.Lock(); refused++; mu.Unlock() })
	a1, a2, a3 := pipe("cn:a"), pipe("cn:a"), pipe("cn:a")
	cs.Track(a1, http.StateActive)
	cs.Track(a2, http.StateActive)
	cs.Track(a3, http.StateActive)
	if refused != 1 || !closed(a3) || closed(a1) || closed(a2) {
		t.Fatalf("third busy connection of a client with a share of 2: refused %d, closed %v", refused, closed(a3))
	}
	cs.Track(a1, http.StateIdle)
	a4 := pipe("cn:a")
	cs.Track(a4, http.StateActive)
	if closed(a4) {
		t.Error("a connection refused although another one of its client went idle")
	}
	n1, n2 := pipe(""), pipe("")
	cs.Track(n1, http.StateActive)
	cs.Track(n2, http.StateActive)
	if closed(n1) || !closed(n2) {
		t.Error("the unauthenticated share of 1 was not held")
	}
	for range 3 {
		u := pipe("uncounted")
		cs.Track(u, http.StateActive)
		if closed(u) {
			t.Error("an uncounted connection was closed")
		}
	}
}

// trackedConn is a connection that remembers being closed.
type trackedConn struct {
	net.Conn
	mu     sync.Mutex
	closed bool
}

func (c *trackedConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return c.Conn.Close()
}

func closed(c *trackedConn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// TestQuota: each client within its limit, give-backs and Reset free
// room, and a limit of zero bounds nothing.
func TestQuota(t *testing.T) {
	q := limits.NewQuota(100)
	if !q.Take("a", 60) || q.Take("a", 50) || !q.Take("b", 100) {
		t.Fatal("quota not held per client")
	}
	q.Give("a", 60)
	if !q.Take("a", 100) {
		t.Error("room given back was not free again")
	}
	q.Reset()
	if !q.Take("a", 100) || !q.Take("b", 100) {
		t.Error("Reset did not free every client's room")
	}
	if free := limits.NewQuota(0); !free.Take("a", 1<<40) {
		t.Error("a zero limit bounded")
	}
}

func TestFitConns(t *testing.T) {
	for _, tc := range []struct {
		want, listeners int
		soft            uint64
		fit             int
	}{
		{2048, 2, 0, 2048},       // unknown limit
		{2048, 2, 1 << 40, 2048}, // unlimited
		{2048, 2, 1 << 20, 2048}, // fits
		{2048, 2, 64, 20},        // 64 - 24 left for files, shared by 2
		{2048, 3, 1024, 256},     // 1024 - 256 (a third, at most 256)
		{10, 1, 64, 10},
		{2048, 1, 10, 1}, // at least one
	} {
		if got := limits.FitConns(tc.want, tc.listeners, tc.soft); got != tc.fit {
			t.Errorf("FitConns(%d, %d, %d) = %d, want %d", tc.want, tc.listeners, tc.soft, got, tc.fit)
		}
	}
}

// TestReserveDecoding: a body over the value limit is refused before
// anything is reserved; otherwise what decoding costs beyond the held
// bytes is reserved, at most the ceiling.
func TestReserveDecoding(t *testing.T) {
	budget := limits.NewBudget(1 << 20)
	body := []byte(`{"fields":{"a":1,"b":[1,2]}}`) // 6 values
	if _, values, err := limits.ReserveDecoding(budget, body, 0, 5, 1<<20); !errors.Is(err, limits.ErrTooManyValues) || values != 6 || budget.Used() != 0 {
		t.Errorf("over the limit: %d values, %v, used %d", values, err, budget.Used())
	}
	extra, _, err := limits.ReserveDecoding(budget, body, 10, 6, 1<<20)
	if want := limits.DecodedCost(len(body), 6) - 10; err != nil || extra != want || budget.Used() != want {
		t.Errorf("reserved %d (used %d), want %d: %v", extra, budget.Used(), want, err)
	}
	budget.Give(extra)
	if extra, _, err := limits.ReserveDecoding(budget, body, 0, 6, 100); err != nil || extra != 100 {
		t.Errorf("past the ceiling: reserved %d, %v", extra, err)
	}
}
