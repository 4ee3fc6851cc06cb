// Package countertest holds a server.CallCounter (the memory store,
// redisstore) to the contract of Admit: the same tests for every store.
package countertest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate/tollgate/server"
)

// Contract holds a CallCounter (the memory store, Redis) to the
// contract of Admit, on a clock the test moves. Keys are made unique per
// call of the function so a shared store can run it again.
func Contract(t *testing.T, c server.CallCounter, prefix string) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	caller := server.Window{Key: prefix + "caller", Span: 10 * time.Minute, Max: 3, Enforce: true}
	site := server.Window{Key: prefix + "site", Span: time.Hour, Max: 5, Enforce: true}
	admit := func(at time.Duration, ws ...server.Window) int {
		t.Helper()
		full, err := c.Admit(ctx, t0.Add(at), ws)
		if err != nil {
			t.Fatal(err)
		}
		return full
	}
	// Three calls pass, the fourth and fifth are refused: the caller's
	// window (index 0) is full.
	for i, want := range []int{-1, -1, -1, 0, 0} {
		if got := admit(time.Duration(i)*time.Minute, caller, site); got != want {
			t.Fatalf("call %d at +%dm: Admit = %d, want %d", i, i, got, want)
		}
	}
	// The window slides: at +10m the first call (at +0) has left it;
	// the refused calls took nothing, so exactly one more passes.
	if got := admit(10*time.Minute, caller, site); got != -1 {
		t.Fatalf("at +10m: Admit = %d, want -1 (the first call left the window)", got)
	}
	if got := admit(10*time.Minute+time.Second, caller, site); got != 0 {
		t.Fatalf("at +10m1s: Admit = %d, want 0 (calls at +1m, +2m, +10m)", got)
	}
	// The site's window: 4 calls so far; another caller makes the fifth,
	// then the site is full (index 1), and a refusal records nothing in
	// the other caller's window either.
	other := server.Window{Key: prefix + "other", Span: 10 * time.Minute, Max: 3, Enforce: true}
	if got := admit(11*time.Minute, other, site); got != -1 {
		t.Fatalf("other caller: Admit = %d, want -1", got)
	}
	if got := admit(12*time.Minute, other, site); got != 1 {
		t.Fatalf("other caller, site full: Admit = %d, want 1", got)
	}
	if got := admit(12*time.Minute, other); got != -1 {
		t.Fatalf("other caller alone: Admit = %d, want -1", got)
	}
	if got := admit(12*time.Minute, other); got != -1 {
		t.Fatalf("other caller alone, 3rd call: Admit = %d, want -1 (the site's refusal recorded nothing)", got)
	}
	if got := admit(12*time.Minute, other); got != 0 {
		t.Fatalf("other caller alone, 4th call: Admit = %d, want 0", got)
	}
	// A window not enforced records, and is checked once enforced.
	night := server.Window{Key: prefix + "night", Span: time.Hour, Max: 2}
	for i := range 4 {
		if got := admit(time.Duration(20+i)*time.Minute, night); got != -1 {
			t.Fatalf("unenforced call %d: Admit = %d, want -1", i, got)
		}
	}
	night.Enforce = true
	if got := admit(25*time.Minute, night); got != 0 {
		t.Fatalf("enforced after 4 recorded: Admit = %d, want 0", got)
	}
	// Long after: every window is empty again.
	if got := admit(3*time.Hour, caller, site, other, night); got != -1 {
		t.Fatalf("3h later: Admit = %d, want -1", got)
	}
}

// Contention makes 64 concurrent calls on one counter of 10: exactly 10
// must pass (the check and the record are one step), spread over cs (two
// replicas' connections to one Redis).
func Contention(t *testing.T, key string, cs ...server.CallCounter) {
	now := time.Now()
	w := []server.Window{{Key: key, Span: time.Hour, Max: 10, Enforce: true}, {Key: key + ":site", Span: time.Hour, Max: 1000, Enforce: true}}
	var passed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 64 {
		c := cs[i%len(cs)]
		wg.Go(func() {
			<-start
			full, err := c.Admit(context.Background(), now, w)
			if err != nil {
				t.Error(err)
			}
			if full < 0 {
				passed.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := passed.Load(); n != 10 {
		t.Fatalf("%d of 64 concurrent calls passed a limit of 10", n)
	}
}
