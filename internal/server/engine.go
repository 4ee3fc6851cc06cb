package server

import (
	"context"
	"runtime"

	"github.com/tollgate/tollgate/api"
)

// Engine runs api operations. Both engines of package host satisfy it; so
// does NativeEngine below. Do must be safe for concurrent use and, like
// api.Session.Do, return the JSON response — an error response
// ({"error": {...}}) included — with a non-nil error when the operation
// could not run.
type Engine interface {
	Do(ctx context.Context, op string, req []byte) ([]byte, error)
}

// NativeEngine runs operations on the core compiled in, with a pool of
// api.Sessions (a Session is not safe for concurrent use). Sessions keep
// their parsed-policy caches, so pooling them rather than making one per
// request keeps an inline policy parsed once per session.
type NativeEngine struct {
	pool chan *api.Session
}

// NewNativeEngine returns a native engine that keeps up to 2×GOMAXPROCS
// idle sessions.
func NewNativeEngine() *NativeEngine {
	return &NativeEngine{pool: make(chan *api.Session, 2*runtime.GOMAXPROCS(0))}
}

// Do runs op on a pooled session.
func (e *NativeEngine) Do(ctx context.Context, op string, req []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var s *api.Session
	select {
	case s = <-e.pool:
	default:
		s = api.NewSession()
	}
	out, err := s.Do(op, req, nil)
	select {
	case e.pool <- s:
	default: // pool full: let this one go
	}
	return out, err
}
