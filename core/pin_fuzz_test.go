package core

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var pinCodes = []Code{
	CodeTooShort, CodeTooLong, CodeNotDigits, CodeRepeatedDigit, CodeFewDistinct,
	CodeRepeatedGroup, CodeSequential, CodeKeypadLine, CodeContainsExtension,
	CodeContainsReversedExtension, CodeExtensionSuffix, CodeAllSame, CodeNameDigits,
	CodeDate, CodeCommon, CodeReused,
}

// keypadLines are the straight lines of the E.161 keypad, written out by
// hand as the fuzz oracle for keypad_line.
var keypadLines = []string{"123", "456", "789", "147", "2580", "369", "159", "357"}

func isLineOracle(s string) bool {
	if len(s) < 3 {
		return false
	}
	for _, l := range keypadLines {
		if strings.Contains(l, s) || strings.Contains(reverse(l), s) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

// sequenceOracle: a sequential PIN is a substring of the digits written
// out forwards or backwards, once (0..9), or round the ring when the
// policy wraps (often enough for the longest password).
func sequenceOracle(s string, wraps bool) bool {
	ring := "0123456789"
	if wraps {
		ring = strings.Repeat(ring, PasswordLengthCap/10+2)
	}
	return len(s) >= 3 && (strings.Contains(ring, s) || strings.Contains(reverse(ring), s))
}

// checkVerdict holds for every verdict: accepted iff no reasons, known
// codes only, spans inside the input, a message for every reason.
func checkVerdict(t *testing.T, v *Verdict, input string, codes []Code) {
	t.Helper()
	if v.Accepted != (len(v.Reasons) == 0) {
		t.Fatalf("Accepted = %v with %d reasons", v.Accepted, len(v.Reasons))
	}
	n := utf8.RuneCountInString(input)
	seen := map[Code]bool{}
	for _, r := range v.Reasons {
		if !slices.Contains(codes, r.Code) {
			t.Fatalf("unknown code %q", r.Code)
		}
		if r.HasSpan && (r.Start < 0 || r.Start >= r.End || r.End > n) {
			t.Fatalf("%s: span %d-%d outside the input of %d characters", r.Code, r.Start, r.End, n)
		}
		m := Message(r)
		if m == "" || m == string(r.Code) || strings.Contains(m, "{") {
			t.Fatalf("%s: message %q", r.Code, m)
		}
		if r.Code != CodeMissingClass && seen[r.Code] {
			t.Fatalf("%s reported twice", r.Code)
		}
		seen[r.Code] = true
	}
}

func FuzzCheckPIN(f *testing.F) {
	for _, tt := range pinTests {
		ext := ""
		if len(tt.ctx.Extensions) > 0 {
			ext = tt.ctx.Extensions[0]
		}
		f.Add(tt.pin, ext, tt.ctx.FirstName+"|"+tt.ctx.LastName, tt.ctx.DateOfBirth, "")
	}
	f.Add("739164", "36697", "Zoë|O'Brien", "1990-07-04", "739164")
	all := pinPolicy(4, func(r *PINPolicy) {
		r.Trivial, r.ExchangeCommonPatterns, r.Dates, r.Blocklist = true, true, true, true
		r.KeypadContainsMin, r.History = 3, 3
	})
	allRing := *all
	allRing.PIN.SequenceWraps = true
	policies := []*Policy{all, &allRing, trivialPIN, exchangePIN, ringPIN, ringExPIN, datesPIN, commonPINs}
	f.Fuzz(func(t *testing.T, pin, ext, names, dob, prev string) {
		first, last, _ := strings.Cut(names, "|")
		ctx := PINContext{Extensions: []string{ext}, FirstName: first, LastName: last,
			DateOfBirth: dob, Year: 2026, Previous: []string{prev}}
		for _, p := range policies {
			var v, again Verdict
			p.CheckPIN(pin, &ctx, &v)
			checkVerdict(t, &v, pin, pinCodes)
			again.Reasons = make([]Reason, 0, 1)
			p.CheckPIN(pin, &ctx, &again)
			if !slices.Equal(v.Reasons, again.Reasons) || v.Accepted != again.Accepted {
				t.Fatalf("same input, different verdicts: %s / %s", dump(&v), dump(&again))
			}
			if len(pin) > maxPINBytes {
				if dump(&v) != "too_long/"+itoa(capLimit(p.PIN.MaxLength, maxPINBytes)) {
					t.Fatalf("past the cap: %s", dump(&v))
				}
				continue
			}
			digits := strings.Trim(pin, "0123456789") == ""
			if v.Has(CodeNotDigits) == digits {
				t.Fatalf("not_digits = %v for digits = %v", v.Has(CodeNotDigits), digits)
			}
			if v.Has(CodeTooShort) != (utf8.RuneCountInString(pin) < p.PIN.MinLength) {
				t.Fatalf("too_short = %v", v.Has(CodeTooShort))
			}
			if !digits || pin == "" {
				continue
			}
			if p.PIN.Trivial {
				triple := false
				for i := 0; i+2 < len(pin); i++ {
					triple = triple || pin[i] == pin[i+1] && pin[i] == pin[i+2]
				}
				if v.Has(CodeRepeatedDigit) != triple {
					t.Fatalf("repeated_digit = %v, oracle %v", v.Has(CodeRepeatedDigit), triple)
				}
				distinct := map[rune]bool{}
				for _, c := range pin {
					distinct[c] = true
				}
				if v.Has(CodeFewDistinct) != (len(distinct) < 3) {
					t.Fatalf("few_distinct = %v with %d digits", v.Has(CodeFewDistinct), len(distinct))
				}
				if v.Has(CodeKeypadLine) != isLineOracle(pin) && p.PIN.KeypadContainsMin == 0 {
					t.Fatalf("keypad_line = %v, oracle %v", v.Has(CodeKeypadLine), isLineOracle(pin))
				}
				if ext != "" && strings.Contains(pin, ext) && !v.Has(CodeContainsExtension) {
					t.Fatal("extension inside, not reported")
				}
			}
			if p.PIN.Trivial || p.PIN.ExchangeCommonPatterns {
				if want := sequenceOracle(pin, p.PIN.SequenceWraps); v.Has(CodeSequential) != want {
					t.Fatalf("sequential = %v, oracle %v (wraps %v)", v.Has(CodeSequential), want, p.PIN.SequenceWraps)
				}
			}
			if p.PIN.ExchangeCommonPatterns {
				d := strings.Map(func(r rune) rune {
					if r >= '0' && r <= '9' {
						return r
					}
					return -1
				}, ext)
				if strings.HasSuffix(d, pin) != v.Has(CodeExtensionSuffix) {
					t.Fatalf("extension_suffix = %v", v.Has(CodeExtensionSuffix))
				}
			}
			if p.PIN.History > 0 && (pin == prev) != v.Has(CodeReused) {
				t.Fatalf("reused = %v", v.Has(CodeReused))
			}
		}
	})
}
