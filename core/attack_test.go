package core

import (
	"errors"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/core/credential"
)

// Regression tests for the findings of the attack on tollgate (issue 14)
// that this package guards, one per finding and named after it. The
// threat model and the limits are in docs/security.md.

// TestAttackHashVerifyFreezesServe (issue 14 item 1), the history rule's
// part: a PIN check verifies the stored records of the user's history, and
// a PBKDF2 record is as expensive there as in hash.verify. The check polls
// its caller's interrupt during the derivation and stops when it fires.
func TestAttackHashVerifyFreezesServe(t *testing.T) {
	rec, err := credential.MakeWith(credential.PBKDF2SHA512, "739164", make([]byte, 16), credential.Options{Iterations: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := Profile(ProfileCUC)
	polls := 0
	c := PINContext{PreviousRecords: []string{rec}, Interrupt: func() bool { polls++; return polls == 2 }}
	var v Verdict
	p.CheckPIN("739164", &c, &v)
	if polls != 2 {
		t.Errorf("the interrupt was polled %d times; want the check to stop at the second poll", polls)
	}
	for _, r := range v.Reasons {
		if r.Code == CodeReused {
			t.Errorf("an interrupted history check found a reuse: %+v", v)
		}
	}
}

// TestAttackPBKDF2DefaultIterations (issue 14 item 22): new PBKDF2 records
// are made at the policy's hash.iterations, 600 000 (OWASP) in every
// profile, settable from 1 000 (NIST SP 800-132) to the verification cap.
func TestAttackPBKDF2DefaultIterations(t *testing.T) {
	for _, name := range ProfileNames() {
		p, _ := Profile(name)
		if p.Hash.Iterations != 600_000 {
			t.Errorf("%s: hash.iterations %d, want 600000", name, p.Hash.Iterations)
		}
	}
	p, err := ParsePolicy([]byte(`{"extends":"cuc-esm","hash":{"iterations":210000}}`))
	if err != nil || p.Hash.Iterations != 210_000 {
		t.Fatalf("hash.iterations 210000: %+v, %v", p, err)
	}
	_, err = ParsePolicy([]byte(`{"hash":{"iterations":2000000}}`))
	var pe *PolicyError
	if !errors.As(err, &pe) || pe.Field != "hash.iterations" || !strings.Contains(err.Error(), "2000000 is out of range 1000..1000000") {
		t.Errorf("hash.iterations 2000000: %v; want the field and its range", err)
	}
}
