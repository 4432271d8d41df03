// Package tkconfig loads service configuration the way Trapperkeeper (the
// JVM service framework) does, so that the analytics service and CLI read
// the same conf.d directories as the JVM services they sit beside.
//
// # Files
//
// Load takes the value of --config: a file, a directory, or a
// comma-separated list of both. A directory contributes its files with an
// extension Trapperkeeper reads, in name order; hidden files,
// subdirectories and other extensions are skipped, as Trapperkeeper skips
// them. The format follows the extension:
//
//   - .conf: HOCON (see below)
//   - .json: strict JSON; integers decode as int64, so no precision is lost
//   - .yaml, .yml: YAML (gopkg.in/yaml.v3), first document only
//   - .ini: each section is a top-level object; keys outside any section
//     are top-level keys; values are strings
//   - .edn: the map subset of EDN that configurations use: keyword or
//     string keys; maps, vectors, lists and sets (as arrays), strings,
//     numbers, booleans, nil, keywords and symbols (as strings). Anything
//     else (tagged literals, characters, ratios) is an error naming the
//     file, line and column; a file is never skipped.
//   - .properties: Java properties as Typesafe Config reads them: keys
//     split at '.', string values
//
// All files merge into one tree. Objects merge across files, but a key that
// two files both set is an error, *Error wrapping ErrDuplicate, whose
// message reads like Trapperkeeper's, e.g.
// "Duplicate configuration entry: [webserver port]", naming both files.
//
// # HOCON
//
// The parser covers what Trapperkeeper configurations use:
//
//   - # and // comments; a root object with or without braces
//   - key: value, key = value and key { ... }; fields separated by newlines
//     or commas; trailing commas
//   - dotted keys (a.b.c: 1) and quoted segments
//     (web-router-service."puppetlabs.analytics.service/analytics-service")
//   - quoted strings with JSON escapes, """triple-quoted""" strings,
//     unquoted strings, numbers (integers as int64, others float64), true,
//     false, null, arrays and nested objects
//   - value concatenation on one line: strings join with their whitespace
//     (a: foo bar is "foo bar"), objects merge, arrays append
//   - within one file a repeated key follows HOCON: objects merge, a later
//     scalar wins; key += value appends to an array (or starts one)
//   - ${path} and ${?path} substitutions, resolved as Typesafe Config
//     resolves them once the whole file is read: against the file's final
//     values (so forward references work), then keys of files loaded
//     before it, then the environment variable of that name (as a
//     string). A self-reference (path: ${path}":/x") means the value the
//     key had before. An undefined ${?x} standing alone leaves the field
//     as it was (unset); inside a string it is empty, in an array it is
//     dropped. A cycle is an error.
//   - include "file", include file("file") and include required(...),
//     relative to the including file
//
// Deliberate differences from HOCON:
//
//   - Unquoted values may contain ':', '=' and other characters HOCON
//     reserves, so paths and host:port need no quotes. "//" starts a
//     comment anywhere, as in HOCON, so url: https://host/x is not a URL;
//     an unquoted value that runs into "//" is an error whose message says
//     to quote URLs (Typesafe Config rejects such a line too, or reads a
//     value cut short). '#' always starts a comment; quote values that
//     contain it.
//   - Keys may not contain whitespace between their parts; include
//     url(...) and include classpath(...) are rejected.
//
// Anything not understood is an *Error wrapping ErrSyntax with file, line
// and column.
//
// # Reading values
//
// Config getters take the key as separate segments taken literally, and
// File tells which file set a key, so relative paths can be resolved
// against filepath.Dir of it. Typed getters (String, Int, Bool, Duration)
// report whether the key is set and convert where it is unambiguous: Int
// accepts "8140", Bool accepts "yes"/"on". Duration wants a unit ("10s",
// "500ms") and refuses a bare number, which Typesafe Config would read as
// milliseconds. UnknownKeys lists the keys of a section that are not its
// settings, each with its file, line and the setting it most likely
// misspells (Suggest).
package tkconfig
