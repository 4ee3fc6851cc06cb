package engine

import (
	"context"
	"errors"
	"runtime"
	"strconv"

	"github.com/tollgate/tollgate/api"
)

// Engine runs every tollgate operation (api.Operations) natively or in the
// WebAssembly module; both give the same Go values and the same errors.
// Implementations are safe for concurrent use.
type Engine interface {
	api.Operations

	// TableIndex resolves the table a dial would pick in the set loaded
	// under tables (by name, by class of service and feature, or the
	// set's default), for the scalar dial path.
	TableIndex(ctx context.Context, tables api.Handle, table, cos, feature string) (int, error)
	// DialNumber matches one number against table index table of a loaded
	// set: no JSON, no allocation.
	DialNumber(ctx context.Context, tables api.Handle, table int, number []byte) (DialVerdict, error)
	// DialBatch matches numbers[i] into out[i] for i < min(len(numbers),
	// len(out)), crossing into the module once per buffer-full. Numbers
	// travel newline-separated, so one holding a newline is an error
	// (ErrNewline), and a trailing \r is dropped, as in a CRLF file.
	DialBatch(ctx context.Context, tables api.Handle, table int, numbers [][]byte, out []DialVerdict) error

	// Kind says which engine this is.
	Kind() Kind
	// Pools reports the engine's pools: sizes, workers made and dropped.
	Pools() []PoolStats
	// Close releases the engine's instances. Calls after Close fail with
	// ErrClosed.
	Close() error
}

// Kind is an engine implementation.
type Kind uint8

const (
	// Native runs the core compiled into the program.
	Native Kind = iota
	// Wasm runs the WebAssembly module under wazero: the artifact
	// browsers and plugins run.
	Wasm
)

func (k Kind) String() string {
	if k == Wasm {
		return "wasm"
	}
	return "native"
}

// ParseKind reads "native" or "wasm".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "native":
		return Native, nil
	case "wasm":
		return Wasm, nil
	}
	return 0, errors.New("tollgate: unknown engine " + strconv.Quote(s) + " (want native or wasm)")
}

// Options configure an engine. The zero value is the default everywhere.
type Options struct {
	Kind Kind

	// PoolSize bounds the calls that run at once in the main pool (the
	// cheap operations: pin, password, dial on loaded or built-in tables,
	// policy.load, signin and the scalar dial path); 0 means GOMAXPROCS.
	// On the wasm engine it is the number of instances.
	PoolSize int
	// HeavySize bounds the expensive operations (Heavy: hash.verify,
	// hash.make, tables.load, lint, a dial on an inline tables document,
	// a history of stored records), so that they cannot hold every worker
	// while PIN and dial verdicts wait; 0 means half of GOMAXPROCS, at
	// least 1.
	HeavySize int

	// Module is the .wasm to run (wasm engine only); it must export ABI
	// version abi.Version.
	Module []byte
	// NoCache switches the on-disk compilation cache off.
	NoCache bool
	// CacheDir overrides the cache location; the default is
	// os.UserCacheDir()/tollgate/wazero.
	CacheDir string
	// MemoryLimitPages caps each instance's linear memory in 64 KiB pages;
	// 0 means DefaultMemoryLimitPages.
	MemoryLimitPages uint32
	// CloseOnContextDone lets a context end interrupt any running call,
	// at a large cost per call (docs/engine.md). No call needs it: the
	// module polls its clock during long work and the engine stops a
	// call whose context has ended there.
	CloseOnContextDone bool
	// Interpreter runs the module in wazero's interpreter instead of
	// compiling it: no compile time, much slower calls.
	Interpreter bool
	// CompileWorkers is how many goroutines compile the module when the
	// cache does not have it; 0 means GOMAXPROCS. One is slower and holds
	// less: wazero's parallel compile keeps every compiled function until
	// the last is done (the audit module: 91 against 77 MB for a cold
	// `tollgate pin`, 1.7-2.2 against 2.9-3.3 s).
	CompileWorkers int

	// Data are the data artifacts (docs/abi.md, "Data artifacts") the
	// engine loads; each is verified once, when the engine starts.
	Data [][]byte
}

// DefaultMemoryLimitPages is 128 MiB per instance.
const DefaultMemoryLimitPages = 2048

// New returns the engine opts.Kind names.
func New(ctx context.Context, opts Options) (Engine, error) {
	data, err := parseData(opts.Data)
	if err != nil {
		return nil, err
	}
	if opts.Kind == Wasm {
		return newWasm(ctx, opts, data)
	}
	return newNative(opts, data), nil
}

func parseData(files [][]byte) ([]*api.Data, error) {
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

func poolSizes(opts Options) (main, heavy int) {
	main, heavy = opts.PoolSize, opts.HeavySize
	if main <= 0 {
		main = runtime.GOMAXPROCS(0)
	}
	if heavy <= 0 {
		heavy = max(1, runtime.GOMAXPROCS(0)/2)
	}
	return main, heavy
}

// FaultKind says what failed when an engine could not run a call.
type FaultKind string

// Fault kinds.
const (
	FaultTrap        FaultKind = "trap"         // the module aborted (memory exhausted, a runtime error); the instance was replaced
	FaultPanic       FaultKind = "panic"        // the module panicked and recovered; the instance was replaced
	FaultDeadline    FaultKind = "deadline"     // the call's context ended and its work was stopped
	FaultTooLarge    FaultKind = "too_large"    // a request or answer above the module's buffer limit
	FaultBadResponse FaultKind = "bad_response" // the module answered something the host cannot read
	FaultBadArgs     FaultKind = "bad_args"     // the module refused the call's arguments
)

// Fault is an engine failure that is not an operation's answer. Its
// message names the operation and the kind only: never the request, and
// never the runtime's error, whose wasm stack trace is for a debugger
// (Err keeps it, for errors.As and errors.Is).
type Fault struct {
	Op   string
	Kind FaultKind
	Err  error
}

func (f *Fault) Error() string {
	s := "tollgate: engine fault in op " + strconv.Quote(f.Op) + ": " + string(f.Kind)
	switch f.Kind {
	case FaultTrap:
		s += " (the module aborted: out of memory or a runtime error; the instance was replaced)"
	case FaultDeadline:
		s += " (the call's deadline passed and the work was stopped)"
	}
	return s
}

func (f *Fault) Unwrap() error { return f.Err }

// IsDeadline reports whether err is a call stopped by its context: a
// deadline Fault, or the context's own error (a call that never started).
func IsDeadline(err error) bool {
	if err == nil {
		return false // and no allocation: every pooled call asks
	}
	var f *Fault
	if errors.As(err, &f) {
		return f.Kind == FaultDeadline
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// ErrClosed is returned by calls on a closed engine.
var ErrClosed = errors.New("tollgate: engine is closed")

// ErrNoTable is returned by the scalar dial path for a tables handle or a
// table that is not loaded.
var ErrNoTable = errors.New("tollgate: no such tables handle or table")

// ErrNewline is returned by DialBatch for a number containing a newline:
// the batch form separates numbers with newlines.
var ErrNewline = errors.New("tollgate: a number in a batch contains a newline")

// PoolStats is one pool's counters: "main" or "heavy".
type PoolStats struct {
	Pool string
	// Size is the pool's bound; Busy the workers running a call now.
	Size, Busy int
	// Created and Discarded count workers (wasm instances) made and
	// dropped since the engine started; Deadlines the calls the pool's
	// workers were stopped in by their context.
	Created, Discarded, Deadlines int64
	// Loads counts documents loaded into the pool's instances (wasm):
	// first loads, and the lazy loads of a document into an instance
	// whose call first needs it (docs/abi.md, "Handles across
	// instances").
	Loads int64
}

// Heavy reports whether a request is one of the expensive ones, which run
// in the heavy pool: PBKDF2 (hash operations, a history of stored
// records), compiling automata (tables.load, lint, an inline tables
// document). Misjudging costs only the pool, never the answer.
func heavyPIN(r *api.PINRequest) bool           { return len(r.Context.PreviousRecords) > 0 }
func heavyPassword(r *api.PasswordRequest) bool { return len(r.Context.PreviousRecords) > 0 }
func heavyTables(t *api.TablesRef) bool {
	_, inline := t.JSON()
	return inline
}

// deadline is the Fault of a call its context stopped.
func deadline(op string, ctx context.Context) *Fault {
	return &Fault{Op: op, Kind: FaultDeadline, Err: ctx.Err()}
}

// interrupted turns the api's "interrupted" answer into the deadline
// Fault both engines give for a call their context stopped.
func interrupted(op string, ctx context.Context, err error) error {
	if e, ok := err.(*api.Error); ok && e.Code == api.ErrInterrupted {
		return deadline(op, ctx)
	}
	return err
}
