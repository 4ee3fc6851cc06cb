package digest

import "hash"

// PBKDF2 is RFC 8018's PBKDF2 (section 5.2): keyLen bytes derived from salt
// with iter iterations of prf, an HMAC keyed with the password (this
// package's or crypto/hmac's; both builds of core/credential use this
// loop). It is written out so that a long derivation can be stopped: stop,
// when not nil, is polled every `every` iterations, and true abandons the
// work, which is cleared, and PBKDF2 returns nil, false. every must be
// positive.
func PBKDF2(prf hash.Hash, salt []byte, iter, keyLen, every int, stop func() bool) ([]byte, bool) {
	small, _ := prf.(*HMAC) // about 15 % faster in WebAssembly through chain
	hLen := prf.Size()
	blocks := (keyLen + hLen - 1) / hLen
	dk := make([]byte, 0, blocks*hLen)
	u := make([]byte, hLen)
	var ctr [4]byte
	for block := 1; block <= blocks; block++ {
		// T_block = U_1 ^ ... ^ U_iter, U_1 = PRF(salt || INT(block)),
		// U_i = PRF(U_{i-1}).
		ctr[0], ctr[1], ctr[2], ctr[3] = byte(block>>24), byte(block>>16), byte(block>>8), byte(block)
		prf.Reset()
		prf.Write(salt)
		prf.Write(ctr[:])
		dk = prf.Sum(dk)
		t := dk[len(dk)-hLen:]
		copy(u, t)
		for i := 2; i <= iter; i++ {
			if stop != nil && i%every == 0 && stop() {
				clear(dk[:cap(dk)])
				clear(u)
				return nil, false
			}
			if small != nil {
				small.chain(u)
			} else {
				prf.Reset()
				prf.Write(u)
				u = prf.Sum(u[:0])
			}
			for j := range t {
				t[j] ^= u[j]
			}
		}
	}
	clear(u)
	return dk[:keyLen], true
}
