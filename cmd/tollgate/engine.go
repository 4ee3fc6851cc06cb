package main

import (
	"context"
	"flag"
	"os"
	"runtime/debug"

	"github.com/tollgate/tollgate/host"
)

// engineFlag adds --engine to a subcommand's flags. Every subcommand has it.
// The default is the embedded WebAssembly module, so what the CLI prints is
// what browsers and plugins print.
func engineFlag(fs *flag.FlagSet) *string {
	return fs.String("engine", "wasm", "engine: wasm (the embedded module, under wazero) or native (the core compiled in)")
}

// caller runs api operations for a CLI command.
type caller interface {
	Do(op string, req []byte) ([]byte, error)
	Close() error
}

// openCaller returns a caller for the named engine.
func openCaller(engine string) (caller, error) {
	e, err := openEngine(engine)
	if err != nil {
		return nil, err
	}
	return engineCaller{e}, nil
}

// openEngine returns the named host engine. Environment variables adjust
// the wasm engine: TOLLGATE_WASM names a .wasm file to run instead of the
// embedded one (it must have a known ABI version),
// TOLLGATE_WASM_CACHE=off switches the on-disk compilation cache off, and
// TOLLGATE_WASM_INTERPRETER=1 runs the module in wazero's interpreter.
func openEngine(engine string) (host.Engine, error) {
	var opts host.Options
	if engine == "wasm" {
		if p := os.Getenv("TOLLGATE_WASM"); p != "" {
			b, err := readDocument("TOLLGATE_WASM", p, maxModuleFile, false)
			if err != nil {
				return nil, err
			}
			opts.Module = b
		}
		opts.NoCache = os.Getenv("TOLLGATE_WASM_CACHE") == "off"
		// Loading the compiled module allocates tens of megabytes that are
		// garbage at once; collecting during start-up only costs time.
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		opts.Interpreter = os.Getenv("TOLLGATE_WASM_INTERPRETER") == "1"
	}
	return host.New(context.Background(), engine, opts)
}

type engineCaller struct{ e host.Engine }

func (c engineCaller) Do(op string, req []byte) ([]byte, error) {
	return c.e.Do(context.Background(), op, req)
}

func (c engineCaller) Close() error { return c.e.Close() }
