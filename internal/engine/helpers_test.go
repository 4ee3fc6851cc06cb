package engine

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The committed artifacts, read from the checkout: this package is below
// the root package that embeds them.
var artifacts = sync.OnceValues(func() ([]byte, []byte) {
	mod, err := os.ReadFile(filepath.Join("..", "..", "wasm", "tollgate.wasm"))
	if err != nil {
		panic(err)
	}
	pw, err := os.ReadFile(filepath.Join("..", "..", "wasm", "passwords.tgd"))
	if err != nil {
		panic(err)
	}
	return mod, pw
})

// testOptions are an engine's options with the committed module and data.
func testOptions(kind Kind) Options {
	mod, pw := artifacts()
	return Options{Kind: kind, Module: mod, Data: [][]byte{pw}}
}

// newTestEngine returns an engine of kind, closed when the test ends.
func newTestEngine(t testing.TB, kind Kind, adjust ...func(*Options)) Engine {
	t.Helper()
	o := testOptions(kind)
	for _, f := range adjust {
		f(&o)
	}
	e, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// engines is both engines, for tests that hold them to each other.
func engines(t testing.TB, adjust ...func(*Options)) []Engine {
	return []Engine{newTestEngine(t, Native, adjust...), newTestEngine(t, Wasm, adjust...)}
}
