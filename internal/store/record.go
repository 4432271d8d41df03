package store

import (
	"context"
	"fmt"
	"time"
)

// MaxKeyLen is the longest idempotency key Append accepts. bbolt limits keys
// to 32 KiB; its time index prefixes each key with 8 bytes.
const MaxKeyLen = 1024

// MaxSumLen is the longest Record.Sum Append accepts.
const MaxSumLen = 64

// EntryOverhead approximates what bbolt spends on an entry besides its data
// (the 8-byte key and the leaf element). Both engines count an entry's room
// as its data plus EntryOverhead against Options.MaxBytes.
const EntryOverhead = 24

// Pruning of expired idempotency keys, the same on every engine.
const (
	// PrunePerKey is how many expired keys a commit removes for each key
	// it adds. Above one, the expired backlog shrinks whenever keys are
	// added, so the keys kept stay within the keys of the last retention
	// plus a constant.
	PrunePerKey = 2
	// PrunePerCommit is how many expired keys every commit removes on top
	// of that, so a backlog also drains under writes without keys.
	PrunePerCommit = 8
)

// RememberedKey is an idempotency key as a store remembers it, for copying
// it to another store: boltstore's ScanKeys reports them, pgstore's Import
// takes them.
type RememberedKey struct {
	Key      string
	Sum      []byte
	Reply    []byte
	StoredAt time.Time
}

// CheckKind returns an error wrapping ErrUnknownKind for a Kind that is
// neither Events nor Snapshots.
func CheckKind(kind Kind) error {
	if kind != Events && kind != Snapshots {
		return fmt.Errorf("%w %d", ErrUnknownKind, kind)
	}
	return nil
}

// CheckRecord refuses a Record no store could take.
func CheckRecord(r Record) error {
	if err := CheckKind(r.Kind); err != nil {
		return err
	}
	if len(r.Key) > MaxKeyLen {
		return fmt.Errorf("%w (%d bytes)", ErrKeyTooLong, len(r.Key))
	}
	if len(r.Sum) > MaxSumLen {
		return fmt.Errorf("%w (%d bytes)", ErrSumTooLong, len(r.Sum))
	}
	return nil
}

// AppendError names the record an Append error is about; nil stays nil.
func AppendError(kind Kind, key string, err error) error {
	if err == nil {
		return nil
	}
	if key == "" {
		return fmt.Errorf("store: append to %s: %w", kind.Collection(), err)
	}
	return fmt.Errorf("store: append to %s with key %q: %w", kind.Collection(), key, err)
}

// ScanPages is Scan over an engine's readPage, which returns up to size
// entries of kind following after: fn sees each page's entries after the
// page was read, so no read is held open while it works.
func ScanPages(ctx context.Context, kind Kind, after uint64, size int, readPage func(after uint64) ([]Entry, error), fn func(Entry) error) error {
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("store: scan %s after %d: %w", kind.Collection(), after, err)
		}
		page, err := readPage(after)
		if err != nil {
			return fmt.Errorf("store: scan %s after %d: %w", kind.Collection(), after, err)
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
			after = e.Seq
		}
		if len(page) < size {
			return nil
		}
	}
}

// Pending is what an engine's Append starts from: an answer per record,
// with the ones no store could take answered already, and which records
// still need the write.
type Pending struct {
	Recs []Record
	Res  []Result
	Todo []bool // records that still need the write
	N    int    // how many of Todo are set
}

// NewPending checks recs (CheckRecord) and marks for the write every
// record with data or a key.
func NewPending(recs []Record) *Pending {
	p := &Pending{Recs: recs, Res: make([]Result, len(recs)), Todo: make([]bool, len(recs))}
	for i, r := range recs {
		if err := CheckRecord(r); err != nil {
			p.Res[i].Err = AppendError(r.Kind, r.Key, err)
		} else if r.Data != nil || r.Key != "" {
			p.Todo[i], p.N = true, p.N+1
		}
	}
	return p
}

// Fail answers every record still marked for the write with err, and
// returns the answers.
func (p *Pending) Fail(err error) []Result {
	for i := range p.Res {
		if p.Todo[i] {
			p.Res[i] = Result{Err: AppendError(p.Recs[i].Kind, p.Recs[i].Key, err)}
		}
	}
	return p.Res
}
