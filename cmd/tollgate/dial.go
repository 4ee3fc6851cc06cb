package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/dialplan"
)

func init() {
	register(&command{
		name:    "dial",
		summary: "check dialed numbers against toll-fraud restriction tables (exit 0 allowed, 1 blocked)",
		run:     runDial,
	})
}

const dialUsage = `Usage: tollgate dial [--tables FILE] [--table NAME | --cos NAME --feature F] [--json]
                     [--engine E] NUMBER... | --file FILE|-

Checks dialed numbers against a restriction table. Without --tables the
built-in Cisco defaults are used (tables "Default Transfer", "Default
Outdial", "Default Fax", "Default System Transfer", class of service
"Default"); --tables recommended picks the stricter built-in set. FILE may be
a tables document (docs/tables.md), a Unity Connection CUPI JSON export, an
Asterisk extensions.conf or Exchange UM dialing-rule strings. Without --table
or --cos, "Default Transfer" (or the file's first table) is used.

--file reads one number per line (- for standard input) and streams the
results, so it handles millions of numbers in bounded memory. Every line
that is not blank gets one result; a line of more than 64 KiB is too_long
(its number cut to its first 40 bytes and "…"), with a warning on stderr.

The text output shows control characters, and the characters that reorder
or break a line on a terminal, as escapes (\x1b, \u202e): a number or a
table name cannot move the cursor or rewrite what is on the screen.

--json prints one JSON object per number, in order:
  {"number", "allowed", "reason", "table", "row", "pattern"}
reason is matched, too_short, too_long, invalid, no_match or timeout.

Exit status: 0 all allowed, 1 any blocked, 2 usage or configuration error.
`

// tablesFlag is a resolved --tables value: the tables reference a request
// takes and how to name it in messages. dial and lint share it.
type tablesFlag struct {
	// Label is the built-in set's name or the file's path as given.
	Label string
	// Ref is the tables: a built-in set (api.BuiltinTables) or a tables
	// document (api.TablesJSON, docs/tables.md).
	Ref api.TablesRef
	// doc is a file's tables document (converted from its import format),
	// nil for a built-in set.
	doc []byte
	// file is the file when its own text is doc (tables JSON), so that an
	// error can say where in it.
	file *docFile
}

// resolveTables turns a --tables value into a tablesFlag. "" is the
// built-in default set; "default" and "recommended" name built-in sets;
// anything else is a file, converted to a tables document when it is in
// an import format.
func resolveTables(v string) (tablesFlag, error) {
	switch v {
	case "", dialplan.SetDefault, dialplan.SetRecommended:
		if v == "" {
			v = dialplan.SetDefault
		}
		return tablesFlag{Label: v, Ref: api.BuiltinTables(v)}, nil
	}
	data, err := readDocument("--tables", v, maxTablesFile, false)
	if err != nil {
		return tablesFlag{}, err
	}
	doc := data
	var file *docFile
	if dialplan.Detect(v, data) == dialplan.FormatTables {
		file = &docFile{"--tables", v, data}
	} else if doc, err = importTables(v, data); err != nil {
		return tablesFlag{}, err
	}
	return tablesFlag{Label: v, Ref: api.TablesJSON(doc), doc: doc, file: file}, nil
}

// importTables converts file v, in an import format (a CUPI export,
// extensions.conf, Exchange dialing rules), to a tables document. It is
// compiled here too: only here do errors know the file's lines.
func importTables(v string, data []byte) ([]byte, error) {
	d, err := dialplan.Import(v, data)
	if err != nil {
		return nil, err
	}
	if _, err := dialplan.Compile(v, d); err != nil {
		return nil, err
	}
	return json.Marshal(d)
}

// load compiles the tables in c once and returns their handle, which
// later requests carry.
func (ta tablesFlag) load(ctx context.Context, c *tollgate.Checker) (api.Handle, error) {
	info, err := c.LoadTables(ctx, ta.Ref)
	if err != nil {
		return 0, errors.New(ta.errorText(err))
	}
	return info.Handle, nil
}

// errorText renders an error of loading ta: the file named and, for a
// tables JSON file, where in it.
func (ta tablesFlag) errorText(err error) string {
	if ta.file == nil {
		return "--tables " + ta.Label + ": " + errorMessage(err)
	}
	return ta.file.tablesError(err)
}

// set is the same tables compiled here, for the names and patterns of
// the scalar dial path's verdicts.
func (ta tablesFlag) set() (*dialplan.Set, error) {
	if ta.doc == nil {
		return dialplan.Builtin(ta.Label)
	}
	return dialplan.Parse("", ta.doc)
}

// errorMessage is an api error's message (its code and field are for
// programs), or any other error's text.
func errorMessage(err error) string {
	var e *api.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

func runDial(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const who = "tollgate dial"
	fs := flag.NewFlagSet(who, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	tables := fs.String("tables", "", "tables: default, recommended, or a file (tables JSON, CUPI JSON, extensions.conf, Exchange rules)")
	table := fs.String("table", "", "the table to use (default: Default Transfer, or the file's first table)")
	cos := fs.String("cos", "", "a class of service; with --feature picks its table")
	feature := fs.String("feature", "", "transfer, outdial, fax or system_transfer (with --cos)")
	file := fs.String("file", "", "read numbers from FILE, one per line; - for standard input")
	asJSON := fs.Bool("json", false, "print JSON Lines, one object per number")
	engine := engineFlag(fs)
	if code, done := parseFlags(fs, args, dialUsage, stdout, stderr); done {
		return code
	}
	numbers := fs.Args()
	switch {
	case *file == "" && len(numbers) == 0:
		fmt.Fprintf(stderr, "%s: give numbers to check, or --file FILE|-\nRun 'tollgate dial --help' for usage.\n", who)
		return exitUsage
	case *file != "" && len(numbers) > 0:
		fmt.Fprintf(stderr, "%s: give numbers or --file, not both\n", who)
		return exitUsage
	case *table != "" && *cos != "":
		fmt.Fprintf(stderr, "%s: --table and --cos exclude each other\n", who)
		return exitUsage
	case (*cos == "") != (*feature == ""):
		fmt.Fprintf(stderr, "%s: --cos and --feature go together\n", who)
		return exitUsage
	}
	*table, *cos, *feature = validText([]byte(*table)), validText([]byte(*cos)), validText([]byte(*feature))
	c, err := openChecker(*engine)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}
	defer c.Close()
	ctx := context.Background()
	ta, err := resolveTables(*tables)
	var handle api.Handle
	if err == nil {
		handle, err = ta.load(ctx, c)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}

	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	if *file == "" {
		status := exitOK
		req := api.DialRequest{Tables: api.TablesHandle(handle), Table: *table, COS: *cos, Feature: *feature}
		var line []byte
		for _, n := range numbers {
			req.Number = validText([]byte(n))
			d, err := c.Dial(ctx, &req)
			if err != nil {
				out.Flush()
				fmt.Fprintf(stderr, "%s: %s\n", who, errorMessage(err))
				return exitUsage
			}
			if !d.Allowed {
				status = exitRefused
			}
			if *asJSON {
				line = append(api.Append(line[:0], &d), '\n')
			} else {
				line = appendDialText(line[:0], []byte(d.Number), &d)
			}
			out.Write(line)
		}
		return status
	}
	var in io.Reader = stdin
	if *file != "-" {
		f, err := openStream("--file", *file)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", who, err)
			return exitUsage
		}
		defer f.Close()
		in = f
	}
	lines := &lineReader{r: bufio.NewReaderSize(in, maxDialLine)}
	name := *file
	if name == "-" {
		name = "standard input"
	}
	return dialStream(ctx, c, handle, ta, *table, *cos, *feature, *asJSON, lines, name, out, stderr)
}

// maxDialLine bounds a line of dial --file, line ending included. A number
// has at most 300 digits (dialplan.MaxDigitsLimit), so a longer line is
// too_long whatever it holds; it is not read into memory whole.
const maxDialLine = 64 << 10

// longLinePrefix is how much of an overlong line its result shows.
const longLinePrefix = 40

// lineReader reads the lines of dial --file. Unlike bufio.Scanner, which
// stops at a line over its buffer, it reads past an overlong line and
// returns its start and full length, so every line gets its result.
type lineReader struct {
	r      *bufio.Reader
	no     int    // lines read
	prefix []byte // the start of the last overlong line
}

// next returns the next line without its line ending, and the line's full
// length in bytes, ending included: more than maxDialLine when line is only
// the start of an overlong line. err is io.EOF after the last line.
func (l *lineReader) next() (line []byte, n int, err error) {
	b, err := l.r.ReadSlice('\n')
	switch {
	case err == io.EOF && len(b) == 0:
		return nil, 0, io.EOF
	case err == nil || err == io.EOF:
		l.no++
		return trimLine(b), len(b), nil
	case !errors.Is(err, bufio.ErrBufferFull):
		return nil, 0, err
	}
	l.prefix = append(l.prefix[:0], b[:min(len(b), longLinePrefix)]...)
	n = len(b)
	for errors.Is(err, bufio.ErrBufferFull) {
		b, err = l.r.ReadSlice('\n')
		n += len(b)
	}
	if err != nil && err != io.EOF {
		return nil, 0, err
	}
	l.no++
	return l.prefix, n, nil
}

// dialBatchSize is how many numbers cross into the engine at once.
const dialBatchSize = 4096

// dialStream is --file: numbers go through the engine's scalar batch path
// (one crossing per batch, no JSON), and each verdict is printed exactly
// as the "dial" operation's answer would be, with the table's name and
// pattern taken from the same tables compiled here.
func dialStream(ctx context.Context, c *tollgate.Checker, handle api.Handle, ta tablesFlag, table, cos, feature string, asJSON bool,
	lines *lineReader, file string, out *bufio.Writer, stderr io.Writer) int {
	const who = "tollgate dial"
	fail := func(err error) int {
		out.Flush()
		fmt.Fprintf(stderr, "%s: %s\n", who, errorMessage(err))
		return exitUsage
	}
	set, err := ta.set()
	if err != nil {
		return fail(err)
	}
	// The table's errors in the dial operation's words; then its index in
	// the engine.
	t, err := api.PickTable(set, table, cos, feature)
	if err != nil {
		return fail(err)
	}
	ti, err := c.TableIndex(ctx, handle, table, cos, feature)
	if err != nil {
		return fail(err)
	}
	status := exitOK
	arena := make([]byte, 0, 64<<10)
	nums := make([][]byte, 0, dialBatchSize)
	res := make([]tollgate.DialVerdict, dialBatchSize)
	var line []byte
	var norm [dialplan.MaxDigitsLimit + 1]byte
	write := func(d *api.DialResult, number []byte) {
		if !d.Allowed {
			status = exitRefused
		}
		if asJSON {
			d.Number = validText(number)
			line = append(api.Append(line[:0], d), '\n')
		} else {
			line = appendDialText(line[:0], number, d)
		}
		out.Write(line)
	}
	flush := func() error {
		if len(nums) == 0 {
			return nil
		}
		if err := c.DialBatch(ctx, handle, ti, nums, res); err != nil {
			return err
		}
		for i, n := range nums {
			d, number := dialResult(t, &res[i], n, &norm)
			write(&d, number)
		}
		nums, arena = nums[:0], arena[:0]
		return nil
	}
	for {
		raw, size, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(fmt.Errorf("%s: line %d: %v", file, lines.no+1, err))
		}
		if size > maxDialLine {
			// Too long to be a number: one result for it, in its place.
			if err := flush(); err != nil {
				return fail(err)
			}
			out.Flush()
			fmt.Fprintf(stderr, "%s: %s: line %d is %d bytes, more than the %d a line may have: reported as too_long\n",
				who, file, lines.no, size, maxDialLine)
			d := api.DialResult{Reason: api.DialTooLong, Table: t.Name(), Row: -1}
			write(&d, append(bytes.TrimSpace(raw), "…"...))
			continue
		}
		n := bytes.TrimSpace(raw)
		if len(n) == 0 {
			continue
		}
		if len(arena)+len(n) > cap(arena) {
			if err := flush(); err != nil {
				return fail(err)
			}
			if len(n) > cap(arena) {
				arena = make([]byte, 0, len(n))
			}
		}
		start := len(arena)
		arena = append(arena, n...)
		nums = append(nums, arena[start:len(arena):len(arena)])
		if len(nums) == dialBatchSize {
			if err := flush(); err != nil {
				return fail(err)
			}
		}
	}
	if err := flush(); err != nil {
		return fail(err)
	}
	return status
}

// dialResult is the "dial" operation's answer for number n matched
// against t with verdict v, but for its Number, which is returned as
// bytes (in norm when separators were dropped) so that the text output
// allocates nothing: the normalized digits when separators were dropped,
// the number as given when it is invalid or had none.
func dialResult(t *dialplan.Table, v *tollgate.DialVerdict, n []byte, norm *[dialplan.MaxDigitsLimit + 1]byte) (api.DialResult, []byte) {
	r := dialplan.Result{Row: int32(v.Row), Alt: int32(v.Alt)}
	d := api.DialResult{
		Allowed: v.Allowed, Reason: api.DialReason(v.Reason.String()),
		Table: t.Name(), Row: v.Row, Pattern: t.Pattern(r),
	}
	number := n
	if v.Normalized || v.Reason == dialplan.ReasonInvalid {
		digits, dropped, bad := dialplan.Normalize(norm[:0], n)
		d.Dropped = dropped
		if v.Reason == dialplan.ReasonInvalid {
			d.Position = bad
		} else if dropped > 0 {
			number = digits
		}
	}
	return d, number
}

// validText is n as a string, each byte that is not UTF-8 replaced by
// U+FFFD: what the text becomes in JSON (api's codec writes such a byte
// as \ufffd). A number, table, class of service or feature given so is
// the same on both engines (the wasm engine's requests are JSON; the
// native engine would otherwise echo the raw byte) and on both paths
// (arguments, --file). The first invalid byte keeps its offset, the
// answer's position.
func validText(n []byte) string {
	if utf8.Valid(n) {
		return string(n)
	}
	out := make([]byte, 0, len(n)+8)
	for len(n) > 0 {
		r, size := utf8.DecodeRune(n)
		if r == utf8.RuneError && size == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, n[:size]...)
		}
		n = n[size:]
	}
	return string(out)
}

// appendDialText appends the line for people of a dial result whose
// number is number (d.Number, or its bytes on the --file path):
//
//	blocked  914085551234  Default Transfer row 0 91???????*
//
// The number, the table's name and the pattern are rendered safe for a
// terminal (appendSafe); no JSON is made or read, so --file's text costs
// no more than its --json.
func appendDialText(b, number []byte, d *api.DialResult) []byte {
	if d.Allowed {
		b = append(b, "allowed  "...)
	} else {
		b = append(b, "blocked  "...)
	}
	b = appendSafe(b, number)
	b = append(b, "  "...)
	b = appendSafeString(b, d.Table)
	if d.Row >= 0 {
		b = append(b, " row "...)
		b = strconv.AppendInt(b, int64(d.Row), 10)
		b = append(b, ' ')
		b = appendSafeString(b, d.Pattern)
	} else {
		b = append(b, ": "...)
		for i := 0; i < len(d.Reason); i++ {
			c := d.Reason[i]
			if c == '_' {
				c = ' '
			}
			b = append(b, c)
		}
	}
	return append(b, '\n')
}

// appendSafe appends s for a terminal. A byte that is not UTF-8 becomes
// U+FFFD, as api.AppendString writes it in JSON. A control character (C0,
// DEL, C1: ESC starts the sequences that move the cursor, retitle the
// window or rewrite the screen) becomes \xHH or \u00HH, and so does a
// character that reorders or breaks a line (the bidirectional overrides
// and isolates, U+2028, U+2029), so a number or a table name from a file
// prints as what it is (issue 14, finding 16). Printable ASCII, the usual
// case, is copied as it is.
func appendSafe(b, s []byte) []byte {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
		i++
	}
	if i == len(s) {
		return append(b, s...)
	}
	b = append(b, s[:i]...)
	const hex = "0123456789abcdef"
	for s = s[i:]; len(s) > 0; {
		r, n := utf8.DecodeRune(s)
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, "\uFFFD"...)
		case r < 0x20 || r == 0x7f:
			b = append(b, '\\', 'x', hex[r>>4], hex[r&0xf])
		case r >= 0x80 && r < 0xa0, r == 0x061c, r == 0x200e, r == 0x200f,
			r >= 0x2028 && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			b = append(b, '\\', 'u', hex[r>>12], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		default:
			b = append(b, s[:n]...)
		}
		s = s[n:]
	}
	return b
}

// appendSafeString is appendSafe for a string.
func appendSafeString(b []byte, s string) []byte {
	// The common case (printable ASCII) converts nothing.
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
		i++
	}
	if i == len(s) {
		return append(b, s...)
	}
	return appendSafe(b, []byte(s))
}

// safeText is appendSafe for a string.
func safeText(s string) string { return string(appendSafe(nil, []byte(s))) }
