package engine

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestPoolWakesEveryWaiter: two callers wait for a pool of two busy
// instances, and both instances come back before either caller is asleep
// (each has counted itself a waiter and not yet reached its select, the
// window the test holds open by running the two halves of take itself).
// The pool's wake-up holds one token: the second put found it full, and
// without the first caller passing it on, the second slept beside an idle
// instance until its deadline.
func TestPoolWakesEveryWaiter(t *testing.T) {
	ctx := context.Background()
	w := newTestWasm(t, sizes(2, 1))
	p := w.main
	a, err := p.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.waiters += 2 // what take does before it sleeps
	p.mu.Unlock()
	p.put(a, nil)
	p.put(b, nil)
	// A deadline far beyond the test's need: a waiter left asleep fails
	// with it instead of hanging the run.
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	got := make([]*instance, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = p.wait(wctx); errs[i] == nil {
				// Keep it until both have answered: putting it back would
				// wake the other and hide the lost wake-up.
				got[i], errs[i] = p.get(wctx)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("waiter %d: %v (woken by neither instance)", i, err)
		}
		p.put(got[i], nil)
	}
}

// TestPoolFresh: fresh never hands out an idle instance; it makes a new
// one in a free slot or in an idle instance's, which it closes.
func TestPoolFresh(t *testing.T) {
	ctx := context.Background()
	w := newTestWasm(t, sizes(1, 1))
	p := w.main
	old, err := p.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.put(old, nil)
	x, err := p.fresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if x == old {
		t.Fatal("fresh returned the idle instance")
	}
	if s := p.stats(); s.Created != 2 || s.Discarded != 1 || s.Busy != 1 {
		t.Errorf("stats %+v: want the idle instance closed and a new one made in its slot", s)
	}
	p.put(x, nil)
}

// TestFinishDiscardsBeforeRetry: a call that failed for its instance's
// state (a trap while loading a document into it) never leaves that
// instance in the pool; the retry runs on a new one, and a second failure
// is the answer.
func TestFinishDiscardsBeforeRetry(t *testing.T) {
	ctx := context.Background()
	w := newTestWasm(t, sizes(2, 1))
	p := w.main
	x, err := p.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	trapped := &Fault{Op: "tables.load", Kind: FaultTrap}
	y, err := finish(ctx, p, x, &retry{trapped}, 0)
	if err != nil || y == nil || y == x {
		t.Fatalf("finish(retry, first try) = %p, %v; want a new instance", y, err)
	}
	if !x.mod.IsClosed() {
		t.Error("the instance that trapped was not closed")
	}
	p.mu.Lock()
	for _, i := range p.idle {
		if i == x {
			t.Error("the instance that trapped is back in the pool")
		}
	}
	p.mu.Unlock()
	z, err := finish(ctx, p, y, &retry{trapped}, 1)
	if z != nil || err != trapped {
		t.Fatalf("finish(retry, second try) = %p, %v; want the fault", z, err)
	}
	if s := p.stats(); s.Discarded != 2 || s.Busy != 0 {
		t.Errorf("stats %+v: want both instances discarded", s)
	}
	// A deadline is never retried.
	x, _ = p.get(ctx)
	stopped := &Fault{Op: "pin", Kind: FaultDeadline, Err: context.DeadlineExceeded}
	if z, err := finish(ctx, p, x, &retry{stopped}, 0); z != nil || err != stopped {
		t.Fatalf("finish(retry of a deadline) = %p, %v; want the deadline", z, err)
	}
}
