package core

import "unicode/utf8"

// maxPINBytes is the hard cap on a PIN (PINLengthCap, which no policy's
// max_length may exceed). A longer input is refused as too_long before any
// other work, counted in bytes so that not even its characters are
// counted; this also bounds the quadratic rules (repeated_group,
// contains_extension) at a few thousand steps.
const maxPINBytes = PINLengthCap

// Detail values of PIN and password reasons.
const (
	detailPrimary   = "primary"
	detailAlternate = "alternate"
	detailFirstName = "first_name"
	detailLastName  = "last_name"
)

var noPINContext PINContext

// CheckPIN checks pin against p.PIN with context c (nil is an empty
// context) and fills v, which is reset first. Which rules run is decided
// by the policy's switches; docs/rules.md describes every rule. When v is
// reused across calls, CheckPIN does not allocate.
//
// Reasons come in a fixed order: length, not_digits (which ends the
// check: the other rules are about digits), the Cisco trivial rules,
// Exchange's common patterns, name_digits, date, common, reused. Each code
// appears at most once, for its first occurrence.
func (p *Policy) CheckPIN(pin string, c *PINContext, v *Verdict) {
	v.Reset()
	if c == nil {
		c = &noPINContext
	}
	r := &p.PIN
	if len(pin) > maxPINBytes {
		v.add(Reason{Code: CodeTooLong, Limit: capLimit(r.MaxLength, maxPINBytes)})
		return
	}
	n := utf8.RuneCountInString(pin)
	if n < r.MinLength {
		v.add(Reason{Code: CodeTooShort, Limit: r.MinLength})
	}
	if r.MaxLength > 0 && n > r.MaxLength {
		v.add(Reason{Code: CodeTooLong, Limit: r.MaxLength})
	}
	ci := 0
	for _, ch := range pin {
		if ch < '0' || ch > '9' {
			v.add(Reason{Code: CodeNotDigits, HasSpan: true, Start: ci, End: ci + 1})
			return
		}
		ci++
	}
	if n == 0 {
		return
	}
	// From here pin is ASCII digits: byte offsets are character offsets.
	whole := Reason{HasSpan: true, Start: 0, End: n}

	if r.Trivial {
		if s, e, ok := sameRun(pin, 3); ok {
			v.add(Reason{Code: CodeRepeatedDigit, HasSpan: true, Start: s, End: e, Limit: 2})
		}
		if distinctDigits(pin) < 3 {
			v.add(with(whole, CodeFewDistinct, 3, ""))
		}
		if s, e, ok := repeatedGroup(pin); ok {
			v.add(Reason{Code: CodeRepeatedGroup, HasSpan: true, Start: s, End: e})
		}
	}
	if (r.Trivial || r.ExchangeCommonPatterns) && sequenceRun(pin, r.SequenceWraps) != 0 {
		v.add(with(whole, CodeSequential, 0, ""))
	}
	switch {
	case r.Trivial && isKeypadLine(pin):
		v.add(with(whole, CodeKeypadLine, 0, ""))
	case r.KeypadContainsMin > 0:
		if s, e, ok := keypadRun(pin, r.KeypadContainsMin); ok {
			v.add(Reason{Code: CodeKeypadLine, HasSpan: true, Start: s, End: e, Limit: r.KeypadContainsMin})
		}
	}
	if r.Trivial {
		p.pinExtensions(pin, c.Extensions, v)
	}
	if r.ExchangeCommonPatterns {
		if n >= 2 && periodic(pin, 1) {
			v.add(with(whole, CodeAllSame, 0, ""))
		}
		for i, ext := range c.Extensions {
			var buf [maxPINBytes]byte
			d, ok := digitsOf(ext, &buf)
			if ok && len(d) >= n && string(d[len(d)-n:]) == pin {
				v.add(with(whole, CodeExtensionSuffix, 0, extDetail(i)))
				break
			}
		}
	}
	if r.Trivial {
		switch {
		case equalsNameDigits(pin, c.FirstName):
			v.add(with(whole, CodeNameDigits, 0, detailFirstName))
		case equalsNameDigits(pin, c.LastName):
			v.add(with(whole, CodeNameDigits, 0, detailLastName))
		}
	}
	if r.Dates {
		if layout, ok := calendarDate(pin, c.Year); ok {
			v.add(with(whole, CodeDate, 0, layout))
		} else if dob, ok := parseDOB(c.DateOfBirth); ok && matchesDOB(pin, &dob) {
			v.add(with(whole, CodeDate, 0, dateOfBirth))
		}
	}
	if r.Blocklist {
		if h, ok := commonPIN(pin); ok {
			v.add(with(whole, CodeCommon, 0, h))
		}
	}
	if reused(pin, c.Previous, c.PreviousRecords, r.History, c.Interrupt) {
		v.add(Reason{Code: CodeReused, Limit: r.History})
	}
}

// pinExtensions adds contains_extension and contains_reversed_extension
// for the first extension (primary first) found in pin, forwards or
// backwards. Non-digits in an extension (+1 408 ...) are ignored.
func (p *Policy) pinExtensions(pin string, exts []string, v *Verdict) {
	fwd, rev := false, false
	for i, ext := range exts {
		var buf [maxPINBytes]byte
		d, ok := digitsOf(ext, &buf)
		if !ok || len(d) == 0 {
			continue
		}
		if !fwd {
			if at := indexBytes(pin, d, false); at >= 0 {
				v.add(Reason{Code: CodeContainsExtension, HasSpan: true, Start: at, End: at + len(d), Detail: extDetail(i)})
				fwd = true
			}
		}
		// A palindrome's reverse is itself: contains_extension covers it.
		if !rev && !palindrome(d) {
			if at := indexBytes(pin, d, true); at >= 0 {
				v.add(Reason{Code: CodeContainsReversedExtension, HasSpan: true, Start: at, End: at + len(d), Detail: extDetail(i)})
				rev = true
			}
		}
		if fwd && rev {
			return
		}
	}
}

func extDetail(i int) string {
	if i == 0 {
		return detailPrimary
	}
	return detailAlternate
}

// with fills a copy of a whole-input reason with its code and parameters.
func with(r Reason, c Code, limit int, detail string) Reason {
	r.Code, r.Limit, r.Detail = c, limit, detail
	return r
}

// capLimit is the length limit a too_long reason reports for an input past
// the hard cap: the policy's maximum when it has one below the cap.
func capLimit(max, hard int) int {
	if max > 0 && max < hard {
		return max
	}
	return hard
}

// digitsOf copies the ASCII digits of s into buf. It returns false when
// there are more than fit: such an extension cannot be inside a PIN.
func digitsOf(s string, buf *[maxPINBytes]byte) ([]byte, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			if n == len(buf) {
				return nil, false
			}
			buf[n] = c
			n++
		}
	}
	return buf[:n], true
}

// indexBytes returns the first index of sub (or of its reverse) in s, or
// -1. Inputs are capped, so the simple scan is enough.
func indexBytes(s string, sub []byte, reversed bool) int {
	m := len(sub)
	for i := 0; i+m <= len(s); i++ {
		j := 0
		for ; j < m; j++ {
			c := sub[j]
			if reversed {
				c = sub[m-1-j]
			}
			if s[i+j] != c {
				break
			}
		}
		if j == m {
			return i
		}
	}
	return -1
}

func palindrome(b []byte) bool {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		if b[i] != b[j] {
			return false
		}
	}
	return true
}

// sameRun finds the first run of at least k equal bytes in s.
func sameRun(s string, k int) (start, end int, ok bool) {
	for i := 0; i < len(s); {
		j := i + 1
		for j < len(s) && s[j] == s[i] {
			j++
		}
		if j-i >= k {
			return i, j, true
		}
		i = j
	}
	return 0, 0, false
}

func distinctDigits(s string) int {
	var seen uint16
	n := 0
	for i := 0; i < len(s); i++ {
		if bit := uint16(1) << (s[i] - '0'); seen&bit == 0 {
			seen |= bit
			n++
		}
	}
	return n
}

// repeatedGroup finds a repeated group of digits: the whole PIN one group
// of two or more digits repeated (1212, 123123), else the first group of
// three or more immediately repeated anywhere (408408 inside 5408408).
func repeatedGroup(s string) (start, end int, ok bool) {
	n := len(s)
	for k := 2; k <= n/2; k++ {
		if n%k == 0 && periodic(s, k) {
			return 0, n, true
		}
	}
	for i := 0; i+6 <= n; i++ {
		for k := 3; i+2*k <= n; k++ {
			if s[i:i+k] == s[i+k:i+2*k] {
				return i, i + 2*k, true
			}
		}
	}
	return 0, 0, false
}

// sequenceRun reports whether all of s (digits, at least three) ascends
// (+1) or descends (-1) by one, or neither (0). Digits run 0 to 9 and stop
// there, as in the seeds' examples (012345, 987654, 1234, 65432): Cisco's
// "ascending or descending group of digits" and Exchange's "consecutive
// numbers" do not go on from 9 to 0. With wraps they do, on the ring
// 0 1 … 9 0 (789012, 901234, 321098): the policy field sequence_wraps for
// stricter sites, and the blocklist's series heuristic.
func sequenceRun(s string, wraps bool) int {
	if len(s) < 3 {
		return 0
	}
	step := digitStep(s[0], s[1], wraps)
	if step == 0 {
		return 0
	}
	for i := 2; i < len(s); i++ {
		if digitStep(s[i-1], s[i], wraps) != step {
			return 0
		}
	}
	return step
}

// digitStep is +1 when digit b follows digit a, -1 when it precedes it,
// else 0; with wraps, 0 follows 9.
func digitStep(a, b byte, wraps bool) int {
	switch int(b) - int(a) {
	case 1:
		return 1
	case -1:
		return -1
	case -9:
		if wraps {
			return 1
		}
	case 9:
		if wraps {
			return -1
		}
	}
	return 0
}
