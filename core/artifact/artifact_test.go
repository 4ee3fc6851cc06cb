package artifact

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	b, err := Encode("passwords", "v1.test", []byte("payload bytes"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "passwords" || a.Version != "v1.test" || string(a.Payload) != "payload bytes" {
		t.Errorf("got %q %q %q", a.Name, a.Version, a.Payload)
	}
}

// TestParseRefuses: every damaged file is refused with an error that says
// what is wrong and where.
func TestParseRefuses(t *testing.T) {
	good, _ := Encode("passwords", "v1", []byte("0123456789"))
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 1; return b }
	for _, tt := range []struct {
		name string
		b    []byte
		msg  string
	}{
		{"empty", nil, "no TGDATA1 magic"},
		{"other file", []byte("\x00asm\x01\x00\x00\x00"), "no TGDATA1 magic"},
		{"newer container", append([]byte("TGDATA2\n"), good[8:]...), "no TGDATA1 magic"},
		{"name length", append(append([]byte(nil), good[:8]...), 0), "bad name or version length at offset 8"},
		{"name byte", func() []byte { b := bytes.Clone(good); b[9] = 'P'; return b }(), "forbidden byte in name or version at offset 9"},
		{"truncated", good[:len(good)-1], "truncated or padded"},
		{"padded", append(bytes.Clone(good), 0), "truncated or padded"},
		{"payload bit", flip(len(good) - 1), "checksum mismatch"},
		{"version bit", flip(19), "checksum mismatch"},
		{"header only", good[:22], "truncated header"},
	} {
		_, err := Parse(tt.b)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: %v; want an error saying %q", tt.name, err, tt.msg)
		}
	}
	if _, err := Encode("Passwords", "v1", nil); err == nil {
		t.Error("Encode accepted an upper-case name")
	}
}

// TestCommittedArtifacts: the committed data artifacts parse (their
// checksums hold).
func TestCommittedArtifacts(t *testing.T) {
	for _, name := range []string{"passwords", "destinations"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "wasm", name+".tgd"))
		if err != nil {
			t.Fatal(err)
		}
		a, err := Parse(b)
		if err != nil {
			t.Fatalf("wasm/%s.tgd: %v", name, err)
		}
		if a.Name != name {
			t.Errorf("wasm/%s.tgd is named %q", name, a.Name)
		}
	}
}
