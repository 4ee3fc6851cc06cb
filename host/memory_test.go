package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestMemoryCapWithRealLoads keeps loading tables (each load keeps its
// compiled automaton alive in the instance) under a 64 MiB cap. The guest
// runs with GOMEMLIMIT at three quarters of the cap, so its collector
// tightens before the heap reaches it: without that, GOGC 400 let the heap
// grow into the cap after 7 loads; with it, 22. When the live set finally
// does not fit, the call traps, the instance is discarded, and the engine
// answers the next call.
func TestMemoryCapWithRealLoads(t *testing.T) {
	if testing.Short() {
		t.Skip("loads tables until the guest's memory is exhausted")
	}
	ctx := context.Background()
	var rows []string
	for i := range 3000 {
		rows = append(rows, fmt.Sprintf(`{"pattern":"9%07d*","blocked":true}`, i*7919%10000000))
	}
	rows = append(rows, `{"pattern":"*","blocked":false}`)
	w := newTestWasm(t, Options{Instances: 1, MemoryLimitPages: 1024})
	loads := 0
	for k := range 200 {
		doc := fmt.Sprintf(`{"tables":[{"name":"t%d","rows":[%s]}]}`, k, strings.Join(rows, ","))
		_, err := w.Do(ctx, "tables.load", []byte(doc))
		if err == nil {
			loads++
			continue
		}
		var f *Fault
		if !errors.As(err, &f) || f.Status != "trap" {
			t.Fatalf("load %d: %v, want a trap when memory runs out", k, err)
		}
		break
	}
	if loads < 15 {
		t.Errorf("only %d tables loads fit in 64 MiB; GOMEMLIMIT should leave room for about 20", loads)
	}
	if loads == 200 {
		t.Fatal("memory never ran out: the cap is not enforced")
	}
	if w.Stats().Discarded != 1 {
		t.Errorf("stats %+v: the trapped instance should be discarded", w.Stats())
	}
	// A replacement instance must replay every successful load before it
	// answers, and here that live set no longer fits either: the engine
	// must fail cleanly (a Fault, no hang, no crash) rather than answer
	// without the handles. docs/host.md says what an operator does.
	_, err := w.Do(ctx, "pin", []byte(`{"pin":"135792"}`))
	if err != nil && !errors.As(err, new(*Fault)) {
		t.Fatalf("the call after exhaustion: %v", err)
	}
}
