package auditcore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/credential"
	"github.com/tollgate/tollgate/core/destination"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/export"
)

// Config is what one audit's core needs: the engine's operations with the
// documents as it takes them, the same documents compiled, and the
// export's layout.
type Config struct {
	// Ops runs the PIN, password and (without Dialer) dial checks; safe
	// for concurrent use when the host runs rows on several goroutines.
	Ops api.Operations
	// Policy and Tables are the documents as the engine takes them (by
	// handle once loaded).
	Policy api.PolicyRef
	Tables api.TablesRef
	// Compiled and Set are the same documents compiled here: the policy's
	// PIN lengths bound the exhaustive search, the tables' classes of
	// service map the rows.
	Compiled *core.Policy
	Set      *dialplan.Set
	Layout   *export.Layout

	FIPS, Exhaustive bool
	// Year is the current year, for the date rule's window; 0 skips it.
	Year int
	// Engine names the engine in notes ("native", "wasm").
	Engine string
	// Dialer checks numbers; nil runs the engine's "dial" operation.
	Dialer Dialer
	// Warn receives notes for the person running the audit; it must be
	// safe for concurrent use. nil drops them.
	Warn func(string)
	// Shared counts the holders of each PIN and stored PIN record by
	// digest (Digest under Key); nil skips the shared-PIN check. OnePass
	// says the input is read once: holders are counted as they come and
	// flagged from the second on.
	Shared  Shared
	Key     uint64
	OnePass bool
	// InOrder leaves what depends on the order of rows to the host, which
	// calls FinishRow with each row's Scratch.Pending in input order: on
	// an input read once, the shared-PIN count ("earlier user(s)" means
	// earlier in the file, which workers checking rows side by side cannot
	// tell), and the warnings of classes of service the tables lack (the
	// first maxCOSWarnings names in the file, in its order).
	InOrder bool
	// PBKDF2, when set, is told of every PBKDF2 record as its row is
	// checked, with the number of candidates it gets (an input read
	// once, which had no first pass to count them).
	PBKDF2 func(line int, r *credential.Record, candidates int)
	// Interrupt, when set, is polled during long work (a PBKDF2
	// derivation, every 1 024 iterations; the exhaustive search, every
	// 4 096 candidates) besides ctx, which the module has not: there it
	// reads the clock, where the host stops a call whose context ended.
	Interrupt func() bool
}

// Shared is the shared-PIN count: Count for a second pass (the host
// counted every holder in the first), Add for an input read once.
type Shared interface {
	Count(d uint64) int
	Add(d uint64) int
}

// Dialer checks one phone number of a row against the restriction table
// its class of service links to its column's feature, and records a
// refusal (or why the check could not run) on out.
type Dialer interface {
	Dial(ctx context.Context, c *Core, field export.Field, number, cos string, s *Scratch, out *Record)
}

// Core runs the per-row checks of one audit. It is safe for concurrent
// use: everything mutable in it is per call, atomic or under a mutex.
type Core struct {
	cfg     Config
	lay     *export.Layout
	numbers []export.NumberColumn
	dialer  Dialer
	// dest classifies numbers when the tables declare a region (nil
	// otherwise): the high_tier_destination check.
	dest *destination.Dialing

	// sharedPINs and sharedRecords count the values that two or more
	// rows hold, one group each (counted as a value's count reaches 2).
	sharedPINs, sharedRecords atomic.Int64

	// cos holds the classes of service the tables define; a row whose
	// class of service is not among them (or has none) is checked under
	// fallbackCOS, the tables' first, and the audit says so once per name.
	// Every row with numbers asks, on every worker, so the names already
	// warned about are read without a lock: cosWarned is replaced, never
	// changed, and cosFull says the list stopped growing.
	cos         map[string]bool
	fallbackCOS string
	cosMu       sync.Mutex
	cosWarned   atomic.Pointer[map[string]bool]
	cosFull     atomic.Bool
	cosWarnings int // under cosMu

	// skipped marks the checks the engine does not have (an older module
	// answering unknown_op): each is reported once and then skipped.
	skipped [numChecks]atomic.Bool
	recover *recoverer
}

// New makes the core of one audit.
func New(cfg Config) *Core {
	c := &Core{cfg: cfg, lay: cfg.Layout, dialer: cfg.Dialer, cos: map[string]bool{}}
	c.cosWarned.Store(&map[string]bool{})
	if c.dialer == nil {
		c.dialer = typedDial{}
	}
	if cfg.Set != nil {
		c.dest = cfg.Set.Dialing()
		for i, cs := range cfg.Set.ClassesOfService() {
			if i == 0 {
				c.fallbackCOS = cs.Name
			}
			c.cos[cs.Name] = true
		}
	}
	if c.lay != nil {
		c.numbers = c.lay.Numbers()
	}
	c.recover = newRecoverer(cfg.Compiled, cfg.FIPS, cfg.Exhaustive, cfg.Interrupt)
	return c
}

// Ops is the engine the core checks with.
func (c *Core) Ops() api.Operations { return c.cfg.Ops }

// HasCOS reports whether the tables define classes of service (numbers
// are then checked per class of service and feature).
func (c *Core) HasCOS() bool { return len(c.cos) > 0 }

// The checks an engine may lack, by the operation that runs them.
const (
	checkPIN = iota
	checkPassword
	checkDial
	numChecks
)

var checkOps = [numChecks]string{"pin", "password", "dial"}

// Skipped returns the checks skipped because the engine lacks their
// operation, sorted.
func (c *Core) Skipped() []string {
	var out []string
	for i := range c.skipped {
		if c.skipped[i].Load() {
			out = append(out, checkOps[i])
		}
	}
	return out // checkOps is in sorted order
}

// SharedGroups returns how many PINs and stored PIN records two or more
// rows hold, as counted by CountGroup.
func (c *Core) SharedGroups() (pins, records int) {
	return int(c.sharedPINs.Load()), int(c.sharedRecords.Load())
}

// CountGroup counts a new group of holders of a value of field when the
// value's count n has just reached 2.
func (c *Core) CountGroup(field export.Field, n int) {
	switch {
	case n != 2:
	case field == export.PIN:
		c.sharedPINs.Add(1)
	default:
		c.sharedRecords.Add(1)
	}
}

// Recovery reports the exhaustive search's bounds, for the host's
// estimate: the PIN lengths and how many PINs it tries per record.
func (c *Core) Recovery() (minLen, maxLen int, size float64) {
	return c.recover.minLen, c.recover.maxLen, c.recover.searchSize()
}

// PBKDF2Candidates is how many candidates a PBKDF2 record of field gets
// in row fields (a well-formed row): the row's own and the head of the
// fixed list.
func (c *Core) PBKDF2Candidates(field export.Field, fields []string, s *Scratch) int {
	var out Record
	u := c.userOf(fields, s, &out)
	pin := field == export.PINHash
	return len(c.recover.candidates(pin, &u, &s.rec)) + min(pbkdf2ListLimit, len(c.recover.list(pin)))
}

func (c *Core) warn(msg string) {
	if c.cfg.Warn != nil {
		c.cfg.Warn(msg)
	}
}

// Scratch is one worker's reusable buffers. The requests are reused too:
// handed to the engine through an interface, a request made per call
// would be an allocation per check.
type Scratch struct {
	exts []string
	rec  recScratch
	pin  api.PINRequest
	pw   api.PasswordRequest
	Dial api.DialRequest
	// shared caches the two-pass shared-PIN messages by field (PIN,
	// stored record) and count: the same few strings on most rows of a
	// file whose template gave everyone one PIN.
	shared [2][Saturated + 1]string
	// Pending is what the last row left for FinishRow (Config.InOrder).
	Pending Pending
}

// Pending is what a row leaves to FinishRow (Config.InOrder): the digests
// of its PIN and stored PIN record to count, when read once, and whether
// its class of service was mapped for a number.
type Pending struct {
	d   [2]uint64
	has [2]bool
	cos bool
}

// user is the context a row gives its checks.
type user struct {
	alias, first, last, dob string
	exts                    []string
}

// userOf reads a row's context (alias, names, extensions, date of
// birth) and its class of service into out.
func (c *Core) userOf(fields []string, s *Scratch, out *Record) user {
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
			out.Add(CodeInvalidValue, export.DateOfBirth, "not a date (write YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD); the date rule ran without it")
		}
	}
	return u
}

// Row audits one row into out: a bad row (bad says why), a row of the
// wrong width, or the checks of a well-formed one. out's findings slice
// is reused; its findings are copied out, so a sink may keep them.
func (c *Core) Row(ctx context.Context, line int, bad string, fields []string, s *Scratch, out *Record) {
	*out = Record{Line: line, Findings: out.Findings[:0]}
	switch {
	case bad != "":
		out.Add(CodeBadRow, 0, bad)
	case len(fields) != c.lay.Width():
		// No alias: with a field missing before it, the alias column
		// holds the next column's value, a password as like as not.
		// A bad row carries its line and the reason, nothing of its text.
		out.Add(CodeBadRow, 0, "wrong field count: "+strconv.Itoa(len(fields))+" fields, the header has "+strconv.Itoa(c.lay.Width()))
	default:
		c.check(ctx, fields, s, out)
	}
	out.Findings = slices0(out.Findings)
}

// RowInPlace is Row leaving the findings in out's reused slice (valid
// until the next call with out): for a host that encodes the record at
// once.
func (c *Core) RowInPlace(ctx context.Context, line int, bad string, fields []string, s *Scratch, out *Record) {
	*out = Record{Line: line, Findings: out.Findings[:0]}
	s.Pending = Pending{}
	switch {
	case bad != "":
		out.Add(CodeBadRow, 0, bad)
	case len(fields) != c.lay.Width():
		out.Add(CodeBadRow, 0, "wrong field count: "+strconv.Itoa(len(fields))+" fields, the header has "+strconv.Itoa(c.lay.Width()))
	default:
		c.check(ctx, fields, s, out)
	}
}

// check audits one well-formed row.
func (c *Core) check(ctx context.Context, fields []string, s *Scratch, out *Record) {
	l := c.lay
	u := c.userOf(fields, s, out)
	pin := l.Get(fields, export.PIN)
	if pin != "" {
		c.checkPIN(ctx, export.PIN, pin, &u, s, out)
	}
	if pw := l.Get(fields, export.Password); pw != "" && !c.skipped[checkPassword].Load() {
		s.pw = api.PasswordRequest{Policy: c.cfg.Policy, Password: pw, Context: api.PasswordContext{Alias: u.alias, Extensions: u.exts}}
		v, err := c.cfg.Ops.CheckPassword(ctx, &s.pw)
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
				switch {
				case cos != "":
				case c.cfg.InOrder:
					cos = c.mapCOS(out.COS)
					s.Pending.cos = true
				default:
					cos = c.TablesCOS(out.COS)
				}
				before := len(out.Findings)
				c.dialer.Dial(ctx, c, nc.Field, n, cos, s, out)
				if c.dest != nil {
					c.checkDestination(nc.Field, n, before, out)
				}
			}
		}
	}
	if c.cfg.Shared != nil {
		c.checkShared(pin, pinHash, s, out)
	}
}

// checkPIN runs the policy's PIN rules on pin, reporting under field.
func (c *Core) checkPIN(ctx context.Context, field export.Field, pin string, u *user, s *Scratch, out *Record) {
	if c.skipped[checkPIN].Load() {
		return
	}
	s.pin = api.PINRequest{Policy: c.cfg.Policy, PIN: pin, Context: api.PINContext{
		Extensions: u.exts, FirstName: u.first, LastName: u.last, DateOfBirth: u.dob, Year: c.cfg.Year,
	}}
	v, err := c.cfg.Ops.CheckPIN(ctx, &s.pin)
	s.pin = api.PINRequest{} // drop the PIN as soon as possible
	c.verdict(ctx, checkPIN, field, v, err, out)
}

// verdict records a PIN or password verdict's reasons, or why there is none.
func (c *Core) verdict(ctx context.Context, check int, field export.Field, v api.Verdict, err error, out *Record) {
	if err != nil {
		c.failed(ctx, check, field, err, out)
		return
	}
	for i := range v.Reasons {
		out.Add(string(v.Reasons[i].Code), field, v.Reasons[i].Message)
	}
}

// DialFailed records why a dial check could not run (Failed for dial).
func (c *Core) DialFailed(ctx context.Context, field export.Field, err error, out *Record) {
	c.failed(ctx, checkDial, field, err, out)
}

// failed records why a check could not run: on the row, or, for an
// operation the engine does not have, once for the whole audit. A check
// the audit's interruption stopped records nothing (its batch is dropped).
func (c *Core) failed(ctx context.Context, check int, field export.Field, err error, out *Record) {
	op := checkOps[check]
	var e *api.Error
	if errors.As(err, &e) {
		if e.Code == api.ErrUnknownOp {
			if !c.skipped[check].Swap(true) {
				c.warn("audit: the " + c.cfg.Engine + " engine has no " + strconv.Quote(op) + " operation; that check is skipped")
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
		out.Add(CodeCheckFailed, field, "the "+op+" check could not run: "+msg)
		return
	}
	if c.recover.stopped(ctx) {
		return
	}
	out.Add(CodeCheckFailed, field, "the "+op+" check could not run: "+err.Error())
}

// slices0 returns f, or an empty non-nil slice so JSON writes [].
func slices0(f []Finding) []Finding {
	if len(f) == 0 {
		return []Finding{}
	}
	return append([]Finding(nil), f...)
}

// maxCOSWarnings is how many unknown classes of service are named.
const maxCOSWarnings = 20

// TablesCOS maps a row's class of service to one the tables define,
// warning once of a name they lack.
func (c *Core) TablesCOS(cos string) string {
	if c.cos[cos] || len(c.cos) == 0 {
		return cos
	}
	return c.warnCOS(cos)
}

// mapCOS is TablesCOS without the warning (Config.InOrder: the host gives
// it in input order, FinishRow).
func (c *Core) mapCOS(cos string) string {
	if c.cos[cos] || len(c.cos) == 0 {
		return cos
	}
	return c.fallbackCOS
}

// warnCOS warns of cos, a class of service the tables lack, unless it was
// already, and returns the fallback.
func (c *Core) warnCOS(cos string) string {
	if c.cosFull.Load() || (*c.cosWarned.Load())[cos] {
		return c.fallbackCOS
	}
	c.cosMu.Lock()
	defer c.cosMu.Unlock()
	warned := *c.cosWarned.Load()
	if warned[cos] {
		return c.fallbackCOS
	}
	// A file with a class of service per user must not flood stderr, nor
	// grow this map: past the limit, names are no longer remembered.
	c.cosWarnings++
	switch n := c.cosWarnings; {
	case n <= maxCOSWarnings:
		next := make(map[string]bool, len(warned)+1)
		for k := range warned {
			next[k] = true
		}
		next[cos] = true
		c.cosWarned.Store(&next)
		name := export.Quote(cos)
		if cos == "" {
			name = "(none)"
		}
		c.warn("audit: class of service " + name + " is not in the restriction tables; its numbers are checked with class of service " + strconv.Quote(c.fallbackCOS))
	case n == maxCOSWarnings+1:
		c.cosFull.Store(true)
		c.warn("audit: more classes of service are not in the restriction tables; their numbers are checked with class of service " + strconv.Quote(c.fallbackCOS) + " too")
	}
	return c.fallbackCOS
}

func (c *Core) checkShared(pin, pinHash string, s *Scratch, out *Record) {
	for i, k := range [...]struct {
		field export.Field
		v     string
	}{{export.PIN, pin}, {export.PINHash, pinHash}} {
		if k.v == "" {
			continue
		}
		d := DigestString(c.cfg.Key, k.field, k.v)
		switch {
		case c.cfg.OnePass && c.cfg.InOrder:
			s.Pending.d[i], s.Pending.has[i] = d, true
		case c.cfg.OnePass:
			c.addShared(k.field, d, out)
		default:
			if n := c.cfg.Shared.Count(d); n > 1 {
				out.Add(CodeSharedPIN, k.field, s.sharedMessage(k.field, sharedWhat(k.field), n))
			}
		}
	}
}

// FinishRow does what row out left to the host (Config.InOrder): the
// warning of a class of service the tables lack, and on an input read
// once the count of its holders and its shared-PIN findings, last as
// checkShared would have added them. The host calls it once per row, in
// input order.
func (c *Core) FinishRow(p Pending, out *Record) {
	if p.cos && c.mapCOS(out.COS) != out.COS {
		c.warnCOS(out.COS)
	}
	for i, f := range [...]export.Field{export.PIN, export.PINHash} {
		if p.has[i] {
			c.addShared(f, p.d[i], out)
		}
	}
}

// addShared counts one more holder of d, read once, and flags it from the
// second holder on.
func (c *Core) addShared(field export.Field, d uint64, out *Record) {
	n := c.cfg.Shared.Add(d)
	c.CountGroup(field, n)
	if n > 1 {
		out.Add(CodeSharedPIN, field, "the same "+sharedWhat(field)+" as "+earlierText(n)+" earlier user(s) in this file")
	}
}

func sharedWhat(field export.Field) string {
	if field == export.PINHash {
		return "stored PIN record"
	}
	return "PIN"
}

// Saturated is where a shared-PIN count stops growing.
const Saturated = 255

// sharedMessage is the two-pass message for n users sharing a value.
func (s *Scratch) sharedMessage(field export.Field, what string, n int) string {
	msg := func() string {
		return countText(n) + " users in this file have this same " + what + " (a template's default?); give each a unique PIN"
	}
	if n < 0 || n > Saturated {
		return msg()
	}
	i := 0
	if field == export.PINHash {
		i = 1
	}
	if s.shared[i][n] == "" {
		s.shared[i][n] = msg()
	}
	return s.shared[i][n]
}

// earlierText is how many holders came before the one that made the
// count n: a saturated count says only that there were at least
// Saturated-1.
func earlierText(n int) string {
	if n >= Saturated {
		return strconv.Itoa(Saturated-1) + " or more"
	}
	return strconv.Itoa(n - 1)
}

func countText(n int) string {
	if n >= Saturated {
		return strconv.Itoa(Saturated) + " or more"
	}
	return strconv.Itoa(n)
}

// PINContext is the context a well-formed row gives a PIN check (its
// extensions, names, date of birth and the run's year), and its alias:
// what `tollgate gen` checks a new PIN with. The extensions alias s.
func (c *Core) PINContext(fields []string, s *Scratch) (alias string, ctx api.PINContext) {
	var out Record
	u := c.userOf(fields, s, &out)
	return u.alias, api.PINContext{Extensions: u.exts, FirstName: u.first, LastName: u.last, DateOfBirth: u.dob, Year: c.cfg.Year}
}

// stopped reports whether ctx is done or the interrupt says stop. Inside
// the module ctx is nil (any context value there would keep the time
// package's formatting code alive; api.Session.Do says why): the interrupt
// reads the clock there, and the host ends a call whose context ended.
func (rc *recoverer) stopped(ctx context.Context) bool {
	return ctx != nil && ctx.Err() != nil || rc.interrupt != nil && rc.interrupt()
}
