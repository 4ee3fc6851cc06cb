package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/tollgate/tollgate/api"
)

// TestHandlesAcrossInstances loads a policy and a tables set once, then
// uses the handles from many goroutines so that every pooled instance
// serves calls: each loads what its calls need and answers like native.
func TestHandlesAcrossInstances(t *testing.T) {
	ctx := context.Background()
	const size = 4
	es := engines(t, sizes(size, 1))
	var ph, th [2]api.Handle
	for i, e := range es {
		// A first load so the handles under test are not 0.
		if _, err := e.LoadPolicy(ctx, api.Profile("cucm")); err != nil {
			t.Fatal(err)
		}
		p, err := e.LoadPolicy(ctx, api.PolicyJSON([]byte(`{"extends":"cuc","pin":{"min_length":8}}`)))
		if err != nil {
			t.Fatal(err)
		}
		tb, err := e.LoadTables(ctx, api.BuiltinTables("recommended"))
		if err != nil {
			t.Fatal(err)
		}
		ph[i], th[i] = p.Handle, tb.Handle
	}
	if ph[0] != ph[1] || th[0] != th[1] || ph[0] != 1 || th[0] != 2 {
		t.Fatalf("handles: policy %v, tables %v; want 1 and 2 on both engines", ph, th)
	}
	calls := []func(e Engine) (any, error){
		func(e Engine) (any, error) {
			return e.CheckPIN(ctx, &api.PINRequest{Policy: api.PolicyHandle(ph[0]), PIN: "1357924"})
		},
		func(e Engine) (any, error) {
			return e.CheckPIN(ctx, &api.PINRequest{Policy: api.PolicyHandle(ph[0]), PIN: "13579246"})
		},
		func(e Engine) (any, error) {
			return e.Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(th[0]), Table: "Recommended Outdial", Number: "99 9011 44 20 7946 0000"})
		},
		func(e Engine) (any, error) {
			return e.Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(th[0]), COS: "Recommended", Feature: "transfer", Number: "5551234"})
		},
		func(e Engine) (any, error) { return e.DialNumber(ctx, th[0], 1, []byte("14155551234")) },
	}
	// Hold every main instance but one, so that calls land on the one
	// left, then on fresh ones: each must load the handles it is given.
	w := es[1].(*wasmEngine)
	var held []*instance
	for range size - 1 {
		x, err := w.main.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, x)
	}
	for _, c := range calls {
		got, gerr := c(es[1])
		want, werr := c(es[0])
		if gerr != nil || werr != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("wasm %+v (%v), native %+v (%v)", got, gerr, want, werr)
		}
	}
	for _, x := range held {
		w.main.put(x, nil)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				c := calls[(g+i)%len(calls)]
				got, err1 := c(es[1])
				want, err2 := c(es[0])
				if err1 != nil || err2 != nil || !reflect.DeepEqual(got, want) {
					errc <- fmt.Errorf("wasm %+v (%v), native %+v (%v)", got, err1, want, err2)
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
	// At most size main instances, each loading lazily at most the two
	// documents its calls name, after the two first loads of policies;
	// the heavy instance loaded the tables set once.
	m, h := w.Pools()[0], w.Pools()[1]
	if m.Created > size || m.Discarded != 0 || m.Loads > 2+2*size || h.Loads != 1 {
		t.Errorf("pools %+v %+v: want at most %d main instances loading 2 documents each, none discarded", m, h, size)
	}
}

// TestContentAddressed: loading the same document again (by name, the
// default, the same text with other surrounding space) returns the same
// handle on both engines, the handles a native session gives, and on the
// wasm engine loads it into no instance again.
func TestContentAddressed(t *testing.T) {
	ctx := context.Background()
	doc := `{"tables":[{"name":"t","rows":[{"pattern":"9*","blocked":true},{"pattern":"*"}]}]}`
	loads := []func(o api.Operations) (api.Handle, error){
		func(o api.Operations) (api.Handle, error) {
			i, err := o.LoadPolicy(ctx, api.Profile("cuc"))
			return i.Handle, err
		},
		func(o api.Operations) (api.Handle, error) {
			i, err := o.LoadPolicy(ctx, api.PolicyRef{})
			return i.Handle, err
		},
		func(o api.Operations) (api.Handle, error) {
			i, err := o.LoadTables(ctx, api.TablesJSON([]byte(doc)))
			return i.Handle, err
		},
		func(o api.Operations) (api.Handle, error) {
			i, err := o.LoadTables(ctx, api.TablesJSON([]byte("\n  "+doc+"\t\n")))
			return i.Handle, err
		},
		// The name cuc as a JSON document is another key to a session
		// (a document's text, not a name's): the engines must agree.
		func(o api.Operations) (api.Handle, error) {
			i, err := o.LoadPolicy(ctx, api.PolicyJSON([]byte(`"cuc"`)))
			return i.Handle, err
		},
		func(o api.Operations) (api.Handle, error) {
			i, err := o.LoadTables(ctx, api.BuiltinTables("default"))
			return i.Handle, err
		},
		func(o api.Operations) (api.Handle, error) {
			i, err := o.LoadTables(ctx, api.TablesRef{})
			return i.Handle, err
		},
	}
	want := []api.Handle{0, 0, 1, 1, 2, 3, 3}
	ref := api.NewSession()
	es := engines(t, sizes(2, 1))
	for k, o := range append([]api.Operations{ref}, asOps(es)...) {
		for i, load := range loads {
			h, err := load(o)
			if err != nil || h != want[i] {
				t.Errorf("caller %d, load %d: handle %d, %v; want %d", k, i, h, err, want[i])
			}
		}
	}
	w := es[1].(*wasmEngine)
	before := stats(w).Loads
	if before != 4 {
		t.Errorf("%d loads into instances for 4 distinct documents", before)
	}
	for _, load := range loads {
		if _, err := load(w); err != nil {
			t.Fatal(err)
		}
	}
	if got := stats(w).Loads; got != before {
		t.Errorf("loading the same documents again loaded %d into instances, want none", got-before)
	}
}

// TestUnload: documents are refcounted; an unloaded handle answers the
// api's unknown-handle error on both engines, exactly as a session does,
// is never reused, and leaves every wasm instance that held it.
func TestUnload(t *testing.T) {
	ctx := context.Background()
	es := engines(t, sizes(2, 1))
	ref := api.NewSession()
	pdoc := api.PolicyJSON([]byte(`{"extends":"cuc","pin":{"min_length":8}}`))
	tdoc := api.TablesJSON([]byte(`{"tables":[{"name":"t","rows":[{"pattern":"9*","blocked":true},{"pattern":"*"}]}]}`))
	for _, o := range append([]api.Operations{ref}, asOps(es)...) {
		name := fmt.Sprintf("%T", o)
		p1, _ := o.LoadPolicy(ctx, pdoc)
		p2, _ := o.LoadPolicy(ctx, pdoc) // a second reference
		tb, _ := o.LoadTables(ctx, tdoc)
		if p1.Handle != 0 || p2.Handle != 0 || tb.Handle != 1 {
			t.Fatalf("%s: handles %d %d %d", name, p1.Handle, p2.Handle, tb.Handle)
		}
		pin := func() error {
			v, err := o.CheckPIN(ctx, &api.PINRequest{Policy: api.PolicyHandle(0), PIN: "1357924"})
			if err == nil && v.Accepted {
				return errors.New("a 7-digit PIN accepted under min_length 8")
			}
			return err
		}
		dial := func() error {
			_, err := o.Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(1), Number: "9123"})
			return err
		}
		if err := pin(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := dial(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := o.Unload(ctx, 0); err != nil {
			t.Fatalf("%s: first unload: %v", name, err)
		}
		if err := pin(); err != nil {
			t.Fatalf("%s: one reference left, yet: %v", name, err)
		}
		if err := o.Unload(ctx, 0); err != nil {
			t.Fatalf("%s: second unload: %v", name, err)
		}
		if err := o.Unload(ctx, 1); err != nil {
			t.Fatalf("%s: unload tables: %v", name, err)
		}
		for what, got := range map[string]error{
			"pin":    pin(),
			"dial":   dial(),
			"unload": o.Unload(ctx, 0),
		} {
			want := map[string]*api.Error{"pin": api.UnknownHandle("policy", 0), "dial": api.UnknownHandle("tables", 1), "unload": api.UnknownHandle("handle", 0)}[what]
			if d := sameError(got, want); d != "" {
				t.Errorf("%s: %s after unload: %s", name, what, d)
			}
		}
		// Never reused: the same document again gets a new handle.
		if p, err := o.LoadPolicy(ctx, pdoc); err != nil || p.Handle != 2 {
			t.Errorf("%s: reload = %+v, %v; want handle 2", name, p, err)
		}
		if e, ok := o.(Engine); ok {
			if _, err := e.DialNumber(ctx, 1, 0, []byte("9123")); !errors.Is(err, ErrNoTable) {
				t.Errorf("%s: DialNumber on an unloaded set = %v, want ErrNoTable", name, err)
			}
		}
	}
	// The wasm instances that held the documents dropped them: none maps
	// them, and their own sessions no longer know their handles.
	w := es[1].(*wasmEngine)
	for _, p := range []*pool{w.main, w.heavy} {
		x, err := p.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.prune(ctx, x); err != nil {
			t.Fatal(err)
		}
		for h := range x.local {
			if h < 2 {
				t.Errorf("%s instance still maps unloaded handle %d", p.name, h)
			}
		}
		for _, lh := range []string{"0", "1"} {
			view, ok, err := x.do(ctx, "pin", []byte(`{"policy":`+lh+`,"pin":"1357924"}`))
			if err != nil || ok {
				t.Errorf("%s instance: its handle %s still answers: %s %v", p.name, lh, view, err)
			}
		}
		p.put(x, nil)
	}
}

// TestUnknownHandles: a handle that names nothing, or a document of the
// other kind, gets the same error on both engines as from a session, and
// ErrNoTable on the scalar path.
func TestUnknownHandles(t *testing.T) {
	ctx := context.Background()
	ref := api.NewSession()
	for _, o := range append([]api.Operations{ref}, asOps(engines(t))...) {
		name := fmt.Sprintf("%T", o)
		tb, err := o.LoadTables(ctx, api.BuiltinTables("default"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := o.LoadPolicy(ctx, api.Profile("cucm"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			what string
			err  error
			want *api.Error
		}{
			{"pin", err2(o.CheckPIN(ctx, &api.PINRequest{Policy: api.PolicyHandle(999), PIN: "1"})), api.UnknownHandle("policy", 999)},
			{"pin, a tables handle", err2(o.CheckPIN(ctx, &api.PINRequest{Policy: api.PolicyHandle(tb.Handle), PIN: "1"})), api.UnknownHandle("policy", tb.Handle)},
			{"dial, a policy handle", err2(o.Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(p.Handle), Number: "1"})), api.UnknownHandle("tables", p.Handle)},
			{"lint", err2(o.Lint(ctx, &api.LintRequest{Tables: api.TablesHandle(999)})), api.UnknownHandle("tables", 999)},
			{"hash.make", err2(o.MakeHash(ctx, &api.HashMakeRequest{Scheme: "{SSHA}", Secret: "x", Policy: api.PolicyHandle(999)})), api.UnknownHandle("policy", 999)},
			{"signin", err2(o.SignIn(ctx, &api.SignInRequest{Policy: api.PolicyHandle(999), Event: api.SignInEvent{Type: "signin", At: "2026-01-01T00:00:00Z"}})), api.UnknownHandle("policy", 999)},
			{"unload", o.Unload(ctx, 999), api.UnknownHandle("handle", 999)},
		} {
			if d := sameError(c.err, c.want); d != "" {
				t.Errorf("%s: %s: %s", name, c.what, d)
			}
		}
		if e, ok := o.(Engine); ok {
			if _, err := e.DialNumber(ctx, 999, 0, []byte("1")); !errors.Is(err, ErrNoTable) {
				t.Errorf("%s: DialNumber(999) = %v", name, err)
			}
			if _, err := e.DialNumber(ctx, p.Handle, 0, []byte("1")); !errors.Is(err, ErrNoTable) {
				t.Errorf("%s: DialNumber(a policy handle) = %v", name, err)
			}
			if _, err := e.TableIndex(ctx, 999, "", "", ""); !errors.Is(err, ErrNoTable) {
				t.Errorf("%s: TableIndex(999) = %v", name, err)
			}
		}
	}
}

func err2[T any](_ T, err error) error { return err }

// TestLazyLoads: an instance loads only what its own calls need, when
// they first need it: a new instance serving a call on handle A never
// loads B.
func TestLazyLoads(t *testing.T) {
	ctx := context.Background()
	w := newTestWasm(t, sizes(2, 1))
	a, err := w.LoadTables(ctx, api.BuiltinTables("default"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.LoadTables(ctx, api.BuiltinTables("recommended"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.LoadPolicy(ctx, api.Profile("cucm")) // through the main pool's instance
	if err != nil {
		t.Fatal(err)
	}
	if m := w.Pools()[0]; m.Loads != 1 {
		t.Fatalf("main pool %+v: the tables loads went through it", m)
	}
	// Hold the main instance that loaded the policy: the next call makes
	// a new one.
	first, err := w.main.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DialNumber(ctx, a.Handle, 0, []byte("9123")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(a.Handle), Number: "9123"}); err != nil {
		t.Fatal(err)
	}
	second, err := w.main.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := w.Pools()[0]; m.Created != 2 || m.Loads != 2 {
		t.Errorf("main pool %+v: want a second instance, which loaded one document", m)
	}
	if _, ok := second.local[a.Handle]; !ok || len(second.local) != 1 {
		t.Errorf("the new instance maps %v; want only tables %d (not %d)", second.local, a.Handle, b.Handle)
	}
	if _, ok := first.local[p.Handle]; !ok || len(first.local) != 1 {
		t.Errorf("the first instance maps %v; want only policy %d", first.local, p.Handle)
	}
	w.main.put(first, nil)
	w.main.put(second, nil)
}

// TestInlineDocumentsKeepTheirMeaning: an inline document is spliced into
// the module's request only when it is one JSON object. Anything else
// would change meaning on the way (a number would name one of the
// instance's own handles, a string a built-in set, null the default,
// trailing text a field of the request), so both engines give a native
// session's answer.
func TestInlineDocumentsKeepTheirMeaning(t *testing.T) {
	ctx := context.Background()
	strict := `{"extends":"cuc","pin":{"min_length":12}}`
	tables := `{"tables":[{"name":"a","rows":[{"pattern":"*","blocked":true}]},{"name":"b","rows":[{"pattern":"*"}]}]}`
	pins := []api.PolicyRef{
		api.PolicyJSON([]byte(`0`)), api.PolicyJSON([]byte(` 0 `)), api.PolicyJSON([]byte(`null`)),
		api.PolicyJSON([]byte(`"cuc"`)), api.PolicyJSON([]byte(`"nope"`)), api.PolicyJSON([]byte(`[]`)),
		api.PolicyJSON([]byte(`{"extends":"cuc"},"pin":"x"`)), api.PolicyJSON([]byte(`{"extends":`)),
		api.PolicyJSON(nil), api.PolicyJSON([]byte(strict + `x`)),
	}
	dials := []api.TablesRef{
		api.TablesJSON([]byte(`1`)), api.TablesJSON([]byte(`"recommended"`)), api.TablesJSON([]byte(`null`)),
		api.TablesJSON([]byte(tables[:len(tables)-1] + `,"x":1}`)), api.TablesJSON([]byte(`{"tables":[]}, "table": "b"`)),
		api.TablesJSON(nil), api.TablesJSON([]byte(tables)),
	}
	type answer struct {
		v   any
		err error
	}
	// Handle 0 is a strict policy and handle 1 a tables set, in each
	// engine and in its one instance.
	var got [][]answer
	for _, o := range append([]api.Operations{api.NewSession()}, asOps(engines(t, sizes(1, 1)))...) {
		if _, err := o.LoadPolicy(ctx, api.PolicyJSON([]byte(strict))); err != nil {
			t.Fatal(err)
		}
		if _, err := o.LoadTables(ctx, api.TablesJSON([]byte(tables))); err != nil {
			t.Fatal(err)
		}
		var as []answer
		for _, p := range pins {
			v, err := o.CheckPIN(ctx, &api.PINRequest{Policy: p, PIN: "135792"})
			as = append(as, answer{v, err})
			i, err := o.LoadPolicy(ctx, p)
			as = append(as, answer{i, err})
		}
		for _, tb := range dials {
			d, err := o.Dial(ctx, &api.DialRequest{Tables: tb, Number: "5551234"})
			as = append(as, answer{d, err})
			l, err := o.Lint(ctx, &api.LintRequest{Tables: tb})
			as = append(as, answer{l, err})
			i, err := o.LoadTables(ctx, tb)
			as = append(as, answer{i, err})
		}
		got = append(got, as)
	}
	for k := 1; k < len(got); k++ {
		for i := range got[0] {
			g, w := got[k][i], got[0][i]
			if d := sameError(g.err, w.err); d != "" || !reflect.DeepEqual(g.v, w.v) {
				t.Errorf("engine %d, call %d: %+v, %v (%s)\nsession %+v, %v", k, i, g.v, g.err, d, w.v, w.err)
			}
		}
	}
}
