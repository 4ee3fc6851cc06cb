package engine

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tollgate/tollgate/api"
)

// The committed artifacts, read from the checkout: this package is below
// the root package that embeds them.
var artifacts = sync.OnceValues(func() ([]byte, [][]byte) {
	mod, err := os.ReadFile(filepath.Join("..", "..", "wasm", "tollgate.wasm"))
	if err != nil {
		panic(err)
	}
	var data [][]byte
	for _, name := range []string{"passwords.tgd", "destinations.tgd"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "wasm", name))
		if err != nil {
			panic(err)
		}
		data = append(data, b)
	}
	return mod, data
})

// testOptions are an engine's options with the committed module and data.
func testOptions(kind Kind) Options {
	mod, data := artifacts()
	return Options{Kind: kind, Module: mod, Data: data}
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

// testSession is an api.Session with the committed data artifacts, as
// the engines have them: the reference the engines are held to.
func testSession(t testing.TB) *api.Session {
	t.Helper()
	_, data := artifacts()
	s := api.NewSession()
	for _, b := range data {
		if err := s.LoadData(b); err != nil {
			t.Fatal(err)
		}
	}
	return s
}
