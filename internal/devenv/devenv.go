// Package devenv locates the development service's files, so that the
// service (cmd/analyticsd with no --config) and the CLI agree on them
// without any setup: the data directory, the throwaway certificates inside
// it, and the client configuration the service writes for the CLI. It links
// none of the service, so the CLI can use it; the service's side of the
// bootstrap is package devservice.
package devenv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/jsonerr"
)

// Names and defaults of the development setup.
const (
	// DirName is the directory under the user cache directory.
	DirName = "analytics-dev"
	// ClientConfigFile is the client configuration the service writes in
	// its data directory.
	ClientConfigFile = "client.json"
	// PKIDir holds the throwaway CA and certificates in the data directory.
	PKIDir = "pki"
	// DefaultAddr is where the development service listens first; it
	// falls back to a free port when this one is taken.
	DefaultAddr = "127.0.0.1:14433"
	// DefaultAdminAddr is where the development service's operator page
	// (its admin listener) listens first; it too falls back to a free
	// port when this one is taken.
	DefaultAdminAddr = "127.0.0.1:14434"
)

// DefaultDir is the development data directory,
// os.UserCacheDir()/analytics-dev, or "" when there is no user cache
// directory. It never falls back to a fixed name in the shared temporary
// directory, where another user could create it first.
func DefaultDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, DirName)
}

// ClientConfigPath is the client configuration file of the default data
// directory, "" when there is none.
func ClientConfigPath() string {
	dir := DefaultDir()
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, ClientConfigFile)
}

// clientFile is the content of the client configuration file: the
// client settings and a note.
type clientFile struct {
	URL string             `json:"url"`
	SSL *analytics.SSLOpts `json:"ssl-opts,omitempty"`
	// Note tells a person something about the settings, such as the port
	// the service chose because the default one was taken.
	Note string `json:"note,omitempty"`
}

// WriteClientConfig writes cfg as JSON to path ({"url":...,"ssl-opts":
// {...},"note":...}), replacing the file atomically so that a reader never
// sees half of it. note, when not empty, is for the person who opens the
// file.
func WriteClientConfig(path string, cfg analytics.Config, note string) error {
	data, err := json.MarshalIndent(clientFile{URL: cfg.URL, SSL: cfg.SSL, Note: note}, "", "  ")
	if err != nil {
		return fmt.Errorf("devenv: write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".client-*.json")
	if err != nil {
		return fmt.Errorf("devenv: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("devenv: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("devenv: write %s: %w", path, err)
	}
	return nil
}

// ReadClientConfig reads a client configuration written by
// WriteClientConfig.
// Its errors name the file and say what is wrong in JSON's terms.
func ReadClientConfig(path string) (analytics.Config, error) {
	var f clientFile
	data, err := os.ReadFile(path)
	if err != nil {
		return analytics.Config{}, err // *fs.PathError names the file
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return analytics.Config{}, fmt.Errorf("%s: %s", path, jsonerr.Describe(err))
	}
	return analytics.Config{URL: f.URL, SSL: f.SSL}, nil
}
