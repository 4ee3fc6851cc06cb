package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// wasmEngine runs the module under wazero with two pools of instances.
//
// Loaded documents are the engine's, not an instance's (docs/abi.md,
// "Handles across instances"): the registry keeps each document's body
// under an engine handle, content-addressed, so loading the same document
// again returns the same handle and calls no instance; an instance loads a
// document the first time a call on it needs it, and remembers its own
// handle for it. So a new instance costs nothing until it is used, a
// trapped one is replaced by one that loads only what its calls need, and
// an unloaded document leaves every instance the next time it is taken
// from its pool.
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
	// An instance gets the data artifacts when a call first needs one
	// (instance.do); the first one loads them all now, so that a module
	// that refuses one fails New.
	var loadedOnce atomic.Bool
	newInstance := func(ctx context.Context) (*instance, error) {
		w, err := e.c.instantiate(ctx)
		if err != nil {
			return nil, err
		}
		w.pending = slices.Clone(data)
		if loadedOnce.CompareAndSwap(false, true) {
			for _, d := range data {
				if err := w.loadData(ctx, d); err != nil {
					w.close()
					return nil, err
				}
			}
			w.pending = nil
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

// check is what every call does first.
func (e *wasmEngine) check(ctx context.Context) error {
	if e.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// registry is the engine's loaded documents.
type registry struct {
	mu    sync.Mutex
	next  api.Handle
	docs  map[api.Handle]*doc
	byKey map[docKey]api.Handle
	// gen counts the documents unloaded for good: an instance whose
	// generation is older drops its copies of them (prune).
	gen atomic.Uint64
}

// docKey finds a document: its kind and the SHA-256 of its text, as
// api.Session keys its documents, so that the engine hands out the handles
// one session fed the same loads would.
type docKey struct {
	kind byte // 'p' policy, 't' tables
	sum  [sha256.Size]byte
}

// keyOf is the key of a document (its text, surrounding whitespace
// trimmed) or of a built-in name (its text, without quotes).
func keyOf(kind byte, text []byte) docKey {
	return docKey{kind: kind, sum: sha256.Sum256(bytes.TrimSpace(text))}
}

// doc is one loaded document: its body (what an instance's load takes: a
// name as a JSON string, or the document), its references, its answer.
type doc struct {
	kind   byte
	key    docKey
	body   []byte
	refs   int
	name   string   // a policy's
	tables []string // a tables set's
}

func (r *registry) get(h api.Handle) *doc {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.docs[h]
}

// hit counts one more load of the document under key, if it is loaded.
func (r *registry) hit(key docKey) (api.Handle, *doc, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, ok := r.byKey[key]
	if !ok {
		return 0, nil, false
	}
	d := r.docs[h]
	d.refs++
	return h, d, true
}

// errNoHandles is api.Session's answer once it has given out every handle.
var errNoHandles = &api.Error{Code: api.ErrBadRequest, Message: "this session has run out of handles"}

// retry is an error of an instance's state, not of the call: a lazy load
// that failed (the document loaded once, so the instance is what changed),
// an unload of a pruned document that failed, a first load that failed in
// a used instance for what that instance held (a trap: its memory; the
// regular-expression limit). finish discards the instance and runs the
// call once more on a fresh one.
type retry struct{ err error }

func (r *retry) Error() string { return r.err.Error() }

// finish ends one try of a call on w, taken from p, that ended with err.
// It returns the fresh instance to try the call again on, or nil and the
// call's answer.
func finish(ctx context.Context, p *pool, w *instance, err error, try int) (*instance, error) {
	w.used = true
	r, ok := err.(*retry)
	if !ok {
		p.put(w, err)
		return nil, err
	}
	err = r.err
	if IsDeadline(err) && isFault(err) {
		p.deadlines.Add(1)
	}
	p.discard(w)
	if try > 0 || IsDeadline(err) {
		return nil, err
	}
	return p.fresh(ctx)
}

// run takes an instance from p, drops from it what was unloaded, and runs
// f on it; a retry error runs f once more on a fresh instance (finish).
// The instance is discarded after any Fault.
func (e *wasmEngine) run(ctx context.Context, p *pool, f func(w *instance) error) error {
	if err := e.check(ctx); err != nil {
		return err
	}
	w, err := p.get(ctx)
	for try := 0; ; try++ {
		if err != nil {
			return err
		}
		if err = e.prune(ctx, w); err == nil {
			err = f(w)
		}
		if w, err = finish(ctx, p, w, err, try); w == nil {
			return err
		}
	}
}

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
		if err := w.unload(ctx, w.local[h].handle); err != nil {
			return &retry{err}
		}
		delete(w.local, h)
	}
	w.gen = gen
	return nil
}

// unload drops one load of the instance's handle lh.
func (w *instance) unload(ctx context.Context, lh api.Handle) error {
	w.req = api.Append(w.req[:0], &api.UnloadRequest{Handle: lh})
	_, _, err := w.do(ctx, "unload", w.req)
	return err
}

func loadOp(kind byte) string {
	if kind == 'p' {
		return "policy.load"
	}
	return "tables.load"
}

// localDoc is an instance's own handle for an engine handle, and the
// document's kind: an engine handle of one kind must not reach the
// instance as a reference of the other, where its number would be the
// instance's and the error would name it.
type localDoc struct {
	handle api.Handle
	kind   byte
}

// loaded is an instance's answer to a load.
type loaded struct {
	handle api.Handle
	name   string
	tables []string
}

// loadInto loads a document's body into w.
func (e *wasmEngine) loadInto(ctx context.Context, w *instance, kind byte, body []byte) (loaded, error) {
	op := loadOp(kind)
	if w.loads != nil {
		w.loads.Add(1)
	}
	view, ok, err := w.do(ctx, op, body)
	if err != nil {
		return loaded{}, err
	}
	if !ok {
		return loaded{}, opError(op, view)
	}
	var l loaded
	if kind == 'p' {
		var info api.PolicyInfo
		err = api.Decode(view, &info)
		l = loaded{handle: info.Handle, name: info.Name}
	} else {
		var info api.TablesInfo
		err = api.Decode(view, &info)
		l = loaded{handle: info.Handle, tables: info.Tables}
	}
	if err != nil {
		return loaded{}, &Fault{Op: op, Kind: FaultBadResponse, Err: err}
	}
	return l, nil
}

// local is w's handle for engine handle h, loading the document into w
// first when w does not hold it yet. field ("policy", "tables") names the
// reference in errors.
func (e *wasmEngine) local(ctx context.Context, w *instance, h api.Handle, field string) (api.Handle, error) {
	kind := byte('t')
	if field == "policy" {
		kind = 'p'
	}
	if l, ok := w.local[h]; ok {
		if l.kind != kind {
			return 0, api.UnknownHandle(field, h)
		}
		return l.handle, nil
	}
	d := e.reg.get(h)
	if d == nil || d.kind != kind {
		return 0, api.UnknownHandle(field, h)
	}
	l, err := e.loadInto(ctx, w, d.kind, d.body)
	if err != nil {
		return 0, &retry{err}
	}
	w.local[h] = localDoc{l.handle, kind}
	return l.handle, nil
}

// load returns the engine handle of a document (text is its key's text,
// body what an instance's load takes), loading it into an instance of p
// when the engine does not hold it yet.
func (e *wasmEngine) load(ctx context.Context, kind byte, text, body []byte, p *pool) (api.Handle, *doc, error) {
	if err := e.check(ctx); err != nil {
		return 0, nil, err
	}
	key := keyOf(kind, text)
	if h, d, ok := e.reg.hit(key); ok {
		return h, d, nil
	}
	var h api.Handle
	var d *doc
	err := e.run(ctx, p, func(w *instance) error {
		var ok bool
		if h, d, ok = e.reg.hit(key); ok { // loaded while this call waited
			return nil
		}
		l, err := e.loadInto(ctx, w, kind, body)
		if err != nil {
			if w.used && (isFault(err) && !IsDeadline(err) || w.spent()) {
				return &retry{err}
			}
			return err
		}
		e.reg.mu.Lock()
		if existing, ok := e.reg.byKey[key]; ok {
			// A concurrent load of the same document finished first.
			// (w cannot map it already: it was not loaded when the hit
			// above looked, and w has been this call's since.)
			h, d = existing, e.reg.docs[existing]
			d.refs++
			e.reg.mu.Unlock()
			w.local[h] = localDoc{l.handle, kind}
			return nil
		}
		if e.reg.next == ^api.Handle(0) {
			e.reg.mu.Unlock()
			w.broken = true // it holds a document no handle names
			return errNoHandles
		}
		h = e.reg.next
		e.reg.next++
		d = &doc{kind: kind, key: key, body: bytes.Clone(body), refs: 1, name: l.name, tables: l.tables}
		e.reg.docs[h], e.reg.byKey[key] = d, h
		e.reg.mu.Unlock()
		w.local[h] = localDoc{l.handle, kind}
		return nil
	})
	return h, d, err
}

// inlineOK reports whether an inline document can be spliced into a
// request for the module as it is: one JSON object. Anything else would
// change meaning on the way (a number is a handle of the instance's own, a
// string a built-in's name, null the default, trailing text more fields),
// so the native session judges it instead.
func inlineOK(doc []byte) bool {
	doc = bytes.TrimSpace(doc)
	return len(doc) > 0 && doc[0] == '{' && jsonx.Valid(doc)
}

// inlinePolicy returns p as the module may be sent it: a reference that
// is not an inline document, or one that inlineOK accepts, as it is; a
// profile name given as a JSON string, as that profile; anything else the
// native session's error.
func (e *wasmEngine) inlinePolicy(ctx context.Context, p api.PolicyRef) (api.PolicyRef, error) {
	doc, ok := p.JSON()
	if !ok || inlineOK(doc) {
		return p, nil
	}
	if err := e.check(ctx); err != nil {
		return p, err
	}
	if _, err := api.NewSession().LoadPolicy(ctx, p); err != nil {
		return p, err
	}
	name, err := jsonx.NewDecoder(bytes.TrimSpace(doc)).String()
	if err != nil { // the native session accepts objects and names only
		return p, err
	}
	return api.Profile(name), nil
}

// inlineTables is inlinePolicy for tables, which have no names in JSON
// strings.
func (e *wasmEngine) inlineTables(ctx context.Context, t api.TablesRef) (api.TablesRef, error) {
	doc, ok := t.JSON()
	if !ok || inlineOK(doc) {
		return t, nil
	}
	if err := e.check(ctx); err != nil {
		return t, err
	}
	_, err := api.NewSession().LoadTables(ctx, t)
	if err == nil { // the native session refuses every non-object
		err = &api.Error{Code: api.ErrInvalidTables, Field: "tables", Message: "want a tables document (a JSON object)"}
	}
	return t, err
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

func (e *wasmEngine) LoadPolicy(ctx context.Context, p api.PolicyRef) (api.PolicyInfo, error) {
	if _, ok := p.Handle(); ok {
		// Not a document: the session's own refusal. (An instance would
		// take the handle's wire form, a number, for a document.)
		if err := e.check(ctx); err != nil {
			return api.PolicyInfo{}, err
		}
		return api.NewSession().LoadPolicy(ctx, p)
	}
	var text, body []byte
	if doc, ok := p.JSON(); ok {
		if !inlineOK(doc) {
			if _, err := e.inlinePolicy(ctx, p); err != nil {
				return api.PolicyInfo{}, err
			}
		}
		text = bytes.TrimSpace(doc)
		body = text
	} else {
		name, ok := p.Name()
		if !ok {
			name = api.DefaultProfile
		}
		text, body = []byte(name), api.AppendString(nil, name)
	}
	h, d, err := e.load(ctx, 'p', text, body, e.main)
	if err != nil {
		return api.PolicyInfo{}, err
	}
	return api.PolicyInfo{Handle: h, Name: d.name}, nil
}

func (e *wasmEngine) LoadTables(ctx context.Context, t api.TablesRef) (api.TablesInfo, error) {
	if _, ok := t.Handle(); ok {
		if err := e.check(ctx); err != nil {
			return api.TablesInfo{}, err
		}
		return api.NewSession().LoadTables(ctx, t)
	}
	var text, body []byte
	if doc, ok := t.JSON(); ok {
		if _, err := e.inlineTables(ctx, t); err != nil {
			return api.TablesInfo{}, err
		}
		text = bytes.TrimSpace(doc)
		body = text
	} else {
		name, ok := t.Name()
		if !ok {
			name = api.DefaultTables
		}
		text, body = []byte(name), api.AppendString(nil, name)
	}
	h, d, err := e.load(ctx, 't', text, body, e.heavy)
	if err != nil {
		return api.TablesInfo{}, err
	}
	return api.TablesInfo{Handle: h, Tables: append([]string(nil), d.tables...)}, nil
}

func (e *wasmEngine) Unload(ctx context.Context, h api.Handle) error {
	if err := e.check(ctx); err != nil {
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
		delete(e.reg.byKey, d.key)
		e.reg.gen.Add(1)
	}
	return nil
}

func (e *wasmEngine) CheckPIN(ctx context.Context, r *api.PINRequest) (api.Verdict, error) {
	var v api.Verdict
	// Validated here, as the native Session does: the encoder would
	// repair a secret that is not UTF-8 instead of refusing it.
	r, err := api.Validate(r)
	if err != nil {
		return v, err
	}
	err = withPolicy(ctx, e, e.pick(heavyPIN(r)), "pin", r, func(r *api.PINRequest) *api.PolicyRef { return &r.Policy }, &v)
	return v, err
}

func (e *wasmEngine) CheckPassword(ctx context.Context, r *api.PasswordRequest) (api.Verdict, error) {
	var v api.Verdict
	r, err := api.Validate(r) // as in CheckPIN
	if err != nil {
		return v, err
	}
	err = withPolicy(ctx, e, e.pick(heavyPassword(r)), "password", r, func(r *api.PasswordRequest) *api.PolicyRef { return &r.Policy }, &v)
	return v, err
}

func (e *wasmEngine) Dial(ctx context.Context, r *api.DialRequest) (api.DialResult, error) {
	var d api.DialResult
	r, err := api.Validate(r) // as in CheckPIN
	if err != nil {
		return d, err
	}
	err = withTables(ctx, e, e.pick(heavyTables(&r.Tables)), "dial", r, func(r *api.DialRequest) *api.TablesRef { return &r.Tables }, &d)
	return d, err
}

func (e *wasmEngine) Lint(ctx context.Context, r *api.LintRequest) (api.LintResult, error) {
	var l api.LintResult
	err := withTables(ctx, e, e.heavy, "lint", r, func(r *api.LintRequest) *api.TablesRef { return &r.Tables }, &l)
	return l, err
}

func (e *wasmEngine) VerifyHash(ctx context.Context, r *api.HashVerifyRequest) (api.HashResult, error) {
	var h api.HashResult
	r, err := api.Validate(r) // as in CheckPIN
	if err != nil {
		return h, err
	}
	err = withPolicy(ctx, e, e.heavy, "hash.verify", r, func(r *api.HashVerifyRequest) *api.PolicyRef { return &r.Policy }, &h)
	return h, err
}

func (e *wasmEngine) MakeHash(ctx context.Context, r *api.HashMakeRequest) (api.HashRecord, error) {
	var h api.HashRecord
	r, err := api.Validate(r) // as in CheckPIN
	if err != nil {
		return h, err
	}
	err = withPolicy(ctx, e, e.heavy, "hash.make", r, func(r *api.HashMakeRequest) *api.PolicyRef { return &r.Policy }, &h)
	return h, err
}

func (e *wasmEngine) SignIn(ctx context.Context, r *api.SignInRequest) (api.SignInResult, error) {
	var s api.SignInResult
	err := withPolicy(ctx, e, e.main, "signin", r, func(r *api.SignInRequest) *api.PolicyRef { return &r.Policy }, &s)
	return s, err
}

// withPolicy runs op with request r on an instance of p and decodes the
// answer into res. r's policy is inlined once for every instance, then
// replaced, in a copy of r, by the handle of the instance that runs it.
func withPolicy[R any, P interface {
	*R
	api.Message
}](ctx context.Context, e *wasmEngine, p *pool, op string, r P, policy func(P) *api.PolicyRef, res api.Message) error {
	pol, err := e.inlinePolicy(ctx, *policy(r))
	if err != nil {
		return err
	}
	return e.run(ctx, p, func(w *instance) error {
		rr := *r
		ref, err := e.policyRef(ctx, w, pol)
		if err != nil {
			return err
		}
		*policy(&rr) = ref
		w.req = api.Append(w.req[:0], P(&rr))
		return call(ctx, w, op, w.req, res)
	})
}

// withTables is withPolicy for a request that names a tables document.
func withTables[R any, P interface {
	*R
	api.Message
}](ctx context.Context, e *wasmEngine, p *pool, op string, r P, tables func(P) *api.TablesRef, res api.Message) error {
	t, err := e.inlineTables(ctx, *tables(r))
	if err != nil {
		return err
	}
	return e.run(ctx, p, func(w *instance) error {
		rr := *r
		ref, err := e.tablesRef(ctx, w, t)
		if err != nil {
			return err
		}
		*tables(&rr) = ref
		w.req = api.Append(w.req[:0], P(&rr))
		return call(ctx, w, op, w.req, res)
	})
}

// The scalar dial path: the module's dial exports, by the instance's own
// tables handle.

func (e *wasmEngine) TableIndex(ctx context.Context, tables api.Handle, table, cos, feature string) (int, error) {
	name := table
	if cos != "" || feature != "" {
		if table != "" || cos == "" || feature == "" {
			return 0, ErrNoTable // what the native engine's PickTable refuses
		}
		name = cos + "\n" + feature
	}
	var i int
	err := e.run(ctx, e.main, func(w *instance) error {
		lh, err := e.local(ctx, w, tables, "tables")
		if err != nil {
			return noTable(err)
		}
		i, err = w.tableIndex(ctx, int(lh), name)
		return err
	})
	if err != nil {
		return 0, err
	}
	return i, nil
}

// noTable turns an unknown handle into the scalar path's ErrNoTable.
func noTable(err error) error {
	if _, ok := err.(*api.Error); ok {
		return ErrNoTable
	}
	return err
}

func (e *wasmEngine) DialNumber(ctx context.Context, tables api.Handle, ti int, number []byte) (DialVerdict, error) {
	// run written out: this is the hot path, and a closure capturing the
	// result would allocate.
	if err := e.check(ctx); err != nil {
		return DialVerdict{}, err
	}
	var v DialVerdict
	w, err := e.main.get(ctx)
	for try := 0; ; try++ {
		if err != nil {
			return DialVerdict{}, err
		}
		if err = e.prune(ctx, w); err == nil {
			var lh api.Handle
			if lh, err = e.local(ctx, w, tables, "tables"); err != nil {
				err = noTable(err)
			} else {
				v, err = w.dial(ctx, int(lh), ti, number)
			}
		}
		if w, err = finish(ctx, e.main, w, err, try); w == nil {
			if err != nil {
				return DialVerdict{}, err
			}
			return v, nil
		}
	}
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
