// Package readme reads the code a Markdown document shows — fenced blocks,
// the shell sessions in them, inline code spans — so that tests can run,
// compare or validate every command and snippet of README.md against the
// real tools, and the README cannot drift from what they print.
//
// The conventions it reads (README.md follows them):
//
//   - A block whose first line starts with "$ " is a session: each "$ "
//     line is a command (a line ending in "\" continues on the next), and
//     the lines up to the next "$ " line are what it prints, stdout and
//     stderr as a terminal shows them.
//   - A command's exit status is 0 unless its shell comment says
//     "exit N" (the first such number counts).
//   - An output line that is exactly "…" stands for lines left out: the
//     output is then an excerpt, and the lines between the marks must
//     appear in that order, each run unbroken (see Match).
package readme

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Block is one fenced code block.
type Block struct {
	Info  string   // the first word of the fence's info string: "sh", "go", "" ...
	Line  int      // the line of the opening fence (1-based)
	Lines []string // the content, one string per line
}

// Text is the block's content with a newline after each line.
func (b Block) Text() string {
	if len(b.Lines) == 0 {
		return ""
	}
	return strings.Join(b.Lines, "\n") + "\n"
}

var fenceRE = regexp.MustCompile("^( {0,3})(`{3,}|~{3,})[ \t]*([^ \t]*)")

// Blocks returns the fenced code blocks of a CommonMark document, in order.
// An unclosed fence is an error naming its line.
func Blocks(md string) ([]Block, error) {
	var out []Block
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		m := fenceRE.FindStringSubmatch(lines[i])
		if m == nil || (m[2][0] == '`' && strings.Contains(lines[i][len(m[0]):], "`")) {
			continue
		}
		indent, fence := len(m[1]), m[2]
		b := Block{Info: m[3], Line: i + 1}
		closed := false
		for i++; i < len(lines); i++ {
			if isClosing(lines[i], fence) {
				closed = true
				break
			}
			l := lines[i]
			for n := 0; n < indent && strings.HasPrefix(l, " "); n++ {
				l = l[1:]
			}
			b.Lines = append(b.Lines, l)
		}
		if !closed {
			return out, fmt.Errorf("line %d: the %s fence is never closed", b.Line, fence)
		}
		out = append(out, b)
	}
	return out, nil
}

func isClosing(line, fence string) bool {
	l := strings.TrimLeft(line, " ")
	if len(line)-len(l) > 3 {
		return false
	}
	n := len(l) - len(strings.TrimLeft(l, fence[:1]))
	return n >= len(fence) && strings.TrimSpace(l[n:]) == ""
}

// Command is one "$ " command of a session and what the document says it
// prints.
type Command struct {
	Line   int      // the line of the "$ " line (1-based)
	Cmd    string   // the shell text after "$ ", continuation lines joined by newlines
	Output []string // the lines shown after it
}

// IsSession reports whether the block is a shell session: its first line
// starts with "$ ".
func IsSession(b Block) bool {
	return len(b.Lines) > 0 && strings.HasPrefix(b.Lines[0], "$ ")
}

// Session splits a session block into its commands.
func Session(b Block) []Command {
	var out []Command
	for i := 0; i < len(b.Lines); i++ {
		l := b.Lines[i]
		if !strings.HasPrefix(l, "$ ") {
			if len(out) > 0 {
				out[len(out)-1].Output = append(out[len(out)-1].Output, l)
			}
			continue
		}
		c := Command{Line: b.Line + 1 + i, Cmd: l[2:]}
		for strings.HasSuffix(c.Cmd, "\\") && i+1 < len(b.Lines) {
			i++
			c.Cmd += "\n" + b.Lines[i]
		}
		out = append(out, c)
	}
	return out
}

// Lines splits a block of shell lines (a sh block) into commands: one per
// line, a line ending in "\" continuing on the next; blank lines and
// comment-only lines are left out. Command.Output is empty.
func Lines(b Block) []Command {
	var out []Command
	for i := 0; i < len(b.Lines); i++ {
		c := Command{Line: b.Line + 1 + i, Cmd: b.Lines[i]}
		for strings.HasSuffix(c.Cmd, "\\") && i+1 < len(b.Lines) {
			i++
			c.Cmd += "\n" + b.Lines[i]
		}
		if t := strings.TrimSpace(c.Cmd); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		out = append(out, c)
	}
	return out
}

// commentAt is the index of the "#" that starts the command's shell
// comment (a "#" starting a word outside quotes), or -1.
func commentAt(cmd string) int {
	var quote byte
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
		case c == '\\':
			i++
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || cmd[i-1] == ' ' || cmd[i-1] == '\t' || cmd[i-1] == '\n'):
			return i
		}
	}
	return -1
}

// Comment returns the shell comment of a command (up to the end of its
// line), or "".
func Comment(cmd string) string {
	i := commentAt(cmd)
	if i < 0 {
		return ""
	}
	c, _, _ := strings.Cut(cmd[i+1:], "\n")
	return strings.TrimSpace(c)
}

// Code returns the command up to its comment, trimmed.
func Code(cmd string) string {
	if i := commentAt(cmd); i >= 0 {
		cmd = cmd[:i]
	}
	return strings.TrimSpace(cmd)
}

var exitRE = regexp.MustCompile(`\bexit (\d+)\b`)

// Exit is the exit status the command's comment promises ("exit N"), or 0.
func Exit(cmd string) int {
	m := exitRE.FindStringSubmatch(Comment(cmd))
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// Elision is the output line that stands for lines left out.
const Elision = "…"

// IsExcerpt reports whether the shown output leaves lines out.
func IsExcerpt(want []string) bool {
	for _, l := range want {
		if l == Elision {
			return true
		}
	}
	return false
}

// Match compares what a command printed with what the document shows.
// Trailing blanks of each line are ignored (editors strip them), as is the
// final newline. Without an Elision line the output must be equal line for
// line. With Elision lines, the runs of lines between them must appear in
// got in order, each run on consecutive lines; the first run must start
// the output unless want starts with Elision, the last must end it unless
// want ends with Elision. The error says where they part.
func Match(want []string, got string) error {
	g := splitOutput(got)
	w := make([]string, len(want))
	for i, l := range want {
		w[i] = strings.TrimRight(l, " \t")
	}
	for len(w) > 0 && w[len(w)-1] == "" {
		w = w[:len(w)-1]
	}
	if !IsExcerpt(w) {
		for i := 0; i < max(len(w), len(g)); i++ {
			switch {
			case i >= len(w):
				return fmt.Errorf("output line %d is not shown: %q (%d more lines printed)", i+1, g[i], len(g)-len(w))
			case i >= len(g):
				return fmt.Errorf("shown line %d is not printed: %q (the output has %d lines)", i+1, w[i], len(g))
			case w[i] != g[i]:
				return fmt.Errorf("line %d differs:\n  shown   %q\n  printed %q", i+1, w[i], g[i])
			}
		}
		return nil
	}
	var runs [][]string
	var run []string
	for _, l := range w {
		if l == Elision {
			runs = append(runs, run)
			run = nil
			continue
		}
		run = append(run, l)
	}
	runs = append(runs, run)
	pos := 0
	for k, r := range runs {
		if len(r) == 0 {
			continue
		}
		first, last := k == 0, k == len(runs)-1
		at := -1
		switch {
		case first:
			if hasAt(g, r, 0) {
				at = 0
			}
		case last:
			if s := len(g) - len(r); s >= pos && hasAt(g, r, s) {
				at = s
			}
		default:
			for s := pos; s+len(r) <= len(g); s++ {
				if hasAt(g, r, s) {
					at = s
					break
				}
			}
		}
		if at < 0 {
			where := "after output line " + strconv.Itoa(pos)
			if first {
				where = "at the start of the output"
			} else if last {
				where = "at the end of the output"
			}
			return fmt.Errorf("excerpt part %d (%q, %d lines) is not printed %s%s", k+1, r[0], len(r), where, nearest(g, r, pos))
		}
		pos = at + len(r)
	}
	return nil
}

// nearest explains a run that was not found: the printed line closest to
// its first line, if one starts the same way.
func nearest(g, r []string, from int) string {
	for i := from; i < len(g); i++ {
		if g[i] == r[0] {
			for j := 1; j < len(r) && i+j < len(g); j++ {
				if g[i+j] != r[j] {
					return fmt.Sprintf("; output line %d starts it, but line %d differs:\n  shown   %q\n  printed %q", i+1, i+j+1, r[j], g[i+j])
				}
			}
			return fmt.Sprintf("; output line %d starts it, but the output ends first", i+1)
		}
	}
	return ""
}

func hasAt(g, r []string, at int) bool {
	if at < 0 || at+len(r) > len(g) {
		return false
	}
	for i, l := range r {
		if g[at+i] != l {
			return false
		}
	}
	return true
}

func splitOutput(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	out := strings.Split(s, "\n")
	for i, l := range out {
		out[i] = strings.TrimRight(l, " \t")
	}
	return out
}

// Span is an inline code span outside the fenced blocks.
type Span struct {
	Line int    // the line it starts on (1-based)
	Text string // its content, line breaks as spaces, trimmed
}

// Spans returns the document's inline code spans, in order. The text of
// fenced blocks is skipped.
func Spans(md string) ([]Span, error) {
	lines := strings.Split(md, "\n")
	blocks, err := Blocks(md)
	if err != nil {
		return nil, err
	}
	inBlock := make([]bool, len(lines)+1)
	for _, b := range blocks {
		for l := b.Line; l <= b.Line+len(b.Lines)+1 && l <= len(lines); l++ {
			inBlock[l-1] = true
		}
	}
	// Paragraphs: runs of non-blank lines outside blocks; a span never
	// crosses a blank line.
	var out []Span
	for i := 0; i < len(lines); {
		if inBlock[i] || strings.TrimSpace(lines[i]) == "" {
			i++
			continue
		}
		start := i
		var para strings.Builder
		for ; i < len(lines) && !inBlock[i] && strings.TrimSpace(lines[i]) != ""; i++ {
			para.WriteString(lines[i])
			para.WriteByte('\n')
		}
		out = append(out, spansOf(para.String(), start+1)...)
	}
	return out, nil
}

func spansOf(p string, line int) []Span {
	var out []Span
	for i := 0; i < len(p); {
		if p[i] == '\\' {
			i += 2
			continue
		}
		if p[i] != '`' {
			i++
			continue
		}
		n := 0
		for i+n < len(p) && p[i+n] == '`' {
			n++
		}
		tick := p[i : i+n]
		// The closing run: the same number of backticks, no more.
		j := i + n
		end := -1
		for j < len(p) {
			k := strings.Index(p[j:], tick)
			if k < 0 {
				break
			}
			k += j
			m := 0
			for k+m < len(p) && p[k+m] == '`' {
				m++
			}
			if m == n {
				end = k
				break
			}
			j = k + m
		}
		if end < 0 {
			i += n
			continue
		}
		text := strings.TrimSpace(strings.ReplaceAll(p[i+n:end], "\n", " "))
		out = append(out, Span{Line: line + strings.Count(p[:i], "\n"), Text: text})
		i = end + n
	}
	return out
}
