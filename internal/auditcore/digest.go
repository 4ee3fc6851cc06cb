package auditcore

import (
	"math/bits"

	"github.com/tollgate/tollgate/export"
)

// The shared-PIN digests are keyed 64-bit hashes (a multiply-fold in the
// style of wyhash) of a field and a value. The host draws the key at
// random per audit, so a digest outlives neither the run nor its table,
// and a plaintext PIN and a stored record never share one (the field is
// hashed in). It is no protection against someone who can read the
// process's memory (the key is there too, and the PIN space is small):
// what it guarantees is that no PIN string outlives its row. The same
// function runs natively and in the module, so both passes may run on
// either.

const (
	k0 = 0xa0761d6478bd642f
	k1 = 0xe7037ed1a0b428db
	k2 = 0x8ebc6af09c88c6e3
)

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// Digest is the keyed digest of value v of field f.
func Digest(key uint64, f export.Field, v []byte) uint64 { return digest(key, f, v) }

// DigestString is Digest of a value held as a string: the same value
// gives the same digest either way.
func DigestString(key uint64, f export.Field, v string) uint64 { return digest(key, f, v) }

func digest[T string | []byte](key uint64, f export.Field, v T) uint64 {
	h := mix(key^k0, uint64(f)^k1)
	n := len(v)
	i := 0
	for ; i+8 <= n; i += 8 {
		w := uint64(v[i]) | uint64(v[i+1])<<8 | uint64(v[i+2])<<16 | uint64(v[i+3])<<24 |
			uint64(v[i+4])<<32 | uint64(v[i+5])<<40 | uint64(v[i+6])<<48 | uint64(v[i+7])<<56
		h = mix(h^w^k1, k2^key)
	}
	var t uint64
	for j := 0; i+j < n; j++ {
		t |= uint64(v[i+j]) << (8 * j)
	}
	h = mix(h^t^k1, uint64(n)^k2)
	return mix(h^key, k0)
}
