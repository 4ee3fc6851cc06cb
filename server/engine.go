package server

import "context"

// Engine runs api operations. Both engines of package host (the wazero
// engine and the native one) satisfy it. Do must be safe for concurrent use
// and, like api.Session.Do, return the JSON response — an error response
// ({"error": {...}}) included — with a non-nil error when the operation
// could not run.
type Engine interface {
	Do(ctx context.Context, op string, req []byte) ([]byte, error)
}
