package credential

import (
	"encoding/hex"
	"testing"
)

// FuzzHex: the local hex codec agrees with encoding/hex.
func FuzzHex(f *testing.F) {
	for _, s := range []string{"", "00", "0aF9", "abc", "zz", "DEADbeef", "0g"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := DecodeHex(s)
		want, err := hex.DecodeString(s)
		if ok != (err == nil) || ok && string(got) != string(want) {
			t.Fatalf("DecodeHex(%q) = %x, %v; encoding/hex: %x, %v", s, got, ok, want, err)
		}
		if enc := string(appendHex(nil, []byte(s))); enc != hex.EncodeToString([]byte(s)) {
			t.Fatalf("appendHex(%q) = %s; encoding/hex: %s", s, enc, hex.EncodeToString([]byte(s)))
		}
	})
}
