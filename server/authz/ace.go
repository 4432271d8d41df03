package authz

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// aceKind is the form of one allow or deny entry.
type aceKind int

const (
	aceAny     aceKind = iota // "*": any authenticated client
	aceName                   // a certname, compared without regard to case
	aceSuffix                 // "*.example.com": names under a domain
	aceRegex                  // "/re/": names the expression finds a match in
	aceBackref                // "$1.example.com": a name built from path captures
)

// ace is one compiled allow or deny entry.
type ace struct {
	kind  aceKind
	value string // lower-cased name, ".domain" suffix, or backref template
	re    *regexp.Regexp
}

var (
	// Forms of entries, as trapperkeeper-authorization tells them apart.
	nameForm    = regexp.MustCompile(`^\w[-.@\w]*$`)
	suffixForm  = regexp.MustCompile(`^\*(\.\w[-\w]*)+$`)
	backrefForm = regexp.MustCompile(`\$(\d+)`)
)

// compileACEs compiles the entries of setting (allow or deny); groups is
// the number of capture groups of the rule's path.
func compileACEs(setting string, entries []string, groups int) ([]ace, error) {
	out := make([]ace, 0, len(entries))
	for _, e := range entries {
		a, err := compileACE(e, groups)
		if err != nil {
			return nil, fmt.Errorf("%s entry %q: %w", setting, e, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func compileACE(e string, groups int) (ace, error) {
	switch {
	case e == "*":
		return ace{kind: aceAny}, nil
	case len(e) >= 2 && strings.HasPrefix(e, "/") && strings.HasSuffix(e, "/"):
		re, err := regexp.Compile(e[1 : len(e)-1])
		if err != nil {
			return ace{}, fmt.Errorf("is not a regular expression: %w", err)
		}
		return ace{kind: aceRegex, re: re}, nil
	case backrefForm.MatchString(e):
		return compileBackref(e, groups)
	case suffixForm.MatchString(e):
		return ace{kind: aceSuffix, value: strings.ToLower(e[1:])}, nil
	case nameForm.MatchString(e):
		return ace{kind: aceName, value: strings.ToLower(e)}, nil
	}
	return ace{}, fmt.Errorf(`is not a certname, "*", "*.domain", "/regex/" or a $1 back-reference`)
}

func compileBackref(e string, groups int) (ace, error) {
	for _, m := range backrefForm.FindAllStringSubmatch(e, -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 || n > groups {
			return ace{}, fmt.Errorf("$%s names no capture group of the rule's path (it has %d; back-references need type regex)", m[1], groups)
		}
	}
	return ace{kind: aceBackref, value: strings.ToLower(e)}, nil
}

// match reports whether certname fits the entry; captures are the path's
// submatches (captures[0] is the whole match).
func (a ace) match(certname string, captures []string) bool {
	name := strings.ToLower(certname)
	switch a.kind {
	case aceAny:
		return true
	case aceName:
		return name == a.value
	case aceSuffix:
		return strings.HasSuffix(name, a.value)
	case aceRegex:
		return a.re.MatchString(certname)
	case aceBackref:
		want := backrefForm.ReplaceAllStringFunc(a.value, func(ref string) string {
			n, _ := strconv.Atoi(ref[1:])
			return strings.ToLower(captures[n])
		})
		return name == want
	}
	return false
}

// anyMatch reports whether certname fits one of aces.
func anyMatch(aces []ace, certname string, captures []string) bool {
	for _, a := range aces {
		if a.match(certname, captures) {
			return true
		}
	}
	return false
}
