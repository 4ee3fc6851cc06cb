package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/debug"

	tollgate "github.com/tollgate/tollgate"
)

// engineFlag adds --engine to a subcommand's flags. Every subcommand has it.
// The default ("") is the native engine, the fast one, unless TOLLGATE_WASM
// names a module to run: the parity suites (internal/engine's, and
// audit's TestModuleAuditMatchesNative) hold both engines to the same
// answers byte for byte, so what the CLI prints natively is what browsers
// and plugins print with the module (docs/engine.md).
func engineFlag(fs *flag.FlagSet) *string {
	return fs.String("engine", "", "engine: native (the core compiled in; the default) or wasm (the embedded module, under wazero; the default when TOLLGATE_WASM names a module)")
}

// openChecker returns a Checker on the named engine ("": the default,
// engineFlag), with wasmOpts on the wasm engine. Environment
// variables adjust the wasm engine: TOLLGATE_WASM names a .wasm file to
// run instead of the embedded one (it must have a known ABI version),
// TOLLGATE_WASM_CACHE=off switches the on-disk compilation cache off, and
// TOLLGATE_WASM_INTERPRETER=1 runs the module in wazero's interpreter.
func openChecker(name string, wasmOpts ...tollgate.Option) (*tollgate.Checker, error) {
	if name == "" {
		name = "native"
		if os.Getenv("TOLLGATE_WASM") != "" {
			name = "wasm"
		}
	}
	kind, err := tollgate.ParseEngine(name)
	if err != nil {
		return nil, fmt.Errorf("unknown engine %q: want wasm or native", name)
	}
	opts, err := checkerOptions(kind, wasmOpts)
	if err != nil {
		return nil, err
	}
	if kind == tollgate.Wasm {
		defer startupMemory()()
	}
	return tollgate.New(context.Background(), opts...)
}

// checkerOptions are openChecker's options for kind. The wasm engine's
// module is compiled on one goroutine when the cache does not have it:
// wazero's parallel compile holds every compiled function until the last
// is done, and a cold start is what bounds the CLI's memory (a cold
// `tollgate pin`: 77 MB against 91 MB, about a second slower, once per
// machine and version; docs/performance.md).
func checkerOptions(kind tollgate.Engine, wasmOpts []tollgate.Option) ([]tollgate.Option, error) {
	opts := []tollgate.Option{tollgate.WithEngine(kind)}
	if kind != tollgate.Wasm {
		return opts, nil
	}
	opts = append(opts, tollgate.WithCompileWorkers(1))
	opts = append(opts, wasmOpts...)
	if p := os.Getenv("TOLLGATE_WASM"); p != "" {
		b, err := readDocument("TOLLGATE_WASM", p, maxModuleFile, false)
		if err != nil {
			return nil, err
		}
		opts = append(opts, tollgate.WithModule(b))
	}
	if os.Getenv("TOLLGATE_WASM_CACHE") == "off" {
		opts = append(opts, tollgate.WithoutCache())
	}
	if os.Getenv("TOLLGATE_WASM_INTERPRETER") == "1" {
		opts = append(opts, tollgate.WithInterpreter())
	}
	return opts, nil
}

// startupLimit bounds the host heap while the wasm engine starts. A cold
// start compiles the module: wazero holds every function's code in the heap
// until the module is done, and with the collector off its garbage took the
// process past 120 MB (docs/performance.md, "The audit in the module"). A
// warm start, from the compilation cache, stays under the limit and never
// collects.
const startupLimit = 32 << 20

// startupMemory turns the collector off for the wasm engine's start-up,
// whose allocations are garbage at once, except that a heap reaching
// startupLimit is collected. A GOMEMLIMIT the user set is left alone. The
// returned func restores both settings.
func startupMemory() (restore func()) {
	gc := debug.SetGCPercent(-1)
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() { debug.SetGCPercent(gc) }
	}
	limit := debug.SetMemoryLimit(startupLimit)
	return func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(gc)
	}
}
