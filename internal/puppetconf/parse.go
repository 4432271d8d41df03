// Package puppetconf reads Puppet's puppet.conf the way Puppet itself does,
// and resolves the settings an agent sees in it.
//
// Parse follows Puppet::Settings::IniFile and ConfigFile line by line: a
// line is a section header "[name]", a setting "name = value", a comment
// (first non-blank character '#') or blank; anything else (a ';' comment
// included) is an error naming the file and line. Settings before the first
// header belong to [main]. Names are ASCII word characters. A value runs to
// the end of the line (a '#' inside it is part of it), loses its trailing
// blanks, one leading and one trailing quote, and a
// {owner = ..., group = ..., mode = ...} file-metadata block; any other
// {...} in a value is an error, as in Puppet (so ${name} is refused there,
// while $name interpolates). Only the
// sections Puppet allows are accepted: [main], [agent], [server], [master]
// (Puppet 7's old name for [server]) and [user]; environment sections such
// as [production] are refused as Puppet refuses them. A section may appear
// more than once; within one, the last line setting a name wins.
//
// A Resolver then looks a setting up as a Puppet run mode does: the run
// mode's section, then [main], then Puppet's default, and interpolates
// $name (and, in defaults, ${name}) in the value with the settings
// resolved the same way. A name that is neither set in the file nor one
// of the Defaults is an error, as it is in Puppet ("could not find value
// for $name").
package puppetconf

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Error is a problem with puppet.conf: File, the Line (1-based; 0 when the
// problem has no line, such as a file that cannot be read), the Setting
// involved if any, and the Reason.
type Error struct {
	File    string
	Line    int
	Setting string
	Reason  string
	Err     error // the underlying error, if any
}

func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	if e.Setting != "" {
		s += ": " + e.Setting
	}
	return s + ": " + e.Reason
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Sections Puppet accepts in puppet.conf.
var allowedSections = map[string]bool{"main": true, "agent": true, "server": true, "master": true, "user": true}

// Setting is one "name = value" line.
type Setting struct {
	Name    string
	Value   string // as Puppet reads it: quotes and file metadata removed
	Section string
	Line    int
}

// File is a parsed puppet.conf.
type File struct {
	Name     string
	sections map[string]map[string]Setting
}

// The line shapes of Puppet::Settings::IniFile (Ruby's \w is ASCII).
var (
	sectionLine = regexp.MustCompile(`^\s*\[(\w+)\]\s*$`)
	settingLine = regexp.MustCompile(`^\s*(\w+)\s*=\s*(.*?)\s*$`)
	commentLine = regexp.MustCompile(`^\s*(#|$)`)
	fileMeta    = regexp.MustCompile(`\{\s*([^}]+)\s*\}`)
	metaParam   = regexp.MustCompile(`^\s*(\w+)\s*=\s*(\w+)\s*$`)
	digits      = regexp.MustCompile(`^\d+$`)
	metaSplit   = regexp.MustCompile(`\s*,\s*`)
)

// ReadFile reads and parses the file at name.
func ReadFile(name string) (*File, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, &Error{File: name, Reason: "cannot be read: " + err.Error(), Err: err}
	}
	return Parse(name, data)
}

// Parse parses data, the contents of the file name (used in errors).
func Parse(name string, data []byte) (*File, error) {
	f := &File{Name: name, sections: map[string]map[string]Setting{}}
	section := "main"
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	for i, raw := range strings.Split(string(data), "\n") {
		line, n := strings.TrimSuffix(raw, "\r"), i+1
		if m := sectionLine.FindStringSubmatch(line); m != nil {
			if !allowedSections[m[1]] {
				return nil, &Error{File: name, Line: n, Reason: fmt.Sprintf("illegal section [%s]: the only valid puppet.conf sections are "+
					"[main], [agent], [server], [master] and [user] (environments are directories, not sections)", m[1])}
			}
			section = m[1]
			continue
		}
		if m := settingLine.FindStringSubmatch(line); m != nil {
			value, err := translate(m[2])
			if err != nil {
				return nil, &Error{File: name, Line: n, Setting: m[1], Reason: err.Error()}
			}
			if f.sections[section] == nil {
				f.sections[section] = map[string]Setting{}
			}
			f.sections[section][m[1]] = Setting{Name: m[1], Value: value, Section: section, Line: n}
			continue
		}
		if !commentLine.MatchString(line) {
			return nil, &Error{File: name, Line: n, Reason: fmt.Sprintf("could not match line %q (want [section], name = value, or a # comment)", clip(line))}
		}
	}
	return f, nil
}

// translate turns a raw value into what Puppet stores: a leading and a
// trailing quote dropped (Puppet::Settings::ValueTranslator), then the
// file metadata block removed and checked (ConfigFile#extract_fileinfo).
// The mode setting keeps its value as written, as in Puppet.
func translate(raw string) (string, error) {
	v := raw
	if len(v) > 0 && (v[0] == '"' || v[0] == '\'') {
		v = v[1:]
	}
	if n := len(v); n > 0 && (v[n-1] == '"' || v[n-1] == '\'') {
		v = v[:n-1]
	}
	v = strings.TrimRight(v, " \t\r\n\f\v")
	loc := fileMeta.FindStringSubmatchIndex(v)
	if loc == nil {
		return v, nil
	}
	for _, p := range metaSplit.Split(v[loc[2]:loc[3]], -1) {
		m := metaParam.FindStringSubmatch(p)
		switch {
		case m == nil && strings.Contains(v, "${"):
			return "", fmt.Errorf("could not parse the file options in %q: Puppet reads {...} in a puppet.conf value as "+
				"file options {owner = ..., group = ..., mode = ...}; write $name, not ${name}", clip(raw))
		case m == nil:
			return "", fmt.Errorf("could not parse the file options in %q", clip(raw))
		case m[1] != "owner" && m[1] != "group" && m[1] != "mode":
			return "", fmt.Errorf("invalid file option %q (want owner, group or mode)", m[1])
		case m[1] == "mode" && !digits.MatchString(m[2]):
			return "", fmt.Errorf("file mode %q is not a number", m[2])
		}
	}
	return strings.TrimRight(v[:loc[0]]+v[loc[1]:], " \t\r\n\f\v"), nil
}

// clip shortens a line quoted in a message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Lookup returns the setting name of section, if the file sets it there.
func (f *File) Lookup(section, name string) (Setting, bool) {
	s, ok := f.sections[section][name]
	return s, ok
}
