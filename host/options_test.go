package host

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// TestOptions runs a few operations on the other wazero configurations
// (the interpreter; deadlines that interrupt a running call; no disk
// cache) and on the native engine: every answer must be identical.
func TestOptions(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the module in several configurations")
	}
	ctx := context.Background()
	reqs := []struct{ op, req string }{
		{"pin", `{"pin":"123456","context":{"extensions":["1234"]}}`},
		{"password", `{"password":"Cisco123!","policy":"cuc-esm"}`},
		{"dial", `{"tables":"recommended","number":"99 9011 44 20 7946 0000"}`},
		{"policy.load", `{"extends":"nope"}`},
	}
	n := NewNative(Options{})
	// The default cache directory, named explicitly: a fresh directory
	// would cost a full compile on every run. Without a user cache
	// directory ($HOME unset), a fresh one: slower, but still tested.
	dir, err := DefaultCacheDir()
	if err != nil {
		t.Logf("no default cache directory (%v): using a temporary one", err)
		dir = t.TempDir()
	}
	for name, opts := range map[string]Options{
		"interpreter":           {Interpreter: true, Instances: 1},
		"close-on-context-done": {CloseOnContextDone: true, Instances: 1},
		"explicit-cache-dir":    {CacheDir: dir, Instances: 1},
	} {
		t.Run(name, func(t *testing.T) {
			w := newTestWasm(t, opts)
			for _, r := range reqs {
				got, _ := w.Do(ctx, r.op, []byte(r.req))
				want, _ := n.Do(ctx, r.op, []byte(r.req))
				if !bytes.Equal(got, want) {
					t.Errorf("%s: %s, native %s", r.op, got, want)
				}
			}
		})
	}
}

// TestDeadlineWhileWaiting: with every instance busy, a caller whose
// deadline passes gets the context's error instead of waiting forever.
func TestDeadlineWhileWaiting(t *testing.T) {
	w := newTestWasm(t, Options{Instances: 1})
	busy, err := w.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := w.Do(ctx, "pin", []byte(`{}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do with every instance busy = %v, want DeadlineExceeded", err)
	}
	w.put(busy, false)
	if _, err := w.Do(context.Background(), "pin", []byte(`{"pin":"1"}`)); err != nil && errors.As(err, new(*Fault)) {
		t.Fatal(err)
	}
}
