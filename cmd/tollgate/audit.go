package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	tollgate "github.com/tollgate/tollgate"
	wasmengine "github.com/tollgate/tollgate/internal/engine"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/audit"
	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/export"
)

func init() {
	register(&command{
		name:    "audit",
		summary: "audit a user export (CUC/CUCM BAT, Exchange CSV): trivial and shared PINs, legacy hashes, refused numbers",
		run:     runAudit,
	})
}

const auditUsage = `Usage: tollgate audit [flags] FILE.csv|-

Reads a user export (RFC 4180 CSV; UTF-8 with or without BOM, UTF-16 with
BOM, or Windows-1252 as Excel saves it, detected or set with --encoding;
headers in any order and case, see docs/audit.md) and writes one record per
data row, in input order: its line, alias and findings. Never prints a PIN,
password or hash.

Exit status: 0 nothing found, 1 findings, 2 the audit could not run or was
interrupted (the partial report is still valid).
`

func runAudit(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tollgate audit", flag.ContinueOnError)
	policy := fs.String("policy", "cuc", "policy: a profile name (cuc, cuc-esm, cucm, exchange-um, nist-800-63b-4) or a JSON policy file")
	tables := fs.String("tables", "default", "restriction tables: a built-in set name or a JSON tables file")
	fips := fs.Bool("fips", false, "the system runs in FIPS mode: MD5-family records cannot sign in at all")
	format := fs.String("format", "table", "report format: table, csv, json (JSON Lines) or html")
	outPath := fs.String("o", "", "write the report to `FILE` instead of standard output")
	summaryPath := fs.String("summary", "", "also write the summary as JSON to `FILE`")
	exhaustive := fs.Bool("exhaustive", false, "try every PIN of the policy's lengths (up to 8 digits) against stored PIN hashes")
	workers := fs.Int("workers", 0, "rows checked at once (0: one per CPU)")
	encoding := encodingFlag(fs)
	engine := engineFlag(fs)
	pos, code, done := parseArgs(fs, args, auditUsage, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "tollgate audit: want exactly one input file (or - for standard input)")
		printUsage(fs, auditUsage, stderr)
		return exitUsage
	}
	enc, err := export.ParseEncoding(*encoding)
	if err != nil {
		fmt.Fprintf(stderr, "tollgate audit: --encoding: %v\n", err)
		return exitUsage
	}
	policyRef, policyFile, err := docArg("--policy", *policy)
	if err != nil {
		fmt.Fprintf(stderr, "tollgate audit: %v\n", err)
		return exitUsage
	}
	tablesRef, tablesFile, err := tablesArg(*tables)
	if err != nil {
		fmt.Fprintf(stderr, "tollgate audit: --tables: %v\n", err)
		return exitUsage
	}
	in, err := auditInput(pos[0], stdin)
	if err != nil {
		fmt.Fprintf(stderr, "tollgate audit: %v\n", err)
		return exitUsage
	}

	// The outputs may be none of the inputs; each is written beside
	// itself and renamed into place (outfile.go).
	inputs := []os.FileInfo{inputInfo(pos[0], stdin), docInfo(*policy), docInfo(*tables)}
	var out io.Writer = stdout
	var report, summaryOut *outFile
	if *outPath != "" {
		report, err = createOut(*outPath, outOptions{flag: "-o", perm: 0o644, keepMode: true, inputs: inputs, stdout: stdout})
		if err != nil {
			fmt.Fprintf(stderr, "tollgate audit: -o: %v\n", err)
			return exitUsage
		}
		defer report.abort()
		out = report.w
	}
	if *summaryPath != "" {
		var others []*outFile
		if report != nil {
			others = append(others, report)
		}
		summaryOut, err = createOut(*summaryPath, outOptions{flag: "--summary", perm: 0o644, keepMode: true, inputs: inputs, others: others, stdout: stdout})
		if err != nil {
			fmt.Fprintf(stderr, "tollgate audit: --summary: %v\n", err)
			return exitUsage
		}
		defer summaryOut.abort()
	}
	sink, err := audit.NewSink(*format, out)
	if err != nil {
		fmt.Fprintf(stderr, "tollgate audit: --format: %v\n", err)
		return exitUsage
	}
	// On the wasm engine the audit runs in the audit module; the Checker
	// runs it too, so the process compiles one module, not two, and the
	// audit runs on the Checker's first instance. The embedded bytes, not
	// tollgate.AuditModule's copy: the engine keeps the slice it hashed.
	chk, err := openChecker(*engine, tollgate.WithModule(wasmengine.EmbeddedAuditModule))
	if err != nil {
		fmt.Fprintf(stderr, "tollgate audit: --engine: %v\n", err)
		return exitUsage
	}
	defer chk.Close()

	// The audit's memory is flat except for the shared-PIN table; a soft
	// limit keeps the garbage collector from letting the heap double
	// around a large table (it is pointer-free, so collections stay cheap).
	// GOMEMLIMIT, when set, wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(auditMemoryLimit))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := audit.Config{
		Engine: chk, Policy: policyRef, Tables: tablesRef, TablesName: *tables,
		FIPS: *fips, Exhaustive: *exhaustive, Workers: *workers,
		Year: time.Now().Year(), Warn: stderr, Encoding: enc,
	}
	var bar *progressBar
	if isTerminal(stderr) {
		bar = &progressBar{w: stderr, start: time.Now()}
		cfg.Progress = bar.update
	}
	sum, err := audit.Run(ctx, cfg, in, sink)
	if bar != nil {
		bar.clear()
	}
	if err != nil {
		fmt.Fprintf(stderr, "tollgate audit: %s\n", documentError(err, policyFile, tablesFile))
		return exitUsage
	}
	// An interrupted audit's report is complete as a document and marked
	// partial (docs/audit.md), so it too replaces the old one.
	if report != nil {
		if err := report.commit(); err != nil {
			fmt.Fprintf(stderr, "tollgate audit: -o: %v\n", err)
			return exitUsage
		}
	}
	if summaryOut != nil {
		err := audit.WriteSummaryJSON(summaryOut.w, sum)
		if err == nil {
			err = summaryOut.commit()
		}
		if err != nil {
			fmt.Fprintf(stderr, "tollgate audit: --summary: %v\n", err)
			return exitUsage
		}
	}
	if sum.Interrupted {
		fmt.Fprintf(stderr, "tollgate audit: interrupted: the report holds the first %d rows\n", sum.Rows)
		return exitUsage
	}
	if sum.Findings > 0 {
		return exitRefused
	}
	return exitOK
}

// auditMemoryLimit is the soft limit (runtime/debug.SetMemoryLimit) the
// audit runs under, within the 100 MB the issue sets; above it the Go
// runtime bounds the collector's CPU share instead of failing.
const auditMemoryLimit = 80 << 20

// docArg reads a --policy value: a file when one exists at that path (or
// the value ends in .json), a document written inline ({...}), else a
// built-in name. A file's text is always a document: taken for a name, it
// was quoted in the "not a built-in profile" error (a users file given by
// mistake put its first PINs on stderr).
func docArg(flag, v string) (api.PolicyRef, *docFile, error) {
	if _, err := os.Stat(v); err == nil || strings.HasSuffix(v, ".json") {
		b, err := readDocument(flag, v, maxPolicyFile, false)
		if err != nil {
			return api.PolicyRef{}, nil, err
		}
		return api.PolicyJSON(b), &docFile{flag, v, b}, nil
	}
	if strings.HasPrefix(strings.TrimSpace(v), "{") {
		return api.PolicyJSON([]byte(v)), nil, nil
	}
	return api.Profile(v), nil, nil
}

// docInfo is the file a --policy or --tables value names, if any (an
// output may not be it).
func docInfo(v string) os.FileInfo {
	fi, err := os.Stat(v)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	return fi
}

// tablesArg reads a --tables value: a built-in set name, a document
// written inline, or a file in any format package dialplan imports (tables
// JSON, a CUPI export, Asterisk extensions.conf, Exchange dialing rules),
// passed on as tables JSON. A file is never taken for a set name.
func tablesArg(v string) (api.TablesRef, *docFile, error) {
	if _, err := os.Stat(v); err != nil && !strings.HasSuffix(v, ".json") {
		if strings.HasPrefix(strings.TrimSpace(v), "{") {
			return api.TablesJSON([]byte(v)), nil, nil
		}
		return api.BuiltinTables(v), nil, nil
	}
	data, err := readDocument("--tables", v, maxTablesFile, false)
	if err != nil {
		return api.TablesRef{}, nil, err
	}
	if dialplan.Detect(v, data) == dialplan.FormatTables {
		return api.TablesJSON(data), &docFile{"--tables", v, data}, nil
	}
	b, err := importTables(v, data)
	if err != nil {
		return api.TablesRef{}, nil, err
	}
	return api.TablesJSON(b), nil, nil
}

// documentError renders an error of a run that read a --policy or
// --tables file: an error about the document names the file and, when its
// field is found there, the line and column.
func documentError(err error, policy, tables *docFile) string {
	var pe *core.PolicyError
	if policy != nil && errors.As(err, &pe) {
		return policy.policyError(pe)
	}
	var te *dialplan.ParseError
	if tables != nil && errors.As(err, &te) {
		return tables.tablesError(te)
	}
	return err.Error()
}

// auditInput opens the audited file. A regular file is read twice (the
// first pass counts shared PINs); standard input and pipes once.
func auditInput(path string, stdin io.Reader) (audit.Input, error) {
	if path == "-" {
		return audit.Input{Name: "stdin", Open: onceReader(stdin)}, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return audit.Input{}, err
	}
	open := func() (io.ReadCloser, error) { return os.Open(path) }
	if !fi.Mode().IsRegular() {
		// A pipe is read once; a device or a directory is refused.
		f, err := openStream("", path)
		if err != nil {
			return audit.Input{}, err
		}
		return audit.Input{Name: path, Open: onceReader(f)}, nil
	}
	return audit.Input{Name: path, Open: open, Rereadable: true, Size: fi.Size()}, nil
}

func onceReader(r io.Reader) func() (io.ReadCloser, error) {
	used := false
	return func() (io.ReadCloser, error) {
		if used {
			return nil, errors.New("input can be read only once")
		}
		used = true
		return io.NopCloser(r), nil
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressBar draws rows, rate and, when the audit knows how much of the
// input the rows written cover, a bar, a percentage and the ETA.
type progressBar struct {
	w     io.Writer
	start time.Time
	now   func() time.Time // time.Now unless a test sets it
	drawn bool
}

// update draws one line; done is audit.Config.Progress's fraction (-1:
// unknown). The percentage is rounded down, so 100 % is drawn only at the
// end (done is 1 only then).
func (p *progressBar) update(rows int, done float64) {
	now := time.Now
	if p.now != nil {
		now = p.now
	}
	el := now().Sub(p.start).Seconds()
	rate := float64(rows) / max(el, 1e-3)
	line := fmt.Sprintf("%d rows  %.0f rows/s", rows, rate)
	if done >= 0 {
		done = min(done, 1)
		const width = 24
		n := int(done * width)
		eta := time.Duration(el * (1 - done) / max(done, 1e-6) * float64(time.Second))
		line = fmt.Sprintf("[%s%s] %3d%%  %s  ETA %s", strings.Repeat("#", n), strings.Repeat(".", width-n), int(done*100), line, eta.Round(time.Second))
	}
	fmt.Fprintf(p.w, "\raudit: %-71s", line)
	p.drawn = true
}

func (p *progressBar) clear() {
	if p.drawn {
		fmt.Fprintf(p.w, "\r%78s\r", "")
	}
}
