package wal_test

import (
	"fmt"
	"log"
	"os"

	"github.com/analytics-client/analytics/internal/logfs"
	"github.com/analytics-client/analytics/internal/store/wal"
)

// The owner of a log replays it on open, appends (each Append is durable
// when it returns), and trims what it has made durable elsewhere.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "wal-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	l, err := wal.Open(logfs.Dir(dir), wal.Options{SegmentSize: 64 << 10}, 0, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range []string{"first", "second", "third"} {
		if _, err := l.Append([]byte(p)); err != nil {
			log.Fatal(err)
		}
	}
	_ = l.Close() // as a crash would: nothing applied yet

	// On the next start, replay what follows the owner's last applied
	// record (here: 1), apply it, then let the log reuse its segments.
	l, err = wal.Open(logfs.Dir(dir), wal.Options{SegmentSize: 64 << 10}, 1, func(lsn uint64, p []byte) error {
		fmt.Println(lsn, string(p))
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	if err := l.Trim(l.Last()); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 2 second
	// 3 third
}
