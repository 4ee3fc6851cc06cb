package audit

import (
	"context"
	"errors"
	"fmt"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/export"
	"github.com/tollgate/tollgate/internal/auditcore"
)

// runEngine is the engine of one run, with the policy and tables loaded
// into it, and the same documents compiled here: the policy's PIN lengths
// bound the exhaustive search, the tables' classes of service map the
// rows, and their patterns go into the messages of the scalar dial path.
type runEngine struct {
	ops        api.Operations
	own        *tollgate.Checker // made for the run (Config.Engine nil)
	pol        *core.Policy
	set        *dialplan.Set
	tablesName string
	policy     api.PolicyRef // by handle, once loaded
	tables     api.TablesRef
	loaded     []api.Handle
}

// open readies cfg's engine: both documents are checked here and loaded
// into the engine before any row, so a broken one stops the audit with
// its error rather than failing every row.
func open(ctx context.Context, cfg *Config) (*runEngine, error) {
	e, err := openHost(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// Loaded once, the documents are named by handle in every request;
	// an engine that cannot load (an older module) gets them by value.
	if info, err := e.ops.LoadPolicy(ctx, cfg.Policy); err == nil {
		e.policy = api.PolicyHandle(info.Handle)
		e.loaded = append(e.loaded, info.Handle)
	} else if !unknownOp(err) {
		e.close()
		return nil, loadError("policy", err)
	}
	if info, err := e.ops.LoadTables(ctx, cfg.Tables); err == nil {
		e.tables = api.TablesHandle(info.Handle)
		e.loaded = append(e.loaded, info.Handle)
	} else if !unknownOp(err) {
		e.close()
		return nil, loadError("tables", err)
	}
	return e, nil
}

// openHost is open without loading the documents into the engine: the
// documents compiled here, and the engine (made when cfg has none).
func openHost(ctx context.Context, cfg *Config) (*runEngine, error) {
	e := &runEngine{ops: cfg.Engine, policy: cfg.Policy, tables: cfg.Tables}
	var err error
	if e.pol, err = compilePolicy(cfg.Policy); err != nil {
		return nil, err
	}
	if e.set, e.tablesName, err = compileTables(cfg.Tables); err != nil {
		return nil, err
	}
	if e.tablesName == "" {
		e.tablesName = "file"
		if cfg.TablesName != "" {
			e.tablesName = cfg.TablesName
		}
	}
	if e.ops == nil {
		if e.own, err = tollgate.New(ctx); err != nil {
			return nil, err
		}
		e.ops = e.own
	}
	return e, nil
}

// close unloads what the run loaded (the engine may outlive it) and
// closes an engine made for the run.
func (e *runEngine) close() {
	for _, h := range e.loaded {
		e.ops.Unload(context.Background(), h)
	}
	if e.own != nil {
		e.own.Close()
	}
}

// dialer returns how numbers are checked: the engine's scalar dial path
// when it has one (and the tables were loaded), else the "dial" operation.
func (e *runEngine) dialer(ctx context.Context, numbers []export.NumberColumn) (auditcore.Dialer, error) {
	h, loaded := e.tables.Handle()
	if d, ok := e.ops.(scalarDialer); ok && loaded && len(numbers) > 0 {
		sd, err := newScalarDial(ctx, d, h, e.set, numbers)
		if err == nil {
			return sd, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		// The dial operation then says what is wrong, row by row.
	}
	return nil, nil // auditcore's: the dial operation
}

// compilePolicy compiles the policy a run names.
func compilePolicy(p api.PolicyRef) (*core.Policy, error) {
	if _, ok := p.Handle(); ok {
		return nil, errors.New("policy: give a profile name or a policy document, not a handle: the audit reads the policy's PIN lengths")
	}
	if doc, ok := p.JSON(); ok {
		return core.ParsePolicy(doc)
	}
	name, ok := p.Name()
	if !ok {
		name = api.DefaultProfile
	}
	return core.Profile(name)
}

// compileTables compiles the tables a run names, and returns the name of
// a built-in set ("" for a document).
func compileTables(t api.TablesRef) (*dialplan.Set, string, error) {
	if _, ok := t.Handle(); ok {
		return nil, "", errors.New("tables: give a built-in set name or a tables document, not a handle: the audit reads the tables' classes of service")
	}
	if doc, ok := t.JSON(); ok {
		dest, err := tollgate.Destinations()
		if err != nil {
			return nil, "", err
		}
		// A document that declares a region needs the destination data:
		// the engines load the same artifact (tollgate.Data).
		set, err := dialplan.ParseOptions("", doc, dialplan.Options{Destinations: dest})
		if err != nil {
			return nil, "", fmt.Errorf("tables: %w", err)
		}
		return set, "", nil
	}
	name, ok := t.Name()
	if !ok {
		name = api.DefaultTables
	}
	set, err := dialplan.Builtin(name)
	if err != nil {
		return nil, "", fmt.Errorf("tables: %w", err)
	}
	return set, name, nil
}

func unknownOp(err error) bool {
	var e *api.Error
	return errors.As(err, &e) && e.Code == api.ErrUnknownOp
}

// loadError says why the engine refused a document the audit could read.
func loadError(what string, err error) error {
	var e *api.Error
	if errors.As(err, &e) {
		if e.Field != "" {
			return fmt.Errorf("%s: %s: %s", what, e.Field, e.Message)
		}
		return fmt.Errorf("%s: %s", what, e.Message)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// engineName names the engine in messages and the summary: "native" or
// "wasm" for a Checker (or a value that wraps one), "native" for a
// Session, which runs in this process.
func engineName(ops api.Operations) string {
	switch e := ops.(type) {
	case interface{ Engine() tollgate.Engine }:
		return e.Engine().String()
	case *api.Session:
		return "native"
	}
	return "custom"
}
