package engine

import (
	"context"
	"errors"
)

// Dedicated is one wasm instance outside the pools, for a conversation
// whose state lives in the instance (the audit's operations, docs/abi.md
// "Audit"): its calls run on it in order, and nothing else does. It is not
// safe for concurrent use.
type Dedicated struct {
	w *instance
}

// ErrNotWasm: only the wasm engine has dedicated instances.
var ErrNotWasm = errors.New("engine: a dedicated instance needs the wasm engine")

// NewDedicated takes an instance of e's module, with e's data artifacts
// loaded, out of e's main pool for good: the pool may then make another in
// its place, up to its size.
func NewDedicated(ctx context.Context, e Engine) (*Dedicated, error) {
	we, ok := e.(*wasmEngine)
	if !ok {
		return nil, ErrNotWasm
	}
	if err := we.check(ctx); err != nil {
		return nil, err
	}
	// The pool's idle instance when it has one (the engine makes its first
	// at start): an engine made for one dedicated conversation then holds
	// one instance, not two. It never goes back to the pool.
	w, err := we.main.get(ctx)
	if err != nil {
		return nil, err
	}
	we.main.release()
	if err := we.prune(ctx, w); err != nil {
		w.close()
		return nil, err
	}
	// Every artifact now: a dedicated conversation's calls cannot be
	// retried once an artifact is loaded (the audit's rows would get
	// data_missing findings from an instance the pool made lazily).
	for len(w.pending) > 0 {
		if err := w.loadData(ctx, w.pending[0]); err != nil {
			w.close()
			return nil, err
		}
		w.pending = w.pending[1:]
	}
	return &Dedicated{w: w}, nil
}

// RunsModule reports whether e is a wasm engine running module (the
// same bytes): the audit takes its dedicated instance from a Checker's
// engine when that engine runs the audit module, instead of compiling and
// instantiating the module a second time.
func RunsModule(e Engine, module []byte) bool {
	we, ok := e.(*wasmEngine)
	return ok && len(module) > 0 && we.c.sum == moduleSum(module)
}

// CheckerEngine returns the engine of a *tollgate.Checker (the root
// package sets it: the audit package reaches a Checker's engine through
// it, and nothing outside the module can).
var CheckerEngine = func(any) (Engine, bool) { return nil, false }

// Call runs op with request req, which need not be JSON. The answer is a
// view of the instance's memory, valid until the next call; an operation
// error is the *api.Error the module answered. After a Fault the
// instance is gone and every later call fails with it.
func (d *Dedicated) Call(ctx context.Context, op string, req []byte) ([]byte, error) {
	if d.w == nil {
		return nil, ErrClosed
	}
	view, ok, fault := d.w.do(ctx, op, req)
	if fault != nil {
		d.Close()
		return nil, fault
	}
	if !ok {
		return nil, opError(op, view)
	}
	return view, nil
}

// Close ends the instance.
func (d *Dedicated) Close() {
	if d.w != nil {
		d.w.close()
		d.w = nil
	}
}

// EmbeddedAuditModule is the root package's embedded
// wasm/tollgate-audit.wasm, not a copy (tollgate.AuditModule copies its
// 4 MB, and each copy is hashed again): the audit package's module.
var EmbeddedAuditModule []byte
