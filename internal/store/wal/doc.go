// Package wal is a write-ahead log of opaque records in pre-allocated
// segment files, for a store that answers once a record is in the log and
// applies it to its main file later (boltstore's Logged store).
//
// # Segments
//
// The log lives in a directory of segment files of one size
// (Options.SegmentSize), each created zero-filled and synced before it is
// used, so that appending overwrites blocks the file already has and a
// sync writes the data only, never the file's size or its block map
// (fdatasync of an overwritten block: the cheapest durable write a disk
// offers). Each segment starts with a header frame (its generation and the
// sequence number of its first record); records follow back to back, each
// framed by internal/recordio with its sequence number and the segment's
// generation under a CRC-32C.
//
// # Sequence numbers, replay and trimming
//
// Every record gets the next log sequence number (LSN). Append writes the
// record and syncs once before it returns. The owner applies records to its
// main file and, once that file is synced, calls Trim: segments whose
// records are all applied go back to a free list and are reused (with a new
// generation) instead of created anew. Open reads every segment and replays
// the records after the owner's last applied LSN, in order; a record is
// valid only if its checksum holds, it carries its segment's generation and
// it follows the previous one, so a torn tail or the stale bytes of a
// reused segment end a segment's records instead of being read as records.
// A gap among the records to replay (an acknowledged record missing) is an
// error wrapping store.ErrDamaged.
//
// # The file seam
//
// All file I/O goes through logfs.FS and logfs.File, so that tests can cut
// the power: internal/logfs/powercut is an FS that forgets every write not
// followed by a sync.
package wal
