package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/conformance"
)

// loadCase is one call of the load test and what a native session
// answers.
type loadCase struct {
	op       string
	req, ref []byte
}

// loadMix runs the corpus in order on e and on a native session (so
// handles agree) and returns the cheap, deterministic cases as a mix.
// Loads are in it: the engine's handles are content-addressed, so a load
// of a document it holds answers the same handle every time.
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
	ref, again := testSession(t), testSession(t)
	ctx := context.Background()
	var mix []loadCase
	for _, c := range cases {
		start := time.Now()
		r, _ := ref.Do(c.Op, c.Request, nil)
		cost := time.Since(start)
		r2, _ := again.Do(c.Op, c.Request, nil)
		got, err := api.Do(ctx, e, c.Op, c.Request, nil)
		if errors.As(err, new(*Fault)) {
			t.Fatalf("%s: %v", c.ID(), err)
		}
		if !bytes.Equal(got, r) {
			t.Fatalf("%s: %s, native %s", c.ID(), got, r)
		}
		// Key-stretching schemes cost milliseconds each: they would make
		// 100 000 calls a benchmark, not a concurrency test. A case
		// about a handle that names nothing would name one of the
		// documents the test loads meanwhile.
		if !bytes.Equal(r, r2) || cost > 200*time.Microsecond || bytes.Contains(r, []byte("no loaded ")) {
			continue
		}
		mix = append(mix, loadCase{op: c.Op, req: c.Request, ref: r})
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
// every corpus operation through the JSON adapter, the scalar DialNumber
// path, and documents loaded, used and unloaded while other calls run,
// so that instances keep loading lazily and pruning.
func TestLoad(t *testing.T) {
	calls := 100_000
	if testing.Short() {
		calls = 10_000
	}
	ctx := context.Background()
	w := newTestWasm(t, sizes(4, 2))
	mix := loadMix(t, w)
	n := newTestEngine(t, Native)
	nums := dialNumbers()
	wi, err := w.LoadTables(ctx, api.BuiltinTables("recommended"))
	if err != nil {
		t.Fatal(err)
	}
	ni, _ := n.LoadTables(ctx, api.BuiltinTables("recommended"))
	wantDial := make([]DialVerdict, len(nums))
	for i, num := range nums {
		if wantDial[i], err = n.DialNumber(ctx, ni.Handle, 1, num); err != nil {
			t.Fatal(err)
		}
	}
	held := len(w.reg.docs)
	const workers = 8
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for k := range calls / workers {
				switch r := rng.IntN(100); {
				case r < 25:
					i := rng.IntN(len(nums))
					got, err := w.DialNumber(ctx, wi.Handle, 1, nums[i])
					if err != nil || got != wantDial[i] {
						errc <- fmt.Errorf("DialNumber %q: wasm %+v (%v), native %+v", nums[i], got, err, wantDial[i])
						return
					}
				case r < 26:
					// A document of this goroutine's own: loaded, used on a
					// main instance, unloaded.
					doc := api.TablesJSON([]byte(`{"tables":[{"name":"g","rows":[{"pattern":"9` + strconv.Itoa(g) + strconv.Itoa(k) + `*","blocked":true},{"pattern":"*"}]}]}`))
					info, err := w.LoadTables(ctx, doc)
					if err != nil {
						errc <- err
						return
					}
					v, err := w.DialNumber(ctx, info.Handle, 0, []byte("9"+strconv.Itoa(g)+strconv.Itoa(k)+"1"))
					if err != nil || v.Allowed {
						errc <- fmt.Errorf("own document: %+v, %v", v, err)
						return
					}
					if err := w.Unload(ctx, info.Handle); err != nil {
						errc <- err
						return
					}
					if _, err := w.DialNumber(ctx, info.Handle, 0, []byte("1")); !errors.Is(err, ErrNoTable) {
						errc <- fmt.Errorf("an unloaded document answered: %v", err)
						return
					}
				default:
					c := &mix[rng.IntN(len(mix))]
					got, err := api.Do(ctx, w, c.op, c.req, nil)
					// A regex row's 50 ms match timeout can fire on a
					// machine starved by the race detector and the other
					// goroutines: that answer is tried again, not judged.
					for try := 0; try < 3 && err == nil && bytes.Contains(got, []byte(`"reason":"timeout"`)) && !bytes.Equal(got, c.ref); try++ {
						got, err = api.Do(ctx, w, c.op, c.req, nil)
					}
					if errors.As(err, new(*Fault)) {
						errc <- errors.New(c.op + ": " + err.Error())
						return
					}
					if !bytes.Equal(got, c.ref) {
						errc <- errors.New(c.op + ": wasm answered\n  " + string(got) + "\nnative answered\n  " + string(c.ref))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	for _, p := range w.Pools() {
		if p.Discarded != 0 || p.Created > int64(p.Size) {
			t.Errorf("pool %+v: no instance should be discarded or exceed the pool size", p)
		}
	}
	// Every document the goroutines loaded is gone again.
	w.reg.mu.Lock()
	defer w.reg.mu.Unlock()
	if len(w.reg.docs) != held || len(w.reg.byKey) != held {
		t.Errorf("the registry holds %d documents (%d keys), want the %d loaded before", len(w.reg.docs), len(w.reg.byKey), held)
	}
}
