package engine

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	wapi "github.com/tetratelabs/wazero/api"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/internal/abi"
)

// catastrophic is a tables document with a regex row that backtracks
// exponentially on a run of 1s. regexp2's match timeout stops it on both
// engines: in the wasm engine the pattern runs in the host.
const catastrophic = `{"tables":[{"name":"r","dialect":"regex","max_digits":60,"rows":[{"pattern":"^(1+)+2$","blocked":true},{"pattern":".*","blocked":false}]}]}`

// within fails the test instead of hanging when f does not return: a
// liveness check, not a speed assertion (the timeout is 50 ms; the bound is
// minutes away from it).
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s did not return: the regex timeout did not fire", what)
	}
}

func TestRegexTimeout(t *testing.T) {
	ctx := context.Background()
	num := strings.Repeat("1", 40)
	ref := newTestEngine(t, Native)
	es := engines(t, sizes(1, 1))
	for _, e := range es {
		t.Run(e.Kind().String(), func(t *testing.T) {
			// Inline: the timeout verdict, the native engine's.
			req := &api.DialRequest{Tables: api.TablesJSON([]byte(catastrophic)), Table: "r", Number: num}
			var d api.DialResult
			var err error
			within(t, "Dial", func() { d, err = e.Dial(ctx, req) })
			if err != nil || d.Reason != api.DialTimeout || d.Allowed {
				t.Fatalf("catastrophic regex through Dial = %+v, %v; want the timeout reason", d, err)
			}
			want, _ := ref.Dial(ctx, req)
			if !reflect.DeepEqual(d, want) {
				t.Fatalf("Dial = %+v\nnative %+v", d, want)
			}

			// Loaded, then by handle: the scalar path.
			info, err := e.LoadTables(ctx, api.TablesJSON([]byte(catastrophic)))
			if err != nil {
				t.Fatal(err)
			}
			var r DialVerdict
			within(t, "DialNumber", func() { r, err = e.DialNumber(ctx, info.Handle, 0, []byte(num)) })
			if err != nil || r.Reason != dialplan.ReasonTimeout || r.Allowed || r.Row != 0 {
				t.Fatalf("catastrophic regex through DialNumber = %+v, %v; want blocked, timeout at row 0", r, err)
			}

			// The instance stays usable: a harmless number on the same
			// table, then another operation, on the one pooled instance.
			if r, err = e.DialNumber(ctx, info.Handle, 0, []byte("13")); err != nil || !r.Allowed || r.Row != 1 {
				t.Fatalf("DialNumber(13) after the timeout = %+v, %v; want allowed by row 1", r, err)
			}
			if _, err := e.CheckPIN(ctx, &api.PINRequest{PIN: "135792"}); err != nil {
				t.Fatal(err)
			}
		})
	}
	// One instance per pool: the inline document and the load ran in the
	// heavy pool, the scalar dials and the PIN check in the main one.
	if s := stats(es[1]); s.Discarded != 0 || s.Created != 2 {
		t.Errorf("wasm stats %+v: a regex timeout must not cost the instance", s)
	}
}

// TestRegexCompileError: a pattern regexp2 refuses gives the same error
// as native, with regexp2's message in full.
func TestRegexCompileError(t *testing.T) {
	ctx := context.Background()
	es := engines(t, sizes(1, 1))
	long := strings.Repeat("(1", 200) // unbalanced, and a message longer than 256 bytes
	for _, pat := range []string{`(12`, `[9-1]`, long} {
		doc := api.TablesJSON([]byte(`{"tables":[{"name":"r","dialect":"regex","rows":[{"pattern":"` + pat + `","blocked":true},{"pattern":".*"}]}]}`))
		_, werr := es[1].LoadTables(ctx, doc)
		_, nerr := es[0].LoadTables(ctx, doc)
		if nerr == nil || sameError(werr, nerr) != "" {
			t.Errorf("pattern %.20q: wasm %v\nnative %v", pat, werr, nerr)
		}
	}
}

// TestRegexRegistry: ids are per instance, the same text reuses its id,
// and an instance's patterns are forgotten when it is closed.
func TestRegexRegistry(t *testing.T) {
	ctx := context.Background()
	w := newTestWasm(t, sizes(1, 1))
	before := regexes.len()
	x, err := w.c.instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if regexes.len() != before+1 {
		t.Fatalf("registry holds %d instances, want %d", regexes.len(), before+1)
	}
	lint := []byte(`{"tables":{"tables":[{"name":"r","dialect":"regex","rows":[{"pattern":"^9","blocked":true},{"pattern":"^9"},{"pattern":".*"}]}]}}`)
	for range 3 { // inline, compiled and cached; then by text again
		if _, ok, fault := x.do(ctx, "lint", lint); !ok || fault != nil {
			t.Fatal(ok, fault)
		}
	}
	if got := len(x.rs.res); got != 2 {
		t.Errorf("instance holds %d compiled patterns, want 2 (^9 and .*)", got)
	}
	// A second instance shares the compiled patterns.
	shared := sharedRegexes.len()
	y, err := w.c.instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, fault := y.do(ctx, "lint", lint); !ok || fault != nil {
		t.Fatal(ok, fault)
	}
	if len(y.rs.res) != 2 || y.rs.res[0] != x.rs.res[0] || sharedRegexes.len() != shared {
		t.Errorf("a second instance compiled its own copies (%d shared patterns, %d before)", sharedRegexes.len(), shared)
	}
	x.close()
	y.close()
	if regexes.len() != before {
		t.Errorf("closing the instances left their patterns in the registry")
	}
	if sharedRegexes.len() != shared-2 {
		t.Errorf("%d shared patterns after both instances closed, want %d", sharedRegexes.len(), shared-2)
	}
}

// regexRows is a regex tables document of n distinct patterns, from 0.
func regexRows(name string, from, n int) api.TablesRef {
	var b strings.Builder
	b.WriteString(`{"tables":[{"name":"` + name + `","dialect":"regex","max_digits":20,"rows":[`)
	for i := from; i < from+n; i++ {
		b.WriteString(`{"pattern":"^` + strconv.Itoa(i) + `$","blocked":true},`)
	}
	b.WriteString(`{"pattern":".*"}]}]}`)
	return api.TablesJSON([]byte(b.String()))
}

// TestRegexLimit: past MaxRegexPerInstance distinct patterns a load fails
// with a message naming the limit, and the instance is replaced so the
// next call works.
func TestRegexLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles MaxRegexPerInstance patterns")
	}
	ctx := context.Background()
	w := newTestWasm(t, sizes(1, 1))
	_, err := w.LoadTables(ctx, regexRows("r", 0, MaxRegexPerInstance+1))
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(MaxRegexPerInstance)+" distinct regular expressions") {
		t.Fatalf("loading %d patterns = %v; want the limit named", MaxRegexPerInstance+1, err)
	}
	if s := stats(w); s.Discarded != 1 {
		t.Fatalf("stats %+v: the instance at the limit should be discarded", s)
	}
	if _, err := w.LoadTables(ctx, api.TablesJSON([]byte(catastrophic))); err != nil {
		t.Fatalf("a load after the limit: %v", err)
	}
}

// TestRegexLimitAcrossDocuments: two documents that each fit within
// MaxRegexPerInstance but not together. The instance that holds the first
// reaches the limit loading the second; that is its state, not the
// document's, so the load is retried on a fresh instance, and both
// handles keep answering wherever they are used.
func TestRegexLimitAcrossDocuments(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles MaxRegexPerInstance patterns several times")
	}
	ctx := context.Background()
	w := newTestWasm(t, sizes(1, 1))
	n := MaxRegexPerInstance * 3 / 4
	a, err := w.LoadTables(ctx, regexRows("a", 0, n))
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.LoadTables(ctx, regexRows("b", n, n))
	if err != nil {
		t.Fatalf("the second document: %v", err)
	}
	for round := range 2 {
		for _, c := range []struct {
			h   api.Handle
			num string
		}{{a.Handle, "7"}, {b.Handle, strconv.Itoa(n + 7)}} {
			v, err := w.DialNumber(ctx, c.h, 0, []byte(c.num))
			if err != nil || v.Allowed || v.Row != 7 {
				t.Fatalf("round %d: DialNumber(%d, %s) = %+v, %v; want blocked by row 7", round, c.h, c.num, v, err)
			}
		}
	}
	if m, h := w.Pools()[0], w.Pools()[1]; m.Discarded == 0 || h.Discarded == 0 {
		t.Errorf("pools %+v %+v: no instance reached the limit; the test proves nothing", m, h)
	}
}

// sliceMem is a guest memory of a fixed size, for calling the imports
// directly.
type sliceMem []byte

func (m sliceMem) Read(off, n uint32) ([]byte, bool) {
	if uint64(off)+uint64(n) > uint64(len(m)) {
		return nil, false
	}
	return m[off : off+n], true
}

func (m sliceMem) Write(off uint32, b []byte) bool {
	if uint64(off)+uint64(len(b)) > uint64(len(m)) {
		return false
	}
	copy(m[off:], b)
	return true
}

// FuzzRegexImports calls regex_compile and regex_match with arbitrary
// pointers, lengths, ids and bytes against a small memory. The host must
// never panic, answers stay in their ranges, and an error message never
// lands outside [err_ptr, err_ptr+err_cap).
func FuzzRegexImports(f *testing.F) {
	f.Add([]byte("^9011\x0090111"), uint32(0), uint32(5), uint32(64), uint32(32), int32(0), uint32(6), uint32(5))
	f.Add([]byte("(12"), uint32(0), uint32(3), uint32(8), uint32(4), int32(0), uint32(0), uint32(0))
	f.Add([]byte("x"), uint32(0xfffffff0), uint32(0x20), uint32(0xffffffff), uint32(0xffffffff), int32(-1), uint32(0xffffffff), uint32(1))
	f.Fuzz(func(t *testing.T, data []byte, patPtr, patLen, errPtr, errCap uint32, id int32, inPtr, inLen uint32) {
		key := new(int) // a fresh instance
		defer regexes.drop(key)
		mem := make(sliceMem, 128)
		copy(mem, data)
		snapshot := append(sliceMem(nil), mem...)
		r := regexCompile(key, mem, patPtr, patLen, errPtr, errCap)
		if r < 0 {
			n := uint32(-(r + 1))
			if n > errCap {
				t.Fatalf("message of %d bytes for err_cap %d", n, errCap)
			}
			for i := range mem {
				inside := uint64(i) >= uint64(errPtr) && uint64(i) < uint64(errPtr)+uint64(n)
				if !inside && mem[i] != snapshot[i] {
					t.Fatalf("byte %d written outside the error buffer [%d, +%d)", i, errPtr, n)
				}
			}
		} else if r != 0 {
			t.Fatalf("first id of a fresh instance = %d, want 0", r)
		}
		for _, x := range []int32{id, r} {
			m := regexMatch(key, mem, x, inPtr, inLen)
			known := r == 0 && x == 0 // the only id this instance has
			if known && (m < abi.RegexNoMatch || m > abi.RegexTimeout) || !known && m != abi.RegexNoID {
				t.Fatalf("regex_match(id %d) = %d after regex_compile gave %d", x, m, r)
			}
		}
		if m := regexMatch(new(int), mem, 0, 0, 0); m != abi.RegexNoID {
			t.Fatalf("regex_match from an unknown instance = %d, want no_id", m)
		}
	})
}

// TestModuleImports: the committed module imports exactly the two regex
// functions from abi.ImportModule, with the signatures docs/abi.md gives,
// and otherwise only WASI.
func TestModuleImports(t *testing.T) {
	w := newTestWasm(t, sizes(1, 1))
	want := map[string]int{abi.ImportRegexCompile: 4, abi.ImportRegexMatch: 3}
	for _, f := range w.c.cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		switch mod {
		case "wasi_snapshot_preview1":
			continue
		case abi.ImportModule:
		default:
			t.Errorf("the module imports %s.%s", mod, name)
			continue
		}
		n, ok := want[name]
		if !ok {
			t.Errorf("the module imports %s.%s, which the ABI does not define", mod, name)
			continue
		}
		delete(want, name)
		params, results := f.ParamTypes(), f.ResultTypes()
		ok = len(params) == n && len(results) == 1 && results[0] == wapi.ValueTypeI32
		for _, p := range params {
			ok = ok && p == wapi.ValueTypeI32
		}
		if !ok {
			t.Errorf("%s.%s has params %v results %v; want %d i32 params and one i32 result", mod, name, params, results, n)
		}
	}
	for name := range want {
		t.Errorf("the module does not import %s.%s", abi.ImportModule, name)
	}
}
