package api

import (
	"slices"
	"strconv"

	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// The answers of the operations, as Go values. Each has one JSON form,
// written by its appendJSON and read back by its decodeJSON (the wasm
// engine reads the module's answers with them); codec_test.go holds both
// to the json tags, and the corpus holds the bytes.

// Verdict is the answer of "pin" and "password".
type Verdict struct {
	Accepted bool     `json:"accepted"`
	Reasons  []Reason `json:"reasons"`
}

// Reason is one reason of a refusal. Start and End (character offsets,
// End exclusive) are set when HasSpan is; Limit and Detail when the
// message uses them. Message is the English text from core's catalogue;
// hosts translate by Code.
type Reason struct {
	Code    core.Code `json:"code"`
	Message string    `json:"message"`
	HasSpan bool      `json:"-"`
	Start   int       `json:"start,omitempty"`
	End     int       `json:"end,omitempty"`
	Limit   int       `json:"limit,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// DialReason says why a dial result is what it is: a stable code.
type DialReason string

// Dial reasons (dialplan.Reason's codes).
const (
	DialMatched  DialReason = "matched"   // a row decided (Row, Pattern)
	DialNoMatch  DialReason = "no_match"  // no row matched; the table's no_match verdict applied
	DialTooShort DialReason = "too_short" // fewer digits than the table's minimum
	DialTooLong  DialReason = "too_long"  // more digits than the table's maximum
	DialInvalid  DialReason = "invalid"   // a character a dialed number cannot hold (Position)
	DialTimeout  DialReason = "timeout"   // a regex row ran past its time limit: refused
)

// DialResult is the answer of "dial". Number is the number as matched
// (separators dropped, Dropped counts them), or the input when it is
// invalid; Row is the deciding row (0-based, -1 when none) and Pattern its
// dial string; Position is the byte offset of the first invalid byte when
// Reason is DialInvalid. Destination is where the number goes, set when
// the tables document declares a region and the number is valid.
type DialResult struct {
	Number   string     `json:"number"`
	Allowed  bool       `json:"allowed"`
	Reason   DialReason `json:"reason"`
	Table    string     `json:"table"`
	Row      int        `json:"row"`
	Pattern  string     `json:"pattern"`
	Dropped  int        `json:"dropped,omitempty"`
	Position int        `json:"position,omitempty"`
	// Destination is zero (and left out of the JSON form) without a
	// region or for an invalid number.
	Destination Destination `json:"destination,omitzero"`
}

// Destination is where a dialed number goes (docs/tables.md,
// "Destinations"): Country is the ISO 3166 region code ("DO"; "001" for the
// international networks; "" when unknown or internal), Region the country
// calling code ("+1"; "" when unknown or internal), Type the number type
// (fixed, mobile, premium_rate, ...) and Tier its risk tier (low, medium,
// high). A zero Destination (Tier "") is none.
type Destination struct {
	Country string `json:"country"`
	Region  string `json:"region"`
	Type    string `json:"type"`
	Tier    string `json:"tier"`
}

// LintResult is the answer of "lint".
type LintResult struct {
	Findings []Finding `json:"findings"`
}

// Finding is one lint finding. Row is -1 for a finding about the whole
// table; ShadowedBy is the row that shadows Row, -1 when none (or several;
// on risky_block_shadowed, the row that allows the number first). The
// destination findings (nanp_international, high_tier_allowed,
// medium_tier_allowed, risky_block_shadowed) give a number the table
// allows as Example and where it goes as Destination; other findings
// leave both zero.
type Finding struct {
	Code        string      `json:"code"`
	Severity    string      `json:"severity"`
	Table       string      `json:"table"`
	Row         int         `json:"row"`
	ShadowedBy  int         `json:"shadowed_by"`
	Message     string      `json:"message"`
	Example     string      `json:"example,omitempty"`
	Destination Destination `json:"destination,omitzero"`
}

// HashReason is the outcome of a hash verification: a stable code.
type HashReason string

// Hash verification reasons (core/credential's).
const (
	HashOK            HashReason = "ok"
	HashMismatch      HashReason = "mismatch"
	HashFIPSLegacy    HashReason = "fips_legacy_hash" // an MD5 record under FIPS: the credential must be reset
	HashUnknownScheme HashReason = "unknown_scheme"
	HashMalformed     HashReason = "malformed"
)

// HashResult is the answer of "hash.verify". Rehash, when set, is a fresh
// record of the secret that just verified, in the scheme the request
// asked for: store it in place of the old one.
type HashResult struct {
	Verified bool       `json:"verified"`
	Reason   HashReason `json:"reason"`
	Scheme   string     `json:"scheme"`
	Rehash   string     `json:"rehash,omitempty"`
	// Detail says what is wrong with a malformed record or an unknown
	// scheme, and where (a part, a byte offset, a length), never its
	// content.
	Detail string `json:"detail,omitempty"`
}

// HashRecord is the answer of "hash.make".
type HashRecord struct {
	Record string `json:"record"`
}

// PolicyInfo is the answer of "policy.load": the handle and the name of
// the profile the policy extends (or its own name).
type PolicyInfo struct {
	Handle Handle `json:"handle"`
	Name   string `json:"name"`
}

// TablesInfo is the answer of "tables.load": the handle and the names of
// the set's tables, in order (a table's index is its place here).
type TablesInfo struct {
	Handle Handle   `json:"handle"`
	Tables []string `json:"tables"`
}

// SignInResult is the answer of "signin": the state to keep for the next
// event, and what to do about this one.
type SignInResult struct {
	State    SignInState    `json:"state"`
	Decision SignInDecision `json:"decision"`
}

// SignInDecision is the JSON form of core.SignInDecision. Times are RFC
// 3339, nil when not set; Remaining is -1 when failures are not limited.
type SignInDecision struct {
	Code            string  `json:"code"`
	Allowed         bool    `json:"allowed"`
	MustChange      bool    `json:"must_change"`
	Locked          bool    `json:"locked"`
	LockedUntil     *string `json:"locked_until"`
	AdminMustUnlock bool    `json:"admin_must_unlock"`
	ResetCredential bool    `json:"reset_credential"`
	Remaining       int     `json:"remaining"`
	RetryAt         *string `json:"retry_at"`
}

// Conversions from core's values.

func verdictOf(v *core.Verdict) Verdict {
	out := Verdict{Accepted: v.Accepted, Reasons: make([]Reason, len(v.Reasons))}
	for i := range v.Reasons {
		out.Reasons[i] = reasonOf(&v.Reasons[i])
	}
	return out
}

func reasonOf(r *core.Reason) Reason {
	return Reason{Code: r.Code, Message: core.Message(*r), HasSpan: r.HasSpan, Start: r.Start, End: r.End, Limit: r.Limit, Detail: r.Detail}
}

// dialResultOf builds the answer for number matched against t. number is
// the request's: the normalized form is rebuilt only when separators were
// dropped, so the common case allocates nothing.
func dialResultOf(t *dialplan.Table, number string, r *dialplan.Result) DialResult {
	d := DialResult{
		Number: number, Allowed: r.Allowed, Reason: DialReason(r.Reason.String()),
		Table: t.Name(), Row: int(r.Row), Pattern: t.Pattern(*r), Dropped: int(r.Dropped),
	}
	if r.Reason == dialplan.ReasonInvalid {
		d.Position = int(r.Bad)
		return d
	}
	if r.Dropped > 0 {
		var buf [dialplan.MaxDigitsLimit + 1]byte
		norm, _, _ := dialplan.Normalize(buf[:0], []byte(number))
		d.Number = string(norm)
	}
	if dest, ok := t.Destination(number); ok {
		d.Destination = Destination(dest)
	}
	return d
}

func findingOf(f *dialplan.Finding) Finding {
	return Finding{Code: f.Code, Severity: string(f.Severity), Table: f.Table, Row: f.Row, ShadowedBy: f.ShadowedBy, Message: f.Message,
		Example: f.Example, Destination: Destination(f.Destination)}
}

// Encoders: the wire form, byte for byte what the corpus holds.

func (v *Verdict) appendJSON(b []byte) []byte {
	b = append(b, `{"accepted":`...)
	b = strconv.AppendBool(b, v.Accepted)
	b = append(b, `,"reasons":[`...)
	for i := range v.Reasons {
		if i > 0 {
			b = append(b, ',')
		}
		b = v.Reasons[i].appendJSON(b)
	}
	return append(b, "]}"...)
}

func (r *Reason) appendJSON(b []byte) []byte {
	b = append(b, `{"code":`...)
	b = AppendString(b, string(r.Code))
	b = append(b, `,"message":`...)
	b = AppendString(b, r.Message)
	if r.HasSpan {
		b = append(b, `,"start":`...)
		b = strconv.AppendInt(b, int64(r.Start), 10)
		b = append(b, `,"end":`...)
		b = strconv.AppendInt(b, int64(r.End), 10)
	}
	if r.Limit != 0 {
		b = append(b, `,"limit":`...)
		b = strconv.AppendInt(b, int64(r.Limit), 10)
	}
	if r.Detail != "" {
		b = append(b, `,"detail":`...)
		b = AppendString(b, r.Detail)
	}
	return append(b, '}')
}

func (d *DialResult) appendJSON(b []byte) []byte {
	b = append(b, `{"number":`...)
	b = AppendString(b, d.Number)
	b = append(b, `,"allowed":`...)
	b = strconv.AppendBool(b, d.Allowed)
	b = append(b, `,"reason":`...)
	b = AppendString(b, string(d.Reason))
	b = append(b, `,"table":`...)
	b = AppendString(b, d.Table)
	b = append(b, `,"row":`...)
	b = strconv.AppendInt(b, int64(d.Row), 10)
	b = append(b, `,"pattern":`...)
	b = AppendString(b, d.Pattern)
	if d.Dropped > 0 {
		b = append(b, `,"dropped":`...)
		b = strconv.AppendInt(b, int64(d.Dropped), 10)
	}
	if d.Reason == DialInvalid {
		b = append(b, `,"position":`...)
		b = strconv.AppendInt(b, int64(d.Position), 10)
	}
	b = d.Destination.appendJSON(b)
	return append(b, '}')
}

// appendJSON writes `,"destination":{...}`, nothing for a zero one.
func (d *Destination) appendJSON(b []byte) []byte {
	if d.Tier == "" {
		return b
	}
	b = append(b, `,"destination":{"country":`...)
	b = AppendString(b, d.Country)
	b = append(b, `,"region":`...)
	b = AppendString(b, d.Region)
	b = append(b, `,"type":`...)
	b = AppendString(b, d.Type)
	b = append(b, `,"tier":`...)
	b = AppendString(b, d.Tier)
	return append(b, '}')
}

func (l *LintResult) appendJSON(b []byte) []byte {
	b = append(b, `{"findings":[`...)
	for i := range l.Findings {
		if i > 0 {
			b = append(b, ',')
		}
		b = l.Findings[i].appendJSON(b)
	}
	return append(b, "]}"...)
}

func (f *Finding) appendJSON(b []byte) []byte {
	b = append(b, `{"code":`...)
	b = AppendString(b, f.Code)
	b = append(b, `,"severity":`...)
	b = AppendString(b, f.Severity)
	b = append(b, `,"table":`...)
	b = AppendString(b, f.Table)
	b = append(b, `,"row":`...)
	b = strconv.AppendInt(b, int64(f.Row), 10)
	if f.ShadowedBy >= 0 {
		b = append(b, `,"shadowed_by":`...)
		b = strconv.AppendInt(b, int64(f.ShadowedBy), 10)
	}
	b = append(b, `,"message":`...)
	b = AppendString(b, f.Message)
	if f.Example != "" {
		b = append(b, `,"example":`...)
		b = AppendString(b, f.Example)
	}
	b = f.Destination.appendJSON(b)
	return append(b, '}')
}

func (h *HashResult) appendJSON(b []byte) []byte {
	b = append(b, `{"verified":`...)
	b = strconv.AppendBool(b, h.Verified)
	b = append(b, `,"reason":`...)
	b = AppendString(b, string(h.Reason))
	b = append(b, `,"scheme":`...)
	b = AppendString(b, h.Scheme)
	if h.Rehash != "" {
		b = append(b, `,"rehash":`...)
		b = AppendString(b, h.Rehash)
	}
	if h.Detail != "" {
		b = append(b, `,"detail":`...)
		b = AppendString(b, h.Detail)
	}
	return append(b, '}')
}

func (h *HashRecord) appendJSON(b []byte) []byte {
	b = append(b, `{"record":`...)
	b = AppendString(b, h.Record)
	return append(b, '}')
}

func (p *PolicyInfo) appendJSON(b []byte) []byte {
	b = append(b, `{"handle":`...)
	b = strconv.AppendUint(b, uint64(p.Handle), 10)
	b = append(b, `,"name":`...)
	b = AppendString(b, p.Name)
	return append(b, '}')
}

func (t *TablesInfo) appendJSON(b []byte) []byte {
	b = append(b, `{"handle":`...)
	b = strconv.AppendUint(b, uint64(t.Handle), 10)
	b = append(b, `,"tables":[`...)
	for i, n := range t.Tables {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, n)
	}
	return append(b, "]}"...)
}

func (r *SignInResult) appendJSON(b []byte) []byte {
	b = append(b, `{"state":`...)
	b = r.State.appendJSON(b)
	b = append(b, `,"decision":`...)
	b = r.Decision.appendJSON(b)
	return append(b, '}')
}

// appendJSON writes every field, in a fixed order, so the state is
// byte-identical across engines and round-trips through decodeJSON.
func (s *SignInState) appendJSON(b []byte) []byte {
	b = append(b, `{"failures":`...)
	b = strconv.AppendInt(b, int64(s.Failures), 10)
	b = append(b, `,"last_failure":`...)
	b = appendTimePtr(b, s.LastFailure)
	b = append(b, `,"locked_at":`...)
	b = appendTimePtr(b, s.LockedAt)
	b = append(b, `,"must_change":`...)
	b = strconv.AppendBool(b, s.MustChange)
	b = append(b, `,"changed_at":`...)
	b = appendTimePtr(b, s.ChangedAt)
	b = append(b, `,"last_signin":`...)
	b = appendTimePtr(b, s.LastSignIn)
	b = append(b, `,"inactive":`...)
	b = strconv.AppendBool(b, s.Inactive)
	b = append(b, `,"sessions":{`...)
	for i := core.Interface(0); i < core.NumInterfaces; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		name := i.String()
		b = AppendString(b, name)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(s.Sessions[name]), 10)
	}
	// A state a client sent may name others: they travel as sent, for
	// the session to refuse.
	if len(s.Sessions) > int(core.NumInterfaces) || !knownSessions(s.Sessions) {
		var other []string
		for name := range s.Sessions {
			if !isInterfaceName(name) {
				other = append(other, name)
			}
		}
		slices.Sort(other)
		for _, name := range other {
			b = append(b, ',')
			b = AppendString(b, name)
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(s.Sessions[name]), 10)
		}
	}
	return append(b, "}}"...)
}

func (d *SignInDecision) appendJSON(b []byte) []byte {
	b = append(b, `{"code":`...)
	b = AppendString(b, d.Code)
	b = append(b, `,"allowed":`...)
	b = strconv.AppendBool(b, d.Allowed)
	b = append(b, `,"must_change":`...)
	b = strconv.AppendBool(b, d.MustChange)
	b = append(b, `,"locked":`...)
	b = strconv.AppendBool(b, d.Locked)
	b = append(b, `,"locked_until":`...)
	b = appendTimePtr(b, d.LockedUntil)
	b = append(b, `,"admin_must_unlock":`...)
	b = strconv.AppendBool(b, d.AdminMustUnlock)
	b = append(b, `,"reset_credential":`...)
	b = strconv.AppendBool(b, d.ResetCredential)
	b = append(b, `,"remaining":`...)
	b = strconv.AppendInt(b, int64(d.Remaining), 10)
	b = append(b, `,"retry_at":`...)
	b = appendTimePtr(b, d.RetryAt)
	return append(b, '}')
}

func appendTimePtr(b []byte, t *string) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return AppendString(b, *t)
}

// Decoders: the same forms read back, strictly (unknown fields refused).

var (
	verdictFields        = []string{"accepted", "reasons"}
	reasonFields         = []string{"code", "message", "start", "end", "limit", "detail"}
	dialResultFields     = []string{"number", "allowed", "reason", "table", "row", "pattern", "dropped", "position", "destination"}
	destinationFields    = []string{"country", "region", "type", "tier"}
	lintResultFields     = []string{"findings"}
	findingFields        = []string{"code", "severity", "table", "row", "shadowed_by", "message", "example", "destination"}
	hashResultFields     = []string{"verified", "reason", "scheme", "rehash", "detail"}
	hashRecordFields     = []string{"record"}
	policyInfoFields     = []string{"handle", "name"}
	tablesInfoFields     = []string{"handle", "tables"}
	signInResultFields   = []string{"state", "decision"}
	signInDecisionFields = []string{"code", "allowed", "must_change", "locked", "locked_until", "admin_must_unlock", "reset_credential", "remaining", "retry_at"}
)

func (v *Verdict) decodeJSON(d *jsonx.Decoder) error {
	v.Reasons = nil
	return d.Object(func(key string) (err error) {
		switch key {
		case "accepted":
			v.Accepted, err = readBool(d)
		case "reasons":
			if d.Null() {
				return nil
			}
			v.Reasons = []Reason{}
			err = d.Array(func(int) error {
				var r Reason
				err := r.decodeJSON(d)
				v.Reasons = append(v.Reasons, r)
				return err
			})
		default:
			err = unknownField(d, key, verdictFields)
		}
		return err
	})
}

func (r *Reason) decodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "code":
			var s string
			s, err = readString(d)
			r.Code = core.Code(s)
		case "message":
			r.Message, err = readString(d)
		case "start":
			r.Start, err = readInt(d)
			r.HasSpan = true
		case "end":
			r.End, err = readInt(d)
			r.HasSpan = true
		case "limit":
			r.Limit, err = readInt(d)
		case "detail":
			r.Detail, err = readString(d)
		default:
			err = unknownField(d, key, reasonFields)
		}
		return err
	})
}

func (r *DialResult) decodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "number":
			r.Number, err = readString(d)
		case "allowed":
			r.Allowed, err = readBool(d)
		case "reason":
			var s string
			s, err = readString(d)
			r.Reason = DialReason(s)
		case "table":
			r.Table, err = readString(d)
		case "row":
			r.Row, err = readInt(d)
		case "pattern":
			r.Pattern, err = readString(d)
		case "dropped":
			r.Dropped, err = readInt(d)
		case "position":
			r.Position, err = readInt(d)
		case "destination":
			err = r.Destination.decodeJSON(d)
		default:
			err = unknownField(d, key, dialResultFields)
		}
		return err
	})
}

func (r *Destination) decodeJSON(d *jsonx.Decoder) error {
	*r = Destination{}
	return d.Object(func(key string) (err error) {
		switch key {
		case "country":
			r.Country, err = readString(d)
		case "region":
			r.Region, err = readString(d)
		case "type":
			r.Type, err = readString(d)
		case "tier":
			r.Tier, err = readString(d)
		default:
			err = unknownField(d, key, destinationFields)
		}
		return err
	})
}

func (l *LintResult) decodeJSON(d *jsonx.Decoder) error {
	l.Findings = nil
	return d.Object(func(key string) (err error) {
		switch key {
		case "findings":
			if d.Null() {
				return nil
			}
			l.Findings = []Finding{}
			err = d.Array(func(int) error {
				var f Finding
				err := f.decodeJSON(d)
				l.Findings = append(l.Findings, f)
				return err
			})
		default:
			err = unknownField(d, key, lintResultFields)
		}
		return err
	})
}

func (f *Finding) decodeJSON(d *jsonx.Decoder) error {
	f.ShadowedBy = -1
	return d.Object(func(key string) (err error) {
		switch key {
		case "code":
			f.Code, err = readString(d)
		case "severity":
			f.Severity, err = readString(d)
		case "table":
			f.Table, err = readString(d)
		case "row":
			f.Row, err = readInt(d)
		case "shadowed_by":
			f.ShadowedBy, err = readInt(d)
		case "message":
			f.Message, err = readString(d)
		case "example":
			f.Example, err = readString(d)
		case "destination":
			err = f.Destination.decodeJSON(d)
		default:
			err = unknownField(d, key, findingFields)
		}
		return err
	})
}

func (h *HashResult) decodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "verified":
			h.Verified, err = readBool(d)
		case "reason":
			var s string
			s, err = readString(d)
			h.Reason = HashReason(s)
		case "scheme":
			h.Scheme, err = readString(d)
		case "rehash":
			h.Rehash, err = readString(d)
		case "detail":
			h.Detail, err = readString(d)
		default:
			err = unknownField(d, key, hashResultFields)
		}
		return err
	})
}

func (h *HashRecord) decodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "record":
			h.Record, err = readString(d)
		default:
			err = unknownField(d, key, hashRecordFields)
		}
		return err
	})
}

func readHandle(d *jsonx.Decoder) (Handle, error) {
	n, err := readInt(d)
	if err == nil && (n < 0 || uint64(n) > uint64(^Handle(0))) {
		err = d.Fail("handle out of range")
	}
	return Handle(n), err
}

func (p *PolicyInfo) decodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "handle":
			p.Handle, err = readHandle(d)
		case "name":
			p.Name, err = readString(d)
		default:
			err = unknownField(d, key, policyInfoFields)
		}
		return err
	})
}

func (t *TablesInfo) decodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "handle":
			t.Handle, err = readHandle(d)
		case "tables":
			t.Tables, err = readStrings(d)
		default:
			err = unknownField(d, key, tablesInfoFields)
		}
		return err
	})
}

func (r *SignInResult) decodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "state":
			err = r.State.decodeJSON(d)
		case "decision":
			err = r.Decision.decodeJSON(d)
		default:
			err = unknownField(d, key, signInResultFields)
		}
		return err
	})
}

func (s *SignInDecision) decodeJSON(d *jsonx.Decoder) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "code":
			s.Code, err = readString(d)
		case "allowed":
			s.Allowed, err = readBool(d)
		case "must_change":
			s.MustChange, err = readBool(d)
		case "locked":
			s.Locked, err = readBool(d)
		case "locked_until":
			s.LockedUntil, err = readStringPtr(d)
		case "admin_must_unlock":
			s.AdminMustUnlock, err = readBool(d)
		case "reset_credential":
			s.ResetCredential, err = readBool(d)
		case "remaining":
			s.Remaining, err = readInt(d)
		case "retry_at":
			s.RetryAt, err = readStringPtr(d)
		default:
			err = unknownField(d, key, signInDecisionFields)
		}
		return err
	})
}

// knownSessions reports whether every key of m is an interface's name.
func knownSessions(m map[string]int) bool {
	for name := range m {
		if !isInterfaceName(name) {
			return false
		}
	}
	return true
}

func isInterfaceName(name string) bool {
	for i := core.Interface(0); i < core.NumInterfaces; i++ {
		if i.String() == name {
			return true
		}
	}
	return false
}
