package main

import (
	"bytes"
	"os"
	"regexp"
	"testing"
)

// The committed artifact and its document are what the generator writes
// now, byte for byte: run `go generate` at the repository root after changing either.
func TestArtifactUpToDate(t *testing.T) {
	o := generated(t)
	for _, f := range []struct {
		path string
		want []byte
	}{{"../../wasm/destinations.tgd", o.Artifact}, {"../../docs/destinations.md", o.Doc}} {
		got, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, f.want) {
			t.Errorf("%s is stale (%d bytes, the generator writes %d): run go generate at the repository root", f.path, len(got), len(f.want))
		}
	}
}

// Two runs write the same bytes: generation is deterministic.
func TestDeterministic(t *testing.T) {
	a := generated(t)
	b, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Artifact, b.Artifact) || !bytes.Equal(a.Doc, b.Doc) {
		t.Error("two generations differ")
	}
}

// Source names the version go.mod pins.
func TestSourceIsThePin(t *testing.T) {
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github.com/nyaruka/phonenumbers (v\S+)`).FindSubmatch(mod)
	if m == nil || "github.com/nyaruka/phonenumbers "+string(m[1]) != Source {
		t.Errorf("go.mod pins %q, Source says %q", m, Source)
	}
}
