package core

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tollgate/tollgate/internal/jsonx"
)

// MaxPolicyBytes bounds a policy document. The largest meaningful one
// (every field set) is under 2 KiB; the cap refuses junk before parsing.
const MaxPolicyBytes = 64 << 10

// PolicyError reports an invalid policy document or value: the path of the
// offending field (Field, e.g. "pin.min_length"), the value found (Value,
// as written or rendered), and what is allowed (Allowed, e.g. "4..24").
// Msg, when set, is the whole explanation after the field; when empty the
// error reads "VALUE is out of range ALLOWED". A PolicyError never carries
// a secret: policies hold none.
type PolicyError struct {
	Field   string
	Value   string
	Allowed string
	Msg     string
}

func (e *PolicyError) Error() string {
	s := "policy: "
	if e.Field != "" {
		s += e.Field + ": "
	}
	if e.Msg != "" {
		return s + e.Msg
	}
	return s + e.Value + " is out of range " + e.Allowed
}

// ParsePolicy decodes a policy document and validates the result:
//
//	{"extends": "cuc", "name": "...", "pin": {...}, "password": {...}, "account": {...}, "hash": {...}}
//
// The policy starts as the profile named by extends (DefaultProfile when
// absent) and every field given replaces the profile's value; of the
// lockout pair, one given alone settles the other (lockout_minutes 0 means
// admin_must_unlock, admin_must_unlock true means no duration: see
// lockoutGiven.normalise). Decoding is strict: an unknown or repeated field, a wrong type, a value out of range
// or trailing data is a *PolicyError naming the field's full path. A
// document that is a JSON string ("cuc") names a profile. The format is
// specified in docs/policy.md.
func ParsePolicy(data []byte) (*Policy, error) {
	if len(data) > MaxPolicyBytes {
		return nil, &PolicyError{
			Value: strconv.Itoa(len(data)) + " bytes", Allowed: "at most " + strconv.Itoa(MaxPolicyBytes),
			Msg: "document of " + strconv.Itoa(len(data)) + " bytes is too large; at most " + strconv.Itoa(MaxPolicyBytes) + " bytes",
		}
	}
	// The whole document is checked first, so that a malformed file is
	// reported as such (by line and column) before any field is looked at.
	d := jsonx.NewDecoder(data)
	if err := d.Skip(); err != nil {
		return nil, policyDecodeError(data, err)
	}
	if err := d.End(); err != nil {
		return nil, policyDecodeError(data, err)
	}
	d = jsonx.NewDecoder(data)
	switch k := d.Kind(); k {
	case jsonx.String:
		name, _ := d.String() // well-formed: checked above
		return Profile(name)
	case jsonx.Object:
	default:
		return nil, &PolicyError{Msg: "a policy document is a JSON object or a profile name string, not " + k.String()}
	}
	extends := DefaultProfile
	name, named := "", false
	// Sections are applied once the profile they change is known, whatever
	// the order of the members.
	type section struct {
		key string
		raw []byte
	}
	var sections [4]section
	n := 0
	err := d.Object(func(key string) error {
		var err error
		switch key {
		case "extends":
			extends, err = policyString(d, key)
		case "name":
			name, err = policyString(d, key)
			named = true
		case "pin", "password", "account", "hash":
			// Keys are unique (checked above), so there are at most four.
			sections[n].key = key
			sections[n].raw, err = d.Raw()
			n++
		default:
			err = policyUnknownField(d.Path(), key, policyTopFields)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	p, err := Profile(extends)
	if err != nil {
		pe := err.(*PolicyError)
		pe.Field = "extends"
		return nil, pe
	}
	if named {
		p.Name = name
	}
	var pinLock, pwLock lockoutGiven
	for _, s := range sections[:n] {
		var err error
		switch s.key {
		case "pin":
			err = decodePolicySection(s.raw, s.key, p, pinFields, &pinLock)
		case "password":
			err = decodePolicySection(s.raw, s.key, p, passwordFields, &pwLock)
		case "account":
			err = decodePolicySection(s.raw, s.key, p, accountFields, nil)
		case "hash":
			err = decodePolicySection(s.raw, s.key, p, hashFields, nil)
		}
		if err != nil {
			return nil, err
		}
	}
	pinLock.normalise(&p.PIN.CredentialRule)
	pwLock.normalise(&p.Password.CredentialRule)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

var policyTopFields = []string{"extends", "name", "pin", "password", "account", "hash"}

// policyField is one settable field of a section, by its JSON name:
// exactly one of its accessors is set, after the field's Go type. The
// tables below are the file format; TestPolicyFieldTables holds them to
// the structs' json tags. (Accessors take the whole Policy so that one
// decoder, not one generic instance per section, serves all three: the
// module's size counts.)
type policyField struct {
	name      string
	asInt     func(*Policy) *int
	asBool    func(*Policy) *bool
	asStrings func(*Policy) *[]string
}

func stringsField(name string, f func(*Policy) *[]string) policyField {
	return policyField{name: name, asStrings: f}
}

func intField(name string, f func(*Policy) *int) policyField {
	return policyField{name: name, asInt: f}
}

func boolField(name string, f func(*Policy) *bool) policyField {
	return policyField{name: name, asBool: f}
}

// credentialFields lists the fields of the CredentialRule that rule
// selects; they come first in their section, as the rule is its first
// field.
func credentialFields(rule func(*Policy) *CredentialRule) []policyField {
	return []policyField{
		intField("min_length", func(p *Policy) *int { return &rule(p).MinLength }),
		intField("max_length", func(p *Policy) *int { return &rule(p).MaxLength }),
		intField("failed_limit", func(p *Policy) *int { return &rule(p).FailedLimit }),
		intField("reset_failed_minutes", func(p *Policy) *int { return &rule(p).ResetFailedMinutes }),
		intField("lockout_minutes", func(p *Policy) *int { return &rule(p).LockoutMinutes }),
		boolField("admin_must_unlock", func(p *Policy) *bool { return &rule(p).AdminMustUnlock }),
		intField("reset_after_failures", func(p *Policy) *int { return &rule(p).ResetAfterFailures }),
		intField("expiry_days", func(p *Policy) *int { return &rule(p).ExpiryDays }),
		intField("min_change_minutes", func(p *Policy) *int { return &rule(p).MinChangeMinutes }),
		intField("history", func(p *Policy) *int { return &rule(p).History }),
	}
}

// The fields of each section, in declaration order (the order of the
// "known fields" list in an unknown-field error).
var (
	pinFields = append(credentialFields(func(p *Policy) *CredentialRule { return &p.PIN.CredentialRule }),
		boolField("trivial", func(p *Policy) *bool { return &p.PIN.Trivial }),
		boolField("exchange_common_patterns", func(p *Policy) *bool { return &p.PIN.ExchangeCommonPatterns }),
		boolField("sequence_wraps", func(p *Policy) *bool { return &p.PIN.SequenceWraps }),
		intField("keypad_contains_min", func(p *Policy) *int { return &p.PIN.KeypadContainsMin }),
		boolField("dates", func(p *Policy) *bool { return &p.PIN.Dates }),
		boolField("blocklist", func(p *Policy) *bool { return &p.PIN.Blocklist }),
	)
	passwordFields = append(credentialFields(func(p *Policy) *CredentialRule { return &p.Password.CredentialRule }),
		boolField("trivial", func(p *Policy) *bool { return &p.Password.Trivial }),
		boolField("sequence_wraps", func(p *Policy) *bool { return &p.Password.SequenceWraps }),
		intField("min_classes", func(p *Policy) *int { return &p.Password.MinClasses }),
		intField("min_changes", func(p *Policy) *int { return &p.Password.MinChanges }),
		boolField("blocklist", func(p *Policy) *bool { return &p.Password.Blocklist }),
		stringsField("context_words", func(p *Policy) *[]string { return &p.Password.ContextWords }),
		stringsField("blocklist_extra", func(p *Policy) *[]string { return &p.Password.BlocklistExtra }),
	)
	accountFields = []policyField{
		intField("inactivity_days", func(p *Policy) *int { return &p.Account.InactivityDays }),
		intField("max_sessions_telephony", func(p *Policy) *int { return &p.Account.MaxSessionsTelephony }),
		intField("max_sessions_imap", func(p *Policy) *int { return &p.Account.MaxSessionsIMAP }),
	}
	hashFields = []policyField{
		intField("iterations", func(p *Policy) *int { return &p.Hash.Iterations }),
	}
)

// lockoutGiven records which of a section's two lockout fields a
// document gives, so that the one it gives can settle the one it inherits.
type lockoutGiven struct{ minutes, admin bool }

// normalise applies seed 003's reading of Lockout Duration / Administrator
// Must Unlock ("Enter 0 or check the Administrator Must Unlock check box")
// to what the document gave: either one alone means an administrator must
// unlock, and the other field, inherited from the profile, follows it.
// Given together they must agree, which Validate checks. A duration given
// alone never clears an inherited admin_must_unlock: a looser lockout
// takes saying admin_must_unlock false (Unified CM: "Uncheck the check box
// to enter a value greater than 0").
func (g lockoutGiven) normalise(r *CredentialRule) {
	switch {
	case g.admin && !g.minutes && r.AdminMustUnlock:
		r.LockoutMinutes = 0
	case g.minutes && !g.admin && r.LockoutMinutes == 0:
		r.AdminMustUnlock = true
	}
}

// decodePolicySection sets fields of p from raw, the well-formed JSON
// value of the section named path, whose fields are fields; lock (nil for
// the account and hash sections) records the lockout fields given.
func decodePolicySection(raw []byte, path string, p *Policy, fields []policyField, lock *lockoutGiven) error {
	d := jsonx.NewDecoder(raw)
	if k := d.Kind(); k != jsonx.Object {
		return policyWrongType(path, raw, k, "an object")
	}
	return d.Object(func(key string) error {
		fpath := path + "." + key // used for a known field only
		for _, f := range fields {
			if f.name != key {
				continue
			}
			k := d.Kind()
			if f.asStrings != nil {
				return decodePolicyStrings(d, fpath, k, f.asStrings(p))
			}
			v, err := d.Raw()
			if err != nil {
				return err
			}
			if lock != nil {
				switch key {
				case "lockout_minutes":
					lock.minutes = true
				case "admin_must_unlock":
					lock.admin = true
				}
			}
			if f.asBool != nil {
				if k != jsonx.Bool {
					return policyWrongType(fpath, v, k, "true or false")
				}
				*f.asBool(p) = v[0] == 't'
				return nil
			}
			if k != jsonx.Number {
				return policyWrongType(fpath, v, k, "an integer")
			}
			n, ok := jsonx.Atoi(string(v))
			if !ok {
				// JSON numbers have no sign '+' and no leading zeros, so
				// Atoi fails only on a fraction, an exponent or overflow.
				what := " is too large"
				for _, c := range v {
					if c == '.' || c == 'e' || c == 'E' {
						what = " is not a whole number"
					}
				}
				shown := policyShown(v)
				return &PolicyError{Field: fpath, Value: shown, Allowed: "an integer", Msg: shown + what + "; want an integer"}
			}
			*f.asInt(p) = n
			return nil
		}
		names := make([]string, len(fields))
		for i, f := range fields {
			names[i] = f.name
		}
		return policyUnknownField(path+"."+d.Path(), key, names)
	})
}

// policyString reads the string member key of the top-level object.
func policyString(d *jsonx.Decoder, key string) (string, error) {
	k := d.Kind()
	if k != jsonx.String {
		v, err := d.Raw()
		if err != nil {
			return "", err
		}
		return "", policyWrongType(key, v, k, "a string")
	}
	return d.String()
}

// policyUnknownField is the error for key, unknown at path. The path is a
// jsonx decoder's, which quotes a key only when it looks like a field name
// (jsonx.SafeKey): it may be anything a user pasted, a secret included.
func policyUnknownField(path, key string, known []string) error {
	msg := "unknown field"
	best, bestD := "", 3 // suggest only near misses (edit distance ≤ 2)
	for _, k := range known {
		if d := NameDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		msg += " (did you mean " + best + "?)"
	}
	return &PolicyError{Field: path, Allowed: strings.Join(known, ", "),
		Msg: msg + "; known fields here: " + strings.Join(known, ", ")}
}

// policyWrongType reports a value of kind k (text raw) where want was
// expected. Policies hold no secrets, so the value is shown.
func policyWrongType(path string, raw []byte, k jsonx.Kind, want string) error {
	v := policyShown(raw)
	return &PolicyError{Field: path, Value: v, Allowed: want, Msg: v + " is " + k.String() + "; want " + want}
}

// policyShown is a value's JSON text for a message: at most 40 bytes, cut
// at a character boundary.
func policyShown(raw []byte) string {
	if len(raw) <= 40 {
		return string(raw)
	}
	n := 40
	for n > 0 && !utf8.RuneStart(raw[n]) {
		n--
	}
	return string(raw[:n]) + "…"
}

// policyDecodeError turns a jsonx error from the whole-document check
// into a PolicyError: malformed JSON by line and column, or a repeated
// key by its path.
func policyDecodeError(data []byte, err error) error {
	je, ok := err.(*jsonx.Error) // jsonx errors are never wrapped
	if !ok {
		return &PolicyError{Msg: "malformed JSON: " + err.Error()}
	}
	if je.Syntax {
		return &PolicyError{Msg: "malformed JSON at " + jsonx.Position(data, je.Offset) + ": " + je.Msg}
	}
	return &PolicyError{Field: je.Path, Msg: je.Msg}
}
