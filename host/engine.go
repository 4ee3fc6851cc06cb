package host

import (
	"bytes"
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
// trapped or panicked, the request could not be passed to it, or the
// call's deadline stopped it (Status "deadline"). The message names the
// operation and the status only: never the request, and never the
// runtime's error, whose wasm stack trace is for a debugger (Err keeps it,
// for errors.As and errors.Is).
type Fault struct {
	Op     string
	Status string // an abi status name, "trap", "deadline", "bad_response", ...
	Err    error  // the runtime's error for a trap, the context's for a deadline
}

func (f *Fault) Error() string {
	s := "tollgate: engine fault in op " + strconv.Quote(f.Op) + ": " + f.Status
	switch f.Status {
	case "trap":
		s += " (the module aborted: out of memory or a runtime error; the instance was replaced)"
	case StatusDeadline:
		s += " (the call's deadline passed and the work was stopped)"
	}
	return s
}

// StatusDeadline is the Fault status of a call its context's deadline (or
// cancellation) stopped. A wasm instance stopped so is replaced; a native
// session, which stops cooperatively, is kept.
const StatusDeadline = "deadline"

// IsDeadline reports whether err is a call stopped by its context: a
// deadline Fault, or the context's own error (a call that never started).
func IsDeadline(err error) bool {
	var f *Fault
	if errors.As(err, &f) {
		return f.Status == StatusDeadline
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

func (f *Fault) Unwrap() error { return f.Err }

// ErrClosed is returned by calls on a closed engine.
var ErrClosed = errors.New("tollgate: engine is closed")

// Options configure an engine. The zero value is the default everywhere.
type Options struct {
	// Instances is the size of the main pool, which runs the cheap
	// operations (pin, password, dial on loaded or built-in tables,
	// policy.load, signin and the scalar dial path); 0 means GOMAXPROCS.
	Instances int
	// HeavyInstances is the size of the pool that runs the expensive
	// operations (Heavy: hash.verify, hash.make, tables.load, lint, a
	// dial on an inline tables document, a history of stored records), so
	// that they cannot hold every instance while PIN and dial verdicts
	// wait; 0 means half of GOMAXPROCS, at least 1.
	HeavyInstances int

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
	// call, at a large cost per call (docs/host.md). No call needs it: the
	// module polls its clock during long work and the engine stops a call
	// whose context has ended there (Fault status "deadline"), and
	// regular expressions run in the host under regexp2's match timeout.
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

// engine is what both engines share: the pools and the load log.
type engine struct {
	name   string
	main   *pool // cheap operations
	heavy  *pool // expensive operations (Heavy)
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
	name    string
	newW    func(ctx context.Context) (worker, error)
	mu      sync.Mutex
	idle    []worker
	live    int
	size    int
	waiters int
	wake    chan struct{}
	created atomic.Int64
	dropped atomic.Int64
	// deadlines counts calls their context stopped while they ran.
	deadlines atomic.Int64
}

func newEngine(name string, opts Options, newW func(context.Context) (worker, error)) *engine {
	e := &engine{name: name, done: make(chan struct{})}
	size, heavy := opts.Instances, opts.HeavyInstances
	if size <= 0 {
		size = runtime.GOMAXPROCS(0)
	}
	if heavy <= 0 {
		heavy = max(1, runtime.GOMAXPROCS(0)/2)
	}
	e.main = e.newPool("main", size, newW)
	e.heavy = e.newPool("heavy", heavy, newW)
	return e
}

func (e *engine) newPool(name string, size int, newW func(context.Context) (worker, error)) *pool {
	return &pool{e: e, name: name, newW: newW, size: size, wake: make(chan struct{}, 1)}
}

// Stats counts workers created and discarded since the engine started, in
// both pools together; Size is both pools' sizes.
type Stats struct {
	Created, Discarded int64
	Size               int
}

// PoolStats is one pool's Stats, by name ("main" or "heavy"), with the
// calls its deadline stopped and the workers busy now.
type PoolStats struct {
	Pool string
	Stats
	Deadlines int64
	Busy      int
}

func (e *engine) stats() Stats {
	var s Stats
	for _, p := range e.pools() {
		s.Created += p.created.Load()
		s.Discarded += p.dropped.Load()
		s.Size += p.size
	}
	return s
}

func (e *engine) pools() []*pool { return []*pool{e.main, e.heavy} }

// Pools reports each pool's counters.
func (e *engine) Pools() []PoolStats {
	var out []PoolStats
	for _, p := range e.pools() {
		p.mu.Lock()
		busy := p.live - len(p.idle)
		p.mu.Unlock()
		out = append(out, PoolStats{Pool: p.name, Stats: Stats{Created: p.created.Load(), Discarded: p.dropped.Load(), Size: p.size},
			Deadlines: p.deadlines.Load(), Busy: busy})
	}
	return out
}

// get and put use the main pool.
func (e *engine) get(ctx context.Context) (worker, error) { return e.main.get(ctx) }
func (e *engine) put(w worker, broken bool)               { e.main.put(w, broken) }

// Heavy reports whether op with request req runs in the heavy pool: the
// operations whose work can take long (PBKDF2, compiling automata), and
// the otherwise cheap ones when their request asks for such work.
// Misjudging costs only the pool, never the answer; the checks are byte
// scans, cheap on the hot path.
func Heavy(op string, req []byte) bool {
	switch op {
	case "hash.verify", "hash.make", "tables.load", "lint":
		return true
	case "dial":
		// A dial request is a flat object unless "tables" is an inline
		// document: a second '{' means one (or a malformed request, which
		// the api refuses at once).
		if i := bytes.IndexByte(req, '{'); i >= 0 && bytes.IndexByte(req[i+1:], '{') >= 0 {
			return true
		}
	case "pin", "password":
		// A history of stored records: each one may be PBKDF2. A request
		// with a \u escape could spell the key otherwise, so it goes to
		// the heavy pool too.
		return bytes.Contains(req, []byte(`"previous_records"`)) || bytes.Contains(req, []byte(`\u`))
	}
	return false
}

// survivor is a worker whose state is intact after a deadline fault (a
// native session stops cooperatively); a wasm instance is not.
type survivor interface{ survives(fault error) bool }

// putAfter returns w to p after a call that ended with fault.
func (p *pool) putAfter(w worker, fault error) {
	broken := isFault(fault)
	if fault != nil && IsDeadline(fault) {
		p.deadlines.Add(1)
		if s, ok := w.(survivor); ok && s.survives(fault) {
			broken = false
		}
	}
	p.put(w, broken)
}

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
	if Heavy(op, req) {
		p = e.heavy
	}
	w, err := p.get(ctx)
	if err != nil {
		return nil, err
	}
	resp, opErr, fault := e.run(ctx, w, op, req)
	p.putAfter(w, fault)
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
	e.heavy.drain()
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
