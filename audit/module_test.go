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
		// One worker: the wasm audit's (its estimates count with it),
		// and read once, the order of holders decides "earlier user(s)".
		nc.Engine, nc.Warn, nc.Workers = native, &nwarn, 1
		wc.Engine, wc.Warn = wasm, &wwarn
		nrep, nsum := runAudit(t, nc, r.in(), "json")
		wrep, wsum := runAudit(t, wc, r.in(), "json")
		sameReport(t, r.name, nrep, wrep)
		sameSummary(t, r.name, nsum, wsum)
		if nwarn.String() != wwarn.String() {
			t.Errorf("%s: notes differ:\n%s\n%s", r.name, nwarn.String(), wwarn.String())
		}
		if wsum.Engine != "wasm" || nsum.Rows == 0 {
			t.Errorf("%s: engine %q, %d rows", r.name, wsum.Engine, nsum.Rows)
		}
	}
}

// onceInput is data as standard input is: read once.
func onceInput(name string, data []byte) Input {
	return Input{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

var _ = context.Background
