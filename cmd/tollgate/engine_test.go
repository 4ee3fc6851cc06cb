package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEngineFlagDefaultsToWasm(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	if e := engineFlag(fs); *e != "wasm" {
		t.Fatalf("--engine defaults to %q, want wasm", *e)
	}
}

func TestOpenEngine(t *testing.T) {
	for _, name := range []string{"wasm", "native"} {
		c, err := openCaller(name)
		if err != nil {
			t.Fatalf("openCaller(%s): %v", name, err)
		}
		resp, err := c.Do("pin", []byte(`{"pin":"135792"}`))
		if err != nil || !strings.Contains(string(resp), `"accepted"`) {
			t.Errorf("%s: pin = %s, %v", name, resp, err)
		}
		c.Close()
	}
	if _, err := openEngine("jit"); err == nil || !strings.Contains(err.Error(), "want wasm or native") {
		t.Errorf("openEngine(jit) = %v, want an error naming the choices", err)
	}
}

func TestOpenEngineOtherModule(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.wasm")
	if err := os.WriteFile(bad, []byte("not wasm"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOLLGATE_WASM", bad)
	if _, err := openEngine("wasm"); err == nil {
		t.Error("TOLLGATE_WASM pointing at a file that is not wasm was accepted")
	}
	t.Setenv("TOLLGATE_WASM", filepath.Join(t.TempDir(), "missing.wasm"))
	if _, err := openEngine("wasm"); err == nil || !strings.Contains(err.Error(), "TOLLGATE_WASM") {
		t.Errorf("missing TOLLGATE_WASM file: %v, want an error naming the variable", err)
	}
	// The native engine ignores the variable.
	if _, err := openEngine("native"); err != nil {
		t.Errorf("native with TOLLGATE_WASM set: %v", err)
	}
}
