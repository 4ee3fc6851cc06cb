package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
)

func init() {
	register(&command{
		name:    "lint",
		summary: "review restriction tables for toll-fraud holes (exit 1 on an error finding)",
		run:     runLint,
	})
}

const lintUsage = `Usage: tollgate lint [--tables FILE] [--json] [--engine E]

Reviews restriction tables: rows never reached (shadowed_row, decided
exactly), operator and international numbers allowed, trunk-code and
trailing-key bypasses, open system transfers, Cisco limits. Each finding
has a stable code, a severity (error, warning, info), the table and the row
(-1 for the whole table). Without --tables the built-in defaults are
reviewed; FILE is any format 'tollgate dial' reads (docs/tables.md).

--json prints one object per finding: {"code","severity","table","row","message"}.

Exit status: 0 no error finding, 1 an error finding, 2 usage or configuration error.
`

func runLint(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const who = "tollgate lint"
	fs := flag.NewFlagSet(who, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	tables := fs.String("tables", "", "tables: default, recommended, or a file")
	asJSON := fs.Bool("json", false, "print one JSON object per finding")
	engine := engineFlag(fs)
	if code, done := parseFlags(fs, args, lintUsage, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q (use --tables FILE)\n", who, fs.Arg(0))
		return exitUsage
	}
	c, err := openCaller(*engine)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}
	defer c.Close()
	handle, err := tablesRef(c, *tables)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}
	resp, err := c.Do("lint", []byte(`{"tables":`+handle+`}`))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", who, errorMessage(resp, err))
		return exitUsage
	}
	var r struct {
		Findings []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return exitUsage
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	status := exitOK
	for _, raw := range r.Findings {
		var f struct {
			Code     string `json:"code"`
			Severity string `json:"severity"`
			Table    string `json:"table"`
			Row      int    `json:"row"`
			Message  string `json:"message"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", who, err)
			return exitUsage
		}
		if f.Severity == "error" {
			status = exitRefused
		}
		if *asJSON {
			out.Write(raw)
			out.WriteByte('\n')
			continue
		}
		where := f.Table
		if f.Row >= 0 {
			where += fmt.Sprintf(" row %d", f.Row)
		}
		// Table names come from the file: shown safe for a terminal.
		fmt.Fprintf(out, "%-7s %-22s %s: %s\n", f.Severity, f.Code, safeText(where), safeText(f.Message))
	}
	if !*asJSON && len(r.Findings) == 0 {
		fmt.Fprintln(out, "no findings")
	}
	return status
}
