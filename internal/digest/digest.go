// Package digest is MD5, SHA-1, SHA-256, SHA-384, SHA-512 and HMAC in a
// few hundred lines of plain Go, for the WebAssembly module, and the PBKDF2
// loop of core/credential. The standard library's crypto/md5, crypto/sha1,
// crypto/sha256, crypto/sha512 and crypto/hmac link the FIPS 140 module
// (its DRBG, AES, AES-GCM, SHA-3, self-tests and their init tasks) into
// any program that hashes: 58 KB of the module's 1 MB gzip budget. Native
// builds keep the standard library's hashes, which use the CPU's SHA
// instructions; core/credential and core/artifact choose this package's
// only under the build tag tollgate_small, which the module is built with
// (docs/credentials.md).
//
// The functions follow FIPS 180-4 (SHA), RFC 1321 (MD5), RFC 2104 (HMAC)
// and RFC 8018 (PBKDF2). Their branches and memory accesses depend on
// lengths and step numbers only, never on the bytes hashed. The tests hold
// every function to the standard library, byte for byte.
package digest

import "math/bits"

// Alg is a hash function.
type Alg uint8

// The hash functions. The zero Alg is none.
const (
	MD5 Alg = iota + 1
	SHA1
	SHA256
	SHA384
	SHA512
)

// Size is the length of a's digest in bytes.
func (a Alg) Size() int { return int(sizes[a]) }

var sizes = [...]uint8{MD5: 16, SHA1: 20, SHA256: 32, SHA384: 48, SHA512: 64}

// BlockSize is the length of a's input block in bytes.
func (a Alg) BlockSize() int {
	if a >= SHA384 {
		return 128
	}
	return 64
}

// Digest is a running hash; Init chooses the function. It is a plain
// value (no allocation) and implements hash.Hash through its pointer.
type Digest struct {
	_    [0]func() // not comparable: no equality code for the module to carry
	alg  Alg
	nbuf int       // bytes waiting in buf
	n    uint64    // bytes written so far
	s32  [8]uint32 // chaining value of MD5, SHA-1 and SHA-256
	s64  [8]uint64 // chaining value of SHA-384 and SHA-512
	buf  [128]byte // a partial block
}

// Init resets d to the start of hash a.
func (d *Digest) Init(a Alg) {
	*d = Digest{alg: a}
	switch a {
	case MD5:
		d.s32 = [8]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}
	case SHA1:
		d.s32 = [8]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0}
	case SHA256:
		d.s32 = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}
	case SHA384:
		d.s64 = [8]uint64{0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17, 0x152fecd8f70e5939,
			0x67332667ffc00b31, 0x8eb44a8768581511, 0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4}
	case SHA512:
		d.s64 = [8]uint64{0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
			0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179}
	default:
		panic("digest: no such hash")
	}
}

// Reset restarts d's hash.
func (d *Digest) Reset() { d.Init(d.alg) }

// Size is the digest's length in bytes.
func (d *Digest) Size() int { return d.alg.Size() }

// BlockSize is the hash's block length in bytes.
func (d *Digest) BlockSize() int { return d.alg.BlockSize() }

// Write adds p to the hash. It never fails.
func (d *Digest) Write(p []byte) (int, error) {
	n, bs := len(p), d.alg.BlockSize()
	d.n += uint64(n)
	if d.nbuf > 0 {
		k := copy(d.buf[d.nbuf:bs], p)
		d.nbuf += k
		p = p[k:]
		if d.nbuf < bs {
			return n, nil
		}
		d.block(d.buf[:bs])
		d.nbuf = 0
	}
	if full := len(p) / bs * bs; full > 0 {
		d.block(p[:full])
		p = p[full:]
	}
	d.nbuf = copy(d.buf[:], p)
	return n, nil
}

// Sum appends the digest of what was written to dst; d is unchanged.
func (d *Digest) Sum(dst []byte) []byte {
	c := *d
	return c.finish(dst)
}

// finish pads the message (a 1 bit, zeros, and its length) and appends
// the chaining value, which it leaves spoiled.
func (d *Digest) finish(dst []byte) []byte {
	bs := d.alg.BlockSize()
	d.buf[d.nbuf] = 0x80
	clear(d.buf[d.nbuf+1 : bs])
	if d.nbuf >= bs-bs/8 {
		// No room for the length (8 or 16 bytes): one more block.
		d.block(d.buf[:bs])
		clear(d.buf[:bs])
	}
	d.alg.putLength(d.buf[:bs], d.n)
	d.block(d.buf[:bs])
	clear(d.buf[:])
	var out [64]byte
	d.alg.putState(out[:], &d.s32, &d.s64)
	return append(dst, out[:d.alg.Size()]...)
}

// putLength writes the length of a message of n bytes, in bits, at the end
// of its last block: 64 bits little-endian for MD5, 64 bits big-endian for
// SHA-1 and SHA-256, 128 bits big-endian for SHA-384 and SHA-512.
func (a Alg) putLength(blk []byte, n uint64) {
	bs := len(blk)
	if a == MD5 {
		for i := range 8 {
			blk[bs-8+i] = byte(n << 3 >> (8 * i))
		}
		return
	}
	if bs == 128 {
		putBE64(blk[bs-16:], n>>61)
	}
	putBE64(blk[bs-8:], n<<3)
}

// putState writes the digest, the first Size bytes of the chaining value,
// into b: little-endian words for MD5, big-endian for SHA.
func (a Alg) putState(b []byte, s32 *[8]uint32, s64 *[8]uint64) {
	if a >= SHA384 {
		for i, w := range s64[:a.Size()/8] {
			putBE64(b[8*i:], w)
		}
		return
	}
	for i, w := range s32[:a.Size()/4] {
		if a == MD5 {
			w = bits.ReverseBytes32(w)
		}
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(w>>24), byte(w>>16), byte(w>>8), byte(w)
	}
}

// block hashes whole blocks p into the chaining value.
func (d *Digest) block(p []byte) { d.alg.block(&d.s32, &d.s64, p) }

// block hashes whole blocks p into a's chaining value, s32 or s64.
func (a Alg) block(s32 *[8]uint32, s64 *[8]uint64, p []byte) {
	switch a {
	case MD5:
		blockMD5(s32, p)
	case SHA1:
		blockSHA1(s32, p)
	case SHA256:
		blockSHA256(s32, p)
	default:
		blockSHA512(s64, p)
	}
}

// Sum appends a's digest of data to dst.
func Sum(a Alg, dst, data []byte) []byte {
	var d Digest
	d.Init(a)
	d.Write(data)
	return d.finish(dst)
}

func be32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func be64(b []byte) uint64 { return uint64(be32(b))<<32 | uint64(be32(b[4:])) }

func putBE64(b []byte, v uint64) {
	_ = b[7]
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
}

// The rotations of the specifications: MD5 and SHA-1 rotate left, SHA-2
// right.
func rotl(x uint32, k int) uint32   { return bits.RotateLeft32(x, k) }
func rotr(x uint32, k int) uint32   { return bits.RotateLeft32(x, -k) }
func rotr64(x uint64, k int) uint64 { return bits.RotateLeft64(x, -k) }
