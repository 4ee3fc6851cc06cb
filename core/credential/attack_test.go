package credential

import (
	"errors"
	"strings"
	"testing"
)

// Regression tests for the findings of the attack on tollgate (issue 14)
// that this package guards, one per finding and named after it. The
// threat model and the limits are in docs/security.md.

// attackRecord is the record of the attack's 158-byte /v1/hash/verify
// request: PBKDF2-SHA512 at 2,000,000 iterations, then the maximum
// accepted, which cost 24 s of CPU per request in the wasm engine.
var attackRecord = "{PBKDF2-SHA512}2000000$" + ab64(make([]byte, 16)) + "$" + ab64(make([]byte, 64))

// TestAttackHashVerifyFreezesServe (issue 14 item 1): the work one
// verification may ask for is capped, with an error that names the range,
// and a derivation in progress stops when its caller's interrupt says so
// (a deadline), instead of running to the end.
func TestAttackHashVerifyFreezesServe(t *testing.T) {
	_, err := Parse(attackRecord)
	var e *Error
	if !errors.As(err, &e) || e.Reason != Malformed || !strings.Contains(e.Error(), "2000000 outside 1..1000000") {
		t.Fatalf("Parse(2,000,000 iterations) = %v; want malformed, naming the count and the range 1..1000000", err)
	}
	if r := Verify(attackRecord, "x", Options{}); r.Reason != Malformed {
		t.Errorf("Verify(2,000,000 iterations) = %+v, want malformed", r)
	}
	atCap := strings.Replace(attackRecord, "2000000$", "1000000$", 1)
	r, err := Parse(atCap)
	if err != nil {
		t.Fatalf("a record at the cap must parse: %v", err)
	}

	// A verification at the cap with an interrupt that fires at its third
	// poll stops there: three polls, about 3,000 of the 1,000,000
	// iterations, and no verdict.
	polls := 0
	stop := func() bool { polls++; return polls == 3 }
	if res := r.Check("x", Options{Interrupt: stop}); res.Reason != Interrupted || res.Verified {
		t.Errorf("interrupted Check = %+v, want reason interrupted", res)
	}
	if polls != 3 {
		t.Errorf("the interrupt was polled %d times, want 3 (it must stop the work when it fires)", polls)
	}
	polls = 0
	if ok, err := MatchesInterrupt(atCap, "x", stop); ok || err != ErrInterrupted || polls != 3 {
		t.Errorf("MatchesInterrupt = %v, %v after %d polls; want ErrInterrupted after 3", ok, err, polls)
	}
	polls = 0
	if rec, err := MakeWith(PBKDF2SHA512, "x", make([]byte, 16), Options{Iterations: MaxIterations, Interrupt: stop}); err != ErrInterrupted || rec != "" || polls != 3 {
		t.Errorf("interrupted MakeWith = %q, %v after %d polls; want ErrInterrupted after 3", rec, err, polls)
	}
}

// TestAttackPBKDF2DefaultIterations (issue 14 item 22): new PBKDF2 records
// used pw-pbkdf2's 10,000 iterations; they use OWASP's 600,000 unless the
// caller asks for another count, and a verified record below the count in
// force is advised to be rehashed.
func TestAttackPBKDF2DefaultIterations(t *testing.T) {
	salt := make([]byte, 16)
	rec, err := Make(PBKDF2SHA256, "408408", salt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rec, "{PBKDF2-SHA256}600000$") {
		t.Errorf("Make = %s, want 600000 iterations", rec)
	}
	old, err := MakeWith(PBKDF2SHA256, "408408", salt, Options{Iterations: 10_000})
	if err != nil || !strings.HasPrefix(old, "{PBKDF2-SHA256}10000$") {
		t.Fatalf("MakeWith(10000) = %s, %v", old, err)
	}
	if res := Verify(old, "408408", Options{Target: PBKDF2SHA256}); !res.Verified || !res.Rehash {
		t.Errorf("a 10,000-iteration record = %+v, want verified with rehash advice", res)
	}
	if res := Verify(old, "408408", Options{Target: PBKDF2SHA256, Iterations: 10_000}); !res.Verified || res.Rehash {
		t.Errorf("a record at the configured count = %+v, want verified without advice", res)
	}
}
