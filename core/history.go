package core

import (
	"crypto/subtle"

	"github.com/tollgate/tollgate/core/credential"
)

// The history rule (code reused). A credential may not equal one of the
// user's last History credentials (Unity Connection "Stored Number of
// Previous Credentials", Unified CM "Stored Number of Previous
// Credentials", Exchange "PIN recycle count").
//
// Depth: the caller passes its history newest first, as plaintext
// (Previous) and/or as stored records (PreviousRecords); only the first
// History entries of each list count, so a host may pass its whole store
// and the policy decides how far back it reaches. History 0 turns the
// rule off. Plaintext entries are compared in constant time
// (crypto/subtle); records are verified by credential.Matches, which
// knows the stored schemes.

// reused reports whether secret is among the first depth entries of
// previous or records; stop interrupts the verification of records.
func reused(secret string, previous, records []string, depth int, stop func() bool) bool {
	if depth <= 0 {
		return false
	}
	hit := 0
	for i := 0; i < len(previous) && i < depth; i++ {
		hit |= equalSecret(secret, previous[i])
	}
	if hit == 1 {
		return true
	}
	for i := 0; i < len(records) && i < depth; i++ {
		ok, err := credential.MatchesInterrupt(records[i], secret, stop)
		if err != nil {
			return false
		}
		if ok {
			return true
		}
	}
	return false
}

// equalSecret compares two secrets in constant time (for equal lengths)
// and returns 1 when they are equal. Short secrets are copied to the stack
// so that the PIN check stays allocation-free.
func equalSecret(a, b string) int {
	const small = 64
	if len(a) <= small && len(b) <= small {
		var x, y [small]byte
		copy(x[:], a)
		copy(y[:], b)
		return subtle.ConstantTimeCompare(x[:len(a)], y[:len(b)])
	}
	return subtle.ConstantTimeCompare([]byte(a), []byte(b))
}
