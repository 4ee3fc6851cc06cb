package host

import (
	"context"

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
	return &Native{newEngine("native", opts.Instances, func(context.Context) (worker, error) {
		s := api.NewSession()
		for _, d := range data {
			s.AddData(d)
		}
		return &nativeWorker{s: s}, nil
	})}, nil
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
