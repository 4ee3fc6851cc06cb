package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/credential"
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
			sameNotes(t, name, nwarn.String(), wwarn.String())
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

// startSignal closes started at its first write: the audit's first note,
// its cost estimate, comes just before the check pass.
type startSignal struct {
	once    sync.Once
	started chan struct{}
}

func (s *startSignal) Write(p []byte) (int, error) {
	s.once.Do(func() { close(s.started) })
	return len(p), nil
}

// A cancelled audit on the wasm engine stops inside the module's long
// work, not at the end of its chunk: the module has no context, and a
// chunk of PBKDF2 records or an exhaustive search ran on for minutes after
// a SIGINT (the CLI could only be killed). The bound below is for a hang:
// either audit takes minutes to finish, and stops within milliseconds.
func TestModuleAuditStopsWithinAChunk(t *testing.T) {
	pbkdf2, err := credential.MakeIterations(credential.PBKDF2SHA512, "482139", []byte("saltsaltsaltsalt"), 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	var pb strings.Builder
	pb.WriteString("Alias,Extension,PinHash,PasswordHash\n")
	for i := range 40 {
		fmt.Fprintf(&pb, "u%d,%d,%s,%s\n", i, 20000+i, pbkdf2, pbkdf2)
	}
	ssha := mkRecord(t, credential.SSHA, "48213957") // no candidate: the search finds it late
	for _, c := range []struct {
		name string
		cfg  Config
		csv  string
		rows int
	}{
		{"PBKDF2 records", Config{}, pb.String(), 40},
		{"the exhaustive search", Config{Exhaustive: true}, "Alias,PinHash\nu1," + ssha + "\nu2," + ssha + "\n", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sig := &startSignal{started: make(chan struct{})}
			cfg := c.cfg
			cfg.Engine, cfg.Warn = newChecker(t, tollgate.Wasm), sig
			var out bytes.Buffer
			sink, _ := NewSink("json", &out)
			type result struct {
				sum *Summary
				err error
			}
			done := make(chan result, 1)
			go func() {
				sum, err := Run(ctx, cfg, bytesInput("slow.csv", []byte(c.csv), true), sink)
				done <- result{sum, err}
			}()
			select {
			case <-sig.started:
			case r := <-done:
				t.Fatalf("the audit ended before its check pass: %+v", r)
			}
			time.Sleep(200 * time.Millisecond) // inside the module's audit.rows
			cancel()
			select {
			case r := <-done:
				if r.err != nil {
					t.Fatal(r.err)
				}
				if !r.sum.Interrupted || r.sum.Rows >= c.rows || r.sum.Engine != "wasm" {
					t.Errorf("interrupted %v, %d rows of %d, engine %s", r.sum.Interrupted, r.sum.Rows, c.rows, r.sum.Engine)
				}
				if !strings.Contains(out.String(), `{"partial":true,`) || strings.Contains(out.String(), "482139") {
					t.Errorf("report:\n%s", out.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the audit went on 30 s after its context was cancelled")
			}
		})
	}
}

// The module measures what its own work costs (audit.rates), so that the
// estimates of a wasm audit are made at the module's speed: they were
// made natively, and the module's SHA-1 and PBKDF2 run 10 to 30 times
// slower (docs/abi.md, "Audit").
func TestModuleRates(t *testing.T) {
	ctx := context.Background()
	e, own, err := auditEngine(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if own {
		defer e.Close()
	}
	d, err := engine.NewDedicated(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	schemes := []credential.Scheme{credential.SHA, credential.PBKDF2SHA1, credential.PBKDF2SHA256, credential.PBKDF2SHA512}
	req := make([]byte, len(schemes))
	for i, s := range schemes {
		req[i] = byte(s)
	}
	out, err := d.Call(ctx, "audit.rates", req)
	if err != nil || len(out) != 8*len(schemes) {
		t.Fatalf("audit.rates: %d bytes, %v; want %d", len(out), err, 8*len(schemes))
	}
	for i, s := range schemes {
		v := math.Float64frombits(binary.LittleEndian.Uint64(out[8*i:]))
		if !(v > 0 && v < 1) {
			t.Errorf("%v: %g seconds a unit", s, v)
		}
	}
	for _, tc := range []struct {
		req  []byte
		want string
	}{
		{nil, "want 1 to 8 schemes, got 0"},
		{make([]byte, 9), "want 1 to 8 schemes, got 9"},
		{[]byte{byte(credential.SHA), byte(credential.SSHA)}, "byte 1: scheme 2 is neither SHA (1) nor a PBKDF2 scheme (11 to 13)"},
	} {
		_, err := d.Call(ctx, "audit.rates", tc.req)
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != api.ErrBadRequest || !strings.Contains(ae.Message, tc.want) {
			t.Errorf("audit.rates %v: %v; want bad_request %q", tc.req, err, tc.want)
		}
	}

	// A run asks once per scheme; if the module cannot answer (the run
	// was interrupted), the native rate stands in.
	m := &moduleRun{d: d}
	if r := m.rate(ctx, credential.PBKDF2SHA256); r != m.rate(ctx, credential.PBKDF2SHA256) || r <= 0 {
		t.Errorf("rate %g, then %g", r, m.rate(ctx, credential.PBKDF2SHA256))
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if r := (&moduleRun{d: d}).rate(done, credential.SHA); r != nativeRate(credential.SHA) {
		t.Errorf("interrupted: %g, want the native %g", r, nativeRate(credential.SHA))
	}
}
