package core

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tollgate/tollgate/core/credential"
)

// Ranges depend on the family of the profile a policy extends: each family
// accepts what its source system's administration pages accept (Cisco's
// Unified CM table serves Unity Connection too: the guide gives no ranges
// and both run on the same platform), and nist-800-63b-4 accepts only what
// the standard permits. Fields a source does not have use tollgate's
// generic bounds. docs/policy.md lists every range with its source.
type policyFamily int

const (
	familyCisco policyFamily = iota // cuc, cucm
	familyESM                       // cuc-esm: Cisco plus the ESM floors
	familyExchange
	familyNIST
)

func familyOf(profile string) (policyFamily, bool) {
	switch profile {
	case ProfileCUC, ProfileCUCM:
		return familyCisco, true
	case ProfileCUCESM:
		return familyESM, true
	case ProfileExchange:
		return familyExchange, true
	case ProfileNIST:
		return familyNIST, true
	}
	return 0, false
}

// intRange is the inclusive range lo..hi an integer field accepts; with
// off set, 0 is accepted as well and means offMeaning. why says where a
// range comes from when that helps the reader of an error.
type intRange struct {
	lo, hi     int
	off        bool
	offMeaning string
	why        string
}

func (r intRange) contains(v int) bool {
	return v >= r.lo && v <= r.hi || r.off && v == 0
}

// String renders the range for an error: "4..24, or 0 for no PIN".
func (r intRange) String() string {
	var s string
	switch {
	case r.lo > r.hi && r.off:
		s = "0 (" + r.offMeaning + ")"
	case r.lo == r.hi:
		s = strconv.Itoa(r.lo)
	default:
		s = strconv.Itoa(r.lo) + ".." + strconv.Itoa(r.hi)
	}
	if r.off && r.lo <= r.hi {
		s += ", or 0 for " + r.offMeaning
	}
	if r.why != "" {
		s += " (" + r.why + ")"
	}
	return s
}

// Hard bounds for fields no source bounds; wide enough for any system in
// the seeds, narrow enough to catch a typo.
const (
	genericMaxFailures = 999    // Exchange's lockout range, the widest in the seeds
	genericMaxMinutes  = 99999  // about 69 days, Active Directory's lockout bound
	genericMaxExpiry   = 999    // Exchange's PIN lifetime range
	genericMaxChange   = 129600 // Unified CM: 90 days in minutes
	genericMaxHistory  = 25     // Unified CM's stored credentials
	maxInactivityDays  = 5000   // Unified CM's Inactive Days Allowed
	maxSessions        = 100    // tollgate's bound; the guide gives none
	maxNameLength      = 64     // Unified CM's Display Name
)

// Validate checks every field of p against the ranges of the family of the
// profile it extends, and the rules that tie fields together. It returns
// the first problem as a *PolicyError naming the field, its value and the
// allowed range, or nil. Nothing is clamped.
func (p *Policy) Validate() error {
	v := policyValidator{p: p}
	n := utf8.RuneCountInString(p.Name)
	switch {
	case n == 0 || n > maxNameLength || !utf8.ValidString(p.Name):
		return &PolicyError{Field: "name", Value: quoteValue(p.Name), Allowed: "1..64 characters",
			Msg: quoteValue(p.Name) + " is " + strconv.Itoa(n) + " characters; want 1..64 characters"}
	case strings.ContainsFunc(p.Name, func(r rune) bool { return r == '"' || r < 0x20 || r == 0x7f }):
		return &PolicyError{Field: "name", Value: quoteValue(p.Name), Allowed: "no quotation marks or control characters",
			Msg: quoteValue(p.Name) + " may not contain quotation marks, tabs or other control characters"}
	}
	ext := p.Extends
	if ext == "" {
		ext = DefaultProfile
	}
	fam, ok := familyOf(ext)
	if !ok {
		names := strings.Join(ProfileNames(), ", ")
		return &PolicyError{Field: "extends", Value: quoteValue(ext), Allowed: names,
			Msg: quoteValue(ext) + " is not a built-in profile; want one of " + names}
	}
	v.fam = fam
	v.rule("pin", &p.PIN.CredentialRule)
	v.pin()
	v.rule("password", &p.Password.CredentialRule)
	v.password()
	v.account()
	v.int("hash.iterations", p.Hash.Iterations, intRange{lo: credential.MinIterations, hi: credential.MaxIterations,
		why: "NIST SP 800-132 asks at least 1000; tollgate verifies at most 1000000"})
	return v.err
}

type policyValidator struct {
	p   *Policy
	fam policyFamily
	err error // the first problem found
}

func (v *policyValidator) int(path string, val int, r intRange) {
	if v.err == nil && !r.contains(val) {
		v.err = &PolicyError{Field: path, Value: strconv.Itoa(val), Allowed: r.String()}
	}
}

func (v *policyValidator) bool(path string, val, want bool, why string) {
	if v.err == nil && val != want {
		w := strconv.FormatBool(want)
		v.err = &PolicyError{Field: path, Value: strconv.FormatBool(val), Allowed: w,
			Msg: strconv.FormatBool(val) + " is not allowed; want " + w + " (" + why + ")"}
	}
}

const (
	whyNISTComposition = "NIST SP 800-63B-4 forbids composition rules"
	whyNISTSubstrings  = "NIST SP 800-63B-4 compares whole values, not substrings"
	whyNISTExpiry      = "NIST SP 800-63B-4 forbids forced periodic changes"
	whyNISTFailures    = "NIST SP 800-63B-4 allows at most 100 consecutive failures"
	whyExchangeOnly    = "an Exchange UM setting; extend exchange-um to use it"
	whyExchangeNone    = "Exchange UM has no such setting"
)

// rule checks the fields a PIN and a password rule share.
func (v *policyValidator) rule(kind string, r *CredentialRule) {
	pin := kind == "pin"
	fam := v.fam
	if fam == familyESM && pin {
		fam = familyCisco // Enhanced Security Mode's credential policy is for passwords
	}
	exchange := fam == familyExchange && pin // Exchange UM policies govern PINs only
	generic := fam == familyExchange && !pin || fam == familyNIST
	at := func(field string) string { return kind + "." + field }

	// Lengths.
	minLen := intRange{lo: 1, hi: PINLengthCap}
	lenCap := PINLengthCap
	if !pin {
		minLen.hi, lenCap = 64, PasswordLengthCap
	}
	switch {
	case exchange:
		minLen = intRange{lo: 4, hi: 24, off: true, offMeaning: "no PIN"}
		lenCap = 24
	case fam == familyESM:
		minLen = intRange{lo: 14, hi: 127, why: "Enhanced Security Mode"}
		lenCap = 127
	case fam == familyCisco && !pin:
		lenCap = 127 // "Enter up to 127 characters"
	case fam == familyNIST && pin:
		minLen.lo = 4 // numeric secrets: at least 4 digits (§3.2.10)
	case fam == familyNIST:
		minLen = intRange{lo: 8, hi: PasswordLengthCap, why: "NIST SP 800-63B-4 wants at least 8"}
	case generic:
		minLen.hi = lenCap
	}
	v.int(at("min_length"), r.MinLength, minLen)
	maxLen := intRange{lo: max(r.MinLength, 1), hi: lenCap, why: "at least " + at("min_length")}
	if fam == familyNIST && !pin {
		maxLen.lo = max(maxLen.lo, 64)
		maxLen.why = "NIST SP 800-63B-4: permit at least 64 characters"
	}
	v.int(at("max_length"), r.MaxLength, maxLen)

	// Sign-in failures.
	failed := intRange{lo: 1, hi: 100, off: true, offMeaning: "no limit"}
	switch {
	case exchange:
		failed = intRange{lo: 1, hi: 999}
	case fam == familyNIST:
		failed = intRange{lo: 1, hi: 100, why: whyNISTFailures}
	case generic:
		failed.hi = genericMaxFailures
	}
	v.int(at("failed_limit"), r.FailedLimit, failed)

	resetMin := intRange{lo: 1, hi: 120}
	switch {
	case exchange:
		resetMin = intRange{lo: 0, hi: 0, why: whyExchangeNone}
	case generic:
		resetMin = intRange{lo: 1, hi: genericMaxMinutes, off: true, offMeaning: "never"}
	}
	v.int(at("reset_failed_minutes"), r.ResetFailedMinutes, resetMin)

	if exchange {
		v.bool(at("admin_must_unlock"), r.AdminMustUnlock, true, "Exchange UM keeps a locked mailbox locked until its PIN is reset")
	}
	lockHi := 1440
	if generic {
		lockHi = genericMaxMinutes
	}
	// Seed 003: a duration of 0 and Administrator Must Unlock are one
	// setting. A loaded document has settled the pair when it gave only
	// one of them (lockoutGiven.normalise); what is left here is a
	// contradiction, or a timed lockout with no duration.
	lock := intRange{lo: 1, hi: lockHi, why: "admin_must_unlock is false"}
	if r.LockoutMinutes == 0 {
		lock.why = "0 means an administrator must unlock, and admin_must_unlock is false"
	}
	switch {
	case r.AdminMustUnlock:
		lock = intRange{lo: 0, hi: 0, why: "admin_must_unlock is true; set it to false for a timed lockout"}
	case r.FailedLimit == 0:
		lock = intRange{lo: 0, hi: lockHi} // nothing ever locks
	}
	v.int(at("lockout_minutes"), r.LockoutMinutes, lock)

	resetAfter := intRange{lo: 0, hi: 0, why: whyExchangeOnly}
	if exchange {
		resetAfter = intRange{lo: 1, hi: min(998, r.FailedLimit-1), off: true, offMeaning: "never",
			why: "below pin.failed_limit, " + strconv.Itoa(r.FailedLimit)}
	}
	v.int(at("reset_after_failures"), r.ResetAfterFailures, resetAfter)

	// Expiry, change frequency, history.
	expiry := intRange{lo: 1, hi: 365, off: true, offMeaning: "never"}
	switch {
	case exchange:
		expiry = intRange{lo: 1, hi: 999, off: true, offMeaning: "never"}
	case fam == familyESM:
		expiry = intRange{lo: 1, hi: 60, why: "Enhanced Security Mode"}
	case fam == familyNIST:
		expiry = intRange{lo: 0, hi: 0, why: whyNISTExpiry}
	case generic:
		expiry.hi = genericMaxExpiry
	}
	v.int(at("expiry_days"), r.ExpiryDays, expiry)

	change := intRange{lo: 0, hi: genericMaxChange}
	if exchange {
		change = intRange{lo: 0, hi: 0, why: whyExchangeNone}
	}
	v.int(at("min_change_minutes"), r.MinChangeMinutes, change)

	history := intRange{lo: 0, hi: genericMaxHistory}
	switch {
	case exchange:
		history = intRange{lo: 1, hi: 20, why: "Exchange UM's PIN recycle count"}
	case fam == familyESM:
		history = intRange{lo: 24, hi: genericMaxHistory, why: "Enhanced Security Mode"}
	}
	v.int(at("history"), r.History, history)
}

func (v *policyValidator) pin() {
	pp := &v.p.PIN
	keypad := intRange{lo: 3, hi: 4, off: true, offMeaning: "off",
		why: "the longest straight line on the keypad is 4 keys, 2580"}
	if v.fam == familyNIST {
		v.bool("pin.trivial", pp.Trivial, false, whyNISTComposition)
		keypad = intRange{lo: 0, hi: 0, why: whyNISTSubstrings}
	}
	v.int("pin.keypad_contains_min", pp.KeypadContainsMin, keypad)
	if !pp.Trivial && !pp.ExchangeCommonPatterns {
		v.bool("pin.sequence_wraps", pp.SequenceWraps, false,
			"it changes the sequential rule, which is off: set pin.trivial or pin.exchange_common_patterns")
	}
}

func (v *policyValidator) password() {
	pw := &v.p.Password
	classes := intRange{lo: 0, hi: 4}
	changes := intRange{lo: 0, hi: pw.MinLength, why: "at most password.min_length"}
	switch v.fam {
	case familyESM:
		classes = intRange{lo: 4, hi: 4, why: "Enhanced Security Mode"}
		changes.lo = 4
		changes.why = "Enhanced Security Mode: at least 4, at most password.min_length"
	case familyNIST:
		v.bool("password.trivial", pw.Trivial, false, whyNISTComposition)
		classes = intRange{lo: 0, hi: 0, why: whyNISTComposition}
	}
	if !pw.Trivial {
		v.bool("password.sequence_wraps", pw.SequenceWraps, false,
			"it changes the consecutive_chars rule, which is off: set password.trivial")
	}
	v.int("password.min_classes", pw.MinClasses, classes)
	v.int("password.min_changes", pw.MinChanges, changes)
	v.passwordLists() // pwblock.go
}

func (v *policyValidator) account() {
	a := &v.p.Account
	v.int("account.inactivity_days", a.InactivityDays, intRange{lo: 0, hi: maxInactivityDays})
	v.int("account.max_sessions_telephony", a.MaxSessionsTelephony, intRange{lo: 0, hi: maxSessions})
	v.int("account.max_sessions_imap", a.MaxSessionsIMAP, intRange{lo: 0, hi: maxSessions})
}
