package host

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestHandlesAcrossInstances loads a policy and a tables set once, then
// uses the handles from many goroutines so that every pooled instance
// serves calls: each must have replayed the loads and answer like native.
func TestHandlesAcrossInstances(t *testing.T) {
	ctx := context.Background()
	const size = 4
	w := newTestWasm(t, Options{Instances: size})
	n := NewNative(Options{Instances: size})
	for _, e := range []Engine{w, n} {
		// A first load on each engine so the handles under test are not 0.
		if _, err := e.LoadPolicy(ctx, []byte(`"cucm"`)); err != nil {
			t.Fatal(err)
		}
	}
	ph, err := w.LoadPolicy(ctx, []byte(`{"extends":"cuc","pin":{"min_length":8}}`))
	if err != nil {
		t.Fatal(err)
	}
	th, err := w.LoadTables(ctx, []byte(`"recommended"`))
	if err != nil {
		t.Fatal(err)
	}
	if nph, _ := n.LoadPolicy(ctx, []byte(`{"extends":"cuc","pin":{"min_length":8}}`)); nph != ph {
		t.Fatalf("policy handles differ: wasm %d, native %d", ph, nph)
	}
	if nth, _ := n.LoadTables(ctx, []byte(`"recommended"`)); nth != th {
		t.Fatalf("tables handles differ: wasm %d, native %d", th, nth)
	}
	reqs := []struct{ op, req string }{
		{"pin", fmt.Sprintf(`{"policy":%d,"pin":"1357924"}`, ph)},
		{"pin", fmt.Sprintf(`{"policy":%d,"pin":"13579246"}`, ph)},
		{"dial", fmt.Sprintf(`{"tables":%d,"table":"Recommended Outdial","number":"99 9011 44 20 7946 0000"}`, th)},
		{"dial", fmt.Sprintf(`{"tables":%d,"cos":"Recommended","feature":"transfer","number":"5551234"}`, th)},
	}
	// Hold every instance at once, so that each one (the later ones fresh,
	// with no loads) must catch up with the log to answer.
	var held []worker
	for range size {
		wk, err := w.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, wk)
	}
	for i, wk := range held {
		for _, r := range reqs {
			got, _, fault := w.run(ctx, wk, r.op, []byte(r.req))
			want, _ := n.Do(ctx, r.op, []byte(r.req))
			if fault != nil || string(got) != string(want) {
				t.Fatalf("instance %d: %s %s: wasm %s (%v), native %s", i, r.op, r.req, got, fault, want)
			}
		}
	}
	for _, wk := range held {
		w.put(wk, false)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				r := reqs[(g+i)%len(reqs)]
				got, err1 := w.Do(ctx, r.op, []byte(r.req))
				want, err2 := n.Do(ctx, r.op, []byte(r.req))
				if err1 != nil || err2 != nil || string(got) != string(want) {
					errc <- fmt.Errorf("%s %s: wasm %s (%v), native %s (%v)", r.op, r.req, got, err1, want, err2)
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
	// The main pool's instances, and the heavy pool's one, which ran the
	// tables.load.
	if s := w.Stats(); s.Created != size+1 || s.Discarded != 0 {
		t.Errorf("pool stats %+v: want %d instances created and none discarded", s, size+1)
	}
}
