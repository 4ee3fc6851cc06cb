package audit

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/credential"
	"github.com/tollgate/tollgate/export"
	"github.com/tollgate/tollgate/internal/auditcore"
	"github.com/tollgate/tollgate/internal/engine"
)

// The wasm audit runs the per-row core inside the module (docs/abi.md,
// "Audit"): the file's raw bytes cross once per chunk, its records come
// back in the compact items, and the shared-PIN digests of the first pass
// are merged here. The module is wasm/tollgate-audit.wasm, run on one
// dedicated instance: the module reads the file in order, so one file is
// one instance.

// chunkSize is the raw bytes handed to the module per crossing.
const chunkSize = 256 << 10

// moduleMemoryLimit is the soft limit of the audit instance's Go heap
// (audit.open's "memory_limit"), the browser's (js/audit.js,
// AUDIT_MEMORY_LIMIT): at the module's GOGC 400 alone the heap grows to
// several times what the audit holds, and a wasm heap never shrinks. A
// run that holds more (the module's shared-PIN table) grows past it.
const moduleMemoryLimit = 16 << 20

// inModule reports whether an audit on ops runs in the module: a
// tollgate.Checker on the wasm engine (the CLI's --engine wasm). An
// engine wrapped in anything else is called check by check.
func inModule(ops api.Operations) bool {
	c, ok := ops.(*tollgate.Checker)
	return ok && c.Engine() == tollgate.Wasm
}

// auditEngine is the audit module's engine: the Checker's own when it
// runs the audit module (the CLI's does), so that the run holds one
// instance, that engine's first; else one made for the run (wazero's
// compilation cache makes a second run's cheap), which own says to close.
func auditEngine(ctx context.Context, ops api.Operations) (e engine.Engine, own bool, err error) {
	if ce, ok := engine.CheckerEngine(ops); ok && engine.RunsModule(ce, engine.EmbeddedAuditModule) {
		return ce, false, nil
	}
	e, err = engine.New(ctx, engine.Options{Kind: engine.Wasm, Module: engine.EmbeddedAuditModule, PoolSize: 1, HeavySize: 1, Data: tollgate.Data()})
	return e, true, err
}

type headerInfo struct {
	Ignored   []string `json:"ignored_columns"`
	Unknown   []int    `json:"unknown_columns"`
	CountPass bool     `json:"count_pass"`
	Fields    []string `json:"fields"`
}

func (h *headerInfo) has(f export.Field) bool {
	for _, n := range h.Fields {
		if n == f.String() {
			return true
		}
	}
	return false
}

type endInfo struct {
	Encoding         string   `json:"encoding"`
	Detected         int      `json:"detected"`
	Offset           int64    `json:"offset"`
	DistinctPINs     int      `json:"distinct_pins"`
	SharedPINs       int      `json:"shared_pins"`
	SharedPINRecords int      `json:"shared_pin_records"`
	Skipped          []string `json:"skipped_checks"`
}

// moduleRun is one audit in the module.
type moduleRun struct {
	cfg  *Config
	in   Input
	d    *engine.Dedicated
	opts map[string]any
	buf  []byte
	keep []byte
	// rates is what a unit of each scheme's work costs in the module.
	rates map[credential.Scheme]float64
}

func (m *moduleRun) open(ctx context.Context, pass string) error {
	m.opts["pass"] = pass
	req, err := json.Marshal(m.opts)
	if err != nil {
		return err
	}
	_, err = m.d.Call(ctx, "audit.open", req)
	return err
}

// pass feeds the input through the open audit, handing each item to fn;
// stop ends it early (fn saw the header and wants another pass).
func (m *moduleRun) pass(ctx context.Context, fn func(it *auditcore.Item) (stop bool, err error), fed func(int64)) error {
	rc, err := m.in.Open()
	if err != nil {
		return fmt.Errorf("%s: %w", m.in.Name, err)
	}
	defer rc.Close()
	if cap(m.buf) < chunkSize {
		m.buf = make([]byte, chunkSize)
	}
	var total int64
	var it auditcore.Item
	for end := false; !end; {
		if ctx.Err() != nil {
			return nil
		}
		n, rerr := io.ReadFull(rc, m.buf[:chunkSize])
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return fmt.Errorf("%s: %w", m.in.Name, rerr)
		}
		total += int64(n)
		chunk := m.buf[:n]
		if rerr != nil {
			end = true
		}
		items, err := m.call(ctx, chunk)
		if err == nil && end && n > 0 {
			// The answer is a view of the instance's memory: kept before
			// the final call overwrites it.
			head := append(m.keep[:0], items...)
			var tail []byte
			tail, err = m.call(ctx, nil)
			items = append(head, tail...)
			m.keep = items
		}
		if err != nil {
			if ctx.Err() != nil {
				// Interrupted: the host ended the call where the module
				// read its clock (PBKDF2, the exhaustive search), and the
				// chunk's records are dropped, so the report is an exact
				// prefix of the input.
				return nil
			}
			return err
		}
		dec := auditcore.NewDecoder(items)
		for dec.Next(&it) {
			stop, err := fn(&it)
			if err != nil || stop {
				return err
			}
		}
		if dec.Err() != nil {
			return fmt.Errorf("%s: the module's answer: %w", m.in.Name, dec.Err())
		}
		if fed != nil {
			fed(total)
		}
	}
	return nil
}

// call runs audit.rows; its answer is a view valid until the next call.
func (m *moduleRun) call(ctx context.Context, chunk []byte) ([]byte, error) {
	items, err := m.d.Call(ctx, "audit.rows", chunk)
	var e *api.Error
	if errors.As(err, &e) {
		// The header's errors say their line, as Run's do.
		return nil, errors.New(m.in.Name + ": " + e.Message)
	}
	return items, err
}

// rate is what a unit of s's work costs in the module (audit.rates),
// asked once per scheme: the estimates of what PBKDF2 records and the
// exhaustive search cost are made at the speed the work will run at. If
// the module cannot say (the run was interrupted), the native rate,
// which is low.
func (m *moduleRun) rate(ctx context.Context, s credential.Scheme) float64 {
	if r, ok := m.rates[s]; ok {
		return r
	}
	r := nativeRate(s)
	if out, err := m.d.Call(ctx, "audit.rates", []byte{byte(s)}); err == nil && len(out) == 8 {
		if v := math.Float64frombits(binary.LittleEndian.Uint64(out)); v > 0 && !math.IsInf(v, 0) {
			r = v
		}
	}
	if m.rates == nil {
		m.rates = map[credential.Scheme]float64{}
	}
	m.rates[s] = r
	return r
}

// runInModule is Run for an audit in the module.
func runInModule(ctx context.Context, cfg Config, in Input, sink Sink, start time.Time) (*Summary, error) {
	// One instance reads the file in order: one worker, which the
	// estimates of what PBKDF2 records and the exhaustive search cost
	// count with.
	cfg.Workers = 1
	// The module loads the documents itself (audit.open): the engine
	// is not asked to, which would take an instance of each of its pools.
	e, err := openHost(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	defer e.close()
	eng, own, err := auditEngine(ctx, cfg.Engine)
	if err != nil {
		return nil, err
	}
	if own {
		defer eng.Close()
	}
	d, err := engine.NewDedicated(ctx, eng)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	m := &moduleRun{cfg: &cfg, in: in, d: d, opts: map[string]any{
		"fips": cfg.FIPS, "exhaustive": cfg.Exhaustive, "year": cfg.Year,
		"key":          fmt.Sprintf("%016x", rand.Uint64()),
		"memory_limit": moduleMemoryLimit,
	}}
	if cfg.Encoding != "" {
		m.opts["encoding"] = string(cfg.Encoding)
	}
	if !cfg.Policy.IsZero() {
		b, _ := cfg.Policy.MarshalJSON()
		m.opts["policy"] = json.RawMessage(b)
	}
	if !cfg.Tables.IsZero() {
		b, _ := cfg.Tables.MarshalJSON()
		m.opts["tables"] = json.RawMessage(b)
	}
	sum := newSummary(in.Name, "wasm", e.pol.Name, e.tablesName)
	prog := &progress{fn: cfg.Progress}
	if in.Size > 0 {
		prog.total.Store(in.Size)
	}
	// The header decides whether a first pass counts shared PINs.
	var hdr headerInfo
	first := "once"
	if in.Rereadable {
		first = "count"
	}
	// c is the host's side of the run: the PBKDF2 tally and estimates.
	c := &checker{cfg: &cfg, core: auditcore.New(auditcore.Config{Compiled: e.pol, Exhaustive: cfg.Exhaustive}), onePass: first == "once"}
	c.rate = func(s credential.Scheme) float64 { return m.rate(ctx, s) }
	var tally pbkdf2Tally
	if err := m.open(ctx, first); err != nil {
		return nil, loadError("audit", err)
	}
	var count *sharedCounter
	var pins, records, hashRecords int
	gotHeader := false
	onHeader := func(it *auditcore.Item) error {
		gotHeader = true
		if err := json.Unmarshal([]byte(it.Text), &hdr); err != nil {
			return fmt.Errorf("%s: the module's header: %w", in.Name, err)
		}
		sum.IgnoredColumns, sum.UnknownColumns = hdr.Ignored, hdr.Unknown
		if len(sum.UnknownColumns) == 0 {
			sum.UnknownColumns = nil
		}
		if len(sum.IgnoredColumns) == 0 {
			sum.IgnoredColumns = nil
		}
		warnColumns(&cfg, in.Name, hdr.Ignored, hdr.Unknown)
		if first == "once" && cfg.Exhaustive && hdr.has(export.PINHash) {
			c.estimate(-1)
		}
		return nil
	}
	if first == "count" {
		count = newSharedCounter(cfg.warnf)
		defer count.close()
		again := false
		err := m.pass(ctx, func(it *auditcore.Item) (bool, error) {
			switch it.Kind {
			case auditcore.ItemHeader:
				if err := onHeader(it); err != nil {
					return true, err
				}
				if !hdr.CountPass {
					again = true
					return true, nil
				}
			case auditcore.ItemDigests:
				for i := range it.Digests.N {
					f := export.Field(it.Digests.Field[i])
					count.add(f, it.Digests.Digest[i])
					if f == export.PINHash {
						hashRecords++
					}
				}
			case auditcore.ItemPBKDF2:
				p := &it.PBKDF2
				c.tallyPBKDF2(&tally, export.Field(p.Field), credential.Scheme(p.Scheme), p.Iterations, p.Candidates)
			case auditcore.ItemNote:
				cfg.warnf("%s", it.Text)
			}
			return false, nil
		}, nil)
		if err != nil {
			return nil, err
		}
		if !gotHeader && ctx.Err() == nil {
			return nil, fmt.Errorf("%s: the module read no header", in.Name)
		}
		if err := m.open(ctx, "check"); err != nil {
			return nil, loadError("audit", err)
		}
		if !again {
			if cfg.Exhaustive && hdr.has(export.PINHash) {
				c.estimate(hashRecords)
			}
			c.firstPassDone = true
			c.pbkdf2 = c.pbkdf2Estimate(&tally, in.Name)
			// The digests held twice or more go to the module, a
			// megabyte a crossing.
			var sh []byte
			var sendErr error // the module's, returned as it is
			distinct, err := count.finish(func(f export.Field, d uint64, n int) error {
				if f == export.PIN {
					pins++
				} else {
					records++
				}
				sh = auditcore.AppendShared(sh, 0, d, n)
				if len(sh) < 1<<20 {
					return nil
				}
				_, sendErr = d2(ctx, m, sh)
				sh = sh[:0]
				return sendErr
			})
			if sendErr != nil {
				return nil, sendErr
			}
			if err != nil { // the temporary file's
				return nil, fmt.Errorf("%s: %w", in.Name, err)
			}
			if len(sh) > 0 {
				if _, err := d2(ctx, m, sh); err != nil {
					return nil, err
				}
			}
			sum.DistinctPINs, sum.SharedPINs, sum.SharedPINRecords = distinct, pins, records
		}
	}
	var end endInfo
	rows := 0
	var sinkErr error
	err = m.pass(ctx, func(it *auditcore.Item) (bool, error) {
		switch it.Kind {
		case auditcore.ItemHeader:
			if !gotHeader {
				return false, onHeader(it)
			}
		case auditcore.ItemRecord:
			r := it.Record
			r.Findings = append([]Finding{}, it.Record.Findings...)
			sum.add(&r)
			if err := sink.Record(&r); err != nil {
				sinkErr = err
				return true, err
			}
			rows++
		case auditcore.ItemPBKDF2:
			if !c.firstPassDone {
				p := &it.PBKDF2
				c.pbkdf2Seen.addRecord(c, p.Line, credential.Scheme(p.Scheme), int64(p.Iterations), p.Candidates)
			}
		case auditcore.ItemNote:
			cfg.warnf("%s", it.Text)
		case auditcore.ItemEnd:
			if err := json.Unmarshal([]byte(it.Text), &end); err != nil {
				return true, fmt.Errorf("%s: the module's end: %w", in.Name, err)
			}
		}
		return false, nil
	}, func(fed int64) {
		if cfg.Progress != nil {
			prog.report(rows, fed, false)
		}
	})
	if sinkErr != nil {
		return nil, sinkErr
	}
	if err != nil {
		return nil, err
	}
	complete := end.Encoding != "" && ctx.Err() == nil
	prog.report(rows, in.Size, complete)
	sum.Seconds = time.Since(start).Seconds()
	if first == "once" {
		sum.DistinctPINs, sum.SharedPINs, sum.SharedPINRecords = end.DistinctPINs, end.SharedPINs, end.SharedPINRecords
	}
	sum.PBKDF2 = c.pbkdf2
	if sum.PBKDF2 == nil {
		sum.PBKDF2 = c.pbkdf2Seen.cost(min(cfg.Workers, runtime.GOMAXPROCS(0)))
	}
	if len(end.Skipped) > 0 {
		sum.SkippedChecks = end.Skipped
	}
	sum.Encoding = export.Encoding(end.Encoding)
	if end.Detected > 0 && sum.Encoding == export.Windows1252 {
		cfg.warnf("audit: %s: not UTF-8 (from its first non-ASCII text, line %d): read as windows-1252; --encoding sets the encoding", in.Name, end.Detected)
	}
	if !complete {
		sum.Interrupted = true
	}
	if err := sink.End(sum); err != nil {
		return nil, err
	}
	return sum, nil
}

func d2(ctx context.Context, m *moduleRun, sh []byte) ([]byte, error) {
	return m.d.Call(ctx, "audit.shared", sh)
}

// warnColumns says which columns the audit ignores (Run's notes).
func warnColumns(cfg *Config, name string, ignored []string, unknown []int) {
	switch {
	case len(ignored) > 0 && len(unknown) > 0:
		cfg.warnf("audit: %s: ignoring columns %s, and %s (see docs/audit.md for the recognized names)", name, strings.Join(ignored, ", "), unknownNote(unknown))
	case len(ignored) > 0:
		cfg.warnf("audit: %s: ignoring columns %s (see docs/audit.md for the recognized names)", name, strings.Join(ignored, ", "))
	case len(unknown) > 0:
		cfg.warnf("audit: %s: ignoring %s (see docs/audit.md for the recognized names)", name, unknownNote(unknown))
	}
}
