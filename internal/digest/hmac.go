package digest

// HMAC is RFC 2104's keyed hash over one of the hash functions, the
// pseudorandom function of PBKDF2. It implements hash.Hash. The states
// after the inner and outer padded keys are kept, so Reset and Sum hash no
// key block again.
type HMAC struct {
	inner, outer Digest // after key^ipad, key^opad
	cur          Digest // inner, then what was written
}

// NewHMAC returns HMAC over a keyed with key. A key longer than a block
// is hashed first, as RFC 2104 says.
func NewHMAC(a Alg, key []byte) *HMAC {
	h := new(HMAC)
	h.Init(a, key)
	return h
}

// Init keys h for hash a.
func (h *HMAC) Init(a Alg, key []byte) {
	var k [128]byte
	bs := a.BlockSize()
	if len(key) > bs {
		Sum(a, k[:0], key)
	} else {
		copy(k[:], key)
	}
	h.inner.Init(a)
	h.outer.Init(a)
	for i := range bs {
		k[i] ^= 0x36
	}
	h.inner.Write(k[:bs])
	for i := range bs {
		k[i] ^= 0x36 ^ 0x5c
	}
	h.outer.Write(k[:bs])
	clear(k[:])
	h.cur = h.inner
}

// Reset restarts the message; the key stays.
func (h *HMAC) Reset() { h.cur = h.inner }

// Write adds p to the message. It never fails.
func (h *HMAC) Write(p []byte) (int, error) { return h.cur.Write(p) }

// Sum appends the HMAC of the message written so far to dst.
func (h *HMAC) Sum(dst []byte) []byte {
	var in [64]byte
	o := h.outer
	o.Write(h.cur.Sum(in[:0]))
	clear(in[:])
	return o.finish(dst)
}

// Size is the length of the HMAC in bytes.
func (h *HMAC) Size() int { return h.inner.Size() }

// BlockSize is the hash's block length in bytes.
func (h *HMAC) BlockSize() int { return h.inner.BlockSize() }

// chain sets u, a digest's length, to the HMAC of u: PBKDF2's step from
// U_{i-1} to U_i without Reset, Write and Sum. The inner message (the key
// block, then u) and the outer one (the key block, then the inner digest)
// have the same length, under one block with its padding, so both take
// one block after the saved states, padded the same way.
func (h *HMAC) chain(u []byte) {
	a := h.inner.alg
	var blk [128]byte
	b := blk[:a.BlockSize()]
	n := copy(b, u)
	b[n] = 0x80
	a.putLength(b, uint64(len(b)+n))
	for _, d := range []*Digest{&h.inner, &h.outer} {
		s32, s64 := d.s32, d.s64
		a.block(&s32, &s64, b)
		a.putState(b, &s32, &s64) // the digest over b's first n bytes
	}
	copy(u, b[:n])
	clear(b)
}
