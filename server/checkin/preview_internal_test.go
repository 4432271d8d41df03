package checkin

import (
	"context"
	"testing"
)

// TestPreviewSlotBound: with two previews being built, a third finds no
// slot; it waits until its context ends. (A free slot would be taken
// about half the time by a context that has ended, so 20 tries tell.)
func TestPreviewSlotBound(t *testing.T) {
	c := New(Config{}, nil)
	for range 2 {
		if !c.takePreviewSlot(context.Background()) {
			t.Fatal("no slot for the first two previews")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 20 {
		if c.takePreviewSlot(ctx) {
			t.Fatal("a third preview got a slot")
		}
	}
	c.releasePreviewSlot()
	if !c.takePreviewSlot(context.Background()) {
		t.Error("no slot after one was released")
	}
}
