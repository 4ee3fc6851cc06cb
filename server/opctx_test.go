package server

import (
	"context"
	"errors"
	"testing"
	"time"
)

type ctxKey struct{}

// TestOpCtxIsWithDeadline: the lazy context behaves as
// context.WithDeadline(parent, deadline) does, whether or not Done is
// asked for, and before and after the deadline or the parent's end.
func TestOpCtxIsWithDeadline(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "v")

	// Before the deadline: no error, the parent's values, the deadline.
	c := newOpCtx(parent, time.Now().Add(time.Hour))
	if err := c.Err(); err != nil {
		t.Errorf("Err before the deadline = %v", err)
	}
	if d, ok := c.Deadline(); !ok || time.Until(d) < 59*time.Minute {
		t.Errorf("Deadline = %v, %v", d, ok)
	}
	if c.Value(ctxKey{}) != "v" {
		t.Error("the parent's value is lost")
	}
	select {
	case <-c.Done():
		t.Error("Done closed an hour early")
	default:
	}
	c.stop()
	if !errors.Is(c.Err(), context.Canceled) {
		t.Errorf("Err after stop = %v, want Canceled (as a cancelled WithDeadline)", c.Err())
	}

	// Past the deadline, with and without Done.
	c = newOpCtx(parent, time.Now().Add(20*time.Millisecond))
	time.Sleep(30 * time.Millisecond)
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Errorf("Err after the deadline, no Done = %v", c.Err())
	}
	select {
	case <-c.Done():
	case <-time.After(time.Second):
		t.Error("Done not closed for a passed deadline")
	}
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Errorf("Err after Done = %v", c.Err())
	}
	c.stop()

	// Done asked for first, then the deadline passes.
	c = newOpCtx(parent, time.Now().Add(20*time.Millisecond))
	done := c.Done()
	select {
	case <-done:
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Errorf("Err once Done closed = %v", c.Err())
		}
	case <-time.After(time.Second):
		t.Error("Done not closed at the deadline")
	}
	c.stop()

	// The parent ends: Canceled, with and without Done.
	for _, ask := range []bool{false, true} {
		p, cancel := context.WithCancel(parent)
		c = newOpCtx(p, time.Now().Add(time.Hour))
		if ask {
			c.Done()
		}
		cancel()
		select {
		case <-c.Done():
		case <-time.After(time.Second):
			t.Errorf("Done (asked first: %v) not closed when the parent ended", ask)
		}
		if !errors.Is(c.Err(), context.Canceled) {
			t.Errorf("Err (asked first: %v) after the parent ended = %v", ask, c.Err())
		}
		c.stop()
	}

	// A context made from it sees both.
	c = newOpCtx(parent, time.Now().Add(20*time.Millisecond))
	child, cancel := context.WithCancel(c)
	defer cancel()
	select {
	case <-child.Done():
		if !errors.Is(child.Err(), context.DeadlineExceeded) {
			t.Errorf("child's Err = %v", child.Err())
		}
	case <-time.After(time.Second):
		t.Error("a child context missed the deadline")
	}
	c.stop()
}
