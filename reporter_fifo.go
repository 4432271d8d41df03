package analytics

import "sort"

// fifoChunk is how many items a chunk of the FIFO holds (4 KiB of
// pointers).
const fifoChunk = 512

// fifo is the queue's list of waiting items, in fixed-size chunks: a push
// never copies the backlog (as growing one slice does, under the queue's
// lock, while callers wait), a pop never compacts it, and a chunk emptied
// by the workers is reused by the callers.
type fifo struct {
	chunks [][]*item // the first holds the head, at index head
	head   int
	n      int
	spare  []*item // an emptied chunk, kept for the next push that needs one
}

func (f *fifo) len() int { return f.n }

func (f *fifo) push(p *item) {
	last := len(f.chunks) - 1
	if last < 0 || len(f.chunks[last]) == fifoChunk {
		c := f.spare
		if c == nil {
			c = make([]*item, 0, fifoChunk)
		}
		f.spare = nil
		f.chunks = append(f.chunks, c)
		last++
	}
	f.chunks[last] = append(f.chunks[last], p)
	f.n++
}

// peek returns the head item, nil if there is none.
func (f *fifo) peek() *item {
	if f.n == 0 {
		return nil
	}
	return f.chunks[0][f.head]
}

// pop removes and returns the head item, nil if there is none.
func (f *fifo) pop() *item {
	if f.n == 0 {
		return nil
	}
	c := f.chunks[0]
	p := c[f.head]
	c[f.head] = nil
	f.head++
	f.n--
	switch {
	case f.n == 0: // keep the chunk, empty
		f.chunks[0], f.head = c[:0], 0
		f.chunks = f.chunks[:1]
	case f.head == fifoChunk:
		f.spare = c[:0]
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
			return f.chunks[0][f.head]
		}
		return f.chunks[i][0]
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
		if i == 0 {
			c = c[f.head:]
		}
		dst = append(dst, c...)
	}
	return dst
}

func (f *fifo) reset() { *f = fifo{} }
