package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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
results, so it handles millions of numbers in bounded memory.

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
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if ec, ok := c.(engineCaller); ok {
		h, _ := strconv.Atoi(handle)
		return dialStream(ec.e, h, doc, *table, *cos, *feature, *asJSON, sc, *file, out, stderr)
	}
	line := 0
	for sc.Scan() {
		line++
		n := strings.TrimSpace(sc.Text())
		if n == "" {
			continue
		}
		if !check(n) {
			return exitUsage
		}
	}
	if err := sc.Err(); err != nil {
		out.Flush()
		fmt.Fprintf(stderr, "%s: %s: line %d: %v\n", who, *file, line+1, err)
		return exitUsage
	}
	return status
}

// dialBatchSize is how many numbers cross into the engine at once.
const dialBatchSize = 4096

// dialStream is --file on a host engine: numbers go through the engine's
// scalar batch path (one crossing per batch, no JSON), and each verdict is
// printed exactly as the "dial" operation would print it, with the table's
// name and pattern taken from the same document compiled here.
func dialStream(e host.Engine, handle int, doc []byte, table, cos, feature string, asJSON bool,
	sc *bufio.Scanner, file string, out *bufio.Writer, stderr io.Writer) int {
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
		ti, err = e.TableIndex(ctx, handle, t.Name)
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
	lineNo := 0
	for sc.Scan() {
		lineNo++
		n := bytes.TrimSpace(sc.Bytes())
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
	if err := sc.Err(); err != nil {
		return fail(fmt.Errorf("%s: line %d: %v", file, lineNo+1, err))
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
// number), with each byte that is not UTF-8 shown as U+FFFD.
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
	b = appendValidUTF8(b, number)
	b = append(b, "  "...)
	b = appendValidUTF8(b, []byte(t.Name))
	if r.Row >= 0 {
		b = append(b, " row "...)
		b = strconv.AppendInt(b, int64(r.Row), 10)
		b = append(b, ' ')
		b = appendValidUTF8(b, []byte(t.Pattern(r)))
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

// appendValidUTF8 appends s with each byte that is not part of a UTF-8
// sequence replaced by U+FFFD, as api.AppendString writes it in JSON.
func appendValidUTF8(b, s []byte) []byte {
	if utf8.Valid(s) {
		return append(b, s...)
	}
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[:n]...)
		}
		s = s[n:]
	}
	return b
}

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
		w.Write(resp)
		w.WriteByte('\n')
		return
	}
	verdict := "blocked"
	if r.Allowed {
		verdict = "allowed"
	}
	switch {
	case r.Row >= 0:
		fmt.Fprintf(w, "%s  %s  %s row %d %s\n", verdict, r.Number, r.Table, r.Row, r.Pattern)
	default:
		fmt.Fprintf(w, "%s  %s  %s: %s\n", verdict, r.Number, r.Table, strings.ReplaceAll(r.Reason, "_", " "))
	}
}
