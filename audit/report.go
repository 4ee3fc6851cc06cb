package audit

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tollgate/tollgate/api"
)

// formats are the report formats, by name.
var formats = []string{"table", "csv", "json", "html"}

// Formats returns the names of the report formats NewSink writes:
// "table", "csv", "json" (JSON Lines) and "html".
func Formats() []string { return append([]string(nil), formats...) }

// NewSink returns the report writer of format (one of Formats) on w.
func NewSink(format string, w io.Writer) (Sink, error) {
	switch format {
	case "json":
		return NewJSONSink(w), nil
	case "csv":
		return NewCSVSink(w), nil
	case "table":
		return NewTableSink(w), nil
	case "html":
		return NewHTMLSink(w), nil
	}
	return nil, fmt.Errorf("unknown format %q: want one of %s", format, strings.Join(formats, ", "))
}

// The report writers. Each streams: it holds no record after writing it,
// buffers its output and flushes it at End (so w sees all of the report
// only once End returned). None writes a PIN, password or hash: records
// never hold one. The formats are docs/audit.md's.

// NewJSONSink writes JSON Lines: one record per line, and, when the audit
// was interrupted, a last line that is not a record but the partial marker
// {"partial":true,...}.
func NewJSONSink(w io.Writer) Sink { return &jsonSink{w: newBuffer(w)} }

// NewCSVSink writes CSV with one line per finding (line, alias, cos,
// code, field, message), one with empty code, field and message for a row
// without findings, and, when the audit was interrupted, a last row of
// code "partial". Values a spreadsheet would run as a formula are
// defused.
func NewCSVSink(w io.Writer) Sink {
	bw := newBuffer(w)
	return &csvSink{w: bw, cw: csv.NewWriter(bw)}
}

// NewTableSink writes the rows with findings as aligned columns for a
// terminal, then the summary (WriteSummaryText).
func NewTableSink(w io.Writer) Sink { return &tableSink{w: newBuffer(w)} }

// NewHTMLSink writes one self-contained HTML page: the summary with its
// charts, then the findings in a table the page's one script filters,
// groups and pages (a Content-Security-Policy lets no other script run,
// and the page loads nothing).
func NewHTMLSink(w io.Writer) Sink { return &htmlSink{w: newBuffer(w)} }

func newBuffer(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 64<<10) }

// jsonSink writes JSON Lines: one record per line, and, when the audit
// was interrupted, a last line that is not a record: the partial marker.
type jsonSink struct {
	w    *bufio.Writer
	buf  []byte
	last int // line of the last record written
}

// CodePartial is the code of the CSV report's last row, and "partial" the
// member of the JSON Lines report's last line, when the audit was
// interrupted: the report holds the rows before the interruption only.
const CodePartial = "partial"

// partialMessage says how much of the input an interrupted report holds.
func partialMessage(rows, last int) string {
	if rows == 0 {
		return "interrupted before the first row: the report holds no row of the input"
	}
	return fmt.Sprintf("interrupted: the report holds the first %d rows of the input, to line %d; the rows after it were not audited", rows, last)
}

func (s *jsonSink) Record(r *Record) error {
	s.last = r.Line
	b := append(s.buf[:0], `{"line":`...)
	b = strconv.AppendInt(b, int64(r.Line), 10)
	b = append(b, `,"alias":`...)
	b = appendJSONString(b, r.Alias)
	if r.COS != "" {
		b = append(b, `,"cos":`...)
		b = appendJSONString(b, r.COS)
	}
	b = append(b, `,"findings":[`...)
	for i, f := range r.Findings {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"code":`...)
		b = appendJSONString(b, f.Code)
		b = append(b, `,"field":`...)
		b = appendJSONString(b, f.Field)
		b = append(b, `,"message":`...)
		b = appendJSONString(b, f.Message)
		b = append(b, '}')
	}
	b = append(b, "]}\n"...)
	s.buf = b
	_, err := s.w.Write(b)
	return err
}

func (s *jsonSink) End(sum *Summary) error {
	if sum.Interrupted {
		b := append(s.buf[:0], `{"partial":true,"rows":`...)
		b = strconv.AppendInt(b, int64(sum.Rows), 10)
		b = append(b, `,"last_line":`...)
		b = strconv.AppendInt(b, int64(s.last), 10)
		b = append(b, `,"message":`...)
		b = appendJSONString(b, partialMessage(sum.Rows, s.last))
		b = append(b, "}\n"...)
		if _, err := s.w.Write(b); err != nil {
			return err
		}
	}
	return s.w.Flush()
}

// appendJSONString is api.AppendString with a fast path: most values need
// no escaping and are copied in one piece instead of byte by byte.
func appendJSONString(b []byte, v string) []byte {
	if needsEscape(v) {
		return api.AppendString(b, v)
	}
	b = append(b, '"')
	b = append(b, v...)
	return append(b, '"')
}

// needsEscape reports whether v holds a control byte, a quote or a
// backslash. It tests eight bytes at a time (the byte loop was most of
// what writing a JSON record cost): a word that may hold one is looked at
// byte by byte, so the answer is the loop's exactly.
func needsEscape(v string) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	// zero has a high bit set in some byte when x has a zero byte (and
	// only then: a false hit in the word is possible, never a miss).
	zero := func(x uint64) uint64 { return (x - ones) & ^x & highs }
	i := 0
	for ; i+8 <= len(v); i += 8 {
		w := uint64(v[i]) | uint64(v[i+1])<<8 | uint64(v[i+2])<<16 | uint64(v[i+3])<<24 |
			uint64(v[i+4])<<32 | uint64(v[i+5])<<40 | uint64(v[i+6])<<48 | uint64(v[i+7])<<56
		// (w - 0x20 each) & ^w & high: some byte below 0x20.
		if (w-0x20*ones)&^w&highs|zero(w^'"'*ones)|zero(w^'\\'*ones) != 0 {
			break
		}
	}
	for ; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}

// csvSink writes one line per finding; a row without findings gets one
// line with empty code, field and message, so every row is there.
//
// An interrupted audit's report ends with one more row, of the same six
// columns so every CSV reader takes it: no line, alias or class of
// service, code "partial", and a message saying which rows it holds.
type csvSink struct {
	w      *bufio.Writer
	cw     *csv.Writer
	header bool
	line   [6]string
	last   int // line of the last record written
}

func (s *csvSink) Record(r *Record) error {
	s.last = r.Line
	if !s.header {
		s.header = true
		if err := s.cw.Write([]string{"line", "alias", "cos", "code", "field", "message"}); err != nil {
			return err
		}
	}
	s.line[0], s.line[1], s.line[2] = strconv.Itoa(r.Line), csvSafe(r.Alias), csvSafe(r.COS)
	if len(r.Findings) == 0 {
		s.line[3], s.line[4], s.line[5] = "", "", ""
		return s.cw.Write(s.line[:])
	}
	for _, f := range r.Findings {
		s.line[3], s.line[4], s.line[5] = f.Code, f.Field, f.Message
		if err := s.cw.Write(s.line[:]); err != nil {
			return err
		}
	}
	return nil
}

// csvSafe defuses a value a spreadsheet would run as a formula (CSV
// injection through an alias or class of service taken from the input).
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (s *csvSink) End(sum *Summary) error {
	if !s.header {
		s.cw.Write([]string{"line", "alias", "cos", "code", "field", "message"})
	}
	if sum.Interrupted {
		s.cw.Write([]string{"", "", "", CodePartial, "", partialMessage(sum.Rows, s.last)})
	}
	s.cw.Flush()
	if err := s.cw.Error(); err != nil {
		return err
	}
	return s.w.Flush()
}

// tableSink writes rows with findings as aligned columns for a terminal,
// then the summary. Column widths are fixed (the report streams, so it
// cannot measure the longest value first); longer values are cut with "…".
type tableSink struct {
	w      *bufio.Writer
	header bool
	clean  int
}

const (
	tabLine, tabAlias, tabCOS, tabCode, tabField = 6, 18, 14, 27, 19
)

func (s *tableSink) Record(r *Record) error {
	if len(r.Findings) == 0 {
		s.clean++
		return nil
	}
	if !s.header {
		s.header = true
		s.row("LINE", "ALIAS", "COS", "CODE", "FIELD", "MESSAGE")
	}
	for i, f := range r.Findings {
		line, alias, cos := strconv.Itoa(r.Line), r.Alias, r.COS
		if i > 0 {
			line, alias, cos = "", "", ""
		}
		s.row(line, alias, cos, f.Code, f.Field, f.Message)
	}
	return nil
}

func (s *tableSink) row(line, alias, cos, code, field, msg string) {
	fmt.Fprintf(s.w, "%*s  %s  %s  %s  %s  %s\n", tabLine, line, pad(alias, tabAlias), pad(cos, tabCOS), pad(code, tabCode), pad(field, tabField), termSafe(msg))
}

// pad cuts or pads v to n characters, dropping control characters so a
// value from the input cannot move the cursor of the terminal.
func pad(v string, n int) string {
	v = termSafe(v)
	c := utf8.RuneCountInString(v)
	if c > n {
		r := []rune(v)
		return string(r[:n-1]) + "…"
	}
	return v + strings.Repeat(" ", n-c)
}

func termSafe(v string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, v)
}

func (s *tableSink) End(sum *Summary) error {
	if s.header {
		fmt.Fprintf(s.w, "\n(%d rows without findings not shown)\n\n", s.clean)
	}
	WriteSummaryText(s.w, sum)
	return s.w.Flush()
}

// WriteSummaryText writes the summary as aligned text.
func WriteSummaryText(w io.Writer, s *Summary) {
	state := "complete"
	if s.Interrupted {
		state = "INTERRUPTED: partial report"
	}
	fmt.Fprintf(w, "Audit of %s (%s; policy %s, tables %s, %s engine): %s\n", termSafe(s.Input), s.Encoding, termSafe(s.Policy), termSafe(s.Tables), s.Engine, state)
	fmt.Fprintf(w, "%d rows, %d with findings, %d bad rows, %d findings\n", s.Rows, s.RowsWithFindings, s.BadRows, s.Findings)
	if s.SharedPINs+s.SharedPINRecords > 0 {
		fmt.Fprintf(w, "Shared: %d PINs and %d stored PIN records held by several users; %d users hold one\n", s.SharedPINs, s.SharedPINRecords, s.UsersSharingPINs)
	}
	if s.PBKDF2.noteworthy() {
		fmt.Fprintf(w, "%s\n", s.PBKDF2.text())
	}
	for _, part := range []struct {
		title string
		m     map[string]int
	}{{"By code", s.ByCode}, {"By field", s.ByField}, {"By class of service", s.ByCOS}} {
		if len(part.m) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", part.title)
		for _, c := range Sorted(part.m) {
			fmt.Fprintf(w, "  %-28s %7d\n", termSafe(c.Key), c.N)
		}
	}
	if len(s.SkippedChecks) > 0 {
		fmt.Fprintf(w, "\nChecks skipped (the engine lacks the operation): %s\n", strings.Join(s.SkippedChecks, ", "))
	}
}

// WriteSummaryJSON writes the summary as one indented JSON document.
func WriteSummaryJSON(w io.Writer, s *Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
