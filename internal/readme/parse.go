// SPDX-License-Identifier: Apache-2.0

package readme

import (
	"errors"
	"fmt"
	"strings"
)

// mode says how a block runs.
type mode int

const (
	modeRun        mode = iota // run in the foreground; it must exit 0
	modeSkip                   // not run
	modeBackground             // each command started and left running
)

// markerPrefix opens a directive comment; markerSuffix closes it.
const (
	markerPrefix = "<!-- readme-test:"
	markerSuffix = "-->"
)

// block is one shell block of a Markdown document.
type block struct {
	line   int    // 1-based line of the opening fence
	text   string // the block's lines as written, each ending in "\n"
	mode   mode
	reason string // why a skipped block or an omitted prefix is not run
	ready  string // background: the command polled until it exits 0
	omit   string // commands beginning with this are not run
}

// shellInfo lists the fence info strings of runnable shell blocks.
var shellInfo = map[string]bool{"sh": true, "bash": true, "shell": true}

// parseBlocks returns the shell blocks of the Markdown document doc in
// order, with the directive each one's marker gives. A marker that is
// malformed or not followed by a shell block, and an unterminated fence, are
// errors: a typo must not silently run or skip a block.
func parseBlocks(doc string) ([]block, error) {
	lines := strings.Split(doc, "\n")
	var (
		out     []block
		pending *block // directive of the marker on the previous line
		markAt  int
	)
	for i := 0; i < len(lines); i++ {
		ln := lines[i]
		trimmed := strings.TrimSpace(ln)
		if strings.HasPrefix(trimmed, markerPrefix) {
			if pending != nil {
				return nil, fmt.Errorf("line %d: marker follows the marker of line %d", i+1, markAt)
			}
			b, err := parseMarker(trimmed)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			pending, markAt = &b, i+1
			continue
		}
		fence, info, ok := openFence(ln)
		if !ok {
			if pending != nil {
				return nil, fmt.Errorf("line %d: the marker must be on the line just before a shell block's opening fence", markAt)
			}
			continue
		}
		var body strings.Builder
		j := i + 1
		for ; j < len(lines); j++ {
			if strings.TrimSpace(lines[j]) == fence {
				break
			}
			body.WriteString(lines[j])
			body.WriteString("\n")
		}
		if j == len(lines) {
			return nil, fmt.Errorf("line %d: code block is not closed", i+1)
		}
		if shellInfo[info] {
			b := block{}
			if pending != nil {
				b = *pending
			}
			b.line, b.text = i+1, body.String()
			out = append(out, b)
		} else if pending != nil {
			return nil, fmt.Errorf("line %d: the marker is followed by a %q block, not a shell block", markAt, info)
		}
		pending = nil
		i = j
	}
	if pending != nil {
		return nil, fmt.Errorf("line %d: marker at the end of the document", markAt)
	}
	return out, nil
}

// openFence reports whether ln opens a fenced code block, and returns the
// fence (the run of backticks) and the info string's first word.
func openFence(ln string) (fence, info string, ok bool) {
	t := strings.TrimLeft(ln, " ")
	if len(ln)-len(t) > 3 || !strings.HasPrefix(t, "```") {
		return "", "", false
	}
	n := len(t) - len(strings.TrimLeft(t, "`"))
	fields := strings.Fields(t[n:])
	if len(fields) > 0 {
		info = fields[0]
	}
	return t[:n], info, true
}

// parseMarker reads the directives of one marker comment.
func parseMarker(s string) (block, error) {
	if !strings.HasSuffix(s, markerSuffix) {
		return block{}, errors.New("marker comment must end on its line with " + markerSuffix)
	}
	body := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, markerPrefix), markerSuffix))
	var b block
	background := false
	for _, item := range splitItems(body) {
		item = strings.TrimSpace(item)
		word, rest, _ := strings.Cut(item, " ")
		switch {
		case word == "skip":
			reason, err := parenReason(rest)
			if err != nil {
				return block{}, fmt.Errorf("skip: %w", err)
			}
			b.mode, b.reason = modeSkip, reason
		case word == "background" && rest == "":
			background = true
		case word == "ready:":
			if strings.TrimSpace(rest) == "" {
				return block{}, errors.New("ready: needs a command")
			}
			b.ready = strings.TrimSpace(rest)
		case word == "omit":
			prefix, why, found := strings.Cut(rest, " (")
			if !found || strings.TrimSpace(prefix) == "" {
				return block{}, errors.New("omit: want omit PREFIX (REASON)")
			}
			reason, err := parenReason("(" + why)
			if err != nil {
				return block{}, fmt.Errorf("omit: %w", err)
			}
			b.omit, b.reason = strings.TrimSpace(prefix), reason
		default:
			return block{}, fmt.Errorf("unknown directive %q (want skip (REASON), background; ready: COMMAND, or omit PREFIX (REASON))", item)
		}
	}
	switch {
	case background && b.ready == "":
		return block{}, errors.New("background needs ready: COMMAND, the check that the processes serve")
	case !background && b.ready != "":
		return block{}, errors.New("ready: belongs to background")
	case background && b.mode == modeSkip:
		return block{}, errors.New("a block is either skipped or run in the background")
	case background:
		b.mode = modeBackground
	}
	return b, nil
}

// splitItems splits a marker's body at the semicolons that are not inside
// parentheses (a reason may hold one).
func splitItems(s string) []string {
	var (
		items []string
		depth int
		from  int
	)
	for i, c := range s {
		switch {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == ';' && depth == 0:
			items = append(items, s[from:i])
			from = i + 1
		}
	}
	return append(items, s[from:])
}

// parenReason returns the text of "(REASON)".
func parenReason(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "(") || !strings.HasSuffix(s, ")") || strings.TrimSpace(s[1:len(s)-1]) == "" {
		return "", errors.New("want a reason in parentheses")
	}
	return strings.TrimSpace(s[1 : len(s)-1]), nil
}

// commands splits a block into its commands: a line ending in a backslash
// continues on the next; blank lines and lines holding only a comment are
// dropped. It is for blocks of simple commands (background blocks, and
// omitting), not for here-documents.
func commands(text string) []string {
	var (
		out []string
		cur strings.Builder
	)
	for _, ln := range strings.Split(text, "\n") {
		if cur.Len() == 0 {
			if t := strings.TrimSpace(ln); t == "" || strings.HasPrefix(t, "#") {
				continue
			}
		}
		if strings.HasSuffix(ln, "\\") {
			cur.WriteString(ln)
			cur.WriteString("\n")
			continue
		}
		cur.WriteString(ln)
		out = append(out, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, strings.TrimSuffix(cur.String(), "\n"))
	}
	return out
}

// script returns the text of b that runs: all of it, or, with omit, its
// commands without those that begin with the omitted prefix.
func (b block) script() string {
	if b.omit == "" {
		return b.text
	}
	var kept []string
	for _, c := range commands(b.text) {
		if !strings.HasPrefix(c, b.omit) {
			kept = append(kept, c)
		}
	}
	return strings.Join(kept, "\n") + "\n"
}
