package engine

import (
	"context"
	"reflect"
	"runtime"
	"sync"
	"testing"

	"github.com/tollgate/tollgate/api"
)

// heapAfterGC is the live heap.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// nativeGrowth is how much the live heap grows when a native engine of
// workers workers loads a 3 000-row tables document and dials on it from
// workers goroutines at once.
func nativeGrowth(t *testing.T, doc api.TablesRef, workers int) (uint64, api.Handle) {
	ctx := context.Background()
	before := heapAfterGC()
	e, err := New(ctx, Options{Kind: Native, PoolSize: workers, HeavySize: workers})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	handles := make([]api.Handle, workers)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			info, err := e.LoadTables(ctx, doc)
			if err != nil {
				t.Error(err)
				return
			}
			handles[g] = info.Handle
			for range 200 {
				if _, err := e.DialNumber(ctx, info.Handle, 0, []byte("900079195")); err != nil {
					t.Error(err)
					return
				}
				if _, err := e.Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(info.Handle), Number: "90007919"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, h := range handles {
		if h != handles[0] {
			t.Fatalf("concurrent loads of one document gave handles %v", handles)
		}
	}
	after := heapAfterGC()
	runtime.KeepAlive(e)
	if after < before {
		return 0, handles[0]
	}
	return after - before, handles[0]
}

// TestNativeSharedCompiledState (issue 15 target): a native engine of 16
// workers, loading a 3 000-row table and dialing on it from 16 goroutines,
// grows the heap within 1.2× of what one worker does: the document is
// compiled once, by one load (the others wait and count a reference), and
// every call shares it. The old engine kept a session per worker and
// compiled every document in each (+24 MiB with 16 workers).
func TestNativeSharedCompiledState(t *testing.T) {
	doc := api.TablesJSON(rowsTables(0, 3000))
	nativeGrowth(t, doc, 1) // warm: built-in profiles, the regex clock, pools
	one, _ := nativeGrowth(t, doc, 1)
	// The least of three: the heap is the process's, and what an earlier
	// test's goroutines still free or allocate shows in one measurement.
	sixteen, _ := nativeGrowth(t, doc, 16)
	for range 2 {
		g, _ := nativeGrowth(t, doc, 16)
		sixteen = min(sixteen, g)
	}
	t.Logf("heap growth: %d bytes with 1 worker, %d with 16 (%.2f×)", one, sixteen, float64(sixteen)/float64(one))
	if one < 100_000 {
		t.Fatalf("one worker grew the heap by %d bytes: the table was not kept, the test proves nothing", one)
	}
	if float64(sixteen) > 1.2*float64(one) {
		t.Errorf("16 workers grew the heap by %d bytes, over 1.2× one worker's %d", sixteen, one)
	}
	// One compiled set behind the handle, whoever asks.
	ctx := context.Background()
	n := newTestEngine(t, Native, sizes(16, 16)).(*native)
	info, err := n.LoadTables(ctx, doc)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := n.s.Tables(info.Handle)
	again, _ := n.LoadTables(ctx, doc)
	set2, _ := n.s.Tables(again.Handle)
	if again.Handle != info.Handle || set != set2 {
		t.Errorf("loading the document again gave handle %d (first %d) and another compiled set", again.Handle, info.Handle)
	}
}

// TestDialZeroAllocs (issue 15 target): the dial path allocates nothing
// for a number without separators: the native engine's DialNumber and
// typed Dial by handle, and api.Session.Dial itself; the wasm engine's
// DialNumber too (its hot path is written out to avoid a closure).
func TestDialZeroAllocs(t *testing.T) {
	ctx := context.Background()
	number := []byte("14155551234")
	s := api.NewSession()
	sinfo, err := s.LoadTables(ctx, api.BuiltinTables("recommended"))
	if err != nil {
		t.Fatal(err)
	}
	sreq := &api.DialRequest{Tables: api.TablesHandle(sinfo.Handle), Table: "Recommended Outdial", Number: string(number)}
	if a := testing.AllocsPerRun(1000, func() { s.Dial(ctx, sreq) }); a != 0 {
		t.Errorf("api.Session.Dial: %.1f allocations per call, want 0", a)
	}
	for _, e := range engines(t, sizes(1, 1)) {
		info, err := e.LoadTables(ctx, api.BuiltinTables("recommended"))
		if err != nil {
			t.Fatal(err)
		}
		ti, err := e.TableIndex(ctx, info.Handle, "Recommended Outdial", "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.DialNumber(ctx, info.Handle, ti, number); err != nil { // the lazy load, once
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(1000, func() { e.DialNumber(ctx, info.Handle, ti, number) }); a != 0 {
			t.Errorf("%s: DialNumber: %.1f allocations per call, want 0", e.Kind(), a)
		}
		if e.Kind() == Native {
			req := &api.DialRequest{Tables: api.TablesHandle(info.Handle), Table: "Recommended Outdial", Number: string(number)}
			if a := testing.AllocsPerRun(1000, func() { e.Dial(ctx, req) }); a != 0 {
				t.Errorf("native: Dial: %.1f allocations per call, want 0", a)
			}
			d, _ := e.Dial(ctx, req)
			want, _ := s.Dial(ctx, sreq)
			if !reflect.DeepEqual(d, want) {
				t.Errorf("native Dial %+v, session %+v", d, want)
			}
		}
	}
}
