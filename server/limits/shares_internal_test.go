package limits

import (
	"testing"
	"time"
)

// TestSharesGiveBackMemory: the memory of a burst that held half the
// budget or more is given back once the budget is empty, at once the
// first time and, for a burst ending sooner after that, once the interval
// is up; a small burst gives nothing back, and Close stops a give-back
// that is due.
func TestSharesGiveBackMemory(t *testing.T) {
	freed := make(chan struct{}, 4)
	s := NewShares(NewBudget(1000), 1000, 1000)
	s.free = func() { freed <- struct{}{} }
	s.every = 50 * time.Millisecond
	burst := func(n int64) {
		sh := s.For("cn:a")
		if err := sh.Reserve(n, 0); err != nil {
			t.Fatal(err)
		}
		sh.Give(n)
	}
	burst(100)
	select {
	case <-freed:
		t.Fatal("a small burst gave memory back")
	default:
	}
	burst(600)
	select {
	case <-freed:
	default:
		t.Fatal("the first burst's memory was not given back at once")
	}
	burst(600) // within the interval: given back when it is up
	select {
	case <-freed:
	case <-time.After(10 * time.Second):
		t.Fatal("a burst ending within the interval was never given back")
	}
	burst(600)
	s.Close()
	select {
	case <-freed:
		t.Error("memory given back after Close")
	case <-time.After(3 * s.every):
	}
}
