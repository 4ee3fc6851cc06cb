package engine

import (
	"context"
	"sync"
	"sync/atomic"
)

// pool is a LIFO stack of idle wasm instances (the most recently used is
// the warmest in cache) under a mutex, which is cheaper than channel
// operations on the hot path; callers wait on wake when every instance is
// busy.
type pool struct {
	name    string
	newW    func(ctx context.Context) (*instance, error)
	done    <-chan struct{} // closed when the engine closes
	closed  *atomic.Bool
	mu      sync.Mutex
	idle    []*instance
	live    int
	size    int
	waiters int
	wake    chan struct{}
	created atomic.Int64
	dropped atomic.Int64
	// deadlines counts calls their context stopped while they ran.
	deadlines atomic.Int64
	// loads counts documents loaded into the pool's instances.
	loads atomic.Int64
}

func newPool(name string, size int, done <-chan struct{}, closed *atomic.Bool, newW func(context.Context) (*instance, error)) *pool {
	return &pool{name: name, newW: newW, size: size, done: done, closed: closed, wake: make(chan struct{}, 1)}
}

func (p *pool) stats() PoolStats {
	p.mu.Lock()
	busy := p.live - len(p.idle)
	p.mu.Unlock()
	return PoolStats{Pool: p.name, Size: p.size, Busy: busy, Created: p.created.Load(), Discarded: p.dropped.Load(), Deadlines: p.deadlines.Load(), Loads: p.loads.Load()}
}

func (p *pool) get(ctx context.Context) (*instance, error) { return p.take(ctx, false) }

// fresh returns a new instance, never an idle one: in a free slot, or in
// the slot of an idle instance it closes. A call that failed because of
// what an instance held is retried on one (wasmEngine.finish).
func (p *pool) fresh(ctx context.Context) (*instance, error) { return p.take(ctx, true) }

func (p *pool) take(ctx context.Context, fresh bool) (*instance, error) {
	for {
		if p.closed.Load() {
			return nil, ErrClosed
		}
		p.mu.Lock()
		if n := len(p.idle); n > 0 && !fresh {
			w := p.idle[n-1]
			p.idle = p.idle[:n-1]
			p.passOn()
			p.mu.Unlock()
			return w, nil
		}
		var old *instance
		switch n := len(p.idle); {
		case p.live < p.size:
			p.live++
		case n > 0: // fresh: this idle instance's slot
			old = p.idle[n-1]
			p.idle = p.idle[:n-1]
		default:
			p.waiters++
			p.mu.Unlock()
			if err := p.wait(ctx); err != nil {
				return nil, err
			}
			continue
		}
		p.passOn()
		p.mu.Unlock()
		if old != nil {
			old.close()
			p.dropped.Add(1)
		}
		w, err := p.newW(ctx)
		if err != nil {
			p.release()
			return nil, err
		}
		p.created.Add(1)
		w.loads = &p.loads
		return w, nil
	}
}

// wait sleeps until a wake-up, the engine's end or ctx's, for a caller
// counted in waiters.
func (p *pool) wait(ctx context.Context) error {
	select {
	case <-p.wake:
	case <-p.done:
	case <-ctx.Done():
	}
	p.mu.Lock()
	p.waiters--
	p.mu.Unlock()
	if err := ctx.Err(); err != nil {
		p.signal() // pass on a wake-up this caller may have taken
		return err
	}
	return nil
}

// passOn wakes another waiter when what this caller leaves (an idle
// instance, a free slot) could serve one: wake holds one token, so two
// instances put back at once would otherwise wake one waiter and leave
// the other asleep beside an idle instance. Called with mu held.
func (p *pool) passOn() {
	if p.waiters > 0 && (len(p.idle) > 0 || p.live < p.size) {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// release gives up an instance's slot.
func (p *pool) release() {
	p.mu.Lock()
	p.live--
	p.mu.Unlock()
	p.signal()
}

// signal wakes one waiter, if any.
func (p *pool) signal() {
	p.mu.Lock()
	w := p.waiters
	p.mu.Unlock()
	if w > 0 {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// put returns w after a call that ended with err: an instance that
// faulted (or wore out, spent) is closed and its slot freed.
func (p *pool) put(w *instance, err error) {
	if IsDeadline(err) && isFault(err) {
		p.deadlines.Add(1)
	}
	if isFault(err) || w.spent() || p.closed.Load() {
		p.discard(w)
		return
	}
	p.mu.Lock()
	p.idle = append(p.idle, w)
	waiting := p.waiters > 0
	p.mu.Unlock()
	if waiting {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// discard closes w and frees its slot.
func (p *pool) discard(w *instance) {
	w.close()
	p.dropped.Add(1)
	p.release()
}

// drain closes the idle instances (Close).
func (p *pool) drain() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.live -= len(idle)
	p.mu.Unlock()
	for _, w := range idle {
		w.close()
	}
}

// isFault reports whether err means the instance must be discarded: a
// Fault, except one refused before it reached the module.
func isFault(err error) bool {
	f, ok := err.(*Fault)
	return ok && f.Err != errTooLarge
}

// gate bounds the calls that run at once on the native engine, where a
// call needs no instance: a semaphore with the pool's counters.
type gate struct {
	name      string
	slots     chan struct{}
	deadlines atomic.Int64
}

func newGate(name string, size int) *gate {
	return &gate{name: name, slots: make(chan struct{}, size)}
}

func (g *gate) enter(ctx context.Context, done <-chan struct{}) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gate) leave(err error) {
	if IsDeadline(err) {
		if _, ok := err.(*Fault); ok {
			g.deadlines.Add(1)
		}
	}
	<-g.slots
}

func (g *gate) stats() PoolStats {
	return PoolStats{Pool: g.name, Size: cap(g.slots), Busy: len(g.slots), Deadlines: g.deadlines.Load()}
}
