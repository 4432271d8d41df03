package doccheck

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Step is one command of a transcript and what it must print.
type Step struct {
	// Line is the document line of the command.
	Line int
	// Command is the shell command line, without its "$ " prompt.
	Command string
	// Output is the expected standard output followed by standard error,
	// each line ending in a newline. A line "..." matches any lines, and
	// "..." within a line any text.
	Output string
	// Exit is the expected exit status.
	Exit int
	// AnyOutput is set for commands whose output the document does not
	// show (blocks marked "transcript: commands").
	AnyOutput bool
}

var exitRE = regexp.MustCompile(`^\[exit status (\d+)\]$`)

// Transcript returns the steps of a block marked "transcript" (a console
// session: "$ command" lines, each followed by its output and, when it is
// not 0, "[exit status N]") or "transcript: commands" (one command per
// line, each to succeed, output not shown).
func Transcript(b Block) ([]Step, error) {
	lines := strings.Split(strings.TrimSuffix(b.Text, "\n"), "\n")
	var steps []Step
	switch b.Marker {
	case "transcript: commands":
		for i, l := range lines {
			if strings.TrimSpace(l) == "" {
				continue
			}
			steps = append(steps, Step{Line: b.Line + i, Command: l, AnyOutput: true})
		}
		return steps, nil
	case "transcript":
	default:
		return nil, fmt.Errorf("%s: not a transcript", b.Pos())
	}
	for i, l := range lines {
		cmd, isCmd := strings.CutPrefix(l, "$ ")
		switch {
		case isCmd:
			steps = append(steps, Step{Line: b.Line + i, Command: cmd})
		case len(steps) == 0:
			return nil, fmt.Errorf("%s:%d: output before the first $ command", b.File, b.Line+i)
		case exitRE.MatchString(l):
			steps[len(steps)-1].Exit, _ = strconv.Atoi(exitRE.FindStringSubmatch(l)[1])
		default:
			steps[len(steps)-1].Output += l + "\n"
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("%s: a transcript with no $ command", b.Pos())
	}
	return steps, nil
}

// timestampRE matches the RFC 3339 UTC timestamps the service writes.
var timestampRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)

// Matches reports whether output is what want shows: the same lines, where
// a line "..." in want stands for any lines, "..." within a line for any
// text, and every timestamp for any timestamp.
func Matches(want, output string) bool {
	want = timestampRE.ReplaceAllString(want, "TIMESTAMP")
	output = timestampRE.ReplaceAllString(output, "TIMESTAMP")
	var re strings.Builder
	re.WriteString(`^`)
	for _, l := range strings.SplitAfter(want, "\n") {
		if l == "" {
			continue
		}
		if strings.TrimSuffix(l, "\n") == "..." {
			re.WriteString(`(?:.*\n)*`)
			continue
		}
		parts := strings.Split(l, "...")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		re.WriteString(strings.Join(parts, `.*`))
	}
	re.WriteString(`$`)
	return regexp.MustCompile(re.String()).MatchString(output)
}
