package dialplan

import (
	"errors"
	"strconv"
	"strings"

	"github.com/tollgate/tollgate/internal/jsonx"
)

// Sentinel errors, one per kind of problem in a tables document. A
// *ParseError wraps one of them; test with errors.Is.
var (
	ErrSyntax        = errors.New("syntax error")
	ErrUnsupported   = errors.New("not supported")
	ErrDialect       = errors.New("unknown dialect")
	ErrRange         = errors.New("value out of range")
	ErrLastRow       = errors.New("the last row of a cuc table must be *")
	ErrDuplicate     = errors.New("duplicate name")
	ErrUnknownTable  = errors.New("unknown table")
	ErrMissing       = errors.New("missing field")
	ErrTooComplex    = errors.New("table too complex for one automaton")
	ErrDecode        = errors.New("malformed document")
	ErrUnknownFormat = errors.New("unknown tables format")
	// ErrNoData: the document declares a region and the caller passed no
	// destination data (Options.Destinations).
	ErrNoData = errors.New("data missing")
	// ErrInterrupted is returned, unwrapped, when the caller's interrupt
	// (Options.Interrupt) stopped a compilation or a lint.
	ErrInterrupted = errors.New("interrupted: the operation's deadline passed")
)

// ParseError reports a problem in a tables document, as precisely as the
// loader knows it: file path, table, row (0-based, as Unity Connection
// numbers dial strings), column (1-based, in bytes of the pattern) and
// field. Like encoding/csv's ParseError it wraps a sentinel (Err).
type ParseError struct {
	Path   string // file path, when the caller gave one
	Line   int    // line in the file (importers of text formats), 0 if unknown
	Table  string // table name, "" for a set-level problem
	Row    int    // row index, -1 when the problem is not in a row
	Column int    // 1-based byte column in the pattern, 0 if not applicable
	Field  string // JSON field ("max_digits", "rows[3].pattern", ...)
	Err    error  // one of the Err* sentinels
	Msg    string // what is wrong, in words; never contains a secret
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("dialplan: ")
	if e.Path != "" {
		b.WriteString(e.Path)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Table != "" {
		b.WriteString("table " + quote(e.Table))
		if e.Row >= 0 {
			b.WriteString(" row " + strconv.Itoa(e.Row))
		}
		if e.Column > 0 {
			b.WriteString(" column " + strconv.Itoa(e.Column))
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Err.Error())
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// patError is what a dialect parser returns: the column and the cause;
// the table loader adds table, row and path.
type patError struct {
	col int
	err error
	msg string
}

func (e *patError) Error() string { return e.err.Error() + ": " + e.msg }

// quote renders s for a message as a JSON string literal (strconv.Quote's
// machinery and tables would cost the module about 12 KB for the same
// result on printable text).
func quote(s string) string { return string(jsonx.AppendString(nil, s)) }

// quoteByte renders one byte of a pattern for a message: 'c', or '\xHH'
// when it is not printable ASCII.
func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		if c == '\'' || c == '\\' {
			return `'\` + string(rune(c)) + "'"
		}
		return "'" + string(rune(c)) + "'"
	}
	const hex = "0123456789abcdef"
	return `'\x` + string([]byte{hex[c>>4], hex[c&0xf]}) + "'"
}
