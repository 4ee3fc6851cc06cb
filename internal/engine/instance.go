package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tetratelabs/wazero"
	wapi "github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/internal/abi"
)

// compiled is a module compiled once for a runtime configuration and shared
// by every engine of the process that uses the same bytes and settings.
type compiled struct {
	rt  wazero.Runtime
	cm  wazero.CompiledModule
	cfg wazero.ModuleConfig
	sum [32]byte // the module's SHA-256
}

type compileKey struct {
	sum         [32]byte
	pages       uint32
	closeOnDone bool
	interpreter bool
	cacheDir    string // "" when the disk cache is off
}

var (
	compileMu sync.Mutex
	compiles  = map[compileKey]*compileOnce{}
	caches    = map[string]wazero.CompilationCache{}
)

type compileOnce struct {
	once sync.Once
	c    *compiled
	err  error
}

// DefaultCacheDir is where compiled code is cached between processes:
// os.UserCacheDir()/tollgate/wazero. wazero keys its entries by its own
// version and the module's bytes, so a stale entry is never used.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "tollgate", "wazero"), nil
}

// compileFor compiles opts.Module (once per process for the same bytes and
// settings).
func compileFor(ctx context.Context, opts Options) (*compiled, error) {
	if len(opts.Module) == 0 {
		return nil, errors.New("tollgate: the wasm engine needs a module (Options.Module)")
	}
	key := compileKey{sum: moduleSum(opts.Module), pages: opts.MemoryLimitPages, closeOnDone: opts.CloseOnContextDone, interpreter: opts.Interpreter}
	if key.pages == 0 {
		key.pages = DefaultMemoryLimitPages
	}
	if !opts.NoCache && !opts.Interpreter {
		key.cacheDir = opts.CacheDir
		if key.cacheDir == "" {
			// Without a cache directory the engine still works, compiling
			// in every process.
			key.cacheDir, _ = DefaultCacheDir()
		}
	}
	workers := opts.CompileWorkers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return compileShared(ctx, key, opts.Module, workers)
}

// moduleSums remembers the sum of each module slice an engine was made
// with: the embedded module is the same slice in every engine of a
// process, and hashing its 3.5 MB would cost each one-shot command 10 ms.
var moduleSums sync.Map // moduleID -> [32]byte

type moduleID struct {
	p *byte
	n int
}

func moduleSum(mod []byte) [32]byte {
	id := moduleID{unsafe.SliceData(mod), len(mod)}
	if s, ok := moduleSums.Load(id); ok {
		return s.([32]byte)
	}
	s := sha256.Sum256(mod)
	moduleSums.Store(id, s)
	return s
}

// compileShared compiles mod for key once per process, on workers
// goroutines (the code is the same however many).
func compileShared(ctx context.Context, key compileKey, mod []byte, workers int) (*compiled, error) {
	compileMu.Lock()
	co := compiles[key]
	if co == nil {
		co = &compileOnce{}
		compiles[key] = co
	}
	compileMu.Unlock()
	// The result is shared and kept: no caller's deadline may cut it short.
	co.once.Do(func() { co.c, co.err = compile(context.WithoutCancel(ctx), key, mod, workers) })
	return co.c, co.err
}

func compile(ctx context.Context, key compileKey, mod []byte, workers int) (*compiled, error) {
	rc := wazero.NewRuntimeConfig()
	if key.interpreter {
		rc = wazero.NewRuntimeConfigInterpreter()
	}
	rc = rc.WithMemoryLimitPages(key.pages).WithCloseOnContextDone(key.closeOnDone)
	if key.cacheDir != "" {
		compileMu.Lock()
		cache, ok := caches[key.cacheDir]
		if !ok {
			var err error
			if cache, err = wazero.NewCompilationCacheWithDir(key.cacheDir); err != nil {
				cache = nil // an unusable directory only costs compile time
			}
			caches[key.cacheDir] = cache
		}
		compileMu.Unlock()
		if cache != nil {
			rc = rc.WithCompilationCache(cache)
		}
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	if err := instantiateWASI(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, err
	}
	if err := instantiateRegexHost(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, errors.New("tollgate: the regex host module: " + err.Error())
	}
	// Compile functions in parallel unless told otherwise: a cold compile
	// of this module takes seconds on one core (Options.CompileWorkers).
	cm, err := rt.CompileModule(experimental.WithCompilationWorkers(ctx, workers), mod)
	if err != nil {
		rt.Close(ctx)
		return nil, errors.New("tollgate: compiling the wasm module: " + err.Error())
	}
	for _, name := range []string{abi.ExportVersion, abi.ExportBufPtr, abi.ExportBufCap, abi.ExportBufReserve, abi.ExportCall} {
		if _, ok := cm.ExportedFunctions()[name]; !ok {
			rt.Close(ctx)
			return nil, errors.New("tollgate: the wasm module does not export " + name + " (not a tollgate module?)")
		}
	}
	// Real clocks and randomness: wazero's defaults are deterministic
	// fakes (a clock that advances 1 ms per read). No stdout or
	// stderr: nothing the guest prints can leak an input. GOGC=off makes
	// initialisation skip collections; the module then sets its own
	// steady-state GC percent (wasm/main.go). GOMEMLIMIT, three quarters of
	// the memory cap, makes the guest's collector work harder as its heap
	// nears the cap instead of growing into it and aborting.
	memLimit := strconv.FormatUint(uint64(key.pages)*65536/4*3, 10)
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions(abi.ExportInitialize).
		WithEnv("GOGC", "off").WithEnv("GOMEMLIMIT", memLimit).
		WithSysWalltime().WithSysNanotime().WithSysNanosleep().WithRandSource(rand.Reader)
	return &compiled{rt: rt, cm: cm, cfg: cfg, sum: key.sum}, nil
}

// instance is one instance of the module.
type instance struct {
	mod                               wapi.Module
	mem                               wapi.Memory
	call, reserve, ptrFn, capFn       wapi.Function
	dialFn, batchFn, indexFn, faultFn wapi.Function
	dataFn                            wapi.Function
	stack                             []uint64
	ptr, cap                          uint32
	rs                                *regexSet // its patterns, in regexes

	// local maps the engine's handles to this instance's own: documents
	// are loaded into an instance when a call first needs them (wasm.go).
	local map[api.Handle]localDoc
	// gen is the registry generation local was last pruned at.
	gen uint64
	// broken marks an instance left in a state the host does not know
	// (an unload that failed): the pool discards it after its call.
	broken bool
	// used is set once the instance has served a call: a load that
	// fails in a used instance may have failed for what it held.
	used bool
	// loads counts the documents loaded into it, in its pool's stats.
	loads *atomic.Int64
	// req is the buffer requests are encoded into.
	req []byte
	// pending are the engine's data artifacts not loaded into this
	// instance yet: each is loaded when a call first answers that it
	// needs it (do), so that an instance that never checks a blocklisted
	// password or classifies a number never pays for either.
	pending []*api.Data
}

func (c *compiled) instantiate(ctx context.Context) (*instance, error) {
	// An instance outlives the call that made it: its set-up is not cut
	// short by that caller's deadline.
	ctx = context.WithoutCancel(ctx)
	mod, err := c.rt.InstantiateModule(withLinearMemory(ctx), c.cm, c.cfg)
	if err != nil {
		return nil, errors.New("tollgate: instantiating the wasm module: " + firstLine(err))
	}
	w := &instance{mod: mod, mem: mod.Memory(), stack: make([]uint64, 3),
		call: mod.ExportedFunction(abi.ExportCall), reserve: mod.ExportedFunction(abi.ExportBufReserve),
		ptrFn: mod.ExportedFunction(abi.ExportBufPtr), capFn: mod.ExportedFunction(abi.ExportBufCap),
		dialFn: mod.ExportedFunction(abi.ExportDial), batchFn: mod.ExportedFunction(abi.ExportDialBatch),
		indexFn: mod.ExportedFunction(abi.ExportTableIndex), faultFn: mod.ExportedFunction(abi.ExportFault),
		dataFn: mod.ExportedFunction(abi.ExportDataLoad), rs: regexes.set(mod),
		local: map[api.Handle]localDoc{}}
	if w.mem == nil {
		closeInstance(ctx, mod)
		return nil, errors.New("tollgate: the wasm module exports no memory")
	}
	if err := w.mod.ExportedFunction(abi.ExportVersion).CallWithStack(ctx, w.stack); err != nil {
		closeInstance(ctx, mod)
		return nil, errors.New("tollgate: reading the module's ABI version: " + firstLine(err))
	}
	if v := uint32(w.stack[0]); v != abi.Version {
		closeInstance(ctx, mod)
		return nil, errors.New("tollgate: the wasm module has ABI version " + strconv.FormatUint(uint64(v), 10) +
			"; this host supports version " + strconv.Itoa(abi.Version))
	}
	if err := w.refresh(ctx); err != nil {
		closeInstance(ctx, mod)
		return nil, err
	}
	return w, nil
}

// refresh reads the scratch buffer's address and size.
func (w *instance) refresh(ctx context.Context) error {
	if err := w.ptrFn.CallWithStack(ctx, w.stack); err != nil {
		return err
	}
	w.ptr = uint32(w.stack[0])
	if err := w.capFn.CallWithStack(ctx, w.stack); err != nil {
		return err
	}
	w.cap = uint32(w.stack[0])
	if w.ptr == 0 || w.cap == 0 {
		return errors.New("the module reported no scratch buffer")
	}
	return nil
}

// ensure makes the buffer at least n bytes.
func (w *instance) ensure(ctx context.Context, op string, n uint64) error {
	if n <= uint64(w.cap) {
		return nil
	}
	if n > abi.MaxBuf {
		return &Fault{Op: op, Kind: statusKind(abi.StatusTooLarge), Err: errTooLarge}
	}
	w.stack[0] = n
	if err := w.reserve.CallWithStack(ctx, w.stack); err != nil {
		return trap(ctx, op, err)
	}
	if s := int32(w.stack[0]); s != abi.StatusOK {
		return &Fault{Op: op, Kind: statusKind(s)}
	}
	if err := w.refresh(ctx); err != nil {
		return trap(ctx, op, err)
	}
	return nil
}

// trap is the Fault for a call the runtime failed: a deadline when the
// context ended (the clock or a regex import stopped the call, or wazero
// closed the instance under Options.CloseOnContextDone), else a trap.
func trap(ctx context.Context, op string, err error) *Fault {
	if ctx.Err() != nil || errors.Is(err, errDeadline) {
		return &Fault{Op: op, Kind: FaultDeadline, Err: ctx.Err()}
	}
	return &Fault{Op: op, Kind: FaultTrap, Err: err}
}

// firstLine is a runtime error's first line: wazero appends the wasm stack
// trace after it, which is for a debugger, never for an answer or a log.
func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// errDeadline is what a host function panics with to end a call whose
// context has ended; wazero unwinds the guest and the call returns it
// wrapped. The instance is then in no state to run again: it is
// discarded, like a trapped one.
var errDeadline = errors.New("tollgate host: the call's deadline passed")

// stopIfDone ends the calling guest's call when ctx has ended. Host
// functions the module calls during long work run it: clock_time_get,
// which the module polls (wasm/main.go), and the regex imports.
func stopIfDone(ctx context.Context) {
	if ctx.Err() != nil {
		panic(errDeadline)
	}
}

// instantiateWASI adds WASI to rt with one function replaced: the
// module's clock, clock_time_get, is also where a call is stopped when its
// context ends. The module polls the clock during long work (PBKDF2 every
// 1 024 iterations, automaton construction about every millisecond), and
// Go's runtime reads it as it schedules and collects, so a deadline stops
// a busy call within milliseconds without wazero's
// WithCloseOnContextDone, which slows every call (docs/engine.md).
func instantiateWASI(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder(wasi_snapshot_preview1.ModuleName)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(b)
	i32, i64 := wapi.ValueTypeI32, wapi.ValueTypeI64
	b.NewFunctionBuilder().
		WithGoModuleFunction(wapi.GoModuleFunc(clockTimeGet), []wapi.ValueType{i32, i64, i32}, []wapi.ValueType{i32}).
		WithParameterNames("id", "precision", "result.timestamp").
		Export("clock_time_get")
	_, err := b.Instantiate(ctx)
	return err
}

// WASI clock ids and errnos (wasi_snapshot_preview1).
const (
	clockRealtime  = 0
	clockMonotonic = 1
	errnoFault     = 21
	errnoInval     = 28
)

// monoBase is the origin of the monotonic clock the module sees.
var monoBase = time.Now()

// clockTimeGet is WASI's clock_time_get (real time and the monotonic
// clock, as wazero's WithSysWalltime and WithSysNanotime give them), after
// stopIfDone.
func clockTimeGet(ctx context.Context, mod wapi.Module, st []uint64) {
	stopIfDone(ctx)
	var t int64
	switch uint32(st[0]) {
	case clockRealtime:
		t = time.Now().UnixNano()
	case clockMonotonic:
		t = int64(time.Since(monoBase)) + 1 // never 0, as wazero's is not
	default:
		st[0] = errnoInval
		return
	}
	if !mod.Memory().WriteUint64Le(uint32(st[2]), uint64(t)) {
		st[0] = errnoFault
		return
	}
	st[0] = 0
}

// errTooLarge marks a request refused before it reached the guest: the
// instance is intact.
var errTooLarge = errors.New("request larger than the module's buffer limit")

// call runs op with the JSON request req. The answer (a result for ok,
// the error object for op_error) is a view of the instance's memory, valid
// until its next call: decode it at once.
func (w *instance) do(ctx context.Context, op string, req []byte) (view []byte, ok bool, fault error) {
	need := uint64(len(op)) + uint64(len(req))
	if need > abi.MaxBuf {
		return nil, false, &Fault{Op: op, Kind: FaultTooLarge, Err: errTooLarge}
	}
	if err := w.ensure(ctx, op, need); err != nil {
		return nil, false, err
	}
	w.mem.WriteString(w.ptr, op)
	w.mem.Write(w.ptr+uint32(len(op)), req)
	w.stack[0], w.stack[1] = uint64(len(op)), uint64(len(req))
	if err := w.call.CallWithStack(ctx, w.stack); err != nil {
		return nil, false, trap(ctx, op, err)
	}
	status, n := abi.UnpackCall(uint32(w.stack[0]))
	if n > w.cap {
		// The guest grew its buffer to fit the answer.
		if err := w.refresh(ctx); err != nil {
			return nil, false, trap(ctx, op, err)
		}
	}
	view, readable := w.mem.Read(w.ptr, n)
	if !readable {
		return nil, false, &Fault{Op: op, Kind: FaultBadResponse}
	}
	switch status {
	case abi.StatusOK:
		return view, true, nil
	case abi.StatusOpError:
		if d := w.lacks(view); d != nil {
			// The call needs an artifact the engine has: load it, and
			// run the call again (the request is in w's Go memory).
			if err := w.loadData(ctx, d); err != nil {
				w.broken = true
				return nil, false, err
			}
			return w.do(ctx, op, req)
		}
		return view, false, nil
	}
	return nil, false, &Fault{Op: op, Kind: statusKind(int32(status))}
}

// lacks returns the pending artifact an error answer says the call
// needed (the module's data_missing names it: `the "NAME" data
// artifact`), removing it from pending, or nil.
func (w *instance) lacks(view []byte) *api.Data {
	if len(w.pending) == 0 || !bytes.Contains(view, []byte(`"data_missing"`)) {
		return nil
	}
	for i, d := range w.pending {
		if bytes.Contains(view, []byte(`\"`+d.Name()+`\" data artifact`)) {
			w.pending = append(w.pending[:i:i], w.pending[i+1:]...)
			return d
		}
	}
	return nil
}

// statusKind is the Fault kind of an abi status.
func statusKind(s int32) FaultKind {
	switch s {
	case abi.StatusTooLarge:
		return FaultTooLarge
	case abi.StatusPanic:
		return FaultPanic
	case abi.StatusBadArgs:
		return FaultBadArgs
	}
	return FaultBadResponse
}

func (w *instance) close() { closeInstance(context.Background(), w.mod) }

// closeInstance closes an instance and forgets its regular expressions.
func closeInstance(ctx context.Context, mod wapi.Module) {
	mod.Close(ctx)
	regexes.drop(mod)
}

// spent reports that the instance reached MaxRegexPerInstance, or is
// broken: the pool discards it after its call.
func (w *instance) spent() bool { return w.rs.full || w.broken }

// injectFault runs the module's fault-injection export. Tests use it to
// prove the engine survives a guest panic and a guest that exhausts its
// memory.
func (w *instance) injectFault(ctx context.Context, kind uint32) error {
	w.stack[0] = uint64(kind)
	if err := w.faultFn.CallWithStack(ctx, w.stack); err != nil {
		return &Fault{Op: abi.ExportFault, Kind: FaultTrap, Err: err}
	}
	if s := int32(w.stack[0]); s != abi.StatusOK {
		return &Fault{Op: abi.ExportFault, Kind: statusKind(s)}
	}
	return nil
}

// Wasm dial: the module's scalar exports.

// status turns a negative export result into an error; a panic is a fault.
func (w *instance) status(op string, r int32) error {
	switch -r {
	case abi.StatusNoHandle:
		return ErrNoTable
	case abi.StatusPanic:
		return &Fault{Op: op, Kind: statusKind(-r)}
	}
	return errors.New("tollgate: " + op + ": " + abi.StatusName(-r))
}

func (w *instance) tableIndex(ctx context.Context, th int, name string) (int, error) {
	if w.indexFn == nil {
		return 0, errNoDialExports
	}
	if err := w.ensure(ctx, abi.ExportTableIndex, uint64(len(name))); err != nil {
		return 0, err
	}
	w.mem.WriteString(w.ptr, name)
	w.stack[0], w.stack[1] = uint64(uint32(th)), uint64(len(name))
	if err := w.indexFn.CallWithStack(ctx, w.stack); err != nil {
		return 0, trap(ctx, abi.ExportTableIndex, err)
	}
	if r := int32(w.stack[0]); r < 0 {
		return 0, w.status(abi.ExportTableIndex, r)
	} else {
		return int(r), nil
	}
}

var errNoDialExports = errors.New("tollgate: this module has no dial exports")

func (w *instance) dial(ctx context.Context, th, ti int, number []byte) (DialVerdict, error) {
	if w.dialFn == nil {
		return DialVerdict{}, errNoDialExports
	}
	if uint64(len(number)) > uint64(w.cap) {
		if err := w.ensure(ctx, abi.ExportDial, uint64(len(number))); err != nil {
			return DialVerdict{}, err
		}
	}
	w.mem.Write(w.ptr, number)
	w.stack[0], w.stack[1], w.stack[2] = uint64(uint32(th)), uint64(uint32(ti)), uint64(len(number))
	if err := w.dialFn.CallWithStack(ctx, w.stack); err != nil {
		return DialVerdict{}, trap(ctx, abi.ExportDial, err)
	}
	r := int32(w.stack[0])
	if r < 0 {
		return DialVerdict{}, w.status(abi.ExportDial, r)
	}
	return unpackDial(uint32(r)), nil
}

func unpackDial(r uint32) DialVerdict {
	allowed, reason, normalized, row, alt := abi.UnpackDial(r)
	return DialVerdict{Allowed: allowed, Reason: dialplan.Reason(reason), Row: row, Alt: alt, Normalized: normalized}
}

// batchChunk is the buffer a batch is cut to fit: large enough that the
// crossing is amortised, small enough to stay in cache.
const batchChunk = 256 << 10

func (w *instance) dialBatch(ctx context.Context, th, ti int, numbers [][]byte, out []DialVerdict) error {
	if w.batchFn == nil {
		return errNoDialExports
	}
	if err := w.ensure(ctx, abi.ExportDialBatch, batchChunk); err != nil {
		return err
	}
	for len(numbers) > 0 {
		// Fill the buffer: numbers and newlines, then 4 bytes of result
		// per number after the input (4-byte aligned).
		view, ok := w.mem.Read(w.ptr, w.cap)
		if !ok {
			return &Fault{Op: abi.ExportDialBatch, Kind: FaultBadResponse}
		}
		in, n := 0, 0
		for n < len(numbers) {
			num := numbers[n]
			if (in+len(num)+1+3)&^3+4*(n+1) > len(view) {
				break
			}
			if bytes.IndexByte(num, '\n') >= 0 {
				return fmt.Errorf("%w (number %d)", ErrNewline, len(out)-len(numbers)+n)
			}
			in += copy(view[in:], num)
			view[in] = '\n'
			in++
			n++
		}
		if n == 0 {
			// One number larger than the buffer: grow it and retry.
			if err := w.ensure(ctx, abi.ExportDialBatch, uint64(2*len(numbers[0])+16)); err != nil {
				return err
			}
			continue
		}
		w.stack[0], w.stack[1], w.stack[2] = uint64(uint32(th)), uint64(uint32(ti)), uint64(in)
		if err := w.batchFn.CallWithStack(ctx, w.stack); err != nil {
			return trap(ctx, abi.ExportDialBatch, err)
		}
		r := int32(w.stack[0])
		if r < 0 {
			return w.status(abi.ExportDialBatch, r)
		}
		if int(r) != n {
			return &Fault{Op: abi.ExportDialBatch, Kind: FaultBadResponse}
		}
		res, ok := w.mem.Read(w.ptr+uint32((in+3)&^3), uint32(4*n))
		if !ok {
			return &Fault{Op: abi.ExportDialBatch, Kind: FaultBadResponse}
		}
		dst := out[len(out)-len(numbers):]
		for i := range n {
			p := int32(binary.LittleEndian.Uint32(res[4*i:]))
			if p < 0 {
				return w.status(abi.ExportDialBatch, p)
			}
			dst[i] = unpackDial(uint32(p))
		}
		numbers = numbers[n:]
	}
	return nil
}

// loadData hands a verified artifact's payload to the instance through
// data_load (docs/abi.md, "Data artifacts").
func (w *instance) loadData(ctx context.Context, d *api.Data) error {
	return w.loadPayload(ctx, d.Name(), d.Payload())
}

// loadPayload is loadData of a name and a payload, which the module checks
// itself (the test of that passes payloads no Data holds).
func (w *instance) loadPayload(ctx context.Context, name string, payload []byte) error {
	if w.dataFn == nil {
		return errors.New("tollgate: the wasm module has no " + abi.ExportDataLoad + " export (built before data artifacts?)")
	}
	need := uint64(len(name)) + uint64(len(payload))
	if err := w.ensure(ctx, abi.ExportDataLoad, need); err != nil {
		return err
	}
	w.mem.WriteString(w.ptr, name)
	w.mem.Write(w.ptr+uint32(len(name)), payload)
	w.stack[0], w.stack[1] = uint64(len(name)), uint64(len(payload))
	if err := w.dataFn.CallWithStack(ctx, w.stack); err != nil {
		return trap(ctx, abi.ExportDataLoad, err)
	}
	status, n := abi.UnpackCall(uint32(w.stack[0]))
	// The module kept the bytes and started a new buffer.
	if err := w.refresh(ctx); err != nil {
		return trap(ctx, abi.ExportDataLoad, err)
	}
	switch status {
	case abi.StatusOK:
		return nil
	case abi.StatusOpError:
		view, ok := w.mem.Read(w.ptr, n)
		if !ok {
			return &Fault{Op: abi.ExportDataLoad, Kind: FaultBadResponse}
		}
		return opError(abi.ExportDataLoad, view)
	}
	return &Fault{Op: abi.ExportDataLoad, Kind: statusKind(int32(status))}
}
