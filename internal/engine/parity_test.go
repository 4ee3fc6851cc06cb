package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/abi"
	"github.com/tollgate/tollgate/internal/conformance"
)

// TestParity runs the whole corpus through each engine's JSON adapter;
// every answer must equal, byte for byte, what a native api session
// answers (conformance.Run also matches it to the corpus).
func TestParity(t *testing.T) {
	ctx := context.Background()
	for _, e := range engines(t) {
		t.Run(e.Kind().String(), func(t *testing.T) {
			ref := testSession(t)
			conformance.Run(t, conformance.Engine{
				Name:      e.Kind().String(),
				Exec:      func(op string, req []byte) ([]byte, error) { return api.Do(ctx, e, op, req, nil) },
				Reference: func(op string, req []byte) ([]byte, error) { return ref.Do(op, req, nil) },
			})
		})
	}
}

// typedCall is one corpus case as a typed call: what a Go caller writes.
type typedCall func(ctx context.Context, ops api.Operations) (any, error)

// typedCase decodes a case's JSON request into the api's request type
// (api.Decode; a load's document into its reference) and returns the call.
// A request the codec refuses has no typed form: it returns the codec's
// error.
func typedCase(op string, req []byte) (typedCall, error) {
	switch op {
	case "policy.load":
		var p api.PolicyRef
		if err := p.UnmarshalJSON(req); err != nil {
			return nil, err
		}
		return func(ctx context.Context, o api.Operations) (any, error) { return o.LoadPolicy(ctx, p) }, nil
	case "tables.load":
		var t api.TablesRef
		if err := t.UnmarshalJSON(req); err != nil {
			return nil, err
		}
		return func(ctx context.Context, o api.Operations) (any, error) { return o.LoadTables(ctx, t) }, nil
	case "unload":
		var r api.UnloadRequest
		if err := api.Decode(req, &r); err != nil {
			return nil, err
		}
		return func(ctx context.Context, o api.Operations) (any, error) { return nil, o.Unload(ctx, r.Handle) }, nil
	case "pin":
		return decoded(req, func(ctx context.Context, o api.Operations, r *api.PINRequest) (any, error) { return o.CheckPIN(ctx, r) })
	case "password":
		return decoded(req, func(ctx context.Context, o api.Operations, r *api.PasswordRequest) (any, error) {
			return o.CheckPassword(ctx, r)
		})
	case "dial":
		return decoded(req, func(ctx context.Context, o api.Operations, r *api.DialRequest) (any, error) { return o.Dial(ctx, r) })
	case "lint":
		return decoded(req, func(ctx context.Context, o api.Operations, r *api.LintRequest) (any, error) { return o.Lint(ctx, r) })
	case "hash.verify":
		return decoded(req, func(ctx context.Context, o api.Operations, r *api.HashVerifyRequest) (any, error) {
			return o.VerifyHash(ctx, r)
		})
	case "hash.make":
		return decoded(req, func(ctx context.Context, o api.Operations, r *api.HashMakeRequest) (any, error) {
			return o.MakeHash(ctx, r)
		})
	case "signin":
		return decoded(req, func(ctx context.Context, o api.Operations, r *api.SignInRequest) (any, error) {
			return o.SignIn(ctx, r)
		})
	}
	return nil, errors.New("no typed method for op " + op)
}

// decoded decodes req into a fresh R and returns the call f makes with a
// copy of it (each engine gets its own).
func decoded[R any, P interface {
	*R
	api.Message
}](req []byte, f func(context.Context, api.Operations, *R) (any, error)) (typedCall, error) {
	var r R
	if err := api.Decode(req, P(&r)); err != nil {
		return nil, err
	}
	return func(ctx context.Context, o api.Operations) (any, error) {
		c := r
		return f(ctx, o, &c)
	}, nil
}

// sameError reports how two errors of a typed call differ: *api.Error
// values must be equal (code, field, message); any other error is a
// failure of its own.
func sameError(got, want error) string {
	if got == nil && want == nil {
		return ""
	}
	var g, w *api.Error
	if !errors.As(got, &g) || !errors.As(want, &w) {
		return "errors: " + errString(got) + "; want " + errString(want)
	}
	if *g != *w {
		return "error " + errString(g) + "; want " + errString(w)
	}
	return ""
}

func errString(err error) string {
	if err == nil {
		return "none"
	}
	return err.Error()
}

// TestTypedParity runs every corpus case as a Go caller would (the
// request decoded with api.Decode, the typed method called) on both
// engines and on a native api.Session, in corpus order so that handles
// agree: the Go values must be reflect.DeepEqual and the errors equal
// *api.Error values, code, field and message.
func TestTypedParity(t *testing.T) {
	ctx := context.Background()
	dir, err := conformance.Dir()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := conformance.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref := testSession(t)
	all := append([]api.Operations{ref}, asOps(engines(t))...)
	names := []string{"session", "native", "wasm"}
	ran, refusals := 0, 0
	for i := range cases {
		c := &cases[i]
		call, err := typedCase(c.Op, c.Request)
		if err != nil {
			continue // the codec's refusal, the same for every caller (TestParity)
		}
		ran++
		want, werr := call(ctx, ref)
		if werr != nil {
			refusals++
		}
		for k, o := range all[1:] {
			got, gerr := call(ctx, o)
			if d := sameError(gerr, werr); d != "" {
				t.Errorf("%s %s [%s]: %s", c.Pos(), c.Name, names[k+1], d)
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s [%s]:\n got %#v\nwant %#v", c.Pos(), c.Name, names[k+1], got, want)
			}
		}
	}
	// Most of the corpus has a typed form, refusals included: a handful
	// would mean the decoding above broke, not that the engines agree.
	if ran < len(cases)*3/4 || refusals < 20 {
		t.Fatalf("ran %d of %d cases typed (%d refusals)", ran, len(cases), refusals)
	}
	t.Logf("%d of %d corpus cases typed, %d of them refused", ran, len(cases), refusals)
}

func asOps(es []Engine) []api.Operations {
	out := make([]api.Operations, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// TestArtifactFresh rebuilds the module from the current source with the
// pinned flags and demands the committed artifact be identical.
func TestArtifactFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module; skipped with -short")
	}
	// go test puts its own go first on PATH; GOTOOLCHAIN (abi.BuildEnv)
	// makes it run exactly abi.BuildGo, so another local Go is no reason
	// to skip: it fetches BuildGo or fails.
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command on PATH: %v", err)
	}
	env := append(os.Environ(), abi.BuildEnv()...)
	ver := exec.Command(gobin, "env", "GOVERSION")
	ver.Env = env
	if v, err := ver.CombinedOutput(); err != nil || strings.TrimSpace(string(v)) != abi.BuildGo {
		t.Fatalf("go env GOVERSION with GOTOOLCHAIN=%s: %s %v; the artifact is reproducible with %s only", abi.BuildGo, bytes.TrimSpace(v), err, abi.BuildGo)
	}
	out := filepath.Join(t.TempDir(), "tollgate.wasm")
	args := append(abi.BuildArgs(), out, "./wasm")
	cmd := exec.Command(gobin, args...)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = env
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the module: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	mod, _ := artifacts()
	if !bytes.Equal(got, mod) {
		t.Fatalf("wasm/tollgate.wasm is stale (%d bytes committed, %d rebuilt): run 'make wasm' and commit it", len(mod), len(got))
	}
	// wasm/tollgate-audit.wasm: the same with the tag tollgate_audit
	// (mk/wasm.mk).
	args = append(abi.BuildArgs(), out, "./wasm")
	for i, a := range args {
		if strings.HasPrefix(a, "-tags=") {
			args[i] = a + ",tollgate_audit"
		}
	}
	cmd = exec.Command(gobin, args...)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = env
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the audit module: %v\n%s", err, msg)
	}
	if got, err = os.ReadFile(out); err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "wasm", "tollgate-audit.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, committed) {
		t.Fatalf("wasm/tollgate-audit.wasm is stale (%d bytes committed, %d rebuilt): run 'make wasm' and commit it", len(committed), len(got))
	}
}
