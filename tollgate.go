// Package tollgate checks voicemail PINs, web passwords and dialed numbers
// against the rules of Cisco Unity Connection, Unified CM, Exchange UM and
// NIST SP 800-63B-4, verifies stored credential records, and keeps toll
// fraudsters from forwarding calls where they should not.
//
// A Checker runs every operation with Go values in and Go values out:
//
//	tg, err := tollgate.New(ctx)
//	defer tg.Close()
//	v, err := tg.CheckPIN(ctx, &api.PINRequest{PIN: "2580", Context: api.PINContext{Extensions: []string{"4021"}}})
//	// v.Accepted == false; v.Reasons[0].Code == "too_short"
//
// The requests and answers are package api's; their JSON form is the one
// every tollgate host speaks (the decision service, the Caddy module, the
// JavaScript package), and Checker.Do runs an operation from JSON.
//
// Two engines give the same answers and the same errors: Native, the
// rules compiled into the program (the default, and the fastest), and
// Wasm, the embedded WebAssembly module wasm/tollgate.wasm under wazero:
// the very artifact browsers run. docs/architecture.md maps the packages.
package tollgate

import (
	"context"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/engine"
)

// Engine names an engine.
type Engine = engine.Kind

// The engines.
const (
	// Native runs the rules compiled into the program.
	Native = engine.Native
	// Wasm runs the embedded WebAssembly module under wazero.
	Wasm = engine.Wasm
)

// ParseEngine reads "native" or "wasm".
func ParseEngine(s string) (Engine, error) { return engine.ParseKind(s) }

// Fault is an engine failure that is not an operation's answer: a trapped
// or panicked module instance (replaced), a call its context stopped, a
// request too large for the module. Its message never holds the request.
type Fault = engine.Fault

// FaultKind says what failed.
type FaultKind = engine.FaultKind

// The fault kinds.
const (
	FaultTrap        = engine.FaultTrap
	FaultPanic       = engine.FaultPanic
	FaultDeadline    = engine.FaultDeadline
	FaultTooLarge    = engine.FaultTooLarge
	FaultBadResponse = engine.FaultBadResponse
	FaultBadArgs     = engine.FaultBadArgs
)

// IsDeadline reports whether err is a call its context stopped.
func IsDeadline(err error) bool { return engine.IsDeadline(err) }

// DialVerdict is the scalar dial path's answer (DialNumber).
type DialVerdict = engine.DialVerdict

// PoolStats is one of a Checker's pools: "main" (the cheap operations)
// or "heavy" (PBKDF2 and compiling tables).
type PoolStats = engine.PoolStats

// Errors of the scalar dial path and of a closed Checker.
var (
	ErrClosed  = engine.ErrClosed
	ErrNoTable = engine.ErrNoTable
	ErrNewline = engine.ErrNewline
)

// Option configures a Checker.
type Option func(*engine.Options)

// WithEngine picks the engine; the default is Native.
func WithEngine(e Engine) Option { return func(o *engine.Options) { o.Kind = e } }

// WithModule runs module instead of the embedded wasm/tollgate.wasm (and
// picks the Wasm engine). It must export the ABI version this package
// knows (docs/abi.md).
func WithModule(module []byte) Option {
	return func(o *engine.Options) { o.Kind, o.Module = Wasm, module }
}

// WithCacheDir keeps the Wasm engine's compiled code in dir between
// processes; the default is os.UserCacheDir()/tollgate/wazero.
func WithCacheDir(dir string) Option { return func(o *engine.Options) { o.CacheDir = dir } }

// WithoutCache compiles the module in every process.
func WithoutCache() Option { return func(o *engine.Options) { o.NoCache = true } }

// WithPoolSize bounds the cheap operations running at once on the Wasm
// engine (its instances); the default is GOMAXPROCS.
func WithPoolSize(n int) Option { return func(o *engine.Options) { o.PoolSize = n } }

// WithHeavyPoolSize bounds the expensive operations running at once
// (PBKDF2, compiling tables), so that they cannot hold back PIN and dial
// verdicts; the default is half of GOMAXPROCS, at least 1.
func WithHeavyPoolSize(n int) Option { return func(o *engine.Options) { o.HeavySize = n } }

// WithMemoryLimit caps each Wasm instance's memory, in bytes (rounded down
// to 64 KiB pages); the default is 128 MiB.
func WithMemoryLimit(bytes uint64) Option {
	return func(o *engine.Options) { o.MemoryLimitPages = uint32(min(bytes/65536, 65536)) }
}

// WithInterpreter runs the module in wazero's interpreter: no compile
// time, much slower calls.
func WithInterpreter() Option { return func(o *engine.Options) { o.Interpreter = true } }

// WithCompileWorkers sets how many goroutines compile the Wasm engine's
// module when the cache does not have it (the default, GOMAXPROCS, is
// fastest; one holds the least memory).
func WithCompileWorkers(n int) Option { return func(o *engine.Options) { o.CompileWorkers = n } }

// WithCloseOnContextDone lets a context end interrupt any running wasm
// call, at a large cost per call (docs/engine.md); no call needs it.
func WithCloseOnContextDone() Option { return func(o *engine.Options) { o.CloseOnContextDone = true } }

// WithData loads these data artifacts instead of the committed ones
// (Data); with none, a policy or a tables document that needs one (the
// password blocklist; a tables document that declares a region) fails
// with api.ErrDataMissing.
func WithData(files ...[]byte) Option {
	return func(o *engine.Options) { o.Data = append([][]byte{}, files...) }
}

// Checker runs tollgate's operations on one engine. It is safe for
// concurrent use; make one per process and Close it when done.
type Checker struct{ e engine.Engine }

// New returns a Checker. With no options it runs the Native engine with
// the committed data artifacts.
func New(ctx context.Context, opts ...Option) (*Checker, error) {
	o := engine.Options{Data: [][]byte{passwords, destinations}}
	for _, opt := range opts {
		opt(&o)
	}
	if o.Kind == Wasm && o.Module == nil {
		o.Module = module
	}
	e, err := engine.New(ctx, o)
	if err != nil {
		return nil, err
	}
	return &Checker{e: e}, nil
}

var _ api.Operations = (*Checker)(nil)

func init() {
	engine.CheckerEngine = func(x any) (engine.Engine, bool) {
		c, ok := x.(*Checker)
		if !ok || c == nil {
			return nil, false
		}
		return c.e, true
	}
	engine.EmbeddedAuditModule = auditModule
}

// Engine says which engine the Checker runs.
func (c *Checker) Engine() Engine { return c.e.Kind() }

// Close releases the engine; later calls fail with ErrClosed.
func (c *Checker) Close() error { return c.e.Close() }

// Pools reports the engine's pools.
func (c *Checker) Pools() []PoolStats { return c.e.Pools() }

// LoadPolicy validates a policy (a profile or a document) once and returns
// a handle, api.PolicyHandle(info.Handle), for later requests. Loading the
// same policy again returns the same handle.
func (c *Checker) LoadPolicy(ctx context.Context, p api.PolicyRef) (api.PolicyInfo, error) {
	return c.e.LoadPolicy(ctx, p)
}

// LoadTables compiles a restriction-tables set once and returns a handle,
// api.TablesHandle(info.Handle), for later requests.
func (c *Checker) LoadTables(ctx context.Context, t api.TablesRef) (api.TablesInfo, error) {
	return c.e.LoadTables(ctx, t)
}

// Unload drops one load of a handle; the document goes with the last.
func (c *Checker) Unload(ctx context.Context, h api.Handle) error { return c.e.Unload(ctx, h) }

// CheckPIN checks a PIN against its policy.
func (c *Checker) CheckPIN(ctx context.Context, r *api.PINRequest) (api.Verdict, error) {
	return c.e.CheckPIN(ctx, r)
}

// CheckPassword checks a password against its policy.
func (c *Checker) CheckPassword(ctx context.Context, r *api.PasswordRequest) (api.Verdict, error) {
	return c.e.CheckPassword(ctx, r)
}

// Dial says whether a dialed number may be called: forwarded, transferred
// to, notified.
func (c *Checker) Dial(ctx context.Context, r *api.DialRequest) (api.DialResult, error) {
	return c.e.Dial(ctx, r)
}

// Lint reviews a tables set for the holes toll fraudsters use.
func (c *Checker) Lint(ctx context.Context, r *api.LintRequest) (api.LintResult, error) {
	return c.e.Lint(ctx, r)
}

// VerifyHash checks a secret against a stored credential record.
func (c *Checker) VerifyHash(ctx context.Context, r *api.HashVerifyRequest) (api.HashResult, error) {
	return c.e.VerifyHash(ctx, r)
}

// MakeHash makes a stored credential record.
func (c *Checker) MakeHash(ctx context.Context, r *api.HashMakeRequest) (api.HashRecord, error) {
	return c.e.MakeHash(ctx, r)
}

// SignIn applies a sign-in event to an account's state.
func (c *Checker) SignIn(ctx context.Context, r *api.SignInRequest) (api.SignInResult, error) {
	return c.e.SignIn(ctx, r)
}

// Do runs operation op with its JSON request and appends the JSON answer
// to out, as every tollgate host does (api.Do).
func (c *Checker) Do(ctx context.Context, op string, req, out []byte) ([]byte, error) {
	return api.Do(ctx, c.e, op, req, out)
}

// TableIndex resolves, for DialNumber, the table a dial request would
// pick in a loaded set: by name, by class of service and feature, or the
// set's default when all three are empty.
func (c *Checker) TableIndex(ctx context.Context, tables api.Handle, table, cos, feature string) (int, error) {
	return c.e.TableIndex(ctx, tables, table, cos, feature)
}

// DialNumber matches one number against a table of a loaded set: the hot
// path, with no JSON and no allocation.
func (c *Checker) DialNumber(ctx context.Context, tables api.Handle, table int, number []byte) (DialVerdict, error) {
	return c.e.DialNumber(ctx, tables, table, number)
}

// DialBatch matches many numbers at once (one crossing into the module
// per buffer-full on the Wasm engine).
func (c *Checker) DialBatch(ctx context.Context, tables api.Handle, table int, numbers [][]byte, out []DialVerdict) error {
	return c.e.DialBatch(ctx, tables, table, numbers, out)
}
