package engine

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tollgate/tollgate/api"
)

// optionCalls are a few operations, typed, for comparing configurations.
func optionCalls(ctx context.Context, o api.Operations) []any {
	var out []any
	add := func(v any, err error) { out = append(out, v, errString(err)) }
	add(o.CheckPIN(ctx, &api.PINRequest{PIN: "123456", Context: api.PINContext{Extensions: []string{"1234"}}}))
	add(o.CheckPassword(ctx, &api.PasswordRequest{Password: "Cisco123!", Policy: api.Profile("cuc-esm")}))
	add(o.Dial(ctx, &api.DialRequest{Tables: api.BuiltinTables("recommended"), Number: "99 9011 44 20 7946 0000"}))
	add(o.LoadPolicy(ctx, api.PolicyJSON([]byte(`{"extends":"nope"}`))))
	add(o.CheckPassword(ctx, &api.PasswordRequest{Password: "P@ssw0rd12345678", Policy: api.Profile("nist-800-63b-4")}))
	return out
}

// TestOptions runs a few operations on the other wazero configurations
// (the interpreter; deadlines that interrupt a running call; an explicit
// cache directory; no disk cache): every answer must be the native
// engine's.
func TestOptions(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the module in several configurations")
	}
	ctx := context.Background()
	want := optionCalls(ctx, newTestEngine(t, Native))
	// The default cache directory, named explicitly: a fresh directory
	// would cost a full compile on every run. Without a user cache
	// directory ($HOME unset), a fresh one: slower, but still tested.
	dir, err := DefaultCacheDir()
	if err != nil {
		t.Logf("no default cache directory (%v): using a temporary one", err)
		dir = t.TempDir()
	}
	for name, f := range map[string]func(*Options){
		"interpreter":           func(o *Options) { o.Interpreter = true },
		"close-on-context-done": func(o *Options) { o.CloseOnContextDone = true },
		"explicit-cache-dir":    func(o *Options) { o.CacheDir = dir },
	} {
		t.Run(name, func(t *testing.T) {
			w := newTestWasm(t, sizes(1, 1), f)
			if got := optionCalls(ctx, w); !reflect.DeepEqual(got, want) {
				t.Errorf("%+v\nnative %+v", got, want)
			}
		})
	}
}

// TestDeadlineWhileWaiting: with every worker busy, a caller whose
// deadline passes gets the context's error instead of waiting forever,
// on both engines (the native engine's heavy gate; the wasm pools).
func TestDeadlineWhileWaiting(t *testing.T) {
	verify := &api.HashVerifyRequest{Record: "{SHA}fEqNCco3Yq9h5ZUglD3CZJT4lBs=", Secret: "123456"}
	w := newTestWasm(t, sizes(1, 1))
	busy, err := w.main.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := w.CheckPIN(ctx, &api.PINRequest{PIN: "1"}); !errors.Is(err, context.DeadlineExceeded) || !IsDeadline(err) {
		t.Fatalf("CheckPIN with every instance busy = %v, want DeadlineExceeded", err)
	}
	w.main.put(busy, nil)
	if _, err := w.CheckPIN(context.Background(), &api.PINRequest{PIN: "135792"}); err != nil {
		t.Fatal(err)
	}

	n := newTestEngine(t, Native, sizes(1, 1)).(*native)
	if err := n.heavy.enter(context.Background(), n.done); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := n.VerifyHash(ctx2, verify); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("native VerifyHash with the heavy gate full = %v, want DeadlineExceeded", err)
	}
	// The cheap operations do not wait for the heavy gate.
	if _, err := n.CheckPIN(context.Background(), &api.PINRequest{PIN: "135792"}); err != nil {
		t.Fatal(err)
	}
	n.heavy.leave(nil)
	if h, err := n.VerifyHash(context.Background(), verify); err != nil || !h.Verified {
		t.Fatalf("VerifyHash after the gate freed: %+v, %v", h, err)
	}
}
