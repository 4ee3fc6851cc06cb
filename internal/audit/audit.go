package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/internal/textenc"
)

// Config is how one audit runs.
type Config struct {
	// Engine runs the pin, password and dial operations; EngineName names
	// it in messages and the summary.
	Engine     Engine
	EngineName string
	// Policy is a built-in profile name or a JSON policy document; "" is
	// the default profile (cuc).
	Policy string
	// Tables is a built-in restriction-table set name or a JSON tables
	// document; "" is the default set. TablesName names a document in
	// the summary (its file name); a built-in set is named by itself.
	Tables     string
	TablesName string
	// FIPS says the system runs in FIPS mode (changes how legacy MD5
	// records are reported); Exhaustive also tries every PIN of the
	// policy's lengths (up to 8 digits) against each stored PIN record.
	FIPS       bool
	Exhaustive bool
	// NoFastPath sends every check through Engine even when it is the
	// native one (for benchmarks and the fast path's own test).
	NoFastPath bool
	// Workers is how many rows are checked at once; 0 is GOMAXPROCS.
	Workers int
	// Year is the current year, for the date rule's window; 0 skips it.
	Year int
	// Encoding is the input's encoding, a name textenc.Parse returns; ""
	// (or "auto") detects it (docs/audit.md, "Input").
	Encoding string
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

// Sink receives the records in input order, then the summary.
type Sink interface {
	Record(r *Record) error
	End(s *Summary) error
}

// batchSize is rows per unit of work: large enough to amortize channel
// operations, small enough to keep memory flat (workers × 4 batches are in
// flight at most).
const batchSize = 256

type batch struct {
	seq   int
	end   int64 // decoded input position after the last record
	recs  []record
	arena []string
	out   []Record
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
	if cfg.EngineName == "" {
		cfg.EngineName = "native"
	}
	pol, policyRef, err := resolvePolicy(cfg.Policy)
	if err != nil {
		return nil, err
	}
	set, tablesRef, tablesName, err := resolveTables(cfg.Tables)
	if err != nil {
		return nil, err
	}
	c := &checker{cfg: &cfg, cos: map[string]bool{}}
	for i, cs := range set.ClassesOfService() {
		if i == 0 {
			c.fallbackCOS = cs.Name
		}
		c.cos[cs.Name] = true
	}
	c.recover = newRecoverer(pol, cfg.FIPS, cfg.Exhaustive)
	if n, ok := cfg.Engine.(named); ok && n.Name() == "native" && !cfg.NoFastPath {
		c.fast = &fastPath{pol: pol, set: set, passwords: committedPasswords()}
	}
	if c.policyRef, err = c.load(ctx, "policy.load", "policy", policyRef); err != nil {
		return nil, err
	}
	if c.fast == nil && !cfg.NoFastPath {
		c.dialer = newTypedDial(ctx, cfg.Engine, tablesRef, set)
	}
	if c.tablesRef, err = c.load(ctx, "tables.load", "tables", tablesRef); err != nil {
		return nil, err
	}

	if tablesName == "file" && cfg.TablesName != "" {
		tablesName = cfg.TablesName
	}
	sum := newSummary(in.Name, cfg.EngineName, pol.Name, tablesName)
	prog := &progress{fn: cfg.Progress}
	rc, err := in.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.Name, err)
	}
	defer func() { rc.Close() }()
	cr, lay, err := openCSV(rc, in.Name, true, cfg.Encoding)
	if err != nil {
		return nil, err
	}
	// The decoded length is the file's size only when the encoding is
	// UTF-8 for certain (a mark or the caller said so); auto detection may
	// still turn to Windows-1252, whose text is longer than its bytes.
	if in.Size > 0 && cr.dec.Detected() == 0 {
		switch {
		case cr.dec.Encoding() == textenc.UTF8BOM:
			prog.total.Store(in.Size - 3)
		case cr.dec.Encoding() == textenc.UTF8 && cfg.Encoding != "" && cfg.Encoding != textenc.Auto:
			prog.total.Store(in.Size)
		}
	}
	sum.IgnoredColumns = lay.ignored
	sum.UnknownColumns = lay.unknown
	switch {
	case len(lay.ignored) > 0 && len(lay.unknown) > 0:
		cfg.warnf("audit: %s: ignoring columns %s, and %s (see docs/audit.md for the recognized names)", in.Name, strings.Join(lay.ignored, ", "), lay.unknownNote())
	case len(lay.ignored) > 0:
		cfg.warnf("audit: %s: ignoring columns %s (see docs/audit.md for the recognized names)", in.Name, strings.Join(lay.ignored, ", "))
	case len(lay.unknown) > 0:
		cfg.warnf("audit: %s: ignoring %s (see docs/audit.md for the recognized names)", in.Name, lay.unknownNote())
	}
	c.lay = lay
	_, hasPIN := lay.col[FieldPIN]
	_, hasPINHash := lay.col[FieldPINHash]
	_, hasPWHash := lay.col[FieldPasswordHash]
	if hasPIN || hasPINHash {
		c.shared = newSharedTable()
	}
	if c.shared != nil || hasPWHash {
		if in.Rereadable {
			var tally pbkdf2Tally
			records, err := c.firstPass(ctx, cr, &tally)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", in.Name, err)
			}
			if ctx.Err() == nil {
				prog.total.Store(cr.pos) // the first pass read it all
			}
			rc.Close()
			if rc, err = in.Open(); err != nil {
				return nil, fmt.Errorf("%s: %w", in.Name, err)
			}
			if cr, _, err = openCSV(rc, in.Name, true, cfg.Encoding); err != nil {
				return nil, err
			}
			if cfg.Exhaustive && hasPINHash {
				c.estimate(records)
			}
			c.firstPassDone = true
			c.pbkdf2 = c.pbkdf2Estimate(&tally, in.Name)
		} else {
			c.onePass = true
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
	sum.Encoding = cr.dec.Encoding()
	noteDetected(cfg.warnf, "audit", in.Name, cr.dec)
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

// openCSV decodes the input as enc (textenc) and reads its header.
func openCSV(r io.Reader, name string, auditing bool, enc string) (*csvReader, *layout, error) {
	dec, err := textenc.NewReader(r, enc)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	cr := newCSVReader(dec)
	h, _, err := cr.next(nil)
	if err == io.EOF {
		return nil, nil, fmt.Errorf("%s: empty file: want a header line naming the columns", name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if h.bad != "" {
		return nil, nil, fmt.Errorf("%s: line %d: header: %s", name, h.line, h.bad)
	}
	lay, err := newLayout(h.fields)
	if err == nil && auditing {
		err = lay.auditable()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: line %d: %w", name, h.line, err)
	}
	return cr, lay, nil
}

// noteDetected tells the person running the audit when a file was taken
// for Windows-1252: a guess they may want to confirm or overrule.
func noteDetected(warnf func(string, ...any), who, name string, dec *textenc.Reader) {
	if dec.Detected() > 0 && dec.Encoding() == textenc.Windows1252 {
		warnf("%s: %s: not UTF-8 (from its first non-ASCII text, line %d): read as windows-1252; --encoding sets the encoding", who, name, dec.Detected())
	}
}

// firstPass counts the holders of each PIN and stored PIN record, the
// stored PIN records (for the exhaustive estimate), and the PBKDF2 records
// of both hash columns with the work they will cost (t).
func (c *checker) firstPass(ctx context.Context, cr *csvReader, t *pbkdf2Tally) (int, error) {
	records := 0
	pinCol, hasPIN := c.lay.col[FieldPIN]
	hashCol, hasPINHash := c.lay.col[FieldPINHash]
	pwCol, hasPWHash := c.lay.col[FieldPasswordHash]
	var s rowScratch
	var fields []string
	// rowFields copies the row's fields, for the rare PBKDF2 row whose
	// candidates are counted.
	rowFields := func() []string {
		fields = fields[:0]
		for i := range cr.ends {
			fields = append(fields, string(cr.field(i)))
		}
		return fields
	}
	for n := 0; ; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return records, nil
		}
		rec, err := cr.parse()
		if err == io.EOF {
			return records, nil
		}
		if err != nil {
			return 0, err
		}
		if rec.bad != "" || len(cr.ends) != c.lay.width {
			continue
		}
		if hasPIN && c.shared != nil {
			if pin := rawValue(cr.field(pinCol)); len(pin) > 0 {
				c.countGroup(FieldPIN, c.shared.add(c.shared.digestBytes(FieldPIN, pin)))
			}
		}
		if hasPINHash {
			if h := rawValue(cr.field(hashCol)); len(h) > 0 {
				records++
				if c.shared != nil {
					c.countGroup(FieldPINHash, c.shared.add(c.shared.digestBytes(FieldPINHash, h)))
				}
				if isPBKDF2(h) {
					c.addPBKDF2(t, FieldPINHash, h, rowFields(), &s)
				}
			}
		}
		if hasPWHash {
			if h := rawValue(cr.field(pwCol)); isPBKDF2(h) {
				c.addPBKDF2(t, FieldPasswordHash, h, rowFields(), &s)
			}
		}
	}
}

// rawValue is value (trimmed, %null% empty) on bytes.
func rawValue(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if len(b) == 6 && bytes.EqualFold(b, []byte("%null%")) {
		return nil
	}
	return b
}

// estimate prints what the exhaustive search may cost before it starts.
func (c *checker) estimate(records int) {
	rate := c.recover.calibrate()
	per := c.recover.searchSize()
	secs := per / rate / float64(c.cfg.Workers)
	lens := fmt.Sprintf("%d to %d digits", c.recover.minLen, c.recover.maxLen)
	if records < 0 {
		c.cfg.warnf("audit: --exhaustive: up to %.3g PINs (%s) per stored PIN record, about %s per record at %.3g unsalted SHA-1 verifications/s per worker on %d workers; salted and PBKDF2 records cost more",
			per, lens, duration(secs), rate, c.cfg.Workers)
		return
	}
	c.cfg.warnf("audit: --exhaustive: %d stored PIN records × up to %.3g PINs (%s) each: up to %s at %.3g unsalted SHA-1 verifications/s per worker on %d workers; salted and PBKDF2 records cost more",
		records, per, lens, duration(secs*float64(records)), rate, c.cfg.Workers)
}

func duration(secs float64) string {
	return time.Duration(secs * float64(time.Second)).Round(time.Second).String()
}

// pipeline reads batches of records, checks them on the workers and hands
// them to sink in input order. At most 4 batches per worker are in flight,
// which bounds memory whatever the file size.
func (c *checker) pipeline(ctx context.Context, cr *csvReader, sink Sink, sum *Summary, prog *progress) error {
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
				var rec record
				rec, b.arena, err = cr.next(b.arena)
				if err != nil {
					break
				}
				b.recs = append(b.recs, rec)
			}
			b.end = cr.pos
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
			var s rowScratch
			for b := range work {
				c.process(ctx, b, &s)
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
func (c *checker) process(ctx context.Context, b *batch, s *rowScratch) {
	if cap(b.out) < len(b.recs) {
		b.out = make([]Record, len(b.recs))
	}
	b.out = b.out[:len(b.recs)]
	for i := range b.recs {
		if ctx.Err() != nil {
			// Interrupted: the batch is dropped (pipeline), so the rows
			// left need no check, which may take seconds (PBKDF2).
			b.out = b.out[:i]
			break
		}
		rec := &b.recs[i]
		out := &b.out[i]
		*out = Record{Line: rec.line, Findings: out.Findings[:0]}
		switch {
		case rec.bad != "":
			out.add(CodeBadRow, "", rec.bad)
		case len(rec.fields) != c.lay.width:
			// No alias: with a field missing before it, the alias column
			// holds the next column's value, a password as like as not.
			// A bad row carries its line and the reason, nothing of its text.
			out.add(CodeBadRow, "", fmt.Sprintf("wrong field count: %d fields, the header has %d", len(rec.fields), c.lay.width))
		default:
			c.check(ctx, rec.fields, s, out)
		}
		// Findings are copied out of the reused slice, so a sink may keep them.
		out.Findings = slices0(out.Findings)
	}
	clear(b.recs) // drop the row strings (they hold PINs) as soon as possible
}

// slices0 returns f, or an empty non-nil slice so JSON writes [].
func slices0(f []Finding) []Finding {
	if len(f) == 0 {
		return []Finding{}
	}
	return append([]Finding(nil), f...)
}

// resolvePolicy validates the policy natively (its PIN lengths drive the
// exhaustive search) and returns the JSON reference requests carry.
func resolvePolicy(p string) (*core.Policy, []byte, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		p = core.DefaultProfile
	}
	if strings.HasPrefix(p, "{") {
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(p)); err != nil {
			return nil, nil, fmt.Errorf("policy: %w", err)
		}
		pol, err := core.ParsePolicy(buf.Bytes())
		if err != nil {
			return nil, nil, err
		}
		return pol, buf.Bytes(), nil
	}
	pol, err := core.Profile(p)
	if err != nil {
		return nil, nil, err
	}
	ref, _ := json.Marshal(p)
	return pol, ref, nil
}

// resolveTables compiles the tables natively (to learn their classes of
// service and to stop on a broken document before any row) and returns
// the JSON reference dial requests carry.
func resolveTables(t string) (*dialplan.Set, []byte, string, error) {
	t = strings.TrimSpace(t)
	if t == "" {
		t = api.DefaultTables
	}
	if strings.HasPrefix(t, "{") {
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(t)); err != nil {
			return nil, nil, "", fmt.Errorf("tables: %w", err)
		}
		set, err := dialplan.Parse("", buf.Bytes())
		if err != nil {
			return nil, nil, "", fmt.Errorf("tables: %w", err)
		}
		return set, buf.Bytes(), "file", nil
	}
	set, err := dialplan.Builtin(t)
	if err != nil {
		return nil, nil, "", fmt.Errorf("tables: %w", err)
	}
	ref, _ := json.Marshal(t)
	return set, ref, t, nil
}

// load runs a policy.load or tables.load once, so a broken document stops
// the audit before any row, and returns the handle later requests use in
// place of the document (engines share handles across their instances).
// An engine without the operation keeps the by-value reference.
func (c *checker) load(ctx context.Context, op, what string, ref []byte) ([]byte, error) {
	resp, err := c.cfg.Engine.Do(ctx, op, ref)
	if err == nil {
		var h struct {
			Handle *int `json:"handle"`
		}
		if json.Unmarshal(resp, &h) == nil && h.Handle != nil {
			return strconv.AppendInt(nil, int64(*h.Handle), 10), nil
		}
		return ref, nil
	}
	var e apiError
	if json.Unmarshal(resp, &e) == nil && e.Error != nil {
		if e.Error.Code == "unknown_op" {
			return ref, nil // reported once, by the first check that needs it
		}
		if e.Error.Field != "" {
			return nil, fmt.Errorf("%s: %s: %s", what, e.Error.Field, e.Error.Message)
		}
		return nil, fmt.Errorf("%s: %s", what, e.Error.Message)
	}
	return nil, fmt.Errorf("%s: %w", what, err)
}
