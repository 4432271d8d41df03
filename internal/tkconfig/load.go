package tkconfig

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Loader loads configuration files. The zero Loader is ready to use and
// resolves substitutions from the process environment.
type Loader struct {
	// LookupEnv resolves a ${substitution} that names no configuration
	// key, like os.LookupEnv (which nil means). Tests and callers that
	// want no environment in their configuration set their own.
	LookupEnv func(key string) (string, bool)
}

// Load reads the configuration at path the way Trapperkeeper's --config
// does: path names a file, a directory (its config files in name order;
// hidden files and subdirectories are skipped, and a file with an
// extension Trapperkeeper would not read either) or a
// comma-separated list of files and directories. All files merge into one
// tree; a key set by two files is an ErrDuplicate.
func Load(path string) (*Config, error) { return Loader{}.Load(path) }

// LoadFiles reads and merges the named files in order. Each must have a
// known extension.
func LoadFiles(files ...string) (*Config, error) { return Loader{}.LoadFiles(files...) }

// Parse parses one file's contents; name's extension picks the format and
// names the file in errors and provenance. An include in HOCON data is
// read relative to filepath.Dir(name).
func Parse(name string, data []byte) (*Config, error) { return Loader{}.Parse(name, data) }

// Load is the package-level Load with l's settings.
func (l Loader) Load(path string) (*Config, error) {
	files, err := ListFiles(path)
	if err != nil {
		return nil, err
	}
	return l.LoadFiles(files...)
}

// LoadFiles is the package-level LoadFiles with l's settings.
func (l Loader) LoadFiles(files ...string) (*Config, error) {
	root := newObject("", 0)
	for _, f := range files {
		if err := checkExt(f); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, &Error{File: f, Reason: "cannot read configuration file: " + err.Error(), Err: err}
		}
		n, err := l.parse(f, data, root)
		if err != nil {
			return nil, err
		}
		if err := mergeFiles(root, n, nil); err != nil {
			return nil, err
		}
	}
	return &Config{root: root, files: slices.Clone(files)}, nil
}

// Parse is the package-level Parse with l's settings.
func (l Loader) Parse(name string, data []byte) (*Config, error) {
	if err := checkExt(name); err != nil {
		return nil, err
	}
	n, err := l.parse(name, data, nil)
	if err != nil {
		return nil, err
	}
	return &Config{root: n, files: []string{name}}, nil
}

// parse parses one file; base holds the files loaded before it, which its
// substitutions may refer to.
func (l Loader) parse(name string, data []byte, base *node) (*node, error) {
	switch fileExt(name) {
	case ".json":
		return parseJSON(name, data)
	case ".yaml", ".yml":
		return parseYAML(name, data)
	case ".ini":
		return parseINI(name, data)
	case ".edn":
		return parseEDN(name, data)
	case ".properties":
		return parseProperties(name, data)
	}
	env := l.LookupEnv
	if env == nil {
		env = os.LookupEnv
	}
	return parseHOCON(name, data, env, base)
}

// knownExt reports whether Load reads files with extension ext.
func knownExt(ext string) bool {
	switch ext {
	case ".conf", ".ini", ".json", ".yaml", ".yml", ".edn", ".properties":
		return true
	}
	return false
}

func fileExt(name string) string { return strings.ToLower(filepath.Ext(name)) }

func checkExt(name string) error {
	if knownExt(fileExt(name)) {
		return nil
	}
	return &Error{File: name, Reason: "unsupported configuration file extension " +
		"(want .conf, .json, .yaml, .yml, .ini, .edn or .properties)", Err: ErrSyntax}
}

// ListFiles expands a --config path (file, directory or comma-separated
// list of them) into the files Load would read, in order. A file named
// twice is read once.
func ListFiles(path string) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	add := func(f string) {
		if key := filepath.Clean(f); !seen[key] {
			seen[key] = true
			files = append(files, f)
		}
	}
	entries := 0
	for entry := range strings.SplitSeq(path, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		entries++
		info, err := os.Stat(entry)
		if err != nil {
			return nil, &Error{File: entry, Reason: "configuration path must exist and be readable: " + err.Error(), Err: err}
		}
		if !info.IsDir() {
			if err := checkExt(entry); err != nil {
				return nil, err
			}
			add(entry)
			continue
		}
		found, err := dirFiles(entry)
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			add(f)
		}
	}
	if entries == 0 {
		return nil, &Error{Reason: "no configuration path given", Err: os.ErrNotExist}
	}
	return files, nil
}

// dirFiles lists the configuration files directly inside dir, sorted by
// name.
func dirFiles(dir string) ([]string, error) {
	des, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return nil, &Error{File: dir, Reason: "cannot read configuration directory: " + err.Error(), Err: err}
	}
	var files []string
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, ".") || !knownExt(fileExt(name)) {
			continue
		}
		full := filepath.Join(dir, name)
		info, err := os.Stat(full) // follows symlinks
		if err != nil {
			return nil, &Error{File: full, Reason: "cannot read configuration file: " + err.Error(), Err: err}
		}
		if info.Mode().IsRegular() {
			files = append(files, full)
		}
	}
	return files, nil
}
