package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/conformance"
)

// loadCase is one call of the load test and what the native core answers.
type loadCase struct {
	op       string
	req, ref []byte
	load     bool // a handle-allocating load: its handle number varies
}

// loadMix runs the corpus in order on e and on a native session (so
// handles agree) and returns the cheap, deterministic cases as a mix.
func loadMix(t *testing.T, e Engine) []loadCase {
	t.Helper()
	dir, err := conformance.Dir()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := conformance.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	excs, err := conformance.LoadExceptions(dir)
	if err != nil {
		t.Fatal(err)
	}
	excepted := map[string]bool{} // cases the module is known not to answer alike
	for _, x := range excs {
		if x.Engine == "wasm" {
			excepted[x.Case] = true
		}
	}
	ref, again := api.NewSession(), api.NewSession()
	var mix []loadCase
	for _, c := range cases {
		if excepted[c.ID()] {
			continue
		}
		start := time.Now()
		r, _ := ref.Do(c.Op, c.Request, nil)
		cost := time.Since(start)
		r2, _ := again.Do(c.Op, c.Request, nil)
		if _, err := e.Do(context.Background(), c.Op, c.Request); errors.As(err, new(*Fault)) {
			t.Fatalf("%s: %v", c.ID(), err)
		}
		// Key-stretching schemes cost milliseconds each: they would make
		// 100 000 calls a benchmark, not a concurrency test.
		if !bytes.Equal(r, r2) || cost > 200*time.Microsecond {
			continue
		}
		mix = append(mix, loadCase{op: c.Op, req: c.Request, ref: r, load: loadOps[c.Op]})
	}
	// The corpus has hundreds of cheap cases; a handful means the filter
	// above or the corpus broke, not that there is nothing to test.
	if len(mix) < 50 {
		t.Fatalf("only %d cheap deterministic cases in the corpus", len(mix))
	}
	return mix
}

// TestLoad makes 100 000 mixed calls from 8 goroutines on one wasm engine
// (run it with -race) and demands every answer equal the native core's:
// every corpus operation through Do, and the scalar Dial path.
// Loads are part of the mix, so instances keep replaying the handle log
// while others serve calls.
func TestLoad(t *testing.T) {
	calls := 100_000
	if testing.Short() {
		calls = 10_000
	}
	w := newTestWasm(t, Options{Instances: 4})
	mix := loadMix(t, w)
	// A quarter of the calls take the scalar dial path instead, checked
	// against the native engine's answers.
	ctx := context.Background()
	n := NewNative(Options{})
	nums := dialNumbers()
	wh, err := w.LoadTables(ctx, []byte(`"recommended"`))
	if err != nil {
		t.Fatal(err)
	}
	nh, _ := n.LoadTables(ctx, []byte(`"recommended"`))
	wantDial := make([]DialResult, len(nums))
	for i, num := range nums {
		if wantDial[i], err = n.Dial(ctx, nh, 1, num); err != nil {
			t.Fatal(err)
		}
	}
	const workers = 8
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range calls / workers {
				if rng.IntN(4) == 0 {
					i := rng.IntN(len(nums))
					got, err := w.Dial(ctx, wh, 1, nums[i])
					if err != nil || got != wantDial[i] {
						errc <- fmt.Errorf("Dial %q: wasm %+v (%v), native %+v", nums[i], got, err, wantDial[i])
						return
					}
					continue
				}
				c := &mix[rng.IntN(len(mix))]
				got, err := w.Do(context.Background(), c.op, c.req)
				if errors.As(err, new(*Fault)) {
					errc <- errors.New(c.op + ": " + err.Error())
					return
				}
				if !c.load && !bytes.Equal(got, c.ref) {
					errc <- errors.New(c.op + ": wasm answered\n  " + string(got) + "\nnative answered\n  " + string(c.ref))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if s := w.Stats(); s.Discarded != 0 || s.Created > int64(s.Size) {
		t.Errorf("pool stats %+v: no instance should be discarded or exceed the pool size", s)
	}
}
