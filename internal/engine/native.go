package engine

import (
	"context"
	"sync/atomic"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/dialplan"
)

// native runs the core compiled into the program: one api.Session, whose
// compiled documents are immutable and shared by every goroutine, so a
// call needs no worker and no copy of anything. Cheap calls run at once;
// the expensive ones pass a gate of Options.HeavySize. A Go computation
// cannot be killed, so the session's long work polls the call's context
// and stops itself (a FaultDeadline).
type native struct {
	s      *api.Session
	heavy  *gate
	done   chan struct{}
	closed atomic.Bool
}

func newNative(opts Options, data []*api.Data) *native {
	s := api.NewSession()
	for _, d := range data {
		s.AddData(d)
	}
	_, heavy := poolSizes(opts)
	return &native{s: s, heavy: newGate("heavy", heavy), done: make(chan struct{})}
}

func (n *native) Kind() Kind { return Native }

func (n *native) Pools() []PoolStats {
	return []PoolStats{{Pool: "main"}, n.heavy.stats()}
}

func (n *native) Close() error {
	if !n.closed.Swap(true) {
		close(n.done)
	}
	return nil
}

// check is what every call does first.
func (n *native) check(ctx context.Context) error {
	if n.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// runHeavy runs f behind the heavy gate.
func runHeavy[T any](n *native, ctx context.Context, op string, f func() (T, error)) (T, error) {
	var zero T
	if err := n.check(ctx); err != nil {
		return zero, err
	}
	if err := n.heavy.enter(ctx, n.done); err != nil {
		return zero, err
	}
	v, err := f()
	err = interrupted(op, ctx, err)
	n.heavy.leave(err)
	return v, err
}

func (n *native) LoadPolicy(ctx context.Context, p api.PolicyRef) (api.PolicyInfo, error) {
	if err := n.check(ctx); err != nil {
		return api.PolicyInfo{}, err
	}
	return n.s.LoadPolicy(ctx, p)
}

func (n *native) LoadTables(ctx context.Context, t api.TablesRef) (api.TablesInfo, error) {
	return runHeavy(n, ctx, "tables.load", func() (api.TablesInfo, error) { return n.s.LoadTables(ctx, t) })
}

func (n *native) Unload(ctx context.Context, h api.Handle) error {
	if err := n.check(ctx); err != nil {
		return err
	}
	return n.s.Unload(ctx, h)
}

// The cheap calls keep their fast path small, the heavy one out of line:
// the engine then costs about 3 % over the session's method for pin and
// password (BenchmarkNativeOverhead). A dial costs about 20 ns more (1.3×),
// which any wrapper costs: copying the session's 96-byte answer into this
// frame's (a bare `return n.s.Dial(ctx, r)` measures the same).

func (n *native) CheckPIN(ctx context.Context, r *api.PINRequest) (api.Verdict, error) {
	if heavyPIN(r) {
		return n.heavyPIN(ctx, r)
	}
	if err := n.check(ctx); err != nil {
		return api.Verdict{}, err
	}
	return n.s.CheckPIN(ctx, r)
}

//go:noinline
func (n *native) heavyPIN(ctx context.Context, r *api.PINRequest) (api.Verdict, error) {
	return runHeavy(n, ctx, "pin", func() (api.Verdict, error) { return n.s.CheckPIN(ctx, r) })
}

func (n *native) CheckPassword(ctx context.Context, r *api.PasswordRequest) (api.Verdict, error) {
	if heavyPassword(r) {
		return n.heavyPassword(ctx, r)
	}
	if err := n.check(ctx); err != nil {
		return api.Verdict{}, err
	}
	return n.s.CheckPassword(ctx, r)
}

//go:noinline
func (n *native) heavyPassword(ctx context.Context, r *api.PasswordRequest) (api.Verdict, error) {
	return runHeavy(n, ctx, "password", func() (api.Verdict, error) { return n.s.CheckPassword(ctx, r) })
}

func (n *native) Dial(ctx context.Context, r *api.DialRequest) (api.DialResult, error) {
	if heavyTables(&r.Tables) {
		return n.heavyDial(ctx, r)
	}
	if err := n.check(ctx); err != nil {
		return api.DialResult{}, err
	}
	return n.s.Dial(ctx, r)
}

//go:noinline
func (n *native) heavyDial(ctx context.Context, r *api.DialRequest) (api.DialResult, error) {
	return runHeavy(n, ctx, "dial", func() (api.DialResult, error) { return n.s.Dial(ctx, r) })
}

func (n *native) Lint(ctx context.Context, r *api.LintRequest) (api.LintResult, error) {
	return runHeavy(n, ctx, "lint", func() (api.LintResult, error) { return n.s.Lint(ctx, r) })
}

func (n *native) VerifyHash(ctx context.Context, r *api.HashVerifyRequest) (api.HashResult, error) {
	return runHeavy(n, ctx, "hash.verify", func() (api.HashResult, error) { return n.s.VerifyHash(ctx, r) })
}

func (n *native) MakeHash(ctx context.Context, r *api.HashMakeRequest) (api.HashRecord, error) {
	return runHeavy(n, ctx, "hash.make", func() (api.HashRecord, error) { return n.s.MakeHash(ctx, r) })
}

func (n *native) SignIn(ctx context.Context, r *api.SignInRequest) (api.SignInResult, error) {
	if err := n.check(ctx); err != nil {
		return api.SignInResult{}, err
	}
	return n.s.SignIn(ctx, r)
}

// The scalar dial path: the matcher of the shared set, by index.

func (n *native) table(tables api.Handle, ti int) (*dialplan.Table, error) {
	set, ok := n.s.Tables(tables)
	if !ok {
		return nil, ErrNoTable
	}
	t, ok := set.TableAt(ti)
	if !ok {
		return nil, ErrNoTable
	}
	return t, nil
}

func (n *native) TableIndex(ctx context.Context, tables api.Handle, table, cos, feature string) (int, error) {
	if err := n.check(ctx); err != nil {
		return 0, err
	}
	set, ok := n.s.Tables(tables)
	if !ok {
		return 0, ErrNoTable
	}
	t, err := api.PickTable(set, table, cos, feature)
	if err != nil {
		return 0, ErrNoTable
	}
	return t.Index(), nil
}

func (n *native) DialNumber(ctx context.Context, tables api.Handle, ti int, number []byte) (DialVerdict, error) {
	if err := n.check(ctx); err != nil {
		return DialVerdict{}, err
	}
	t, err := n.table(tables, ti)
	if err != nil {
		return DialVerdict{}, err
	}
	r := t.Match(number)
	return verdictOf(&r), nil
}

func (n *native) DialBatch(ctx context.Context, tables api.Handle, ti int, numbers [][]byte, out []DialVerdict) error {
	if err := n.check(ctx); err != nil {
		return err
	}
	t, err := n.table(tables, ti)
	if err != nil {
		return err
	}
	for i := range min(len(numbers), len(out)) {
		num := numbers[i]
		if hasNewline(num) {
			return newlineAt(i)
		}
		if len(num) > 0 && num[len(num)-1] == '\r' {
			num = num[:len(num)-1] // as the module's batch form does
		}
		r := t.Match(num)
		out[i] = verdictOf(&r)
	}
	return nil
}
