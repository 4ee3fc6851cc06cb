//go:build tollgate_small

package credential

import (
	"hash"

	"github.com/tollgate/tollgate/internal/digest"
)

// Under the tag tollgate_small ("optimise for code size", as the
// WebAssembly module is built) the hash functions are internal/digest's:
// the standard library's would link the FIPS 140 module, about 70 KB of the
// module's gzip budget. Their answers are the same (the tests hold them to
// the standard library; docs/credentials.md).

var digestAlg = [...]digest.Alg{algSHA1: digest.SHA1, algSHA256: digest.SHA256,
	algSHA384: digest.SHA384, algSHA512: digest.SHA512, algMD5: digest.MD5}

// hashInto writes a's digest of b into out and returns its length.
func hashInto(a algo, out *[64]byte, b []byte) int {
	return len(digest.Sum(digestAlg[a], out[:0], b))
}

// newHMAC is HMAC over a's hash keyed with key.
func newHMAC(a algo, key []byte) hash.Hash { return digest.NewHMAC(digestAlg[a], key) }
