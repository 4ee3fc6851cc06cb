package audit

import "context"

// Engine runs one api operation: op names it, req is its JSON request and
// the result is its JSON response. It must be safe for concurrent use.
// host.Engine (wasm or native) satisfies it; an operation that cannot run
// returns an error and, when the operation answered, its {"error": {...}}
// response.
type Engine interface {
	Do(ctx context.Context, op string, req []byte) ([]byte, error)
}
