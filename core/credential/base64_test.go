package credential

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// b64Oracle is what decodeB64Raw must answer: encoding/base64's bytes, or
// the offset of its CorruptInputError.
func b64Oracle(s string, padded bool) ([]byte, int) {
	enc := base64.StdEncoding
	if !padded {
		enc = base64.RawStdEncoding
	}
	raw, err := enc.DecodeString(s)
	if err != nil {
		return nil, int(err.(base64.CorruptInputError))
	}
	return raw, -1
}

func TestBase64(t *testing.T) {
	for _, s := range []string{
		"", "A", "AA", "AAA", "AAAA", "AB==", "ABC=", "AB=", "A===", "====", "AB==A", "AB=A", "ABC=D",
		"AAAAAB==", "AAAAA", "AAAAAA=", "AB==AB==", "QUJD", "QUI", "QUI=", "+/+/", "ab=c", "abc==",
	} {
		for _, padded := range []bool{true, false} {
			got, bad := decodeB64Raw(s, padded)
			want, wantBad := b64Oracle(s, padded)
			if bad != wantBad || !bytes.Equal(got, want) {
				t.Errorf("decode %q (padded %v) = %x, %d; encoding/base64: %x, %d", s, padded, got, bad, want, wantBad)
			}
		}
	}
	for n := range 70 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*37 + n)
		}
		if got, want := encodeB64(b, true), base64.StdEncoding.EncodeToString(b); got != want {
			t.Errorf("encode %d bytes padded = %q, want %q", n, got, want)
		}
		if got, want := encodeB64(b, false), base64.RawStdEncoding.EncodeToString(b); got != want {
			t.Errorf("encode %d bytes raw = %q, want %q", n, got, want)
		}
	}
}

// FuzzBase64 holds the record's base64 to encoding/base64 on the strings
// decodeB64 lets through (the alphabet and '='), mapping arbitrary bytes
// onto them, and on the encodings of arbitrary bytes.
func FuzzBase64(f *testing.F) {
	f.Add([]byte("QUJD"), true)
	f.Add([]byte("AB==A"), true)
	f.Add([]byte{0xff, 0, 1}, false)
	f.Fuzz(func(t *testing.T, in []byte, padded bool) {
		const chars = b64Alphabet + "===="
		s := make([]byte, len(in))
		for i, c := range in {
			s[i] = chars[int(c)%len(chars)]
		}
		got, bad := decodeB64Raw(string(s), padded)
		want, wantBad := b64Oracle(string(s), padded)
		if bad != wantBad || !bytes.Equal(got, want) {
			t.Fatalf("decode %q (padded %v) = %x, %d; encoding/base64: %x, %d", s, padded, got, bad, want, wantBad)
		}
		if got, want := encodeB64(in, padded), base64.StdEncoding.EncodeToString(in); padded && got != want {
			t.Fatalf("encode %x = %q, want %q", in, got, want)
		}
		if got, want := encodeB64(in, false), base64.RawStdEncoding.EncodeToString(in); got != want {
			t.Fatalf("encode %x raw = %q, want %q", in, got, want)
		}
	})
}
