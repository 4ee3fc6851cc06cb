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
	"strings"
	"unicode/utf8"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/host"
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

// tablesRef loads the tables a --tables value names into the engine and
// returns the handle to put in requests. "" is the built-in default set;
// "default" and "recommended" name built-in sets; anything else is a file,
// converted to a tables document when it is in an import format.
func tablesRef(c caller, v string) (string, error) {
	h, _, err := loadTables(c, v)
	return h, err
}

// loadTables is tablesRef that also returns the document it loaded.
func loadTables(c caller, v string) (string, []byte, error) {
	var doc []byte
	switch v {
	case "", dialplan.SetDefault, dialplan.SetRecommended:
		if v == "" {
			v = dialplan.SetDefault
		}
		doc = strconv.AppendQuote(nil, v)
	default:
		data, err := readDocument("--tables", v, maxTablesFile, false)
		if err != nil {
			return "", nil, err
		}
		if dialplan.Detect(v, data) == dialplan.FormatTables {
			doc = data
		} else {
			d, err := dialplan.Import(v, data)
			if err != nil {
				return "", nil, err
			}
			// Compiled here too: only here do errors know the file's lines.
			if _, err := dialplan.Compile(v, d); err != nil {
				return "", nil, err
			}
			if doc, err = json.Marshal(d); err != nil {
				return "", nil, err
			}
		}
	}
	resp, err := c.Do("tables.load", doc)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %s", v, errorMessage(resp, err))
	}
	var r struct {
		Handle int `json:"handle"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return "", nil, err
	}
	return strconv.Itoa(r.Handle), doc, nil
}

// errorMessage extracts the message of an api error response.
func errorMessage(resp []byte, err error) string {
	var e struct {
		Error api.Error `json:"error"`
	}
	if json.Unmarshal(resp, &e) == nil && e.Error.Message != "" {
		return e.Error.Message
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
	c, err := openCaller(*engine)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}
	defer c.Close()
	handle, doc, err := loadTables(c, *tables)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}
	// Every request shares this prefix; only the number changes.
	prefix := []byte(`{"tables":` + handle)
	if *table != "" {
		prefix = append(append(prefix, `,"table":`...), api.AppendString(nil, *table)...)
	}
	if *cos != "" {
		prefix = append(append(prefix, `,"cos":`...), api.AppendString(nil, *cos)...)
		prefix = append(append(prefix, `,"feature":`...), api.AppendString(nil, *feature)...)
	}
	prefix = append(prefix, `,"number":`...)

	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	status := exitOK
	req := make([]byte, 0, 256)
	check := func(number string) bool {
		req = api.AppendString(append(req[:0], prefix...), number)
		req = append(req, '}')
		resp, err := c.Do("dial", req)
		if err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "%s: %s\n", who, errorMessage(resp, err))
			status = exitUsage
			return false
		}
		if !bytes.Contains(resp, []byte(`"allowed":true`)) {
			status = exitRefused
		}
		if *asJSON {
			out.Write(resp)
			out.WriteByte('\n')
		} else {
			writeDialText(out, resp)
		}
		return true
	}
	if *file == "" {
		for _, n := range numbers {
			if !check(n) {
				return exitUsage
			}
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
	ec, ok := c.(engineCaller)
	if !ok {
		fmt.Fprintf(stderr, "%s: --file needs a host engine\n", who)
		return exitUsage
	}
	h, _ := strconv.Atoi(handle)
	lines := &lineReader{r: bufio.NewReaderSize(in, maxDialLine)}
	name := *file
	if name == "-" {
		name = "standard input"
	}
	return dialStream(ec.e, h, doc, *table, *cos, *feature, *asJSON, lines, name, out, stderr)
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

// dialStream is --file on a host engine: numbers go through the engine's
// scalar batch path (one crossing per batch, no JSON), and each verdict is
// printed exactly as the "dial" operation would print it, with the table's
// name and pattern taken from the same document compiled here.
func dialStream(e host.Engine, handle int, doc []byte, table, cos, feature string, asJSON bool,
	lines *lineReader, file string, out *bufio.Writer, stderr io.Writer) int {
	const who = "tollgate dial"
	fail := func(err error) int {
		out.Flush()
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}
	var set *dialplan.Set
	var err error
	if len(doc) > 0 && doc[0] == '"' {
		name, _ := strconv.Unquote(string(doc))
		set, err = dialplan.Builtin(name)
	} else {
		set, err = dialplan.Parse("", doc)
	}
	if err != nil {
		return fail(err)
	}
	t, err := api.PickTable(set, table, cos, feature)
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	var ti int
	if cos != "" {
		ti, err = e.FeatureTable(ctx, handle, cos, feature)
	} else {
		ti, err = e.TableIndex(ctx, handle, t.Name())
	}
	if err != nil {
		return fail(err)
	}
	status := exitOK
	arena := make([]byte, 0, 64<<10)
	nums := make([][]byte, 0, dialBatchSize)
	res := make([]host.DialResult, dialBatchSize)
	var line []byte
	flush := func() error {
		if len(nums) == 0 {
			return nil
		}
		if err := e.DialBatch(ctx, handle, ti, nums, res); err != nil {
			return err
		}
		for i, n := range nums {
			r := dialplan.Result{Allowed: res[i].Allowed, Reason: res[i].Reason, Row: int32(res[i].Row), Alt: int32(res[i].Alt), Bad: -1}
			if res[i].Normalized || r.Reason == dialplan.ReasonInvalid {
				var buf [dialplan.MaxDigitsLimit + 1]byte
				_, dropped, bad := dialplan.Normalize(buf[:0], n)
				r.Dropped, r.Bad = int32(dropped), int32(bad)
			}
			if !r.Allowed {
				status = exitRefused
			}
			if asJSON {
				line = api.AppendDial(line[:0], t, string(n), r)
				line = append(line, '\n')
			} else {
				line = appendDialText(line[:0], t, n, r)
			}
			out.Write(line)
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
			status = exitRefused
			out.Flush()
			fmt.Fprintf(stderr, "%s: %s: line %d is %d bytes, more than the %d a line may have: reported as too_long\n",
				who, file, lines.no, size, maxDialLine)
			number := append(bytes.TrimSpace(raw), "…"...)
			r := dialplan.Result{Reason: dialplan.ReasonTooLong, Row: -1, Bad: -1}
			if asJSON {
				line = append(api.AppendDial(line[:0], t, string(number), r), '\n')
			} else {
				line = appendDialText(line[:0], t, number, r)
			}
			out.Write(line)
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

// appendDialText appends the line writeDialText prints for the JSON
// api.AppendDial makes of the same verdict, without the JSON: --file used
// to make the JSON, decode it again with encoding/json and print it with
// fmt, 12 times the cost of --json. The number is the one the JSON holds:
// the normalized digits when separators were dropped (not for an invalid
// number), with each byte that is not UTF-8 shown as U+FFFD; it, the
// table's name and the pattern are rendered safe for a terminal
// (appendSafe).
func appendDialText(b []byte, t *dialplan.Table, number []byte, r dialplan.Result) []byte {
	if r.Allowed {
		b = append(b, "allowed  "...)
	} else {
		b = append(b, "blocked  "...)
	}
	if r.Dropped > 0 && r.Reason != dialplan.ReasonInvalid {
		var buf [dialplan.MaxDigitsLimit + 1]byte
		number, _, _ = dialplan.Normalize(buf[:0], number)
	}
	b = appendSafe(b, number)
	b = append(b, "  "...)
	b = appendSafe(b, []byte(t.Name()))
	if r.Row >= 0 {
		b = append(b, " row "...)
		b = strconv.AppendInt(b, int64(r.Row), 10)
		b = append(b, ' ')
		b = appendSafe(b, []byte(t.Pattern(r)))
	} else {
		b = append(b, ": "...)
		for _, c := range []byte(r.Reason.String()) {
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

// safeText is appendSafe for a string.
func safeText(s string) string { return string(appendSafe(nil, []byte(s))) }

// writeDialText prints one result for people:
//
//	blocked  914085551234  Default Transfer row 0 91???????*
func writeDialText(w *bufio.Writer, resp []byte) {
	var r struct {
		Number  string `json:"number"`
		Allowed bool   `json:"allowed"`
		Reason  string `json:"reason"`
		Table   string `json:"table"`
		Row     int    `json:"row"`
		Pattern string `json:"pattern"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		w.Write(appendSafe(nil, resp))
		w.WriteByte('\n')
		return
	}
	verdict := "blocked"
	if r.Allowed {
		verdict = "allowed"
	}
	switch {
	case r.Row >= 0:
		fmt.Fprintf(w, "%s  %s  %s row %d %s\n", verdict, safeText(r.Number), safeText(r.Table), r.Row, safeText(r.Pattern))
	default:
		fmt.Fprintf(w, "%s  %s  %s: %s\n", verdict, safeText(r.Number), safeText(r.Table), strings.ReplaceAll(r.Reason, "_", " "))
	}
}
