package auditcore

import (
	"time"

	"github.com/tollgate/tollgate/core/credential"
)

// Rate measures what a unit of a stored record's work costs where it
// runs, in seconds: one verification of an unsalted SHA-1 record (the
// exhaustive search's unit) for credential.SHA, one iteration of a
// PBKDF2 scheme's derivation; 0 for any other scheme. The audit's
// estimates multiply it out before the work starts. It runs natively for
// the native audit and inside the module for an audit there (the
// operation audit.rates), whose code is several times slower: a rate
// measured natively would make the module's estimate that much low.
// It is the best of rateWindows measures of rateTime each (at least three
// verifications): on a busy machine, or as a process starts, one window
// can be slowed by other work, which would make the estimate high.
func Rate(s credential.Scheme) float64 {
	var rec string
	var err error
	units := 1
	switch s {
	case credential.SHA:
		rec, err = credential.Make(s, "00000000", nil)
	case credential.PBKDF2SHA1, credential.PBKDF2SHA256, credential.PBKDF2SHA512:
		units = rateIterations
		rec, err = credential.MakeIterations(s, "00000000", make([]byte, 16), units)
	default:
		return 0
	}
	if err != nil {
		return rateGuess
	}
	r, err := credential.Parse(rec)
	if err != nil {
		return rateGuess
	}
	reps := 1
	if units == 1 {
		reps = 100 // verifications between reads of the clock
	}
	verify := func() {
		for range reps {
			r.Verify("12345678")
		}
	}
	verify() // the first touches cold code and memory
	best := 0.0
	for range rateWindows {
		n := 0
		start := time.Now()
		for n < 3*reps || time.Since(start) < rateTime {
			verify()
			n += reps
		}
		per := max(time.Since(start).Seconds(), 1e-9) / float64(n*units)
		if best == 0 || per < best {
			best = per
		}
	}
	return best
}

const (
	rateTime       = 5 * time.Millisecond
	rateWindows    = 3
	rateIterations = 2000 // a PBKDF2 record's, long enough that its setup vanishes
	rateGuess      = 1e-6 // a pessimistic guess, if the measure fails
)
