package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core"
)

// checker runs the per-row checks of one audit. It is shared by the
// workers; everything mutable in it is per call, atomic or a sync.Map.
type checker struct {
	cfg    *Config
	lay    *layout
	shared *sharedTable
	// sharedPINs and sharedRecords count the values that two or more
	// rows hold: a PIN, a stored PIN record (one group each, however
	// many holders; counted as a value's count reaches 2).
	sharedPINs, sharedRecords atomic.Int64
	// onePass is set when the input could not be read twice (stdin):
	// shared PINs are then flagged from their second holder on.
	onePass bool

	policyRef []byte // JSON policy reference for requests
	tablesRef []byte // JSON tables reference

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

	unavailable sync.Map // op → true: the engine does not have it
	recover     *recoverer
	fast        *fastPath  // nil unless the engine is native
	dialer      *typedDial // the engine's scalar dial entry, when it has one
}

// rowScratch is one worker's reusable buffers.
type rowScratch struct {
	req  []byte
	exts []string
	rec  recScratch
	v    core.Verdict
	msgs map[msgKey]string
}

// userOf reads a row's context (alias, names, extensions, date of
// birth) and its class of service into out.
func (c *checker) userOf(fields []string, s *rowScratch, out *Record) user {
	l := c.lay
	out.Alias = l.get(fields, FieldAlias)
	out.COS = l.get(fields, FieldCOS)
	s.exts = s.exts[:0]
	if e := l.get(fields, FieldExtension); e != "" {
		s.exts = append(s.exts, e)
	}
	if alt := l.get(fields, FieldAltExtensions); alt != "" {
		for _, e := range strings.Split(alt, ";") {
			if e = strings.TrimSpace(e); e != "" {
				s.exts = append(s.exts, e)
			}
		}
	}
	u := user{
		alias: out.Alias, exts: s.exts,
		first: l.get(fields, FieldFirstName), last: l.get(fields, FieldLastName),
	}
	if d := l.get(fields, FieldDOB); d != "" {
		if iso, ok := parseDate(d); ok {
			u.dob = iso
		} else {
			out.add(CodeInvalidValue, FieldDOB, "not a date (write YYYY-MM-DD, MM/DD/YYYY or YYYYMMDD); the date rule ran without it")
		}
	}
	return u
}

// check audits one well-formed row.
func (c *checker) check(ctx context.Context, fields []string, s *rowScratch, out *Record) {
	l := c.lay
	u := c.userOf(fields, s, out)
	pin := l.get(fields, FieldPIN)
	switch {
	case pin == "":
	case c.fast != nil:
		c.fastPIN(pin, &u, s, out)
	default:
		s.req = c.pinRequest(s.req[:0], pin, &u)
		c.verdict(ctx, "pin", FieldPIN, s.req, out)
	}
	switch pw := l.get(fields, FieldPassword); {
	case pw == "":
	case c.fast != nil:
		c.fastPassword(pw, &u, s, out)
	default:
		s.req = c.passwordRequest(s.req[:0], pw, &u)
		c.verdict(ctx, "password", FieldPassword, s.req, out)
	}
	pinHash := l.get(fields, FieldPINHash)
	if pinHash != "" {
		c.checkHash(ctx, FieldPINHash, pinHash, &u, s, out)
	}
	if h := l.get(fields, FieldPasswordHash); h != "" {
		c.checkHash(ctx, FieldPasswordHash, h, &u, s, out)
	}
	for _, nc := range l.numbers {
		n := value(fields[nc.index], true)
		switch {
		case n == "":
		case c.fast != nil:
			c.fastDial(nc, n, c.tablesCOS(out.COS), out)
		case c.dialer != nil:
			c.typedDial(ctx, nc, n, c.tablesCOS(out.COS), out)
		default:
			s.req = c.dialRequest(s.req[:0], nc.feature, n, c.tablesCOS(out.COS))
			c.checkNumber(ctx, nc.field, s.req, out)
		}
	}
	if c.shared != nil {
		c.checkShared(pin, pinHash, out)
	}
}

func (r *Record) add(code, field, msg string) {
	r.Findings = append(r.Findings, Finding{Code: code, Field: field, Message: msg})
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
	if _, seen := c.cosWarned.LoadOrStore(cos, true); !seen {
		name := quoteShort(cos)
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

func (c *checker) pinRequest(b []byte, pin string, u *user) []byte {
	b = append(b, `{"policy":`...)
	b = append(b, c.policyRef...)
	b = append(b, `,"pin":`...)
	b = api.AppendString(b, pin)
	b = append(b, `,"context":{`...)
	b = appendList(b, "extensions", u.exts)
	b = appendOpt(b, "first_name", u.first)
	b = appendOpt(b, "last_name", u.last)
	b = appendOpt(b, "dob", u.dob)
	if c.cfg.Year > 0 {
		b = append(b, `"year":`...)
		b = strconv.AppendInt(b, int64(c.cfg.Year), 10)
		b = append(b, ',')
	}
	return closeObj(b, "}}")
}

func (c *checker) passwordRequest(b []byte, pw string, u *user) []byte {
	b = append(b, `{"policy":`...)
	b = append(b, c.policyRef...)
	b = append(b, `,"password":`...)
	b = api.AppendString(b, pw)
	b = append(b, `,"context":{`...)
	b = appendOpt(b, "alias", u.alias)
	b = appendList(b, "extensions", u.exts)
	return closeObj(b, "}}")
}

// dialRequest asks for the table cos links to feature; with tables that
// define no class of service (a single CUPI table), their default table.
func (c *checker) dialRequest(b []byte, feature, number, cos string) []byte {
	b = append(b, `{"tables":`...)
	b = append(b, c.tablesRef...)
	if len(c.cos) > 0 {
		b = append(b, `,"feature":`...)
		b = api.AppendString(b, feature)
		b = append(b, `,"cos":`...)
		b = api.AppendString(b, cos)
	}
	b = append(b, `,"number":`...)
	b = api.AppendString(b, number)
	return append(b, '}')
}

func appendOpt(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = api.AppendString(b, key)
	b = append(b, ':')
	b = api.AppendString(b, v)
	return append(b, ',')
}

func appendList(b []byte, key string, vs []string) []byte {
	if len(vs) == 0 {
		return b
	}
	b = api.AppendString(b, key)
	b = append(b, ':', '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = api.AppendString(b, v)
	}
	return append(b, ']', ',')
}

// closeObj drops a trailing comma and appends the closing braces.
func closeObj(b []byte, end string) []byte {
	if b[len(b)-1] == ',' {
		b = b[:len(b)-1]
	}
	return append(b, end...)
}

// apiError is the error form of every response.
type apiError struct {
	Error *api.Error `json:"error"`
}

// do runs op and reports whether it produced a result; when it did not,
// the reason is recorded on the row (or, for an operation the engine does
// not have, once for the whole audit).
func (c *checker) do(ctx context.Context, op, field string, req []byte, out *Record) ([]byte, bool) {
	if _, gone := c.unavailable.Load(op); gone {
		return nil, false
	}
	resp, err := c.cfg.Engine.Do(ctx, op, req)
	if err == nil {
		return resp, true
	}
	var e apiError
	if json.Unmarshal(resp, &e) == nil && e.Error != nil {
		if e.Error.Code == api.ErrUnknownOp {
			if _, seen := c.unavailable.LoadOrStore(op, true); !seen {
				c.cfg.warnf("audit: the %s engine has no %q operation; that check is skipped", c.cfg.EngineName, op)
			}
			return nil, false
		}
		msg := string(e.Error.Code)
		if e.Error.Field != "" {
			msg += " in " + e.Error.Field
		}
		// Only dial errors may quote their message: it names a class of
		// service or table, never a secret. Other messages could echo input.
		if op == "dial" {
			msg = e.Error.Message
		}
		out.add(CodeCheckFailed, field, "the "+op+" check could not run: "+msg)
		return nil, false
	}
	if ctx.Err() != nil {
		return nil, false
	}
	out.add(CodeCheckFailed, field, "the "+op+" check could not run: "+err.Error())
	return nil, false
}

// verdictJSON is the part of a verdict the audit reads.
type verdictJSON struct {
	Accepted bool `json:"accepted"`
	Reasons  []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"reasons"`
}

func (c *checker) verdict(ctx context.Context, op, field string, req []byte, out *Record) {
	resp, ok := c.do(ctx, op, field, req, out)
	if !ok {
		return
	}
	var v verdictJSON
	if err := json.Unmarshal(resp, &v); err != nil {
		out.add(CodeCheckFailed, field, "the "+op+" check answered malformed JSON")
		return
	}
	for _, r := range v.Reasons {
		out.add(r.Code, field, r.Message)
	}
}

type dialJSON struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	Table   string `json:"table"`
	Row     *int   `json:"row"`
	Pattern string `json:"pattern"`
}

func (c *checker) checkNumber(ctx context.Context, field string, req []byte, out *Record) {
	resp, ok := c.do(ctx, "dial", field, req, out)
	if !ok {
		return
	}
	var d dialJSON
	if err := json.Unmarshal(resp, &d); err != nil {
		out.add(CodeCheckFailed, field, "the dial check answered malformed JSON")
		return
	}
	if d.Allowed {
		return
	}
	row := -1
	if d.Row != nil {
		row = *d.Row
	}
	out.add(CodeBlockedNumber, field, blockedMessage(d.Table, d.Reason, row, d.Pattern))
}

func (c *checker) checkShared(pin, pinHash string, out *Record) {
	for _, k := range [...]struct{ field, v string }{{FieldPIN, pin}, {FieldPINHash, pinHash}} {
		if k.v == "" {
			continue
		}
		what := "PIN"
		if k.field == FieldPINHash {
			what = "stored PIN record"
		}
		d := c.shared.digest(k.field, k.v)
		if c.onePass {
			n := c.shared.add(d)
			c.countGroup(k.field, n)
			if n > 1 {
				out.add(CodeSharedPIN, k.field, fmt.Sprintf("the same %s as %s earlier user(s) in this file", what, countText(n-1)))
			}
			continue
		}
		if n := c.shared.count(d); n > 1 {
			out.add(CodeSharedPIN, k.field, fmt.Sprintf("%s users in this file have this same %s (a template's default?); give each a unique PIN", countText(n), what))
		}
	}
}

// countGroup counts a new group of holders of a value of field when the
// value's count has just reached 2.
func (c *checker) countGroup(field string, n int) {
	switch {
	case n != 2:
	case field == FieldPIN:
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
