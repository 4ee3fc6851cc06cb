//go:build !tollgate_small

package credential

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
)

// The standard library's hash functions, with the CPU's SHA instructions
// where it has them. The WebAssembly module is built with the tag
// tollgate_small and uses hash_small.go instead.

// hashInto writes a's digest of b into out and returns its length.
func hashInto(a algo, out *[64]byte, b []byte) int {
	switch a {
	case algSHA1:
		d := sha1.Sum(b)
		return copy(out[:], d[:])
	case algSHA256:
		d := sha256.Sum256(b)
		return copy(out[:], d[:])
	case algSHA384:
		d := sha512.Sum384(b)
		return copy(out[:], d[:])
	case algSHA512:
		d := sha512.Sum512(b)
		return copy(out[:], d[:])
	}
	d := md5.Sum(b)
	return copy(out[:], d[:])
}

// newHMAC is HMAC over a's hash (SHA-1, SHA-256 or SHA-512: the PBKDF2
// schemes) keyed with key.
func newHMAC(a algo, key []byte) hash.Hash {
	var h func() hash.Hash
	switch a {
	case algSHA1:
		h = sha1.New
	case algSHA256:
		h = sha256.New
	default:
		h = sha512.New
	}
	return hmac.New(h, key)
}
