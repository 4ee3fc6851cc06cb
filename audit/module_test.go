package audit

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/engine"
)

// An audit on the wasm engine runs the per-row core inside the module
// (wasm/tollgate-audit.wasm, one crossing per chunk of raw bytes) and
// gives the native audit's records, summary and notes byte for byte: the
// sample (broken rows, a BOM), the every-check file under each policy,
// an input read once, other encodings, numbers classified by
// destination, and a generated 100 000-row BAT
// import.
func TestModuleAuditMatchesNative(t *testing.T) {
	native, wasm := nativeEngine(t), newChecker(t, tollgate.Wasm)
	if !inModule(wasm) || inModule(native) {
		t.Fatal("the wasm Checker does not take the module path")
	}
	// The CLI's Checker runs the audit module itself, and the audit runs
	// on that Checker's instance (auditEngine): both paths are held.
	cli := auditModuleChecker(t)
	sample, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	cp1252, err := os.ReadFile("../testdata/csv/excel-cp1252.csv")
	if err != nil {
		t.Fatal(err)
	}
	type run struct {
		name string
		cfg  Config
		in   func() Input
	}
	runs := []run{
		{"sample", Config{Year: 2026}, func() Input { return fileInput(samplePath) }},
		{"sample read once", Config{Year: 2026}, func() Input { return onceInput("stdin", sample) }},
		{"sample as UTF-16", Config{}, func() Input {
			return BytesInput("u16.csv", utf16File(string(bytes.TrimPrefix(sample, []byte("\xef\xbb\xbf"))), true))
		}},
		{"windows-1252", Config{}, func() Input { return BytesInput("cp.csv", cp1252) }},
		{"sample in 7-byte chunks' worth of CR lines", Config{}, func() Input {
			return BytesInput("cr.csv", bytes.ReplaceAll(bytes.ReplaceAll(sample, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r")))
		}},
	}
	regionTables, err := os.ReadFile(regionTablesPath)
	if err != nil {
		t.Fatal(err)
	}
	// Tables with a region: the high_tier_destination findings.
	runs = append(runs, run{"destinations", Config{Tables: tablesOf(string(regionTables))}, func() Input { return fileInput(destinationsCSV) }})
	for _, p := range everyCheckPolicies {
		runs = append(runs, run{"every check, policy " + p, Config{Policy: policyOf(p), Tables: tablesOf(everyCheckTables), Year: 2026},
			func() Input { return BytesInput("every-check.csv", []byte(everyCheckCSV())) }})
	}
	if !testing.Short() {
		big := filepath.Join(t.TempDir(), "bat-100k.csv")
		gen := exec.Command("go", "run", "../cmd/internal/gencsv", "-n", "100000", "-hashes=false", "-o", big)
		if out, err := gen.CombinedOutput(); err != nil {
			t.Fatalf("gencsv: %v\n%s", err, out)
		}
		runs = append(runs, run{"generated 100 000 rows", Config{Year: 2026}, func() Input { return fileInput(big) }})
	}
	for _, r := range runs {
		var nwarn, wwarn bytes.Buffer
		nc, wc := r.cfg, r.cfg
		// One worker, as the wasm audit has: its PBKDF2 estimates count
		// with it. (Read once, the order of holders decides "earlier
		// user(s)": TestSharedPINReadOnceCountsInInputOrder holds any
		// number of workers to the file's order.)
		nc.Engine, nc.Warn, nc.Workers = native, &nwarn, 1
		nrep, nsum := runAudit(t, nc, r.in(), "json")
		for _, w := range []*tollgate.Checker{wasm, cli} {
			wwarn.Reset()
			wc.Engine, wc.Warn = w, &wwarn
			name := r.name
			if w == cli {
				name += " (the audit module's Checker)"
			}
			wrep, wsum := runAudit(t, wc, r.in(), "json")
			sameReport(t, name, nrep, wrep)
			sameSummary(t, name, nsum, wsum)
			if nwarn.String() != wwarn.String() {
				t.Errorf("%s: notes differ:\n%s\n%s", name, nwarn.String(), wwarn.String())
			}
			if wsum.Engine != "wasm" || nsum.Rows == 0 {
				t.Errorf("%s: engine %q, %d rows", name, wsum.Engine, nsum.Rows)
			}
		}
	}
}

// onceInput is data as standard input is: read once.
func onceInput(name string, data []byte) Input {
	return Input{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

var _ = context.Background

// auditModuleChecker is the CLI's wasm Checker: the audit module's.
func auditModuleChecker(t testing.TB) *tollgate.Checker {
	t.Helper()
	c, err := tollgate.New(context.Background(), tollgate.WithModule(engine.EmbeddedAuditModule))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// An audit on a Checker that runs the audit module (the CLI's) holds one
// instance: the Checker's first, taken for the run, and none of the
// heavy pool (the module loads the documents itself, the Checker is not
// asked to). Two runs in a row each take the one the pool makes again.
// (Before, a run loaded the policy and tables into the Checker, which made
// a heavy instance, and ran in an engine of its own: three instances.)
func TestModuleAuditOneInstance(t *testing.T) {
	c := auditModuleChecker(t)
	for run := 1; run <= 2; run++ {
		var warn bytes.Buffer
		_, sum := runAudit(t, Config{Engine: c, Year: 2026, Warn: &warn}, fileInput(samplePath), "json")
		if sum.Rows == 0 || sum.Engine != "wasm" {
			t.Fatalf("run %d: %d rows on %q", run, sum.Rows, sum.Engine)
		}
		p := c.Pools()
		if p[0].Created != int64(run) || p[1].Created != 0 {
			t.Errorf("run %d: pools %+v: want %d main instance(s) made in all, no heavy one", run, p, run)
		}
	}
	// The Checker still serves calls after the runs took its instances.
	if v, err := c.CheckPIN(context.Background(), &api.PINRequest{PIN: "135792"}); err != nil || !v.Accepted {
		t.Errorf("after the audits: %+v, %v", v, err)
	}
}
