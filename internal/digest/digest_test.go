package digest

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// The standard library is the oracle: every test compares this package
// with crypto/*, and the published vectors are checked against both.

var algs = []Alg{MD5, SHA1, SHA256, SHA384, SHA512}

func std(a Alg) func() hash.Hash {
	return map[Alg]func() hash.Hash{MD5: md5.New, SHA1: sha1.New, SHA256: sha256.New, SHA384: sha512.New384, SHA512: sha512.New}[a]
}

func stdSum(a Alg, b []byte) []byte {
	h := std(a)()
	h.Write(b)
	return h.Sum(nil)
}

func name(a Alg) string {
	return [...]string{MD5: "MD5", SHA1: "SHA-1", SHA256: "SHA-256", SHA384: "SHA-384", SHA512: "SHA-512"}[a]
}

// The test vectors of RFC 1321 (appendix A.5) and of NIST's examples for
// FIPS 180-4 (one block, two blocks, the 896-bit message).
func TestVectors(t *testing.T) {
	const (
		m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
		m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
	)
	for _, c := range []struct {
		alg      Alg
		msg, hex string
	}{
		{MD5, "", "d41d8cd98f00b204e9800998ecf8427e"},
		{MD5, "a", "0cc175b9c0f1b6a831c399e269772661"},
		{MD5, "abc", "900150983cd24fb0d6963f7d28e17f72"},
		{MD5, "message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
		{MD5, "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
		{MD5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"},
		{MD5, strings.Repeat("1234567890", 8), "57edf4a22be3c955ac49da2e2107b67a"},
		{SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{SHA1, m448, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
		{SHA256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{SHA256, m448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
		{SHA384, "abc", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
		{SHA384, m896, "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039"},
		{SHA512, "abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
		{SHA512, m896, "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"},
	} {
		want, _ := hex.DecodeString(c.hex)
		if got := Sum(c.alg, nil, []byte(c.msg)); !bytes.Equal(got, want) {
			t.Errorf("%s(%.20q) = %x, want %s", name(c.alg), c.msg, got, c.hex)
		}
		if got := stdSum(c.alg, []byte(c.msg)); !bytes.Equal(got, want) {
			t.Errorf("the standard library's %s(%.20q) = %x: the vector is wrong", name(c.alg), c.msg, got)
		}
	}
}

// TestMillionA is the FIPS 180-4 long message, one million 'a', written in
// pieces of 1 000 bytes (not a divisor of either block size).
func TestMillionA(t *testing.T) {
	known := map[Alg]string{
		SHA1:   "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
		SHA256: "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	}
	piece := bytes.Repeat([]byte{'a'}, 1000)
	for _, a := range algs {
		var d Digest
		d.Init(a)
		h := std(a)()
		for range 1000 {
			d.Write(piece)
			h.Write(piece)
		}
		got, want := d.Sum(nil), h.Sum(nil)
		if !bytes.Equal(got, want) {
			t.Errorf("%s of a million 'a' = %x, want %x", name(a), got, want)
		}
		if k, ok := known[a]; ok && hex.EncodeToString(want) != k {
			t.Errorf("%s of a million 'a': the standard library says %x, the vector %s", name(a), want, k)
		}
	}
}

// TestEveryLength: every length from 0 to 300 bytes (across the padding's
// edges at 55/56 and 111/112 bytes and the blocks' at 64 and 128) and some
// large ones, in one Write and in pieces of random sizes, with Sum taken
// midway (up to 300 bytes) to show it leaves the state as it was.
func TestEveryLength(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lengths := []int{1000, 4096 + 7, 65536 + 3, 1<<20 + 1}
	for n := 300; n >= 0; n-- {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(r.Uint32())
		}
		for _, a := range algs {
			want := stdSum(a, msg)
			if got := Sum(a, nil, msg); !bytes.Equal(got, want) {
				t.Fatalf("%s of %d bytes = %x, want %x", name(a), n, got, want)
			}
			var d Digest
			d.Init(a)
			for rest := msg; len(rest) > 0; {
				k := min(len(rest), r.IntN(200))
				d.Write(rest[:k])
				rest = rest[k:]
				if k%7 == 0 && n <= 300 {
					mid := d.Sum([]byte("prefix"))
					if h := std(a)(); !bytes.Equal(mid[6:], stdSum(a, msg[:len(msg)-len(rest)])) || string(mid[:6]) != "prefix" || len(mid) != 6+h.Size() {
						t.Fatalf("%s: Sum after %d of %d bytes is wrong", name(a), len(msg)-len(rest), n)
					}
				}
			}
			if got := d.Sum(nil); !bytes.Equal(got, want) {
				t.Fatalf("%s of %d bytes written in pieces = %x, want %x", name(a), n, got, want)
			}
			d.Reset()
			d.Write(msg)
			if got := d.Sum(nil); !bytes.Equal(got, want) {
				t.Fatalf("%s of %d bytes after Reset = %x, want %x", name(a), n, got, want)
			}
		}
	}
}

func TestSizes(t *testing.T) {
	for _, a := range algs {
		var d Digest
		d.Init(a)
		h := std(a)()
		if d.Size() != h.Size() || d.BlockSize() != h.BlockSize() {
			t.Errorf("%s: size %d, block %d; want %d, %d", name(a), d.Size(), d.BlockSize(), h.Size(), h.BlockSize())
		}
	}
}

// The HMAC vectors of RFC 2202 (MD5, SHA-1) and RFC 4231 (SHA-2): a short
// key, a key shorter than the hash, and a key longer than a block.
func TestHMACVectors(t *testing.T) {
	long := strings.Repeat("\xaa", 131)
	const longMsg = "Test Using Larger Than Block-Size Key - Hash Key First"
	for _, c := range []struct {
		alg           Alg
		key, msg, hex string
	}{
		{MD5, strings.Repeat("\x0b", 16), "Hi There", "9294727a3638bb1c13f48ef8158bfc9d"},
		{MD5, "Jefe", "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"},
		{SHA1, strings.Repeat("\x0b", 20), "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"},
		{SHA1, "Jefe", "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
		{SHA1, strings.Repeat("\xaa", 80), longMsg, "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
		{SHA256, strings.Repeat("\x0b", 20), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{SHA256, "Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{SHA256, long, longMsg, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
		{SHA384, "Jefe", "what do ya want for nothing?", "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
		{SHA512, "Jefe", "what do ya want for nothing?", "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
		{SHA512, long, longMsg, "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
	} {
		want, _ := hex.DecodeString(c.hex)
		h := NewHMAC(c.alg, []byte(c.key))
		h.Write([]byte(c.msg))
		if got := h.Sum(nil); !bytes.Equal(got, want) {
			t.Errorf("HMAC-%s(key of %d bytes, %.20q) = %x, want %s", name(c.alg), len(c.key), c.msg, got, c.hex)
		}
		s := hmac.New(std(c.alg), []byte(c.key))
		s.Write([]byte(c.msg))
		if got := s.Sum(nil); !bytes.Equal(got, want) {
			t.Errorf("crypto/hmac's HMAC-%s(%.20q) = %x: the vector is wrong", name(c.alg), c.msg, got)
		}
	}
}

// TestHMAC: keys of every length up to two blocks and a bit (shorter than,
// equal to and longer than the block), messages around the block, and the
// key reused through Reset.
func TestHMAC(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	for _, a := range algs {
		for kl := 0; kl <= 2*a.BlockSize()+1; kl++ {
			key := rnd(kl)
			h, s := NewHMAC(a, key), hmac.New(std(a), key)
			if h.Size() != s.Size() || h.BlockSize() != s.BlockSize() {
				t.Fatalf("HMAC-%s: size %d, block %d", name(a), h.Size(), h.BlockSize())
			}
			for _, ml := range []int{0, 1, a.BlockSize() - 1, a.BlockSize(), a.BlockSize() + 1, 300} {
				msg := rnd(ml)
				h.Reset()
				s.Reset()
				h.Write(msg)
				s.Write(msg)
				if got, want := h.Sum(nil), s.Sum(nil); !bytes.Equal(got, want) {
					t.Fatalf("HMAC-%s, %d-byte key, %d-byte message = %x, want %x", name(a), kl, ml, got, want)
				}
			}
		}
	}
}

// RFC 6070's PBKDF2-HMAC-SHA1 vectors.
func TestPBKDF2Vectors(t *testing.T) {
	for _, c := range []struct {
		pw, salt string
		iter     int
		hex      string
	}{
		{"password", "salt", 1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"},
		{"password", "salt", 2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"},
		{"password", "salt", 4096, "4b007901b765489abead49d926f721d065a429c1"},
		{"passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"},
		{"pass\x00word", "sa\x00lt", 4096, "56fa6aa75548099dcc37d7f03425e0c3"},
	} {
		want, _ := hex.DecodeString(c.hex)
		got, ok := PBKDF2(NewHMAC(SHA1, []byte(c.pw)), []byte(c.salt), c.iter, len(want), 1024, nil)
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("PBKDF2-SHA1(%q, %q, %d) = %x, want %s", c.pw, c.salt, c.iter, got, c.hex)
		}
	}
}

// TestPBKDF2: crypto/pbkdf2 against PBKDF2 over this package's HMAC and
// over crypto/hmac, for key lengths within one block, at its edge and over
// several, and iteration counts around the polling interval.
func TestPBKDF2(t *testing.T) {
	const every = 1024
	for _, a := range algs {
		hLen := a.Size()
		for _, n := range []int{1, hLen - 1, hLen, hLen + 1, 2*hLen + 5} {
			for _, iter := range []int{1, 2, 3, every - 1, every, every + 1, 5000} {
				pw, salt := "pässwörd"+strconv.Itoa(iter), []byte("salt"+strconv.Itoa(n))
				want, err := pbkdf2.Key(std(a), pw, salt, iter, n)
				if err != nil {
					t.Fatal(err)
				}
				for prf, h := range map[string]hash.Hash{"digest": NewHMAC(a, []byte(pw)), "crypto/hmac": hmac.New(std(a), []byte(pw))} {
					got, ok := PBKDF2(h, salt, iter, n, every, func() bool { return false })
					if !ok || !bytes.Equal(got, want) {
						t.Errorf("PBKDF2-%s over %s, %d bytes, %d iterations = %x, want %x", name(a), prf, n, iter, got, want)
					}
				}
			}
		}
	}
}

// TestPBKDF2Stop: stop is polled every `every` iterations of each block and
// its true ends the derivation.
func TestPBKDF2Stop(t *testing.T) {
	polls := 0
	count := func() bool { polls++; return false }
	if _, ok := PBKDF2(NewHMAC(SHA256, []byte("pw")), []byte("salt"), 1000, 64, 100, count); !ok || polls != 2*10 {
		t.Errorf("2 blocks of 1000 iterations polled %d times every 100, want 20", polls)
	}
	polls = 0
	stopAt3 := func() bool { polls++; return polls == 3 }
	if dk, ok := PBKDF2(NewHMAC(SHA256, []byte("pw")), []byte("salt"), 1000, 32, 100, stopAt3); ok || dk != nil || polls != 3 {
		t.Errorf("stopped derivation = %x, %v after %d polls; want nil, false after 3", dk, ok, polls)
	}
}

// TestNoAllocs: hashing into a caller's buffer and reusing an HMAC
// allocate nothing, as the standard library's fixed-size sums do not.
func TestNoAllocs(t *testing.T) {
	msg := make([]byte, 300)
	var out [64]byte
	h := NewHMAC(SHA256, []byte("key"))
	for _, a := range algs {
		if n := testing.AllocsPerRun(100, func() { Sum(a, out[:0], msg) }); n != 0 {
			t.Errorf("Sum(%s) allocates %v times", name(a), n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { h.Reset(); h.Write(msg); h.Sum(out[:0]) }); n != 0 {
		t.Errorf("HMAC allocates %v times", n)
	}
}

// FuzzDigest compares every hash and HMAC with the standard library's on
// arbitrary keys and messages, the message written in two pieces.
func FuzzDigest(f *testing.F) {
	f.Add(uint8(0), []byte("key"), []byte("abc"), uint16(1))
	f.Add(uint8(4), bytes.Repeat([]byte{0xaa}, 131), bytes.Repeat([]byte("x"), 112), uint16(111))
	f.Fuzz(func(t *testing.T, ai uint8, key, msg []byte, cut uint16) {
		a := algs[int(ai)%len(algs)]
		c := min(int(cut), len(msg))
		var d Digest
		d.Init(a)
		d.Write(msg[:c])
		d.Write(msg[c:])
		if got, want := d.Sum(nil), stdSum(a, msg); !bytes.Equal(got, want) {
			t.Fatalf("%s(%x) = %x, want %x", name(a), msg, got, want)
		}
		h, s := NewHMAC(a, key), hmac.New(std(a), key)
		h.Write(msg[:c])
		h.Write(msg[c:])
		s.Write(msg)
		if got, want := h.Sum(nil), s.Sum(nil); !bytes.Equal(got, want) {
			t.Fatalf("HMAC-%s(%x, %x) = %x, want %x", name(a), key, msg, got, want)
		}
	})
}

// Benchmarks against the standard library (natively it has assembly; in
// WebAssembly both are Go): go test -bench . ./core/internal/digest
func BenchmarkSum(b *testing.B) {
	for _, n := range []int{32, 1024} {
		msg := make([]byte, n)
		for _, a := range algs {
			b.Run(name(a)+"/"+strconv.Itoa(n)+"/digest", func(b *testing.B) {
				var out [64]byte
				b.SetBytes(int64(n))
				for b.Loop() {
					Sum(a, out[:0], msg)
				}
			})
			b.Run(name(a)+"/"+strconv.Itoa(n)+"/std", func(b *testing.B) {
				var out [64]byte
				h := std(a)()
				b.SetBytes(int64(n))
				for b.Loop() {
					h.Reset()
					h.Write(msg)
					h.Sum(out[:0])
				}
			})
		}
	}
}

// BenchmarkPBKDF2 is 10 000 iterations of PBKDF2-HMAC-SHA256 over this
// package's HMAC, over crypto/hmac, and crypto/pbkdf2 itself.
func BenchmarkPBKDF2(b *testing.B) {
	salt := make([]byte, 16)
	for _, a := range []Alg{SHA1, SHA256, SHA512} {
		b.Run(name(a)+"/digest", func(b *testing.B) {
			for b.Loop() {
				PBKDF2(NewHMAC(a, []byte("408408")), salt, 10000, a.Size(), 1024, nil)
			}
		})
		b.Run(name(a)+"/crypto-hmac", func(b *testing.B) {
			for b.Loop() {
				PBKDF2(hmac.New(std(a), []byte("408408")), salt, 10000, a.Size(), 1024, nil)
			}
		})
		b.Run(name(a)+"/crypto-pbkdf2", func(b *testing.B) {
			for b.Loop() {
				pbkdf2.Key(std(a), "408408", salt, 10000, a.Size())
			}
		})
	}
}
