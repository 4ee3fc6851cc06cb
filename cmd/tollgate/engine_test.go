package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/engine"
)

// The default engine is native, unless TOLLGATE_WASM names a module.
func TestEngineDefaultsToNative(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	e := engineFlag(fs)
	t.Setenv("TOLLGATE_WASM", "")
	c, err := openChecker(*e)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Engine().String(); got != "native" {
		t.Errorf("the default engine is %s, want native", got)
	}
	c.Close()
	mod := filepath.Join(t.TempDir(), "tollgate.wasm")
	if err := os.WriteFile(mod, tollgate.Module(), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOLLGATE_WASM", mod)
	if c, err = openChecker(*e); err != nil {
		t.Fatal(err)
	}
	if got := c.Engine().String(); got != "wasm" {
		t.Errorf("with TOLLGATE_WASM set, the default engine is %s, want wasm", got)
	}
	c.Close()
}

func TestOpenEngine(t *testing.T) {
	for _, name := range []string{"wasm", "native"} {
		c, err := openChecker(name)
		if err != nil {
			t.Fatalf("openChecker(%s): %v", name, err)
		}
		if got := c.Engine().String(); got != name {
			t.Errorf("openChecker(%s) runs the %s engine", name, got)
		}
		v, err := c.CheckPIN(context.Background(), &api.PINRequest{PIN: "135792"})
		if err != nil || !v.Accepted {
			t.Errorf("%s: pin = %+v, %v", name, v, err)
		}
		c.Close()
	}
	if _, err := openChecker("jit"); err == nil || !strings.Contains(err.Error(), "want wasm or native") {
		t.Errorf("openChecker(jit) = %v, want an error naming the choices", err)
	}
}

func TestOpenEngineOtherModule(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.wasm")
	if err := os.WriteFile(bad, []byte("not wasm"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOLLGATE_WASM", bad)
	if _, err := openChecker("wasm"); err == nil {
		t.Error("TOLLGATE_WASM pointing at a file that is not wasm was accepted")
	}
	t.Setenv("TOLLGATE_WASM", filepath.Join(t.TempDir(), "missing.wasm"))
	if _, err := openChecker("wasm"); err == nil || !strings.Contains(err.Error(), "TOLLGATE_WASM") {
		t.Errorf("missing TOLLGATE_WASM file: %v, want an error naming the variable", err)
	}
	// The native engine ignores the variable.
	if _, err := openChecker("native"); err != nil {
		t.Errorf("native with TOLLGATE_WASM set: %v", err)
	}
}

// TestEveryCommandHonoursEngine: each command that takes --engine opens
// the engine it names. With TOLLGATE_WASM pointing at a file that is not
// a module, --engine wasm cannot start and --engine native runs; a command
// that ignored the flag would pass the engines-agree tests below (hash,
// audit, pin and password) by comparing the native core with itself.
func TestEveryCommandHonoursEngine(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.wasm")
	users := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(bad, []byte("not wasm"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(users, []byte("Alias,Extension\nann,20001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOLLGATE_WASM", bad)
	for _, c := range []struct {
		args  []string
		stdin string
	}{
		{[]string{"pin", "802163"}, ""},
		{[]string{"password", "kX9#vTq2!mWz"}, ""},
		{[]string{"dial", "911"}, ""},
		{[]string{"lint"}, ""},
		{[]string{"hash", "verify", "{SSHA}sJYXZrLtflNSGfCgL7Zarbiu+Wbz/Rx+"}, "secret\n"},
		{[]string{"hash", "make", "--scheme", "ssha"}, "secret\n"},
		{[]string{"audit", "--format", "json", sampleCSV}, ""},
		{[]string{"gen", "--in", users, "-o", filepath.Join(dir, "pins.csv"), "--force"}, ""},
	} {
		n := 1
		if c.args[0] == "hash" {
			n = 2
		}
		for _, engine := range []string{"wasm", "native"} {
			args := append(append(append([]string(nil), c.args[:n]...), "--engine", engine), c.args[n:]...)
			code, _, errs := runCLI(t, c.stdin, args...)
			failed := strings.Contains(errs, "compiling the wasm module")
			if engine == "wasm" && (code != exitUsage || !failed) {
				t.Errorf("%v: exit %d, stderr %q; want the broken module refused", args, code, errs)
			}
			if engine == "native" && failed {
				t.Errorf("%v: the native engine loaded TOLLGATE_WASM: %q", args, errs)
			}
		}
	}
}

// The wasm engine's start-up runs with the collector off and a soft limit
// on the heap, and openChecker puts both back; a GOMEMLIMIT the user set
// is not lowered.
func TestStartupMemory(t *testing.T) {
	gc0, limit0 := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	defer debug.SetGCPercent(gc0)
	t.Setenv("GOMEMLIMIT", "")

	restore := startupMemory()
	gc, limit := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1)
	restore()
	if gc != -1 || limit != startupLimit {
		t.Errorf("during start-up: GC percent %d, memory limit %d; want -1, %d", gc, limit, startupLimit)
	}
	if gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1); gc != 100 || limit != limit0 {
		t.Errorf("after start-up: GC percent %d, memory limit %d; want 100, %d", gc, limit, limit0)
	}

	t.Setenv("GOMEMLIMIT", "64MiB")
	restore = startupMemory()
	limit = debug.SetMemoryLimit(-1)
	restore()
	if limit != limit0 {
		t.Errorf("with GOMEMLIMIT set, the start-up limit is %d, want it left at %d", limit, limit0)
	}

	t.Setenv("GOMEMLIMIT", "")
	c, err := openChecker("wasm")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1); gc != 100 || limit != limit0 {
		t.Errorf("after openChecker: GC percent %d, memory limit %d; want 100, %d", gc, limit, limit0)
	}
}

// TestCheckerCompilesOnOneWorker: the CLI's wasm engine compiles its
// module on one goroutine (a cold start's memory: checkerOptions), a
// caller's options still apply after it, and the native engine gets
// nothing of the kind.
func TestCheckerCompilesOnOneWorker(t *testing.T) {
	t.Setenv("TOLLGATE_WASM", "")
	t.Setenv("TOLLGATE_WASM_CACHE", "off")
	apply := func(opts []tollgate.Option) engine.Options {
		var o engine.Options
		for _, f := range opts {
			f(&o)
		}
		return o
	}
	opts, err := checkerOptions(tollgate.Wasm, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o := apply(opts); o.CompileWorkers != 1 || o.Kind != tollgate.Wasm || !o.NoCache {
		t.Errorf("wasm options %+v: want one compile worker, the wasm engine and no cache", o)
	}
	opts, _ = checkerOptions(tollgate.Wasm, []tollgate.Option{tollgate.WithCompileWorkers(3)})
	if o := apply(opts); o.CompileWorkers != 3 {
		t.Errorf("a caller's WithCompileWorkers(3) gave %d", o.CompileWorkers)
	}
	opts, _ = checkerOptions(tollgate.Native, nil)
	if o := apply(opts); o.CompileWorkers != 0 || o.Kind != tollgate.Native {
		t.Errorf("native options %+v", o)
	}
}
