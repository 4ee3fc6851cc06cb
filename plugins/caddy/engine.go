package tollgatecaddy

import (
	"context"

	"github.com/caddyserver/caddy/v2"

	"github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
)

// checker is what the handler asks of its engine (a *tollgate.Checker):
// typed calls only, api values in and out, so no JSON travels between the
// handler and the engine. On the native engine none is made at all; the
// wasm engine makes one encode and one decode per call into the module.
type checker interface {
	LoadPolicy(ctx context.Context, p api.PolicyRef) (api.PolicyInfo, error)
	LoadTables(ctx context.Context, t api.TablesRef) (api.TablesInfo, error)
	Unload(ctx context.Context, h api.Handle) error
	CheckPIN(ctx context.Context, r *api.PINRequest) (api.Verdict, error)
	CheckPassword(ctx context.Context, r *api.PasswordRequest) (api.Verdict, error)
	Dial(ctx context.Context, r *api.DialRequest) (api.DialResult, error)
	TableIndex(ctx context.Context, tables api.Handle, table, cos, feature string) (int, error)
	DialNumber(ctx context.Context, tables api.Handle, table int, number []byte) (tollgate.DialVerdict, error)
	Close() error
}

// newChecker opens an engine; a test wraps it to see what handlers ask.
var newChecker = func(ctx context.Context, kind tollgate.Engine) (checker, error) {
	c, err := tollgate.New(ctx, tollgate.WithEngine(kind))
	if err != nil {
		return nil, err
	}
	return c, nil
}

// engines shares one engine per kind among every handler in the process
// (and across config reloads): the module is compiled once, its pool of
// instances reused, and a document loaded by one handler is loaded once
// for all (the engine's handles are content-addressed and counted: a
// reload's new handler loads the same handle again before the old one
// unloads it, and a document no handler holds any more goes).
var engines = caddy.NewUsagePool()

type sharedEngine struct{ checker }

func (s *sharedEngine) Destruct() error { return s.Close() }
