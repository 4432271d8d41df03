package spool

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const crashDirEnv = "SPOOL_CRASH_CHILD_DIR"

// TestCrashChild is the child of TestCrashSIGKILL: it appends with
// SyncEach from four goroutines until killed, printing "id data" for each
// record once Append has returned.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestCrashSIGKILL")
	}
	s, err := Open(dir, Options{Sync: SyncEach, SegmentSize: 8 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				data := fmt.Sprintf("g%d-%d", g, i)
				id, err := s.Append([]byte(data))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "%d %s\n", id, data) // one write(2) each
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestCrashSIGKILL kills a process that is appending with SyncEach and
// checks that every ID the process was given survives.
func TestCrashSIGKILL(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const killAfter = 300
	printed := map[uint64]string{}
	r := bufio.NewReader(out)
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF {
			break // a partial last line was never fully printed
		}
		if err != nil {
			t.Fatal(err)
		}
		idStr, data, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		id, perr := strconv.ParseUint(idStr, 10, 64)
		if !ok || perr != nil {
			t.Fatalf("child printed %q", line)
		}
		printed[id] = data
		if len(printed) == killAfter {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); err == nil || len(printed) < killAfter {
		t.Fatalf("child exited with %v after %d IDs, stderr %q; want it killed", err, len(printed), stderr.String())
	}

	s := mustOpen(t, dir, Options{})
	recovered := map[uint64]string{}
	var maxID uint64
	for _, rec := range s.Pending() {
		recovered[rec.ID] = string(rec.Data)
		maxID = max(maxID, rec.ID)
	}
	for id, data := range printed {
		if got, ok := recovered[id]; !ok || got != data {
			t.Errorf("record %d (%q) printed by the child: recovered %q, %v", id, data, got, ok)
		}
	}
	if id := mustAppend(t, s, "after"); id <= maxID {
		t.Fatalf("Append after the crash = %d, not after recovered %d", id, maxID)
	}
	t.Logf("child printed %d IDs; %d records recovered", len(printed), len(recovered))
}
