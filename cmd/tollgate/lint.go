package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/tollgate/tollgate/api"
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
	r, err := c.Lint(ctx, &api.LintRequest{Tables: api.TablesHandle(handle)})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", who, errorMessage(err))
		return exitUsage
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	status := exitOK
	var line []byte
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Severity == "error" {
			status = exitRefused
		}
		if *asJSON {
			line = append(api.Append(line[:0], f), '\n')
			out.Write(line)
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
