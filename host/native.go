package host

import (
	"context"
	"errors"

	"github.com/tollgate/tollgate/api"
)

// Native is the engine that runs the core compiled into the host: a pool of
// api sessions (a session is not safe for concurrent use).
type Native struct{ *engine }

// NewNative returns a native engine. Only opts.Instances, opts.Data and
// opts.NoData apply. It panics when an artifact of opts.Data is corrupt
// (the committed ones never are); NewNativeErr returns the error instead.
func NewNative(opts Options) *Native {
	n, err := NewNativeErr(opts)
	if err != nil {
		panic(err)
	}
	return n
}

// NewNativeErr is NewNative with a corrupt data artifact reported as an
// error. The artifacts are parsed once and shared by every session.
func NewNativeErr(opts Options) (*Native, error) {
	data, err := dataOf(opts)
	if err != nil {
		return nil, err
	}
	return &Native{newEngine("native", opts, func(context.Context) (worker, error) {
		w := &nativeWorker{s: api.NewSession()}
		for _, d := range data {
			w.s.AddData(d)
		}
		w.s.SetInterrupt(w.stopped)
		return w, nil
	})}, nil
}

// Stats reports the pool's counters.
func (n *Native) Stats() Stats { return n.stats() }

// nativeWorker is one api session. A Go computation cannot be killed, so
// the session's long work (PBKDF2, building automata) polls the call's
// context through the session's interrupt and stops itself.
type nativeWorker struct {
	s   *api.Session
	n   int
	ctx context.Context // of the call in progress
}

// stopped is the session's interrupt: the call's context has ended.
func (w *nativeWorker) stopped() bool { return w.ctx != nil && w.ctx.Err() != nil }

func (w *nativeWorker) do(ctx context.Context, op string, req []byte) (resp []byte, opErr, fault error) {
	w.ctx = ctx
	resp, opErr = w.s.Do(op, req, nil)
	w.ctx = nil
	var ae *api.Error
	if errors.As(opErr, &ae) && ae.Code == api.ErrInterrupted {
		// The same answer as the wasm engine's: a fault, not a response.
		return nil, nil, &Fault{Op: op, Status: StatusDeadline, Err: ctx.Err()}
	}
	return resp, opErr, nil
}

// survives: a session the interrupt stopped is consistent (nothing was
// half added), so it stays in the pool with its loads.
func (w *nativeWorker) survives(fault error) bool { return IsDeadline(fault) }

func (w *nativeWorker) close()         {}
func (w *nativeWorker) replayed() *int { return &w.n }
