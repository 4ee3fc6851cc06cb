package audit

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tollgate/tollgate/core/credential"
	"github.com/tollgate/tollgate/export"
	"github.com/tollgate/tollgate/internal/auditcore"
)

// A PBKDF2 record costs its iteration count for every candidate tried on
// it: at 600,000 iterations some 90 ms natively per candidate, so seconds
// per row, and hours for an export of thousands of them, where the rest
// of the audit takes microseconds a row. The first pass reads each
// record's scheme and iteration count (core/credential's parser), counts
// the candidates the row will get, and the audit says what that will cost
// on this machine before it starts (measured per iteration), and again in
// the summary.

// PBKDF2Cost is what the PBKDF2 records of an audit cost (Summary.PBKDF2).
type PBKDF2Cost struct {
	// Records is the number of PBKDF2 records; MinIterations and
	// MaxIterations the range of their iteration counts.
	Records       int `json:"records"`
	MinIterations int `json:"min_iterations"`
	MaxIterations int `json:"max_iterations"`
	// Verifications is how many candidates the records get at most
	// (a trivial one found ends a record's search early); Estimated is
	// what they cost at most, in seconds, on Workers workers, from a
	// measure of this machine. Both are 0 when the input is read once
	// (standard input): the records are then counted as they come.
	Verifications    int64   `json:"verifications"`
	EstimatedSeconds float64 `json:"estimated_seconds"`
	Workers          int     `json:"workers"`
}

// pbkdf2Warn is how long the PBKDF2 records must be estimated to take
// before the audit says so on stderr (the summary always has the figure).
const pbkdf2Warn = 5 * time.Second

// pbkdf2Tally counts PBKDF2 records and the work they will cost, per
// scheme (SHA-1, SHA-256 and SHA-512 differ threefold per iteration).
type pbkdf2Tally struct {
	records          int
	minIter, maxIter int
	verifications    int64
	work             map[credential.Scheme]float64 // iterations × verifications
}

// isPBKDF2 is a cheap test for the braced PBKDF2 labels, so the first
// pass parses only those records.
func isPBKDF2(b []byte) bool {
	return len(b) > 8 && b[0] == '{' && bytes.EqualFold(b[1:7], []byte("PBKDF2"))
}

// addPBKDF2 counts one stored record of field with its row's fields.
func (c *checker) addPBKDF2(t *pbkdf2Tally, field export.Field, raw []byte, fields []string, s *auditcore.Scratch) {
	r, err := credential.Parse(string(raw))
	if err != nil || r.Iterations() == 0 {
		return
	}
	c.tallyPBKDF2(t, field, r.Scheme(), r.Iterations(), c.core.PBKDF2Candidates(field, fields, s))
}

// tallyPBKDF2 counts one PBKDF2 record of field, of scheme and it
// iterations, which gets cands candidates.
func (c *checker) tallyPBKDF2(t *pbkdf2Tally, field export.Field, scheme credential.Scheme, it, cands int) {
	v := float64(cands)
	if field == export.PINHash && c.cfg.Exhaustive {
		_, _, size := c.core.Recovery()
		v += size
	}
	if t.records == 0 || it < t.minIter {
		t.minIter = it
	}
	t.maxIter = max(t.maxIter, it)
	t.records++
	t.verifications += int64(v)
	if t.work == nil {
		t.work = map[credential.Scheme]float64{}
	}
	t.work[scheme] += v * float64(it)
}

// pbkdf2Estimate turns a tally into its cost on this machine, warns when
// it is long, and returns it for the summary.
func (c *checker) pbkdf2Estimate(t *pbkdf2Tally, input string) *PBKDF2Cost {
	if t.records == 0 {
		return nil
	}
	workers := min(c.cfg.Workers, runtime.GOMAXPROCS(0))
	secs := 0.0
	for s, w := range t.work {
		secs += w * c.secondsPer(s)
	}
	secs /= float64(workers)
	cost := &PBKDF2Cost{Records: t.records, MinIterations: t.minIter, MaxIterations: t.maxIter,
		Verifications: t.verifications, EstimatedSeconds: secs, Workers: workers}
	if secs >= pbkdf2Warn.Seconds() {
		c.cfg.warnf("audit: %s: %s: about %s on %d workers (%s a record: up to %s candidate verifications in all); the rest of the audit costs microseconds a row",
			input, cost.what(), approx(secs), workers, approx(secs*float64(workers)/float64(t.records)), group(t.verifications))
	}
	return cost
}

// approx writes a duration of secs seconds to a sensible precision:
// "90ms", "4.2s", "40m0s".
func approx(secs float64) string {
	d := time.Duration(secs * float64(time.Second))
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// what is "23,000 PBKDF2 records at 600,000 iterations".
func (p *PBKDF2Cost) what() string {
	s := group(int64(p.Records)) + " PBKDF2 record"
	if p.Records != 1 {
		s += "s"
	}
	if p.MinIterations == p.MaxIterations {
		return s + " at " + group(int64(p.MaxIterations)) + " iterations"
	}
	return s + " at " + group(int64(p.MinIterations)) + " to " + group(int64(p.MaxIterations)) + " iterations"
}

// group writes n with thousands separators: 600,000.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// nativeRates holds what a unit of each scheme's work costs natively
// (auditcore.Rate), measured once per process.
var nativeRates sync.Map // credential.Scheme → float64

// nativeRate is auditcore.Rate, measured once.
func nativeRate(s credential.Scheme) float64 {
	if v, ok := nativeRates.Load(s); ok {
		return v.(float64)
	}
	r := auditcore.Rate(s)
	nativeRates.Store(s, r)
	return r
}

// secondsPer is what a unit of s's work (an unsalted SHA-1
// verification, a PBKDF2 iteration) costs where this audit runs it:
// natively, or in the module, which measures itself (audit.rates).
func (c *checker) secondsPer(s credential.Scheme) float64 {
	if c.rate != nil {
		return c.rate(s)
	}
	return nativeRate(s)
}

// pbkdf2Seen counts the PBKDF2 records of an audit read once (standard
// input), which has no first pass: the first one is announced with its
// cost, and the summary counts them.
type pbkdf2Seen struct {
	once             sync.Once
	records          atomic.Int64
	minIter, maxIter atomic.Int64
}

// pbkdf2WarnEach is the cost of one record from which an audit read once
// announces its PBKDF2 records: 100 of them then take pbkdf2Warn.
const pbkdf2WarnEach = pbkdf2Warn / 100

func (p *pbkdf2Seen) add(c *checker, line int, r *credential.Record, cands int) {
	p.addRecord(c, line, r.Scheme(), int64(r.Iterations()), cands)
}

func (p *pbkdf2Seen) addRecord(c *checker, line int, scheme credential.Scheme, it int64, cands int) {
	p.records.Add(1)
	for {
		old := p.minIter.Load()
		if (old != 0 && old <= it) || p.minIter.CompareAndSwap(old, it) {
			break
		}
	}
	for {
		old := p.maxIter.Load()
		if old >= it || p.maxIter.CompareAndSwap(old, it) {
			break
		}
	}
	p.once.Do(func() {
		per := float64(cands) * float64(it) * c.secondsPer(scheme)
		if per >= pbkdf2WarnEach.Seconds() {
			c.cfg.warnf("audit: PBKDF2 records (the first at line %d, %s iterations) cost about %s each on this machine (up to %d candidate verifications); the input is read once, so how many follow is not known",
				line, group(it), approx(per), cands)
		}
	})
}

func (p *pbkdf2Seen) cost(workers int) *PBKDF2Cost {
	n := int(p.records.Load())
	if n == 0 {
		return nil
	}
	return &PBKDF2Cost{Records: n, MinIterations: int(p.minIter.Load()), MaxIterations: int(p.maxIter.Load()), Workers: workers}
}

// noteworthy says whether the table and HTML summaries mention the
// records: when their cost was worth the warning, or, read once, when
// there was no estimate. (The JSON summary always has them.)
func (p *PBKDF2Cost) noteworthy() bool {
	return p != nil && (p.EstimatedSeconds >= pbkdf2Warn.Seconds() || p.Verifications == 0)
}

// text is the summary's line about PBKDF2 records.
func (p *PBKDF2Cost) text() string {
	s := p.what()
	if p.EstimatedSeconds > 0 {
		s += fmt.Sprintf(": estimated to cost up to %s on %d workers", approx(p.EstimatedSeconds), p.Workers)
	}
	return s
}
