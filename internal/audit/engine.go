package audit

import (
	"context"
	"sync"

	"github.com/tollgate/tollgate/api"
)

// Engine runs one api operation: op names it, req is its JSON request and
// the result is its JSON response. It must be safe for concurrent use;
// the wasm engine of package host satisfies it, and NativeEngine runs the
// core compiled in. An operation that cannot run returns an error whose
// response, when there is one, is {"error": {...}}.
type Engine interface {
	Do(ctx context.Context, op string, req []byte) ([]byte, error)
}

// NativeEngine runs operations on the core compiled into this binary. An
// api.Session is not safe for concurrent use, so each concurrent call
// borrows one from a pool; policies and tables a session parsed stay in
// its by-text cache for the next row.
type NativeEngine struct {
	pool sync.Pool
}

// NewNativeEngine returns an engine over the core compiled in.
func NewNativeEngine() *NativeEngine {
	return &NativeEngine{pool: sync.Pool{New: func() any { return api.NewSession() }}}
}

// Do runs op natively.
func (n *NativeEngine) Do(_ context.Context, op string, req []byte) ([]byte, error) {
	s := n.pool.Get().(*api.Session)
	defer n.pool.Put(s)
	return s.Do(op, req, nil)
}
