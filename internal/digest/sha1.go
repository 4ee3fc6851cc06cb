package digest

// SHA-1 (FIPS 180-4, section 6.1): 80 rounds in four stages of 20, the
// message schedule kept as a ring of 16 words.

func blockSHA1(s *[8]uint32, p []byte) {
	var w [16]uint32
	for ; len(p) >= 64; p = p[64:] {
		for i := range w {
			w[i] = be32(p[4*i:])
		}
		a, b, c, d, e := s[0], s[1], s[2], s[3], s[4]
		i := 0
		for ; i < 20; i++ {
			t := rotl(a, 5) + (b&c | ^b&d) + e + 0x5a827999 + sha1W(&w, i)
			a, b, c, d, e = t, a, rotl(b, 30), c, d
		}
		for ; i < 40; i++ {
			t := rotl(a, 5) + (b ^ c ^ d) + e + 0x6ed9eba1 + sha1W(&w, i)
			a, b, c, d, e = t, a, rotl(b, 30), c, d
		}
		for ; i < 60; i++ {
			t := rotl(a, 5) + (b&c | b&d | c&d) + e + 0x8f1bbcdc + sha1W(&w, i)
			a, b, c, d, e = t, a, rotl(b, 30), c, d
		}
		for ; i < 80; i++ {
			t := rotl(a, 5) + (b ^ c ^ d) + e + 0xca62c1d6 + sha1W(&w, i)
			a, b, c, d, e = t, a, rotl(b, 30), c, d
		}
		s[0] += a
		s[1] += b
		s[2] += c
		s[3] += d
		s[4] += e
	}
}

// sha1W is word i of the message schedule, computed in place from round 16.
func sha1W(w *[16]uint32, i int) uint32 {
	if i >= 16 {
		w[i&15] = rotl(w[(i-3)&15]^w[(i-8)&15]^w[(i-14)&15]^w[i&15], 1)
	}
	return w[i&15]
}
