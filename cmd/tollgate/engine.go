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
// The default is the embedded WebAssembly module, so what the CLI prints is
// what browsers and plugins print.
func engineFlag(fs *flag.FlagSet) *string {
	return fs.String("engine", "wasm", "engine: wasm (the embedded module, under wazero) or native (the core compiled in)")
}

// openChecker returns a Checker on the named engine. Environment
// variables adjust the wasm engine: TOLLGATE_WASM names a .wasm file to
// run instead of the embedded one (it must have a known ABI version),
// TOLLGATE_WASM_CACHE=off switches the on-disk compilation cache off, and
// TOLLGATE_WASM_INTERPRETER=1 runs the module in wazero's interpreter.
func openChecker(name string) (*tollgate.Checker, error) {
	kind, err := tollgate.ParseEngine(name)
	if err != nil {
		return nil, fmt.Errorf("unknown engine %q: want wasm or native", name)
	}
	opts := []tollgate.Option{tollgate.WithEngine(kind)}
	if kind == tollgate.Wasm {
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
		// Loading the compiled module allocates tens of megabytes that are
		// garbage at once; collecting during start-up only costs time.
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
	}
	return tollgate.New(context.Background(), opts...)
}
