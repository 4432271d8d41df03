package limits_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics/server/limits"
)

func TestBudget(t *testing.T) {
	b := limits.NewBudget(10)
	if !b.Take(6) || b.Take(5) || !b.Take(4) || b.Take(1) {
		t.Fatal("the budget let more than its limit through, or refused what fits")
	}
	b.Give(6)
	if b.Used() != 4 || !b.Take(6) {
		t.Fatalf("after Give: used %d", b.Used())
	}
	b.Give(10)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if b.Take(3) {
					if u := b.Used(); u > 10 {
						t.Errorf("used %d over the limit", u)
					}
					b.Give(3)
				}
			}
		})
	}
	wg.Wait()
	if b.Used() != 0 {
		t.Errorf("used %d after every share was given back", b.Used())
	}
}

func TestReadBody(t *testing.T) {
	read := func(body string, declared int64, limit int64, budget *limits.Budget) ([]byte, int64, error) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.ContentLength = declared
		return limits.ReadBody(httptest.NewRecorder(), r, limit, budget)
	}
	big := limits.NewBudget(1 << 20)
	got, held, err := read("hello", -1, 100, big)
	if err != nil || string(got) != "hello" || held < 5 || held > 100 {
		t.Fatalf("ReadBody = %q, held %d, %v", got, held, err)
	}
	big.Give(held)
	if _, held, err := read("x", 101, 100, big); !errors.Is(err, limits.ErrTooLarge) || held != 0 {
		t.Errorf("declared over the limit: held %d, %v", held, err)
	}
	body := strings.Repeat("x", 101)
	_, held, err = read(body, -1, 100, big)
	if !errors.Is(err, limits.ErrTooLarge) {
		t.Errorf("undeclared body over the limit: %v", err)
	}
	big.Give(held)
	small := limits.NewBudget(2 << 10)
	_, held, err = read(strings.Repeat("x", 3<<10), -1, 8<<10, small)
	if !errors.Is(err, limits.ErrBusy) || held != small.Used() || held > 2<<10 {
		t.Errorf("body over the budget: held %d (used %d), %v", held, small.Used(), err)
	}
	_, _, err = read(strings.Repeat("x", 1<<10), 1<<10, 8<<10, small)
	if !errors.Is(err, limits.ErrBusy) {
		t.Errorf("a declared length was trusted: %v", err)
	}
}

// TestConnsEvictsOldestIdle: at the bound, a new connection closes the
// oldest connection without a request in progress, and is refused when
// every connection has one. Real loopback connections.
func TestConnsEvictsOldestIdle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cs := limits.NewConns(1)
	refused := make(chan struct{}, 4)
	capped := cs.Listener(ln, func() { refused <- struct{}{} })
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := capped.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	wait := func(what string, ch <-chan struct{}) {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatal("no " + what)
		}
	}
	accept := func(what string) net.Conn {
		select {
		case c := <-accepted:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("not accepted: " + what)
			return nil
		}
	}
	defer func() {
		_ = ln.Close()
		for range accepted {
		}
	}()
	dial()
	first := accept("the first connection")
	cs.Track(first, http.StateActive)
	second := dial()
	wait("refusal of a connection while the only one is busy", refused)
	_ = second.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := second.Read(make([]byte, 1)); err == nil {
		t.Error("the refused connection is open")
	}
	cs.Track(first, http.StateIdle)
	dial()
	third := accept("a connection when the other one is idle")
	_ = first.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := first.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the idle connection was not closed to make room: %v", err)
	}
	cs.Track(third, http.StateNew)
	cs.CloseNew()
	if _, err := third.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) {
		t.Errorf("CloseNew left a new connection open: %v", err)
	}
}
