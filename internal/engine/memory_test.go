package engine

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/api"
)

// rowsTables is a tables document of one table with n blocked prefix rows
// (distinct for each k) and a catch-all: each load keeps its compiled
// automaton alive in the instance that loaded it.
func rowsTables(k, n int) []byte {
	rows := make([]string, 0, n+1)
	for i := range n {
		rows = append(rows, fmt.Sprintf(`{"pattern":"9%07d*","blocked":true}`, (i*7919+k*104729)%10000000))
	}
	rows = append(rows, `{"pattern":"*","blocked":false}`)
	return []byte(fmt.Sprintf(`{"tables":[{"name":"t%d","rows":[%s]}]}`, k, strings.Join(rows, ",")))
}

// TestMemoryCapWithRealLoads keeps loading tables into one instance under
// a 64 MiB cap. The guest runs with GOMEMLIMIT at three quarters of the
// cap, so its collector tightens before the heap reaches it: without
// that, GOGC 400 let the heap grow into the cap after 7 loads; with it,
// 22 fit. When the live set finally does not fit, the load traps in that
// instance, which is discarded, and the load is answered from a fresh
// one: no load fails.
func TestMemoryCapWithRealLoads(t *testing.T) {
	if testing.Short() {
		t.Skip("loads tables until the guest's memory is exhausted")
	}
	ctx := context.Background()
	w := newTestWasm(t, sizes(1, 1), pages(1024))
	fit := 0
	for k := range 200 {
		if _, err := w.LoadTables(ctx, api.TablesJSON(rowsTables(k, 3000))); err != nil {
			t.Fatalf("load %d: %v; a load that does not fit beside the others is retried on a fresh instance", k, err)
		}
		if w.Pools()[1].Discarded > 0 {
			break
		}
		fit++
	}
	if fit < 15 {
		t.Errorf("only %d tables loads fit in 64 MiB; GOMEMLIMIT should leave room for about 20", fit)
	}
	if fit == 200 {
		t.Fatal("memory never ran out: the cap is not enforced")
	}
	if h := w.Pools()[1]; h.Discarded != 1 || h.Created != 2 {
		t.Errorf("heavy pool %+v: want the full instance discarded once and replaced", h)
	}
	okCall(t, w)
}

// TestNeverFailsForGood (issue 15 item 6): load more tables than one
// instance's memory can hold at once, then use every handle, twice over,
// through a pool of one instance per pool. Instances fill up, trap while
// loading, and are replaced by ones that load only what their calls
// need: every call succeeds, with the native engine's answer. (With the
// old replay log every new instance replayed every load, trapped, and the
// engine failed until it was recreated.)
func TestNeverFailsForGood(t *testing.T) {
	if testing.Short() {
		t.Skip("fills instances with tables until they trap")
	}
	ctx := context.Background()
	// 20 MiB holds a few of these documents (a load's peak is several
	// times what it keeps; the heavy instance loads no data artifact, none
	// is needed), and one always: under 16 MiB a fresh instance sometimes
	// could not load even one.
	const docs = 10
	w := newTestWasm(t, sizes(1, 1), pages(320))
	n := newTestEngine(t, Native)
	var wh, nh [docs]api.Handle
	for k := range docs {
		doc := api.TablesJSON(rowsTables(k, 3000))
		wi, err := w.LoadTables(ctx, doc)
		if err != nil {
			t.Fatalf("load %d: %v", k, err)
		}
		ni, err := n.LoadTables(ctx, doc)
		if err != nil {
			t.Fatal(err)
		}
		wh[k], nh[k] = wi.Handle, ni.Handle
	}
	if h := w.Pools()[1]; h.Discarded == 0 {
		t.Fatalf("heavy pool %+v: every document fit in one instance; the test proves nothing", h)
	}
	numbers := []string{"9" + fmt.Sprintf("%07d", 7919) + "55", "5551234"}
	// Round 0 reaches each handle first through DialNumber (the scalar
	// path, written out apart from the other calls), round 1 through Dial:
	// each has to load the document into an instance that may be full.
	for round := range 2 {
		for k := range docs {
			for _, num := range numbers {
				dial := func() {
					got, err := w.Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(wh[k]), Number: num})
					want, nerr := n.Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(nh[k]), Number: num})
					if err != nil || nerr != nil || !reflect.DeepEqual(got, want) {
						t.Fatalf("round %d, tables %d, %s: wasm %+v (%v), native %+v (%v)", round, k, num, got, err, want, nerr)
					}
				}
				if round == 1 {
					dial()
				}
				gv, err := w.DialNumber(ctx, wh[k], 0, []byte(num))
				wv, _ := n.DialNumber(ctx, nh[k], 0, []byte(num))
				if err != nil || gv != wv {
					t.Fatalf("round %d, tables %d, DialNumber(%s): wasm %+v (%v), native %+v", round, k, num, gv, err, wv)
				}
				if round == 0 {
					dial()
				}
			}
		}
	}
	if m := w.Pools()[0]; m.Discarded == 0 {
		t.Errorf("main pool %+v: its one instance held every document; the test proves nothing", m)
	}
	okCall(t, w)
	t.Logf("pools %+v", w.Pools())
}
