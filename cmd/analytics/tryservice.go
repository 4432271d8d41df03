package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/devenv"
)

// The try command runs the development service as a child process, so
// that this program links none of the service.
const (
	// modulePath is this module's path: try builds the service from
	// source only inside this module's tree.
	modulePath = "github.com/analytics-client/analytics"
	// serviceName is the service's executable.
	serviceName = "analyticsd"
	// readyTimeout bounds the wait for the service to listen.
	readyTimeout = time.Minute
	// stopTimeout bounds the service's graceful stop; it is killed then.
	stopTimeout = 10 * time.Second
)

// tryService is the development service the try command runs as a child
// process on a private data directory.
type tryService struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	ready  chan struct{} // closed at the child's first line of output
	exited chan struct{} // closed when the child has been waited for
	err    error         // the child's exit, set before exited is closed
	client analytics.Config
}

// startTryService finds or builds analyticsd, runs it as the development
// service on a data directory inside dir, listening on a free port of
// 127.0.0.1, and waits until it is ready: it prints its banner once it
// listens and has written the client configuration. The child's log goes
// to stderr. It is stopped by stop, and on a signal to this program when
// ctx ends.
func startTryService(ctx context.Context, dir string, stderr io.Writer, log *slog.Logger, verbose bool) (*tryService, error) {
	bin, err := serviceBinary(ctx, dir, log)
	if err != nil {
		return nil, fmt.Errorf("analytics try: %w", err)
	}
	dataDir := filepath.Join(dir, "data")
	level := "warn"
	if verbose {
		level = "info"
	}
	cctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(cctx, bin, "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--log-level", level)
	cmd.Cancel = func() error {
		if runtime.GOOS == "windows" {
			return cmd.Process.Kill() // no SIGTERM to ask with
		}
		return cmd.Process.Signal(syscall.SIGTERM) // the service stops gracefully
	}
	cmd.WaitDelay = stopTimeout
	orphanSignal(cmd)
	ready := make(chan struct{})
	cmd.Stdout, cmd.Stderr = &firstLine{seen: ready}, stderr
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("analytics try: start %s: %w", bin, err)
	}
	s := &tryService{cmd: cmd, cancel: cancel, ready: ready, exited: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	if err := s.awaitReady(ctx); err != nil {
		_ = s.stop() // err says how the child ended, if it did
		return nil, fmt.Errorf("analytics try: %s: %w", bin, err)
	}
	cfg, err := devenv.ReadClientConfig(filepath.Join(dataDir, devenv.ClientConfigFile))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("analytics try: %w", err), s.stop())
	}
	s.client = cfg
	log.Info("development service ready", "url", cfg.URL, "pid", cmd.Process.Pid)
	return s, nil
}

// awaitReady waits for the child's first line of output, its exit, the end
// of ctx or readyTimeout, whichever comes first.
func (s *tryService) awaitReady(ctx context.Context) error {
	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	select {
	case <-s.ready:
		return nil
	case <-s.exited:
		if s.err == nil {
			return errors.New("the service exited before it was ready")
		}
		return fmt.Errorf("the service exited before it was ready: %w", s.err)
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return fmt.Errorf("the service was not ready within %v", readyTimeout)
	}
}

// stop asks the child to stop (SIGTERM), kills it if it has not stopped
// within stopTimeout, and waits for it.
func (s *tryService) stop() error {
	s.cancel()
	<-s.exited
	err := s.err
	if ps := s.cmd.ProcessState; ps != nil && (ps.Success() || runtime.GOOS == "windows") {
		// The stop we asked for went well (Wait then reports the
		// context's end); on Windows the child was killed.
		err = nil
	}
	if err != nil {
		return fmt.Errorf("analytics try: stop the service: %w", err)
	}
	return nil
}

// firstLine is the child's standard output: it discards what it is given
// and closes seen at the first end of line, the service's banner, which it
// prints once it listens and has written its client configuration.
type firstLine struct {
	once sync.Once
	seen chan struct{}
}

func (f *firstLine) Write(p []byte) (int, error) {
	if bytes.IndexByte(p, '\n') >= 0 {
		f.once.Do(func() { close(f.seen) })
	}
	return len(p), nil
}

// serviceBinary finds analyticsd beside this program or on PATH, or, when
// the working directory lies in this module's source tree and the go
// command is at hand, builds it into dir. It logs which it uses.
func serviceBinary(ctx context.Context, dir string, log *slog.Logger) (string, error) {
	name := serviceName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if exe, err := os.Executable(); err == nil {
		if bin := filepath.Join(filepath.Dir(exe), name); isExecutable(bin) {
			log.Info("service binary beside this program", "path", bin)
			return bin, nil
		}
	}
	if bin, err := exec.LookPath(serviceName); err == nil {
		log.Info("service binary on PATH", "path", bin)
		return bin, nil
	}
	root := moduleRoot()
	goTool, err := exec.LookPath("go")
	if root == "" || err != nil {
		return "", fmt.Errorf("no %s beside this program or on PATH, and no source tree of %s with a go command to build it from; "+
			"install it with: go install %s/cmd/%s@latest", serviceName, modulePath, modulePath, serviceName)
	}
	bin := filepath.Join(dir, name)
	log.Info("building the service from source", "module", root, "path", bin)
	build := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./cmd/"+serviceName)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/%s in %s: %w\n%s", serviceName, root, err, bytes.TrimSpace(out))
	}
	log.Info("service binary built from source", "path", bin)
	return bin, nil
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && (runtime.GOOS == "windows" || info.Mode().Perm()&0o111 != 0)
}

// moduleRoot is the nearest directory at or above the working directory
// whose go.mod declares this module, or "".
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		switch path, err := modulePathOf(filepath.Join(dir, "go.mod")); {
		case err == nil && path == modulePath:
			return dir
		case err == nil, !errors.Is(err, fs.ErrNotExist):
			return "" // another module's tree: stop at its root
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// modulePathOf reads the module path of a go.mod file.
func modulePathOf(goMod string) (string, error) {
	f, err := os.Open(goMod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", sc.Err()
}

// syncWriter serializes the writes of the child's log copier and this
// program's logger to one stream.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
