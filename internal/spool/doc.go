// Package spool is the reporter's durable queue: a bounded, crash-safe FIFO
// of opaque records kept in a directory on local disk.
//
// A [Spool] hands out a strictly increasing ID for every record it accepts
// (also across restarts), keeps the record until it is acknowledged with
// [Spool.Ack], and after a restart returns every unacknowledged record from
// [Spool.Pending], in append order. The reporter stores one encoded event or
// snapshot per record and uses the record ID as the idempotency id it sends
// to the service, so a record delivered twice is de-duplicated there.
//
// # Files
//
// The directory holds:
//
//   - LOCK: an empty file held with an exclusive flock(2) while the spool is
//     open, so that two processes cannot share a directory.
//   - NNNNNNNNNNNNNNNNNNNN.seg: segments, named by the first ID they may hold
//     (20 decimal digits, so names sort in ID order). Records are only ever
//     appended to the newest segment; when it would grow past
//     [Options.SegmentSize] a new one is started.
//   - NNNNNNNNNNNNNNNNNNNN.ack: the acknowledgements of the records of the
//     segment with the same name.
//   - ids: the ID reservation (see below).
//
// The directory is private: Open creates it with mode 0700 (and restricts
// an existing one that others may read to that), and every file with mode
// 0600. Open refuses a directory that is a symbolic link, is owned by
// another user or is writable by others. Files in it are opened with
// O_NOFOLLOW and only if regular, so a link or FIFO planted there cannot
// redirect a write or block Open; the ids file's temporary is removed and
// created afresh.
//
// All integers are little-endian. A segment starts with a 16-byte header, the
// magic "ANSPSEG1" and the segment's first ID (equal to its name), followed by
// records framed by internal/recordio (with the ID and time as the frame's
// fixed part) as
//
//	length   uint32  length of data
//	checksum uint32  CRC-32C of length, id, time and data
//	id       uint64
//	time     int64   append time, Unix nanoseconds
//	data     [length]byte
//
// An ack file is a sequence of 12-byte entries: an acknowledged ID (uint64)
// and the CRC-32C of those 8 bytes (uint32). A segment whose records are all
// acknowledged is deleted together with its ack file, so acknowledgements
// never need compaction. The newest segment is kept even when fully
// acknowledged, because new records are appended to it; the disk use is
// therefore bounded by about [Options.MaxBytes] plus one segment.
//
// # IDs
//
// IDs start at 1. The ids file holds the magic "ANSPIDS1", a bound and its
// CRC-32C: every ID handed out is below the bound. Before handing out an ID
// at or beyond the bound the spool durably raises it by 65536 (write to a
// temporary file, fsync, rename, fsync the directory), so this costs one
// rename per 65536 records. A clean Close lowers the bound to the next ID, so
// IDs continue without a gap; after a crash the next ID is the old bound, so
// an ID handed out before the crash but whose record was lost (possible with
// [SyncPeriodic]) is never reused for a different record.
//
// # Durability
//
// With [SyncEach], Append returns only after an fsync of the segment that
// covers the record. Concurrent appenders share fsyncs (group commit): each
// writes its record under the spool's mutex, then waits until an fsync
// started after its write has finished; the first waiter to find no fsync in
// progress performs it for everyone written so far. With [SyncPeriodic]
// Append makes no system call: records are buffered in memory and written
// when 64 KiB are waiting, and a background goroutine writes and fsyncs
// them every [Options.SyncInterval]; Close does too before returning. A
// crash (of the program or the machine) may lose the records of the last
// interval.
//
// # Write failures
//
// A write that fails (a full or read-only disk) is undone and is not
// sticky. Under SyncEach the record is refused. Under SyncPeriodic the
// buffered records stay buffered, later Appends are refused with the error
// until a write succeeds, and the syncer tries again every interval. Ack
// entries that cannot be written stay collected and are written by the
// next Ack or the background retry (every [Options.CheckInterval]), so
// the spool shrinks once space returns. Every data write goes through
// [Options.Write], which tests wrap to fail as such a disk does.
//
// Acknowledgements are written to the ack file at once but fsynced only by
// [Spool.Sync], by the periodic syncer and by Close. An acknowledgement lost
// in a crash makes its record reappear in Pending after the restart; the
// record is then delivered again under the same ID, which the service
// de-duplicates. A record whose segment was deleted never reappears.
//
// Every fsync of a file goes through [Options.Fsync], so tests can observe
// that a record was synced before Append returned; production uses the real
// one. All file I/O goes through a logfs.FS ([Options.FS]; by default the
// directory itself, with the checks above), so tests can cut the power: a
// test FS forgets every write not followed by a sync.
//
// # Loss
//
// A background check every [Options.CheckInterval] (default one second),
// Sync, Close and SyncEach Appends check that the directory's LOCK file and
// the active segment are still the files the spool opened (two stat
// calls). If the directory was removed or replaced, or those files
// deleted, the spool fails with [ErrLost] from then on (SyncPeriodic
// Appends too, once the check has seen it), calls [Options.OnLost] once
// when the background check found it, and Ack no longer creates or deletes
// files there; the owner must open a new Spool and append its pending
// records again. The background check notices the loss even while nothing
// is appended.
//
// # Reading back
//
// [Spool.Read] returns an unacknowledged record's data, checksum verified,
// so an owner need not keep its own copy of what it appended: the index
// keeps each record's offset, and segments with live records keep a read
// handle. Those handles still read a lost spool's records (removed files
// stay readable while open), which is how its owner appends them again
// to a new one: read them before closing the lost spool.
//
// # Recovery
//
// Open reads every segment and verifies every record. In the newest segment,
// the first record that is incomplete (a torn write), fails its checksum, has
// an impossible length or an out-of-order ID marks the end of the valid data:
// it is logged at WARN with the file and byte offset, and the segment is
// truncated there so that new records follow valid data. Every valid record
// before it is kept. In an older segment the same damage cannot be a torn
// write; it is logged at WARN and the rest of that segment is skipped, while
// the records before it and all later segments are kept. A damaged ack entry
// is logged and ignored (its record is delivered again); a torn ack entry at
// the end of an ack file is truncated. Ack files without a segment, left by a
// crash while a segment was being deleted, are removed, as are older segments
// that hold no unacknowledged record.
package spool
