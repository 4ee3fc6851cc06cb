package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/credential"
	"github.com/tollgate/tollgate/export"
	"github.com/tollgate/tollgate/internal/auditcore"
)

// Config is how one audit runs. The zero value audits with the default
// policy (cuc) and tables on a native engine made for the run.
type Config struct {
	// Engine runs the PIN, password and dial checks: a *tollgate.Checker
	// (either engine), an *api.Session, or anything else that implements
	// the operations. It must be safe for concurrent use. An engine with
	// the scalar dial path (TableIndex and DialNumber, as a Checker has)
	// checks numbers through it. nil runs a native tollgate.Checker made
	// for the run.
	Engine api.Operations
	// Policy is a built-in profile or a policy document; the zero value
	// is the default profile (cuc). The audit reads it too (its PIN
	// lengths bound the exhaustive search), so it cannot be a handle.
	Policy api.PolicyRef
	// Tables is a built-in restriction-table set or a tables document;
	// the zero value is the default set. The audit reads it too (its
	// classes of service, its tables' patterns for the messages), so it
	// cannot be a handle. TablesName names a document in the summary (its
	// file name); a built-in set is named by itself.
	Tables     api.TablesRef
	TablesName string
	// FIPS says the system runs in FIPS mode (changes how legacy MD5
	// records are reported); Exhaustive also tries every PIN of the
	// policy's lengths (up to 8 digits) against each stored PIN record.
	FIPS       bool
	Exhaustive bool
	// Workers is how many rows are checked at once; 0 is GOMAXPROCS.
	Workers int
	// Year is the current year, for the date rule's window; 0 skips it.
	Year int
	// Encoding is the input's encoding; the zero value (export.Auto)
	// detects it (docs/audit.md, "Input").
	Encoding export.Encoding
	// Warn receives notes for the person running the audit (ignored
	// columns, skipped checks, the exhaustive search's cost); nil drops them.
	Warn io.Writer
	// Progress, when set, is called about ten times a second and once at
	// the end with the rows written so far and the fraction of the input
	// they cover: it never decreases, stays below 1 until the last row is
	// written, and is -1 when the input's size is unknown.
	Progress func(rows int, done float64)
}

// warnMu serializes notes: workers write them, and Warn need not be safe
// for concurrent use.
var warnMu sync.Mutex

func (c *Config) warnf(format string, args ...any) {
	if c.Warn != nil {
		warnMu.Lock()
		defer warnMu.Unlock()
		fmt.Fprintf(c.Warn, format+"\n", args...)
	}
}

// Input is what an audit reads. Open is called once per pass; when
// Rereadable is false (standard input) it is called once and shared PINs
// are flagged from their second holder on.
type Input struct {
	Name       string
	Open       func() (io.ReadCloser, error)
	Rereadable bool
	// Size is the input's size in bytes when known (for the progress ETA).
	Size int64
}

// FileInput is the file at path, read twice (the first pass counts the
// holders of each PIN).
func FileInput(path string) (Input, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Input{}, err
	}
	if !fi.Mode().IsRegular() {
		return Input{}, errors.New(path + ": not a regular file (a pipe is read once: give an Input that says so)")
	}
	return Input{Name: path, Open: func() (io.ReadCloser, error) { return os.Open(path) }, Rereadable: true, Size: fi.Size()}, nil
}

// BytesInput is an export held in memory; name names it in messages and
// the summary. The audit does not modify data.
func BytesInput(name string, data []byte) Input {
	return Input{Name: name, Rereadable: true, Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}

// Sink receives the records in input order, then the summary. The
// report writers (NewSink) are Sinks; a program may give its own.
type Sink interface {
	// Record is called once per input row, in order. r and its findings
	// may be kept.
	Record(r *Record) error
	// End is called once, after the last record, with the summary.
	End(s *Summary) error
}

// checker is one audit's host side around the per-row core: the shared-PIN
// table, the PBKDF2 tally, the layout the first pass reads.
type checker struct {
	cfg    *Config
	core   *auditcore.Core
	lay    *export.Layout
	shared *auditcore.Table
	key    uint64 // the shared-PIN digests' key, drawn per run
	// count is the first pass's count of the digests, which fills shared
	// with the values held twice or more; distinct is how many values
	// it saw.
	count    *sharedCounter
	distinct int
	// onePass is set when the input could not be read twice (stdin):
	// shared PINs are then flagged from their second holder on.
	onePass bool

	// pbkdf2 is the cost of the PBKDF2 records, from the first pass;
	// without one (firstPassDone false), pbkdf2Seen counts them as they come.
	pbkdf2        *PBKDF2Cost
	firstPassDone bool
	pbkdf2Seen    pbkdf2Seen

	// rate is what a unit of a scheme's work costs in the module, for an
	// audit there; nil: natively (secondsPer).
	rate func(credential.Scheme) float64
}

// batchSize is rows per unit of work: large enough to amortize channel
// operations, small enough to keep memory flat (workers × 4 batches are in
// flight at most).
const batchSize = 256

type batch struct {
	seq   int
	end   int64 // decoded input position after the last record
	recs  []export.Row
	arena []string
	out   []Record
	// pending holds what each row left to be done in input order as the
	// batch is written (auditcore.Config.InOrder).
	pending []auditcore.Pending
}

// Run audits in and writes every record to sink in input order. It
// returns an error (and a nil summary) only when the audit cannot run at
// all: unreadable input, a header without auditable columns, an invalid
// policy or tables document, or a failing sink. An interrupted audit
// (ctx cancelled) still ends its sink with a summary marked Interrupted.
func Run(ctx context.Context, cfg Config, in Input, sink Sink) (*Summary, error) {
	start := time.Now()
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if inModule(cfg.Engine) {
		return runInModule(ctx, cfg, in, sink, start)
	}
	e, err := open(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	defer e.close()
	c := &checker{cfg: &cfg, onePass: !in.Rereadable}

	sum := newSummary(in.Name, engineName(e.ops), e.pol.Name, e.tablesName)
	prog := &progress{fn: cfg.Progress}
	rc, err := in.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.Name, err)
	}
	defer func() { rc.Close() }()
	cr, lay, err := openExport(rc, in.Name, cfg.Encoding)
	if err == nil {
		if err = auditcore.Auditable(lay); err != nil {
			err = fmt.Errorf("%s: line %d: %w", in.Name, cr.HeaderLine(), err)
		}
	}
	if err != nil {
		return nil, err
	}
	// The decoded length is the file's size only when the encoding is
	// UTF-8 for certain (a mark or the caller said so); auto detection may
	// still turn to Windows-1252, whose text is longer than its bytes.
	if in.Size > 0 && cr.Detected() == 0 {
		switch {
		case cr.Encoding() == export.UTF8BOM:
			prog.total.Store(in.Size - 3)
		case cr.Encoding() == export.UTF8 && cfg.Encoding != "" && cfg.Encoding != export.Auto:
			prog.total.Store(in.Size)
		}
	}
	ignored, unknown := lay.Ignored(), lay.Unknown()
	sum.IgnoredColumns, sum.UnknownColumns = ignored, unknown
	switch {
	case len(ignored) > 0 && len(unknown) > 0:
		cfg.warnf("audit: %s: ignoring columns %s, and %s (see docs/audit.md for the recognized names)", in.Name, strings.Join(ignored, ", "), unknownNote(unknown))
	case len(ignored) > 0:
		cfg.warnf("audit: %s: ignoring columns %s (see docs/audit.md for the recognized names)", in.Name, strings.Join(ignored, ", "))
	case len(unknown) > 0:
		cfg.warnf("audit: %s: ignoring %s (see docs/audit.md for the recognized names)", in.Name, unknownNote(unknown))
	}
	c.lay = lay
	dialer, err := e.dialer(ctx, lay.Numbers())
	if err != nil {
		return nil, err
	}
	hasPINHash := lay.Has(export.PINHash)
	cc := auditcore.Config{
		Ops: e.ops, Policy: e.policy, Tables: e.tables, Compiled: e.pol, Set: e.set, Layout: lay,
		FIPS: cfg.FIPS, Exhaustive: cfg.Exhaustive, Year: cfg.Year, Engine: engineName(e.ops),
		Dialer: dialer, Warn: func(msg string) { cfg.warnf("%s", msg) }, OnePass: c.onePass, InOrder: cfg.Workers > 1,
		PBKDF2: func(line int, r *credential.Record, cands int) {
			if !c.firstPassDone {
				c.pbkdf2Seen.add(c, line, r, cands)
			}
		},
	}
	if lay.Has(export.PIN) || hasPINHash {
		c.shared = auditcore.NewTable()
		cc.Shared, cc.Key = c.shared, rand.Uint64()
		c.key = cc.Key
	}
	// Several workers check rows side by side, so what depends on the
	// order of rows waits for the ordered writer (FinishRow). One worker
	// checks in order and gives its notes as they come: then a read-once
	// PBKDF2 note falls among the class-of-service notes where the
	// module's does (TestModuleAuditMatchesNative).
	c.core = auditcore.New(cc)
	if c.shared != nil || lay.Has(export.PasswordHash) {
		if in.Rereadable {
			var tally pbkdf2Tally
			if c.shared != nil {
				c.count = newSharedCounter(cfg.warnf)
				defer c.count.close()
			}
			records, err := c.firstPass(ctx, cr, &tally)
			if err == nil && c.count != nil {
				c.distinct, err = c.count.finish(func(f export.Field, d uint64, n int) error {
					c.shared.Set(d, n)
					c.core.CountGroup(f, 2)
					return nil
				})
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", in.Name, err)
			}
			if c.shared != nil {
				c.shared.Freeze() // the second pass's workers only read it
			}
			if ctx.Err() == nil {
				prog.total.Store(cr.Offset()) // the first pass read it all
			}
			rc.Close()
			if rc, err = in.Open(); err != nil {
				return nil, fmt.Errorf("%s: %w", in.Name, err)
			}
			if cr, _, err = openExport(rc, in.Name, cfg.Encoding); err != nil {
				return nil, err
			}
			if cfg.Exhaustive && hasPINHash {
				c.estimate(records)
			}
			c.firstPassDone = true
			c.pbkdf2 = c.pbkdf2Estimate(&tally, in.Name)
		} else {
			if cfg.Exhaustive && hasPINHash {
				c.estimate(-1)
			}
		}
	}

	if cfg.Progress != nil && prog.total.Load() == 0 && in.Rereadable {
		if n, err := decodedLength(in, cfg.Encoding); err == nil {
			prog.total.Store(n)
		}
	}
	err = c.pipeline(ctx, cr, sink, sum, prog)
	sum.finish(start, c)
	// Detection may decide late (at the first non-ASCII byte), so the
	// encoding is known only now; the sinks print it with the summary.
	sum.Encoding = cr.Encoding()
	noteDetected(cfg.warnf, "audit", in.Name, cr)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		sum.Interrupted = true
	}
	if err := sink.End(sum); err != nil {
		return nil, err
	}
	return sum, nil
}

// openExport reads the export's header (package export), naming the
// input in errors.
func openExport(r io.Reader, name string, enc export.Encoding) (*export.Reader, *export.Layout, error) {
	cr, lay, err := export.Open(r, enc)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return cr, lay, nil
}

// unknownNote says which columns have names the audit does not know,
// without printing them.
func unknownNote(unknown []int) string {
	return export.ColumnList(unknown) + ": names the audit does not know (not printed: a file without a header would have a PIN or password there)"
}

// noteDetected tells the person running the audit when a file was taken
// for Windows-1252: a guess they may want to confirm or overrule.
func noteDetected(warnf func(string, ...any), who, name string, r *export.Reader) {
	if r.Detected() > 0 && r.Encoding() == export.Windows1252 {
		warnf("%s: %s: not UTF-8 (from its first non-ASCII text, line %d): read as windows-1252; --encoding sets the encoding", who, name, r.Detected())
	}
}

// firstPass counts the holders of each PIN and stored PIN record, the
// stored PIN records (for the exhaustive estimate), and the PBKDF2 records
// of both hash columns with the work they will cost (t).
func (c *checker) firstPass(ctx context.Context, cr *export.Reader, t *pbkdf2Tally) (int, error) {
	records := 0
	pinCol, hasPIN := c.lay.Index(export.PIN)
	hashCol, hasPINHash := c.lay.Index(export.PINHash)
	pwCol, hasPWHash := c.lay.Index(export.PasswordHash)
	var s auditcore.Scratch
	var fields []string
	// rowFields copies the row's fields, for the rare PBKDF2 row whose
	// candidates are counted.
	rowFields := func() []string {
		fields = fields[:0]
		for i := range cr.NumFields() {
			fields = append(fields, string(cr.Field(i)))
		}
		return fields
	}
	for n := 0; ; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return records, nil
		}
		rec, err := cr.Scan()
		if err == io.EOF {
			return records, nil
		}
		if err != nil {
			return 0, err
		}
		if rec.Bad != "" || cr.NumFields() != c.lay.Width() {
			continue
		}
		if hasPIN && c.count != nil {
			if pin := export.ValueBytes(cr.Field(pinCol)); len(pin) > 0 {
				c.count.add(export.PIN, auditcore.Digest(c.key, export.PIN, pin))
			}
		}
		if hasPINHash {
			if h := export.ValueBytes(cr.Field(hashCol)); len(h) > 0 {
				records++
				if c.count != nil {
					c.count.add(export.PINHash, auditcore.Digest(c.key, export.PINHash, h))
				}
				if isPBKDF2(h) {
					c.addPBKDF2(t, export.PINHash, h, rowFields(), &s)
				}
			}
		}
		if hasPWHash {
			if h := export.ValueBytes(cr.Field(pwCol)); isPBKDF2(h) {
				c.addPBKDF2(t, export.PasswordHash, h, rowFields(), &s)
			}
		}
	}
}

// estimate prints what the exhaustive search may cost before it starts.
func (c *checker) estimate(records int) {
	rate := 1 / c.secondsPer(credential.SHA)
	minLen, maxLen, per := c.core.Recovery()
	// A record is searched on one worker: the workers share the
	// records, not a record's candidates.
	secs := per / rate
	lens := fmt.Sprintf("%d to %d digits", minLen, maxLen)
	if records < 0 {
		c.cfg.warnf("audit: --exhaustive: up to %.3g PINs (%s) per stored PIN record, about %s per record at %.3g unsalted SHA-1 verifications/s per worker on %d workers; salted and PBKDF2 records cost more",
			per, lens, duration(secs), rate, c.cfg.Workers)
		return
	}
	c.cfg.warnf("audit: --exhaustive: %d stored PIN records × up to %.3g PINs (%s) each: up to %s at %.3g unsalted SHA-1 verifications/s per worker on %d workers; salted and PBKDF2 records cost more",
		records, per, lens, duration(secs*math.Ceil(float64(records)/float64(c.cfg.Workers))), rate, c.cfg.Workers)
}

func duration(secs float64) string {
	return time.Duration(secs * float64(time.Second)).Round(time.Second).String()
}

// pipeline reads batches of records, checks them on the workers and hands
// them to sink in input order. At most 4 batches per worker are in flight,
// which bounds memory whatever the file size.
func (c *checker) pipeline(ctx context.Context, cr *export.Reader, sink Sink, sum *Summary, prog *progress) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := c.cfg.Workers
	tokens := make(chan struct{}, 4*workers)
	work := make(chan *batch, 4*workers)
	done := make(chan *batch, 4*workers)
	free := sync.Pool{New: func() any { return &batch{} }}
	var readErr error
	var atEOF bool // set before work is closed, read after done is

	go func() {
		defer close(work)
		for seq := 0; ; seq++ {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			b := free.Get().(*batch)
			b.seq, b.recs, b.arena = seq, b.recs[:0], b.arena[:0]
			var err error
			for len(b.recs) < batchSize {
				var rec export.Row
				rec, b.arena, err = cr.Next(b.arena)
				if err != nil {
					break
				}
				b.recs = append(b.recs, rec)
			}
			b.end = cr.Offset()
			atEOF = err == io.EOF
			if len(b.recs) > 0 {
				work <- b
			} else {
				<-tokens
			}
			if err != nil {
				if err != io.EOF {
					readErr = err
				}
				return
			}
			if ctx.Err() != nil {
				return
			}
		}
	}()

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s auditcore.Scratch
			var tmp Record
			hint := batchSize
			for b := range work {
				hint = c.process(ctx, b, &s, &tmp, hint)
				done <- b
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	pending := map[int]*batch{}
	next := 0
	stopped := false
	var sinkErr error
	rows := 0
	var pos int64 // input position after the last row written
	lastTick := time.Now()
	for b := range done {
		pending[b.seq] = b
		for {
			b, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			// A batch checked after cancellation may be incomplete (the
			// exhaustive search stops mid-row): it and all later ones are
			// dropped, so the report is an exact prefix of the input.
			if !stopped && ctx.Err() != nil {
				stopped = true
			}
			if !stopped {
				for i := range b.out {
					c.core.FinishRow(b.pending[i], &b.out[i])
					sum.add(&b.out[i])
					if err := sink.Record(&b.out[i]); err != nil {
						sinkErr, stopped = err, true
						cancel()
						break
					}
				}
				rows += len(b.out)
				pos = b.end
			}
			free.Put(b)
			<-tokens
		}
		if c.cfg.Progress != nil && time.Since(lastTick) >= progressEvery {
			lastTick = time.Now()
			prog.report(rows, pos, false)
		}
	}
	prog.report(rows, pos, atEOF && !stopped && ctx.Err() == nil)
	if sinkErr != nil {
		return sinkErr
	}
	return readErr
}

// process checks every record of b into b.out.
//
// hint is how many findings the worker's last batch had (the returned
// count), the next array's size.
func (c *checker) process(ctx context.Context, b *batch, s *auditcore.Scratch, tmp *Record, hint int) int {
	if cap(b.out) < len(b.recs) {
		b.out = make([]Record, len(b.recs))
	}
	b.out = b.out[:len(b.recs)]
	b.pending = slices.Grow(b.pending[:0], len(b.recs))[:len(b.recs)]
	// The batch's findings share one fresh array (a sink may keep its
	// records, so it is not reused): one allocation per batch instead of
	// a copy per row with findings.
	arena := make([]Finding, 0, hint+hint/8)
	for i := range b.recs {
		if ctx.Err() != nil {
			// Interrupted: the batch is dropped (pipeline), so the rows
			// left need no check, which may take seconds (PBKDF2).
			b.out = b.out[:i]
			break
		}
		c.core.RowInPlace(ctx, b.recs[i].Line, b.recs[i].Bad, b.recs[i].Fields, s, tmp)
		start := len(arena)
		arena = append(arena, tmp.Findings...)
		b.out[i] = *tmp
		b.out[i].Findings = arena[start:len(arena):len(arena)]
		b.pending[i] = s.Pending
	}
	clear(b.recs) // drop the row strings (they hold PINs) as soon as possible
	return len(arena)
}
