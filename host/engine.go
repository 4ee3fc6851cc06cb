package host

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
)

// Engine runs tollgate operations. Implementations are safe for concurrent
// use.
type Engine interface {
	// Do runs api operation op with the JSON request req and returns the
	// JSON response, exactly as api.Session.Do does: when the operation
	// cannot run, the response is the api's {"error": {...}} object and err
	// is the *api.Error it describes. An engine fault (a trapped or
	// panicked instance, an oversized request, a cancelled context) returns
	// a nil response and a *Fault or the context's error.
	Do(ctx context.Context, op string, req []byte) ([]byte, error)

	// CheckPIN and CheckPassword run the "pin" and "password" operations.
	CheckPIN(ctx context.Context, req *api.PINRequest) (*Verdict, error)
	CheckPassword(ctx context.Context, req *api.PasswordRequest) (*Verdict, error)

	// LoadPolicy runs "policy.load" with doc (a profile name as a JSON
	// string, or a policy object) and returns the engine-wide handle.
	LoadPolicy(ctx context.Context, doc []byte) (int, error)

	// Dialer is the scalar restriction-table path.
	Dialer

	// Name is "wasm" or "native".
	Name() string

	// Close releases the engine's instances. Calls after Close fail.
	Close() error
}

// Verdict is the api's verdict JSON, decoded.
type Verdict struct {
	Accepted bool     `json:"accepted"`
	Reasons  []Reason `json:"reasons"`
}

// Reason is one reason of a Verdict. Start and End are set when the reason
// applies to a span of the input (character offsets, end exclusive).
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Start   *int   `json:"start,omitempty"`
	End     *int   `json:"end,omitempty"`
	Limit   int    `json:"limit,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// Fault is an engine failure that is not an operation's answer: the guest
// trapped or panicked, or the request could not be passed to it. The
// message names the operation and the failure, never the request.
type Fault struct {
	Op     string
	Status string // an abi status name, or "trap"
	Err    error  // the runtime's error for a trap
}

func (f *Fault) Error() string {
	s := "tollgate: engine fault in op " + strconv.Quote(f.Op) + ": " + f.Status
	if f.Err != nil {
		s += ": " + f.Err.Error()
	}
	return s
}

func (f *Fault) Unwrap() error { return f.Err }

// ErrClosed is returned by calls on a closed engine.
var ErrClosed = errors.New("tollgate: engine is closed")

// Options configure an engine. The zero value is the default everywhere.
type Options struct {
	// Instances is the pool size; 0 means GOMAXPROCS.
	Instances int

	// Module is the .wasm to run instead of the embedded artifact. It must
	// export ABI version abi.Version (wasm engine only).
	Module []byte
	// NoCache switches the on-disk compilation cache off.
	NoCache bool
	// CacheDir overrides the cache location; the default is
	// os.UserCacheDir()/tollgate/wazero.
	CacheDir string
	// MemoryLimitPages caps each instance's linear memory in 64 KiB pages;
	// 0 means DefaultMemoryLimitPages.
	MemoryLimitPages uint32
	// CloseOnContextDone lets a context deadline interrupt any running
	// call, at a large cost per call (docs/host.md). No call needs it:
	// every export's work is bounded by its input, and regular expressions
	// run in the host under regexp2's match timeout.
	CloseOnContextDone bool
	// Interpreter runs the module in wazero's interpreter instead of
	// compiling it: no compile time, much slower calls.
	Interpreter bool
	// Data are the data artifacts (docs/abi.md, "Data artifacts") every
	// worker of the engine loads; nil means tollgate.Data(), the committed
	// ones (the breached-password list). Each is verified once, when the
	// engine starts: a corrupt artifact fails New.
	Data [][]byte
	// NoData loads no artifact at all: a password check whose policy
	// turns the blocklist on then fails with api.ErrDataMissing.
	NoData bool
}

// dataOf parses the artifacts opts selects.
func dataOf(opts Options) ([]*api.Data, error) {
	if opts.NoData {
		return nil, nil
	}
	files := opts.Data
	if files == nil {
		files = tollgate.Data()
	}
	out := make([]*api.Data, 0, len(files))
	for i, b := range files {
		d, err := api.ParseData(b)
		if err != nil {
			return nil, errors.New("tollgate: data artifact " + strconv.Itoa(i) + ": " + err.Error())
		}
		out = append(out, d)
	}
	return out, nil
}

// DefaultMemoryLimitPages is 128 MiB per instance.
const DefaultMemoryLimitPages = 2048

// New returns the engine named kind ("wasm" or "native").
func New(ctx context.Context, kind string, opts Options) (Engine, error) {
	switch kind {
	case "wasm":
		return NewWasm(ctx, opts)
	case "native":
		return NewNativeErr(opts)
	}
	return nil, errors.New("tollgate: unknown engine " + strconv.Quote(kind) + " (want wasm or native)")
}

// worker is one pooled executor: a wasm instance or a native api session.
// It serves one call at a time.
type worker interface {
	// do runs op; opErr is the operation's own failure (its response is the
	// error object), fault a failure of the worker, after which it is
	// discarded.
	do(ctx context.Context, op string, req []byte) (resp []byte, opErr error, fault error)
	close()
	tableIndex(ctx context.Context, tables int, name string) (int, error)
	dial(ctx context.Context, tables, table int, number []byte) (DialResult, error)
	dialBatch(ctx context.Context, tables, table int, numbers [][]byte, out []DialResult) error
	// replayed is how many entries of the load log the worker has applied.
	replayed() *int
}

// loadOps allocate handles: their successful calls are logged and replayed.
var loadOps = map[string]bool{"policy.load": true, "tables.load": true}

type loadEntry struct {
	op        string
	req, resp []byte
}

// engine is what both engines share: the pool and the load log.
type engine struct {
	name   string
	main   *pool
	closed atomic.Bool
	done   chan struct{} // closed by Close

	logMu  sync.Mutex
	log    []loadEntry
	logLen atomic.Int64
}

// pool is a LIFO stack of idle workers (the most recently used is the
// warmest in cache) under a mutex, which is cheaper than channel
// operations on the hot path; callers wait on wake when every worker is
// busy.
type pool struct {
	e       *engine
	newW    func(ctx context.Context) (worker, error)
	mu      sync.Mutex
	idle    []worker
	live    int
	size    int
	waiters int
	wake    chan struct{}
	created atomic.Int64
	dropped atomic.Int64
}

func newEngine(name string, size int, newW func(context.Context) (worker, error)) *engine {
	e := &engine{name: name, done: make(chan struct{})}
	e.main = e.newPool(size, newW)
	return e
}

func (e *engine) newPool(size int, newW func(context.Context) (worker, error)) *pool {
	if size <= 0 {
		size = runtime.GOMAXPROCS(0)
	}
	return &pool{e: e, newW: newW, size: size, wake: make(chan struct{}, 1)}
}

// Stats counts workers created and discarded since the engine started.
type Stats struct {
	Created, Discarded int64
	Size               int
}

func (e *engine) stats() Stats {
	return Stats{Created: e.main.created.Load(), Discarded: e.main.dropped.Load(), Size: e.main.size}
}

// get and put use the main pool.
func (e *engine) get(ctx context.Context) (worker, error) { return e.main.get(ctx) }
func (e *engine) put(w worker, broken bool)               { e.main.put(w, broken) }

func (p *pool) get(ctx context.Context) (worker, error) {
	for {
		if p.e.closed.Load() {
			return nil, ErrClosed
		}
		p.mu.Lock()
		if n := len(p.idle); n > 0 {
			w := p.idle[n-1]
			p.idle = p.idle[:n-1]
			p.mu.Unlock()
			return w, nil
		}
		if p.live < p.size {
			p.live++
			p.mu.Unlock()
			w, err := p.newW(ctx)
			if err != nil {
				p.release()
				return nil, err
			}
			p.created.Add(1)
			return w, nil
		}
		p.waiters++
		p.mu.Unlock()
		select {
		case <-p.wake:
		case <-p.e.done:
		case <-ctx.Done():
		}
		p.mu.Lock()
		p.waiters--
		p.mu.Unlock()
		if err := ctx.Err(); err != nil {
			p.signal() // pass on a wake-up this caller may have taken
			return nil, err
		}
	}
}

// release gives up a worker's slot.
func (p *pool) release() {
	p.mu.Lock()
	p.live--
	p.mu.Unlock()
	p.signal()
}

// signal wakes one waiter, if any.
func (p *pool) signal() {
	p.mu.Lock()
	w := p.waiters
	p.mu.Unlock()
	if w > 0 {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// spender is a worker that can wear out (a wasm instance at
// MaxRegexPerInstance): put discards it like a broken one.
type spender interface{ spent() bool }

func (p *pool) put(w worker, broken bool) {
	if s, ok := w.(spender); ok && s.spent() {
		broken = true
	}
	if broken || p.e.closed.Load() {
		w.close()
		p.dropped.Add(1)
		p.release()
		return
	}
	p.mu.Lock()
	p.idle = append(p.idle, w)
	waiting := p.waiters > 0
	p.mu.Unlock()
	if waiting {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// drain closes the idle workers (Close).
func (p *pool) drain() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.live -= len(idle)
	p.mu.Unlock()
	for _, w := range idle {
		w.close()
	}
}

// catchUp replays the load log into w. Entries are never modified once
// appended, so a snapshot of the slice can be replayed without the lock.
func (e *engine) catchUp(ctx context.Context, w worker) error {
	if int64(*w.replayed()) == e.logLen.Load() {
		return nil
	}
	e.logMu.Lock()
	entries := e.log[*w.replayed():]
	e.logMu.Unlock()
	return replay(ctx, w, entries)
}

// replay applies entries to w; a replay that does not reproduce the logged
// response is a fault (the instance would number handles differently).
func replay(ctx context.Context, w worker, entries []loadEntry) error {
	n := w.replayed()
	for _, l := range entries {
		resp, opErr, fault := w.do(ctx, l.op, l.req)
		if fault != nil {
			return fault
		}
		if opErr != nil || string(resp) != string(l.resp) {
			return &Fault{Op: l.op, Status: "replay_mismatch"}
		}
		*n++
	}
	return nil
}

func (e *engine) Do(ctx context.Context, op string, req []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := e.main
	w, err := p.get(ctx)
	if err != nil {
		return nil, err
	}
	resp, opErr, fault := e.run(ctx, w, op, req)
	p.put(w, isFault(fault))
	if fault != nil {
		return nil, fault
	}
	return resp, opErr
}

func (e *engine) run(ctx context.Context, w worker, op string, req []byte) (resp []byte, opErr, fault error) {
	if !loadOps[op] {
		if fault = e.catchUp(ctx, w); fault != nil {
			return nil, nil, fault
		}
		return w.do(ctx, op, req)
	}
	// A load holds the log so handles are numbered in one order everywhere.
	e.logMu.Lock()
	defer e.logMu.Unlock()
	if fault = replay(ctx, w, e.log[*w.replayed():]); fault != nil {
		return nil, nil, fault
	}
	resp, opErr, fault = w.do(ctx, op, req)
	if fault == nil && opErr == nil {
		e.log = append(e.log, loadEntry{op: op, req: append([]byte(nil), req...), resp: append([]byte(nil), resp...)})
		e.logLen.Store(int64(len(e.log)))
		*w.replayed()++
	}
	return resp, opErr, fault
}

func (e *engine) Name() string { return e.name }

func (e *engine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	e.main.drain()
	// Wake every waiter so that it sees the engine closed.
	close(e.done)
	return nil
}

func (e *engine) CheckPIN(ctx context.Context, req *api.PINRequest) (*Verdict, error) {
	return e.verdict(ctx, "pin", req)
}

func (e *engine) CheckPassword(ctx context.Context, req *api.PasswordRequest) (*Verdict, error) {
	return e.verdict(ctx, "password", req)
}

func (e *engine) verdict(ctx context.Context, op string, req any) (*Verdict, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	resp, err := e.Do(ctx, op, b)
	if err != nil {
		return nil, err
	}
	v := new(Verdict)
	if err := json.Unmarshal(resp, v); err != nil {
		return nil, &Fault{Op: op, Status: "bad_response", Err: err}
	}
	return v, nil
}

func (e *engine) LoadPolicy(ctx context.Context, doc []byte) (int, error) {
	resp, err := e.Do(ctx, "policy.load", doc)
	if err != nil {
		return 0, err
	}
	var r struct {
		Handle int `json:"handle"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return 0, &Fault{Op: "policy.load", Status: "bad_response", Err: err}
	}
	return r.Handle, nil
}

// parseOpError decodes the api error object a guest answered with.
func parseOpError(resp []byte) error {
	var r struct {
		Error *api.Error `json:"error"`
	}
	if err := json.Unmarshal(resp, &r); err != nil || r.Error == nil {
		return &api.Error{Code: api.ErrInternal, Message: "malformed error response from the module"}
	}
	return r.Error
}
