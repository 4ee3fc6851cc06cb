package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// opCtx is an operation's context: the request's (a client that hangs up
// cancels it), with the operation's deadline. It is context.WithDeadline
// made lazily: the timer and the registration with the parent that a
// deadline costs (about a microsecond per request under load) are paid
// only when something waits on Done — a heavy call queueing for its pool,
// wazero closing a module. The engines' cheap calls only ask Err, which
// reads the clock.
type opCtx struct {
	context.Context // the request's
	deadline        time.Time

	mu    sync.Mutex
	timed atomic.Pointer[timedCtx] // set once, by Done
}

type timedCtx struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func newOpCtx(parent context.Context, deadline time.Time) *opCtx {
	return &opCtx{Context: parent, deadline: deadline}
}

func (c *opCtx) Deadline() (time.Time, bool) { return c.deadline, true }

// Done is the channel of context.WithDeadline(parent, deadline), made on
// the first call.
func (c *opCtx) Done() <-chan struct{} {
	if t := c.timed.Load(); t != nil {
		return t.ctx.Done()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.timed.Load(); t != nil {
		return t.ctx.Done()
	}
	ctx, cancel := context.WithDeadline(c.Context, c.deadline)
	c.timed.Store(&timedCtx{ctx, cancel})
	return ctx.Done()
}

// Err is the parent's error, or DeadlineExceeded once the deadline has
// passed; once Done has been asked for, exactly its context's error, so
// that Err and Done agree.
func (c *opCtx) Err() error {
	if t := c.timed.Load(); t != nil {
		return t.ctx.Err()
	}
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// stop releases the timer, if Done made one.
func (c *opCtx) stop() {
	if t := c.timed.Load(); t != nil {
		t.cancel()
	}
}
