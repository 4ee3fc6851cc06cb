package main

import (
	"flag"

	"github.com/tollgate/tollgate/api"
)

// engineFlag adds --engine to a subcommand's flags. Every subcommand has it.
func engineFlag(fs *flag.FlagSet) *string {
	return fs.String("engine", "native", "engine: wasm (the embedded module) or native (the core compiled in)")
}

// caller runs api operations for a CLI command.
type caller interface {
	Do(op string, req []byte) ([]byte, error)
	Close() error
}

// openCaller returns a caller for the named engine.
// Scaffolding: native only until the wasm host lands (issue 5).
func openCaller(engine string) (caller, error) {
	return &nativeCaller{s: api.NewSession()}, nil
}

type nativeCaller struct{ s *api.Session }

func (n *nativeCaller) Do(op string, req []byte) ([]byte, error) { return n.s.Do(op, req, nil) }
func (n *nativeCaller) Close() error                              { return nil }
