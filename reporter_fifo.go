package analytics

import "sort"

// fifoChunk is how many items a chunk of the FIFO holds: as many 112-byte
// items (see TestItemSize) as fit in 8 KiB, an allocation size class.
const fifoChunk = 8192 / 112

// fifo is the queue's list of waiting items, held by value in fixed-size
// chunks: a push copies the item into its chunk, so a queued event costs
// no allocation of its own (one chunk per fifoChunk items), never copies
// the backlog (as growing one slice does, under the queue's lock, while
// callers wait), and a pop never compacts it.
//
// A pointer to an item stays valid after its pop: workers hold it while
// they send it. So a chunk is never reused; it is dropped once all its
// items are popped and freed by the collector once no worker holds one of
// them. Until then it keeps up to fifoChunk items' data alive.
type fifo struct {
	chunks [][]item // the first holds the head, at index head
	head   int
	n      int
}

func (f *fifo) len() int { return f.n }

// push copies *p into the FIFO and returns the queued item.
func (f *fifo) push(p *item) *item {
	last := len(f.chunks) - 1
	if last < 0 || len(f.chunks[last]) == fifoChunk {
		f.chunks = append(f.chunks, make([]item, 0, fifoChunk))
		last++
	}
	c := append(f.chunks[last], *p) // within capacity: earlier items do not move
	f.chunks[last] = c
	f.n++
	return &c[len(c)-1]
}

// peek returns the head item, nil if there is none.
func (f *fifo) peek() *item {
	if f.n == 0 {
		return nil
	}
	return &f.chunks[0][f.head]
}

// pop removes and returns the head item, nil if there is none.
func (f *fifo) pop() *item {
	if f.n == 0 {
		return nil
	}
	p := &f.chunks[0][f.head]
	f.head++
	f.n--
	if f.head == fifoChunk { // the chunk is used up; a partial one stays, to be filled
		f.chunks[0] = nil
		f.chunks = f.chunks[1:]
		f.head = 0
	}
	return p
}

// countUpTo returns how many waiting items have seq at most target. Items
// wait in seq order, so it is a search, not a scan: a Flush of a long
// backlog, woken at every item done, stays linear.
func (f *fifo) countUpTo(target uint64) int {
	if f.n == 0 {
		return 0
	}
	first := func(i int) *item {
		if i == 0 {
			return &f.chunks[0][f.head]
		}
		return &f.chunks[i][0]
	}
	// The chunk holding the last item with seq <= target is the one before
	// the first chunk that starts after target.
	k := sort.Search(len(f.chunks), func(i int) bool { return first(i).seq > target })
	if k == 0 {
		return 0
	}
	c := f.chunks[k-1]
	start := 0
	if k-1 == 0 {
		start = f.head
	}
	in := sort.Search(len(c)-start, func(i int) bool { return c[start+i].seq > target })
	before := 0
	if k-1 > 0 {
		before = len(f.chunks[0]) - f.head + (k-2)*fifoChunk
	}
	return before + in
}

// appendAll appends every waiting item, in order, to dst.
func (f *fifo) appendAll(dst []*item) []*item {
	for i, c := range f.chunks {
		j := 0
		if i == 0 {
			j = f.head
		}
		for ; j < len(c); j++ {
			dst = append(dst, &c[j])
		}
	}
	return dst
}

func (f *fifo) reset() { *f = fifo{} }
