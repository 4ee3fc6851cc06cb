package audit

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/export"
)

// The per-row core: everything the audit does with one row, given its
// fields, is here and in recover.go, shared.go and dates.go, and none of
// it reads, writes or starts anything. Run (audit.go) does the I/O and
// the parallelism around it. The checks go to the engine through the
// typed operations (api.Operations) and the numbers through a dialer
// (dial.go); so the same core can run where the engine is an api.Session
// in the same address space, as it is inside the WebAssembly module.

// checker runs the per-row checks of one audit. It is shared by the
// workers; everything mutable in it is per call, atomic or a sync.Map.
type checker struct {
	cfg    *Config
	ops    api.Operations
	lay    *export.Layout
	shared *sharedTable
	// sharedPINs and sharedRecords count the values that two or more
	// rows hold: a PIN, a stored PIN record (one group each, however
	// many holders; counted as a value's count reaches 2).
	sharedPINs, sharedRecords atomic.Int64
	// onePass is set when the input could not be read twice (stdin):
	// shared PINs are then flagged from their second holder on.
	onePass bool

	policy  api.PolicyRef         // the loaded policy, by handle
	dialer  dialer                // checks the numbers
	numbers []export.NumberColumn // lay.Numbers()

	// cos holds the classes of service the tables define; a row whose
	// class of service is not among them (or has none) is checked under
	// fallbackCOS, the tables' first, and the audit says so once per name.
	cos         map[string]bool
	fallbackCOS string
	cosWarned   sync.Map
	cosWarnings atomic.Int64

	// pbkdf2 is the cost of the PBKDF2 records, from the first pass;
	// without one (firstPassDone false), pbkdf2Seen counts them as they come.
	pbkdf2        *PBKDF2Cost
	firstPassDone bool
	pbkdf2Seen    pbkdf2Seen

	// skipped marks the checks the engine does not have (an older module
	// answering unknown_op): each is reported once and then skipped.
	skipped [numChecks]atomic.Bool
	recover *recoverer
}

// The checks an engine may lack, by the operation that runs them.
const (
	checkPIN = iota
	checkPassword
	checkDial
	numChecks
)

var checkOps = [numChecks]string{"pin", "password", "dial"}

// rowScratch is one worker's reusable buffers. The requests are reused
// too: handed to the engine through an interface, a request made per
// call would be an allocation per check.
type rowScratch struct {
	exts []string
	rec  recScratch
	pin  api.PINRequest
	pw   api.PasswordRequest
	dial api.DialRequest
}

// userOf reads a row's context (alias, names, extensions, date of
// birth) and its class of service into out.
func (c *checker) userOf(fields []string, s *rowScratch, out *Record) user {
	l := c.lay
	out.Alias = l.Get(fields, export.Alias)
	out.COS = l.Get(fields, export.COS)
	s.exts = s.exts[:0]
	if e := l.Get(fields, export.Extension); e != "" {
		s.exts = append(s.exts, e)
	}
	if alt := l.Get(fields, export.AltExtensions); alt != "" {
		for e := range strings.SplitSeq(alt, ";") {
			if e = strings.TrimSpace(e); e != "" {
				s.exts = append(s.exts, e)
			}
		}
	}
	u := user{
		alias: out.Alias, exts: s.exts,
		first: l.Get(fields, export.FirstName), last: l.Get(fields, export.LastName),
	}
	if d := l.Get(fields, export.DateOfBirth); d != "" {
		if iso, ok := parseDate(d); ok {
			u.dob = iso
		} else {
			out.add(CodeInvalidValue, export.DateOfBirth, "not a date (write YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD); the date rule ran without it")
		}
	}
	return u
}

// row audits one row into out: a bad row, a row of the wrong width, or
// the checks of a well-formed one.
func (c *checker) row(ctx context.Context, rec *export.Row, s *rowScratch, out *Record) {
	*out = Record{Line: rec.Line, Findings: out.Findings[:0]}
	switch {
	case rec.Bad != "":
		out.add(CodeBadRow, 0, rec.Bad)
	case len(rec.Fields) != c.lay.Width():
		// No alias: with a field missing before it, the alias column
		// holds the next column's value, a password as like as not.
		// A bad row carries its line and the reason, nothing of its text.
		out.add(CodeBadRow, 0, "wrong field count: "+strconv.Itoa(len(rec.Fields))+" fields, the header has "+strconv.Itoa(c.lay.Width()))
	default:
		c.check(ctx, rec.Fields, s, out)
	}
	// Findings are copied out of the reused slice, so a sink may keep them.
	out.Findings = slices0(out.Findings)
}

// check audits one well-formed row.
func (c *checker) check(ctx context.Context, fields []string, s *rowScratch, out *Record) {
	l := c.lay
	u := c.userOf(fields, s, out)
	pin := l.Get(fields, export.PIN)
	if pin != "" {
		c.checkPIN(ctx, export.PIN, pin, &u, s, out)
	}
	if pw := l.Get(fields, export.Password); pw != "" && !c.skipped[checkPassword].Load() {
		s.pw = api.PasswordRequest{Policy: c.policy, Password: pw, Context: api.PasswordContext{Alias: u.alias, Extensions: u.exts}}
		v, err := c.ops.CheckPassword(ctx, &s.pw)
		s.pw = api.PasswordRequest{} // drop the password as soon as possible
		c.verdict(ctx, checkPassword, export.Password, v, err, out)
	}
	pinHash := l.Get(fields, export.PINHash)
	if pinHash != "" {
		c.checkHash(ctx, export.PINHash, pinHash, &u, s, out)
	}
	if h := l.Get(fields, export.PasswordHash); h != "" {
		c.checkHash(ctx, export.PasswordHash, h, &u, s, out)
	}
	if len(c.numbers) > 0 && !c.skipped[checkDial].Load() {
		cos := ""
		for _, nc := range c.numbers {
			if n := export.Value(fields[nc.Index]); n != "" {
				if cos == "" {
					cos = c.tablesCOS(out.COS)
				}
				c.dialer.dial(ctx, c, nc.Field, n, cos, s, out)
			}
		}
	}
	if c.shared != nil {
		c.checkShared(pin, pinHash, out)
	}
}

// checkPIN runs the policy's PIN rules on pin, reporting under field.
func (c *checker) checkPIN(ctx context.Context, field export.Field, pin string, u *user, s *rowScratch, out *Record) {
	if c.skipped[checkPIN].Load() {
		return
	}
	s.pin = api.PINRequest{Policy: c.policy, PIN: pin, Context: api.PINContext{
		Extensions: u.exts, FirstName: u.first, LastName: u.last, DateOfBirth: u.dob, Year: c.cfg.Year,
	}}
	v, err := c.ops.CheckPIN(ctx, &s.pin)
	s.pin = api.PINRequest{} // drop the PIN as soon as possible
	c.verdict(ctx, checkPIN, field, v, err, out)
}

// verdict records a PIN or password verdict's reasons, or why there is none.
func (c *checker) verdict(ctx context.Context, check int, field export.Field, v api.Verdict, err error, out *Record) {
	if err != nil {
		c.failed(ctx, check, field, err, out)
		return
	}
	for i := range v.Reasons {
		out.add(string(v.Reasons[i].Code), field, v.Reasons[i].Message)
	}
}

// failed records why a check could not run: on the row, or, for an
// operation the engine does not have, once for the whole audit. A check
// the audit's interruption stopped records nothing (its batch is dropped).
func (c *checker) failed(ctx context.Context, check int, field export.Field, err error, out *Record) {
	op := checkOps[check]
	var e *api.Error
	if errors.As(err, &e) {
		if e.Code == api.ErrUnknownOp {
			if !c.skipped[check].Swap(true) {
				c.cfg.warnf("audit: the %s engine has no %q operation; that check is skipped", engineName(c.ops), op)
			}
			return
		}
		msg := string(e.Code)
		if e.Field != "" {
			msg += " in " + e.Field
		}
		// Only dial errors may quote their message: it names a class of
		// service or table, never a secret. Other messages could echo input.
		if check == checkDial {
			msg = e.Message
		}
		out.add(CodeCheckFailed, field, "the "+op+" check could not run: "+msg)
		return
	}
	if ctx.Err() != nil {
		return
	}
	out.add(CodeCheckFailed, field, "the "+op+" check could not run: "+err.Error())
}

// slices0 returns f, or an empty non-nil slice so JSON writes [].
func slices0(f []Finding) []Finding {
	if len(f) == 0 {
		return []Finding{}
	}
	return append([]Finding(nil), f...)
}

// add appends a finding about field (0: the row as a whole).
func (r *Record) add(code string, field export.Field, msg string) {
	name := ""
	if field != 0 {
		name = field.String()
	}
	r.Findings = append(r.Findings, Finding{Code: code, Field: name, Message: msg})
}

// user is the context a row gives its checks.
type user struct {
	alias, first, last, dob string
	exts                    []string
}

// maxCOSWarnings is how many unknown classes of service are named.
const maxCOSWarnings = 20

// tablesCOS maps a row's class of service to one the tables define.
func (c *checker) tablesCOS(cos string) string {
	if c.cos[cos] || len(c.cos) == 0 {
		return cos
	}
	// Load first: LoadOrStore keeps its key, so it costs an allocation
	// on every call, and a file's classes of service are few.
	if _, seen := c.cosWarned.Load(cos); seen {
		return c.fallbackCOS
	}
	if _, seen := c.cosWarned.LoadOrStore(cos, true); !seen {
		name := export.Quote(cos)
		if cos == "" {
			name = "(none)"
		}
		// A file with a class of service per user must not flood stderr.
		switch n := c.cosWarnings.Add(1); {
		case n <= maxCOSWarnings:
			c.cfg.warnf("audit: class of service %s is not in the restriction tables; its numbers are checked with class of service %q", name, c.fallbackCOS)
		case n == maxCOSWarnings+1:
			c.cfg.warnf("audit: more classes of service are not in the restriction tables; their numbers are checked with class of service %q too", c.fallbackCOS)
		}
	}
	return c.fallbackCOS
}

func (c *checker) checkShared(pin, pinHash string, out *Record) {
	for _, k := range [...]struct {
		field export.Field
		v     string
	}{{export.PIN, pin}, {export.PINHash, pinHash}} {
		if k.v == "" {
			continue
		}
		what := "PIN"
		if k.field == export.PINHash {
			what = "stored PIN record"
		}
		d := c.shared.digest(k.field, k.v)
		if c.onePass {
			n := c.shared.add(d)
			c.countGroup(k.field, n)
			if n > 1 {
				out.add(CodeSharedPIN, k.field, "the same "+what+" as "+countText(n-1)+" earlier user(s) in this file")
			}
			continue
		}
		if n := c.shared.count(d); n > 1 {
			out.add(CodeSharedPIN, k.field, countText(n)+" users in this file have this same "+what+" (a template's default?); give each a unique PIN")
		}
	}
}

// countGroup counts a new group of holders of a value of field when the
// value's count has just reached 2.
func (c *checker) countGroup(field export.Field, n int) {
	switch {
	case n != 2:
	case field == export.PIN:
		c.sharedPINs.Add(1)
	default:
		c.sharedRecords.Add(1)
	}
}

func countText(n int) string {
	if n >= sharedSaturated {
		return strconv.Itoa(sharedSaturated) + " or more"
	}
	return strconv.Itoa(n)
}
