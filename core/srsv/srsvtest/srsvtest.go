// Package srsvtest checks that an srsv.Store keeps the contract the rules
// rely on: one cycle per branch, expiry, and a Take that removes a cycle
// exactly once however many callers race for it. A shared store (Redis,
// SQL) runs TestStore against the real server; so does srsv.MemoryStore.
package srsvtest

import (
	"context"
	"crypto/sha256"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate/tollgate/core/srsv"
)

// base is the Issued time of the cycles TestStore creates. Times are
// UTC and whole milliseconds, as srsv.Manager makes them.
var base = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func cycle(branch string, n int, issued time.Time, ttl time.Duration) srsv.Cycle {
	return srsv.Cycle{Branch: branch, Digest: sha256.Sum256([]byte(branch + "/" + strconv.Itoa(n))),
		Issued: issued, Expires: issued.Add(ttl)}
}

func same(a, b srsv.Cycle) bool {
	return a.Branch == b.Branch && a.Digest == b.Digest && a.Issued.Equal(b.Issued) && a.Expires.Equal(b.Expires)
}

// TestStore runs the contract's tests, each on a new store from newStore
// (which may clean a shared server first). Use it from a test:
//
//	func TestRedisStore(t *testing.T) { srsvtest.TestStore(t, newRedisStore) }
func TestStore(t *testing.T, newStore func(t *testing.T) srsv.Store) {
	ctx := context.Background()
	t.Run("TakeOnce", func(t *testing.T) {
		s := newStore(t)
		c := cycle("Raleigh", 1, base, time.Hour)
		if err := s.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.Take(ctx, "Raleigh", c.Digest)
		if err != nil || !ok || !same(got, c) {
			t.Fatalf("Take = %+v %v %v, want the cycle", got.Pending(), ok, err)
		}
		if _, ok, err := s.Take(ctx, "Raleigh", c.Digest); ok || err != nil {
			t.Fatalf("a second Take = %v %v, want false", ok, err)
		}
	})
	t.Run("WrongDigestChangesNothing", func(t *testing.T) {
		s := newStore(t)
		c := cycle("Austin", 1, base, time.Hour)
		other := cycle("Boston", 2, base, time.Hour)
		for _, x := range []srsv.Cycle{c, other} {
			if err := s.Create(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		wrong := c.Digest
		wrong[31] ^= 1
		for _, d := range []srsv.Digest{wrong, other.Digest, {}} {
			if _, ok, err := s.Take(ctx, "Austin", d); ok || err != nil {
				t.Fatalf("Take with another digest = %v %v, want false", ok, err)
			}
		}
		if _, ok, err := s.Take(ctx, "Nowhere", c.Digest); ok || err != nil {
			t.Fatalf("Take of an unknown branch = %v %v", ok, err)
		}
		if got, ok, err := s.Take(ctx, "Austin", c.Digest); !ok || err != nil || !same(got, c) {
			t.Fatalf("the right digest after wrong ones: %v %v", ok, err)
		}
		if got, ok, err := s.Take(ctx, "Boston", other.Digest); !ok || err != nil || !same(got, other) {
			t.Fatalf("the other branch's cycle: %v %v", ok, err)
		}
	})
	t.Run("OneCyclePerBranch", func(t *testing.T) {
		s := newStore(t)
		c := cycle("Denver", 1, base, 10*time.Minute)
		if err := s.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		early := cycle("Denver", 2, base.Add(10*time.Minute-time.Millisecond), time.Hour)
		if err := s.Create(ctx, early); !errors.Is(err, srsv.ErrCycleInProgress) {
			t.Fatalf("Create over a pending cycle: %v, want ErrCycleInProgress", err)
		}
		if _, ok, _ := s.Take(ctx, "Denver", early.Digest); ok {
			t.Fatal("the refused cycle was stored")
		}
		late := cycle("Denver", 3, base.Add(10*time.Minute), time.Hour)
		if err := s.Create(ctx, late); err != nil {
			t.Fatalf("Create over an expired cycle: %v", err)
		}
		if _, ok, _ := s.Take(ctx, "Denver", c.Digest); ok {
			t.Fatal("the replaced cycle is still there")
		}
		if _, ok, _ := s.Take(ctx, "Denver", late.Digest); !ok {
			t.Fatal("the new cycle is not there")
		}
	})
	t.Run("List", func(t *testing.T) {
		s := newStore(t)
		for i, b := range []string{"Fargo", "Erie", "Gary"} {
			if err := s.Create(ctx, cycle(b, i, base, time.Duration(i+1)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		list := func(at time.Duration) string {
			cs, err := s.List(ctx, base.Add(at))
			if err != nil {
				t.Fatal(err)
			}
			out := ""
			for _, c := range cs {
				if !c.Issued.Equal(base) {
					t.Errorf("%s issued %v, want %v", c.Branch, c.Issued, base)
				}
				out += c.Branch + "@" + c.Expires.Sub(base).String() + " "
			}
			return out
		}
		if got, want := list(0), "Erie@2m0s Fargo@1m0s Gary@3m0s "; got != want {
			t.Errorf("List at the start = %q, want %q (by branch)", got, want)
		}
		if got, want := list(2*time.Minute), "Gary@3m0s "; got != want {
			t.Errorf("List at 2m = %q, want %q (expired cycles left out)", got, want)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		c := cycle("Houston", 1, base, time.Hour)
		if err := s.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.Delete(ctx, "Houston"); !ok || err != nil {
			t.Fatalf("Delete = %v %v, want true", ok, err)
		}
		if ok, err := s.Delete(ctx, "Houston"); ok || err != nil {
			t.Fatalf("a second Delete = %v %v, want false", ok, err)
		}
		if _, ok, _ := s.Take(ctx, "Houston", c.Digest); ok {
			t.Fatal("Take after Delete succeeded")
		}
		if err := s.Create(ctx, cycle("Houston", 2, base, time.Hour)); err != nil {
			t.Fatalf("Create after Delete: %v", err)
		}
	})
	t.Run("ConcurrentTakeWinsOnce", func(t *testing.T) {
		s := newStore(t)
		for round := 0; round < 20; round++ {
			c := cycle("Irvine", round, base.Add(time.Duration(round)*time.Hour), time.Hour)
			if err := s.Create(ctx, c); err != nil {
				t.Fatal(err)
			}
			var wins atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for g := 0; g < 16; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					if _, ok, err := s.Take(ctx, "Irvine", c.Digest); err != nil {
						t.Error(err)
					} else if ok {
						wins.Add(1)
					}
				}()
			}
			close(start)
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Fatalf("round %d: %d of 16 concurrent Takes removed the cycle, want exactly 1", round, n)
			}
		}
	})
}
