// Package powercut is a logfs.FS in memory that can lose power: every write
// not followed by a sync of its file, and every creation, rename or removal
// not followed by a sync of the directory, is forgotten when the power is
// cut, except that the first of a file's unsynced writes may survive in
// part (a torn write).
package powercut

import (
	"errors"
	"io"
	iofs "io/fs"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/analytics-client/analytics/internal/logfs"
)

// ErrPowerCut is what every operation returns once the power is cut.
var ErrPowerCut = errors.New("powercut: power cut")

// FS is an in-memory directory with a power switch. Create it with New.
type FS struct {
	mu      sync.Mutex
	rnd     *rand.Rand
	dir     map[string]*inode // names as the running system sees them
	durable map[string]*inode // names as of the last SyncDir
	epoch   int               // bumped by Restore: older handles are dead
	cut     bool
	cutAt   int // operations until the cut; negative: none planned
	down    chan struct{}
	syncs   int          // file syncs so far
	waiters []syncWaiter // AfterSyncs calls waiting
}

type syncWaiter struct {
	at int
	ch chan struct{}
}

// inode is one file: what the system sees and what is on the platter.
type inode struct {
	data    []byte
	synced  []byte
	pending []write // writes since the last sync, in order
}

type write struct {
	off  int64
	data []byte
}

var _ logfs.FS = (*FS)(nil)

// New returns an empty FS whose torn writes are drawn from seed.
func New(seed uint64) *FS {
	return &FS{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), dir: map[string]*inode{},
		durable: map[string]*inode{}, cutAt: -1, down: make(chan struct{})}
}

// CutAfter plans the power cut (a negative n cancels it): the nth operation
// from now (writes, syncs, changes to the directory, and Op calls) fails
// and cuts the power.
func (fs *FS) CutAfter(n int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.cutAt = n
}

// Down is closed when the power is cut.
func (fs *FS) Down() <-chan struct{} {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.down
}

// AfterSyncs returns a channel closed once n more file syncs have
// succeeded, or the power is cut: a test holds something back (a commit
// elsewhere) until the log has moved on.
func (fs *FS) AfterSyncs(n int) <-chan struct{} {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	ch := make(chan struct{})
	if fs.cut || n <= 0 {
		close(ch)
		return ch
	}
	fs.waiters = append(fs.waiters, syncWaiter{at: fs.syncs + n, ch: ch})
	return ch
}

// release closes the channels of AfterSyncs that are due. Call it with mu
// held.
func (fs *FS) release() {
	kept := fs.waiters[:0]
	for _, w := range fs.waiters {
		if fs.cut || fs.syncs >= w.at {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	fs.waiters = kept
}

// Op counts as one operation towards the planned cut and fails once the
// power is cut: a point where something outside the FS (another file's
// commit) happens, so that a cut can fall just before it.
func (fs *FS) Op() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.step()
}

// step counts one operation; it fails after the cut. Call it with mu held.
func (fs *FS) step() error {
	if fs.cut {
		return ErrPowerCut
	}
	if fs.cutAt > 0 {
		fs.cutAt--
	}
	if fs.cutAt == 0 {
		fs.cut = true
		close(fs.down)
		fs.release()
		return ErrPowerCut
	}
	return nil
}

// Restore powers the FS up again after a cut: the files are what was
// durable at the cut (with a torn write where one was in flight), and the
// handles opened before are dead (they fail with ErrPowerCut).
func (fs *FS) Restore() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.dir = map[string]*inode{}
	for name, ino := range fs.durable {
		data := slices.Clone(ino.synced)
		if len(ino.pending) > 0 && fs.rnd.IntN(2) == 0 {
			w := ino.pending[0]
			data = writeAt(data, w.data[:fs.rnd.IntN(len(w.data)+1)], w.off)
		}
		fresh := &inode{data: data, synced: slices.Clone(data)}
		fs.dir[name] = fresh
		fs.durable[name] = fresh
	}
	fs.epoch++
	fs.cut, fs.cutAt = false, -1
	fs.down = make(chan struct{})
}

func writeAt(data, p []byte, off int64) []byte {
	if end := off + int64(len(p)); end > int64(len(data)) {
		data = append(data, make([]byte, end-int64(len(data)))...)
	}
	copy(data[off:], p)
	return data
}

// Create implements logfs.FS.
func (fs *FS) Create(name string) (logfs.File, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if err := fs.step(); err != nil {
		return nil, err
	}
	ino := &inode{}
	fs.dir[name] = ino
	return &file{fs: fs, ino: ino, epoch: fs.epoch}, nil
}

// Open implements logfs.FS.
func (fs *FS) Open(name string) (logfs.File, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.cut {
		return nil, ErrPowerCut
	}
	ino, ok := fs.dir[name]
	if !ok {
		return nil, &notExist{name}
	}
	return &file{fs: fs, ino: ino, epoch: fs.epoch}, nil
}

// Remove implements logfs.FS.
func (fs *FS) Remove(name string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if err := fs.step(); err != nil {
		return err
	}
	if _, ok := fs.dir[name]; !ok {
		return &notExist{name}
	}
	delete(fs.dir, name)
	return nil
}

// Rename implements logfs.FS.
func (fs *FS) Rename(oldName, newName string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if err := fs.step(); err != nil {
		return err
	}
	ino, ok := fs.dir[oldName]
	if !ok {
		return &notExist{oldName}
	}
	delete(fs.dir, oldName)
	fs.dir[newName] = ino
	return nil
}

// List implements logfs.FS.
func (fs *FS) List() ([]string, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.cut {
		return nil, ErrPowerCut
	}
	var names []string
	for name := range fs.dir {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// SyncDir implements logfs.FS.
func (fs *FS) SyncDir() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if err := fs.step(); err != nil {
		return err
	}
	fs.durable = map[string]*inode{}
	for name, ino := range fs.dir {
		fs.durable[name] = ino
	}
	return nil
}

// Files returns the names and sizes of the files the system sees.
func (fs *FS) Files() map[string]int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	sizes := map[string]int{}
	for name, ino := range fs.dir {
		sizes[name] = len(ino.data)
	}
	return sizes
}

type notExist struct{ name string }

func (e *notExist) Error() string { return "powercut: " + e.name + ": file does not exist" }

// Is makes errors.Is(err, fs.ErrNotExist) hold, as for a file on disk.
func (e *notExist) Is(target error) bool { return target == iofs.ErrNotExist }

// file is an open handle on an inode.
type file struct {
	fs    *FS
	ino   *inode
	epoch int
}

// live fails for a handle from before the last Restore or after the cut.
func (f *file) live() error {
	if f.epoch != f.fs.epoch {
		return ErrPowerCut
	}
	return nil
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.live(); err != nil {
		return 0, err
	}
	if off >= int64(len(f.ino.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.ino.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *file) WriteAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.live(); err != nil {
		return 0, err
	}
	if err := f.fs.step(); err != nil {
		return 0, err
	}
	f.ino.data = writeAt(f.ino.data, p, off)
	f.ino.pending = append(f.ino.pending, write{off: off, data: slices.Clone(p)})
	return len(p), nil
}

func (f *file) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.live(); err != nil {
		return err
	}
	if err := f.fs.step(); err != nil {
		return err
	}
	f.ino.synced = slices.Clone(f.ino.data)
	f.ino.pending = nil
	f.fs.syncs++
	f.fs.release()
	return nil
}

func (f *file) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.live(); err != nil {
		return err
	}
	if err := f.fs.step(); err != nil {
		return err
	}
	if size <= int64(len(f.ino.data)) {
		f.ino.data = f.ino.data[:size]
	} else {
		f.ino.data = append(f.ino.data, make([]byte, size-int64(len(f.ino.data)))...)
	}
	return nil
}

func (f *file) Size() (int64, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.live(); err != nil {
		return 0, err
	}
	return int64(len(f.ino.data)), nil
}

func (f *file) Close() error { return nil }
