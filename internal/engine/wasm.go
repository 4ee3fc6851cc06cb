package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"

	"github.com/tollgate/tollgate/api"
)

// wasmEngine runs the module under wazero with two pools of instances.
//
// Loaded documents are the engine's, not an instance's (docs/abi.md,
// "Handles across instances"): the registry keeps each document's text
// under an engine handle, content-addressed, so loading the same document
// again returns the same handle; an instance loads a document the first
// time a call on it needs one, and remembers its own handle for it. So a
// new instance costs nothing until it is used, a trapped one is replaced
// by one that loads only what its calls need, and an unloaded document
// leaves every instance the next time it is taken from the pool.
type wasmEngine struct {
	c      *compiled
	main   *pool // cheap operations
	heavy  *pool // expensive operations
	done   chan struct{}
	closed atomic.Bool
	reg    registry
}

func newWasm(ctx context.Context, opts Options, data []*api.Data) (*wasmEngine, error) {
	c, err := compileFor(ctx, opts)
	if err != nil {
		return nil, err
	}
	e := &wasmEngine{c: c, done: make(chan struct{})}
	e.reg.docs = map[api.Handle]*doc{}
	e.reg.byKey = map[docKey]api.Handle{}
	newInstance := func(ctx context.Context) (*instance, error) {
		w, err := e.c.instantiate(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range data {
			if err := w.loadData(ctx, d); err != nil {
				w.close()
				return nil, err
			}
		}
		return w, nil
	}
	size, heavy := poolSizes(opts)
	e.main = newPool("main", size, e.done, &e.closed, newInstance)
	e.heavy = newPool("heavy", heavy, e.done, &e.closed, newInstance)
	// The first instance is made now so that a bad module fails here.
	first, err := e.main.get(ctx)
	if err != nil {
		return nil, err
	}
	e.main.put(first, nil)
	return e, nil
}

func (e *wasmEngine) Kind() Kind { return Wasm }

func (e *wasmEngine) Pools() []PoolStats { return []PoolStats{e.main.stats(), e.heavy.stats()} }

func (e *wasmEngine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	e.main.drain()
	e.heavy.drain()
	close(e.done) // wakes every waiter, which then sees the engine closed
	return nil
}

// registry is the engine's loaded documents.
type registry struct {
	mu    sync.Mutex
	next  api.Handle
	docs  map[api.Handle]*doc
	byKey map[docKey]api.Handle
	// gen counts the documents unloaded for good: an instance whose
	// generation is older drops its copies of them.
	gen atomic.Uint64
}

type docKey struct {
	kind byte // 'p' policy, 't' tables
	sum  [sha256.Size]byte
}

// doc is one loaded document: its wire form (a name as a JSON string, or
// the document) and its answer.
type doc struct {
	kind   byte
	body   []byte
	refs   int
	policy api.PolicyInfo
	tables api.TablesInfo
}

func (r *registry) get(h api.Handle) *doc {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.docs[h]
}

// run takes an instance from p, catches it up with the registry, and runs
// f on it. A Fault while a document was being loaded into the instance
// (the load trapped: the instance's memory was full of what it held
// before) is tried once more on a fresh instance, which holds only what
// this call needs; any other Fault is the call's answer. The instance is
// discarded after any Fault.
func (e *wasmEngine) run(ctx context.Context, p *pool, f func(w *instance) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for try := 0; ; try++ {
		w, err := p.get(ctx)
		if err != nil {
			return err
		}
		if err = e.prune(ctx, w); err == nil {
			err = f(w)
		}
		p.put(w, err)
		if lf, ok := err.(*loadFault); ok {
			if try == 0 && lf.Kind == FaultTrap {
				continue
			}
			return lf.Fault
		}
		return err
	}
}

// loadFault is a Fault raised while an instance loaded a document a call
// needs.
type loadFault struct{ *Fault }

// prune drops from w the documents unloaded since it was last used.
func (e *wasmEngine) prune(ctx context.Context, w *instance) error {
	gen := e.reg.gen.Load()
	if w.gen == gen {
		return nil
	}
	e.reg.mu.Lock()
	var gone []api.Handle
	for h := range w.local {
		if _, ok := e.reg.docs[h]; !ok {
			gone = append(gone, h)
		}
	}
	e.reg.mu.Unlock()
	for _, h := range gone {
		req := api.Append(w.req[:0], &api.UnloadRequest{Handle: w.local[h]})
		if _, _, err := w.do(ctx, "unload", req); err != nil {
			return err
		}
		delete(w.local, h)
	}
	w.gen = gen
	return nil
}

// local is w's handle for engine handle h, loading the document into w
// when w does not hold it yet. field names the reference in errors.
func (e *wasmEngine) local(ctx context.Context, w *instance, h api.Handle, field string) (api.Handle, error) {
	if lh, ok := w.local[h]; ok {
		return lh, nil
	}
	d := e.reg.get(h)
	if d == nil || (field == "policy") != (d.kind == 'p') {
		return 0, api.UnknownHandle(field, h)
	}
	op := "policy.load"
	if d.kind == 't' {
		op = "tables.load"
	}
	view, ok, err := w.do(ctx, op, d.body)
	if err != nil {
		if f, isFault := err.(*Fault); isFault {
			return 0, &loadFault{f}
		}
		return 0, err
	}
	if !ok {
		return 0, opError(op, view)
	}
	var lh api.Handle
	if d.kind == 'p' {
		var info api.PolicyInfo
		err = api.Decode(view, &info)
		lh = info.Handle
	} else {
		var info api.TablesInfo
		err = api.Decode(view, &info)
		lh = info.Handle
	}
	if err != nil {
		return 0, &Fault{Op: op, Kind: FaultBadResponse, Err: err}
	}
	w.local[h] = lh
	return lh, nil
}

func (e *wasmEngine) policyRef(ctx context.Context, w *instance, p api.PolicyRef) (api.PolicyRef, error) {
	if h, ok := p.Handle(); ok {
		lh, err := e.local(ctx, w, h, "policy")
		return api.PolicyHandle(lh), err
	}
	return p, nil
}

func (e *wasmEngine) tablesRef(ctx context.Context, w *instance, t api.TablesRef) (api.TablesRef, error) {
	if h, ok := t.Handle(); ok {
		lh, err := e.local(ctx, w, h, "tables")
		return api.TablesHandle(lh), err
	}
	return t, nil
}

// call sends one request to w and decodes the answer into res: one
// encode (done by the caller, into req) and one decode per crossing.
func call(ctx context.Context, w *instance, op string, req []byte, res api.Message) error {
	view, ok, err := w.do(ctx, op, req)
	if err != nil {
		return err
	}
	if !ok {
		return opError(op, view)
	}
	if err := api.Decode(view, res); err != nil {
		return &Fault{Op: op, Kind: FaultBadResponse, Err: err}
	}
	return nil
}

// opError is the *api.Error the module answered with.
func opError(op string, view []byte) error {
	e, err := api.ParseError(view)
	if err != nil {
		return &Fault{Op: op, Kind: FaultBadResponse, Err: err}
	}
	return e
}

func (e *wasmEngine) pick(heavy bool) *pool {
	if heavy {
		return e.heavy
	}
	return e.main
}

// load registers a document loaded through one instance: op is
// "policy.load" or "tables.load", body its wire form.
// answer reads the instance's answer and returns its own handle; fill
// records the answer in a new doc, under the registry's lock.
func (e *wasmEngine) load(ctx context.Context, kind byte, body []byte, p *pool, answer func(view []byte) (api.Handle, error), fill func(d *doc, h api.Handle)) (api.Handle, *doc, error) {
	key := docKey{kind: kind, sum: sha256.Sum256(bytes.TrimSpace(body))}
	e.reg.mu.Lock()
	if h, ok := e.reg.byKey[key]; ok {
		d := e.reg.docs[h]
		d.refs++
		e.reg.mu.Unlock()
		return h, d, nil
	}
	e.reg.mu.Unlock()
	op := "policy.load"
	if kind == 't' {
		op = "tables.load"
	}
	var h api.Handle
	var d *doc
	err := e.run(ctx, p, func(w *instance) error {
		view, ok, err := w.do(ctx, op, body)
		if err != nil {
			return err
		}
		if !ok {
			return opError(op, view)
		}
		lh, err := answer(view)
		if err != nil {
			return err
		}
		e.reg.mu.Lock()
		defer e.reg.mu.Unlock()
		if existing, ok := e.reg.byKey[key]; ok { // a concurrent load won
			h, d = existing, e.reg.docs[existing]
			d.refs++
		} else {
			h = e.reg.next
			e.reg.next++
			d = &doc{kind: kind, body: bytes.Clone(body), refs: 1}
			fill(d, h)
			e.reg.docs[h], e.reg.byKey[key] = d, h
		}
		w.local[h] = lh
		return nil
	})
	return h, d, err
}

func refBody(m interface{ MarshalJSON() ([]byte, error) }) []byte {
	b, _ := m.MarshalJSON()
	return b
}

func (e *wasmEngine) LoadPolicy(ctx context.Context, p api.PolicyRef) (api.PolicyInfo, error) {
	if _, ok := p.Handle(); ok {
		// Not a document: the session's own refusal, from an instance.
		var info api.PolicyInfo
		err := e.run(ctx, e.main, func(w *instance) error { return call(ctx, w, "policy.load", refBody(p), &info) })
		return info, err
	}
	if p.IsZero() {
		p = api.Profile(api.DefaultProfile)
	}
	var info api.PolicyInfo
	h, d, err := e.load(ctx, 'p', refBody(p), e.main, func(view []byte) (api.Handle, error) {
		if err := api.Decode(view, &info); err != nil {
			return 0, &Fault{Op: "policy.load", Kind: FaultBadResponse, Err: err}
		}
		return info.Handle, nil
	}, func(d *doc, h api.Handle) { d.policy = api.PolicyInfo{Handle: h, Name: info.Name} })
	if err != nil {
		return api.PolicyInfo{}, err
	}
	return api.PolicyInfo{Handle: h, Name: d.policy.Name}, nil
}

func (e *wasmEngine) LoadTables(ctx context.Context, t api.TablesRef) (api.TablesInfo, error) {
	if _, ok := t.Handle(); ok {
		var info api.TablesInfo
		err := e.run(ctx, e.main, func(w *instance) error {
			return call(ctx, w, "tables.load", refBody(t), &info)
		})
		return info, err
	}
	if t.IsZero() {
		t = api.BuiltinTables(api.DefaultTables)
	}
	var info api.TablesInfo
	h, d, err := e.load(ctx, 't', refBody(t), e.heavy, func(view []byte) (api.Handle, error) {
		if err := api.Decode(view, &info); err != nil {
			return 0, &Fault{Op: "tables.load", Kind: FaultBadResponse, Err: err}
		}
		return info.Handle, nil
	}, func(d *doc, h api.Handle) { d.tables = api.TablesInfo{Handle: h, Tables: info.Tables} })
	if err != nil {
		return api.TablesInfo{}, err
	}
	return api.TablesInfo{Handle: h, Tables: append([]string(nil), d.tables.Tables...)}, nil
}

func (e *wasmEngine) Unload(ctx context.Context, h api.Handle) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.reg.mu.Lock()
	defer e.reg.mu.Unlock()
	d, ok := e.reg.docs[h]
	if !ok {
		return api.UnknownHandle("handle", h)
	}
	if d.refs--; d.refs == 0 {
		delete(e.reg.docs, h)
		delete(e.reg.byKey, docKey{kind: d.kind, sum: sha256.Sum256(bytes.TrimSpace(d.body))})
		e.reg.gen.Add(1)
	}
	return nil
}

func (e *wasmEngine) CheckPIN(ctx context.Context, r *api.PINRequest) (v api.Verdict, err error) {
	err = e.run(ctx, e.pick(heavyPIN(r)), func(w *instance) error {
		rr := *r
		if rr.Policy, err = e.policyRef(ctx, w, r.Policy); err != nil {
			return err
		}
		w.req = api.Append(w.req[:0], &rr)
		return call(ctx, w, "pin", w.req, &v)
	})
	return v, err
}

func (e *wasmEngine) CheckPassword(ctx context.Context, r *api.PasswordRequest) (v api.Verdict, err error) {
	err = e.run(ctx, e.pick(heavyPassword(r)), func(w *instance) error {
		rr := *r
		if rr.Policy, err = e.policyRef(ctx, w, r.Policy); err != nil {
			return err
		}
		w.req = api.Append(w.req[:0], &rr)
		return call(ctx, w, "password", w.req, &v)
	})
	return v, err
}

func (e *wasmEngine) Dial(ctx context.Context, r *api.DialRequest) (d api.DialResult, err error) {
	err = e.run(ctx, e.pick(heavyTables(r.Tables)), func(w *instance) error {
		rr := *r
		if rr.Tables, err = e.tablesRef(ctx, w, r.Tables); err != nil {
			return err
		}
		w.req = api.Append(w.req[:0], &rr)
		return call(ctx, w, "dial", w.req, &d)
	})
	return d, err
}

func (e *wasmEngine) Lint(ctx context.Context, r *api.LintRequest) (l api.LintResult, err error) {
	err = e.run(ctx, e.heavy, func(w *instance) error {
		rr := *r
		if rr.Tables, err = e.tablesRef(ctx, w, r.Tables); err != nil {
			return err
		}
		w.req = api.Append(w.req[:0], &rr)
		return call(ctx, w, "lint", w.req, &l)
	})
	return l, err
}

func (e *wasmEngine) VerifyHash(ctx context.Context, r *api.HashVerifyRequest) (h api.HashResult, err error) {
	err = e.run(ctx, e.heavy, func(w *instance) error {
		rr := *r
		if rr.Policy, err = e.policyRef(ctx, w, r.Policy); err != nil {
			return err
		}
		w.req = api.Append(w.req[:0], &rr)
		return call(ctx, w, "hash.verify", w.req, &h)
	})
	return h, err
}

func (e *wasmEngine) MakeHash(ctx context.Context, r *api.HashMakeRequest) (h api.HashRecord, err error) {
	err = e.run(ctx, e.heavy, func(w *instance) error {
		rr := *r
		if rr.Policy, err = e.policyRef(ctx, w, r.Policy); err != nil {
			return err
		}
		w.req = api.Append(w.req[:0], &rr)
		return call(ctx, w, "hash.make", w.req, &h)
	})
	return h, err
}

func (e *wasmEngine) SignIn(ctx context.Context, r *api.SignInRequest) (s api.SignInResult, err error) {
	err = e.run(ctx, e.main, func(w *instance) error {
		rr := *r
		if rr.Policy, err = e.policyRef(ctx, w, r.Policy); err != nil {
			return err
		}
		w.req = api.Append(w.req[:0], &rr)
		return call(ctx, w, "signin", w.req, &s)
	})
	return s, err
}

// The scalar dial path: the module's dial exports, by the instance's own
// tables handle.

func (e *wasmEngine) TableIndex(ctx context.Context, tables api.Handle, table, cos, feature string) (i int, err error) {
	name := table
	if cos != "" || feature != "" {
		if table != "" || cos == "" || feature == "" {
			return 0, ErrNoTable // what the native engine's PickTable refuses
		}
		name = cos + "\n" + feature
	}
	err = e.run(ctx, e.main, func(w *instance) error {
		lh, err := e.local(ctx, w, tables, "tables")
		if err != nil {
			return noTable(err)
		}
		i, err = w.tableIndex(ctx, int(lh), name)
		return err
	})
	return i, err
}

// noTable turns an unknown handle into the scalar path's ErrNoTable.
func noTable(err error) error {
	if _, ok := err.(*api.Error); ok {
		return ErrNoTable
	}
	return err
}

func (e *wasmEngine) DialNumber(ctx context.Context, tables api.Handle, ti int, number []byte) (v DialVerdict, err error) {
	// Inlined rather than through run: this is the hot path, and a
	// closure capturing the result would allocate.
	if err := ctx.Err(); err != nil {
		return v, err
	}
	w, err := e.main.get(ctx)
	if err != nil {
		return v, err
	}
	if err = e.prune(ctx, w); err == nil {
		lh, ok := w.local[tables]
		if !ok {
			lh, err = e.local(ctx, w, tables, "tables")
			err = noTable(err)
		}
		if err == nil {
			v, err = w.dial(ctx, int(lh), ti, number)
		}
	}
	if lf, ok := err.(*loadFault); ok {
		err = lf.Fault
	}
	e.main.put(w, err)
	return v, err
}

func (e *wasmEngine) DialBatch(ctx context.Context, tables api.Handle, ti int, numbers [][]byte, out []DialVerdict) error {
	n := min(len(numbers), len(out))
	return e.run(ctx, e.main, func(w *instance) error {
		lh, err := e.local(ctx, w, tables, "tables")
		if err != nil {
			return noTable(err)
		}
		return w.dialBatch(ctx, int(lh), ti, numbers[:n], out[:n])
	})
}

// Fault injects a fault into one instance of the main pool, through the
// pool's discard rule (tests: the engine survives a guest panic and a
// guest that exhausts its memory).
func (e *wasmEngine) Fault(ctx context.Context, kind uint32) error {
	return e.run(ctx, e.main, func(w *instance) error { return w.injectFault(ctx, kind) })
}
