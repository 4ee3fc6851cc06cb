package host

import (
	"context"

	"github.com/tollgate/tollgate/api"
	// The native core classifies destinations with the embedded data
	// artifact (issue 18); the wasm engine's module is given it by the host.
	_ "github.com/tollgate/tollgate/data"
)

// Native is the engine that runs the core compiled into the host: a pool of
// api sessions (a session is not safe for concurrent use).
type Native struct{ *engine }

// NewNative returns a native engine. Only opts.Instances applies.
func NewNative(opts Options) *Native {
	return &Native{newEngine("native", opts.Instances, func(context.Context) (worker, error) {
		return &nativeWorker{s: api.NewSession()}, nil
	})}
}

// Stats reports the pool's counters.
func (n *Native) Stats() Stats { return n.stats() }

type nativeWorker struct {
	s *api.Session
	n int
}

func (w *nativeWorker) do(_ context.Context, op string, req []byte) (resp []byte, opErr, fault error) {
	resp, opErr = w.s.Do(op, req, nil)
	return resp, opErr, nil
}

func (w *nativeWorker) close()         {}
func (w *nativeWorker) replayed() *int { return &w.n }
