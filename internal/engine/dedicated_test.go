package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/api"
)

// A dedicated instance answers raw calls in order, an operation's error as
// the *api.Error the module answered, and nothing after Close; only the
// wasm engine has one, and taking it leaves the pool able to serve.
func TestDedicated(t *testing.T) {
	ctx := context.Background()
	if _, err := NewDedicated(ctx, newTestEngine(t, Native)); !errors.Is(err, ErrNotWasm) {
		t.Errorf("native: %v, want ErrNotWasm", err)
	}
	e := newTestEngine(t, Wasm, func(o *Options) { o.PoolSize = 1 })
	d, err := NewDedicated(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.Call(ctx, "pin", []byte(`{"pin":"135792"}`))
	if err != nil || !strings.Contains(string(out), `"accepted":true`) {
		t.Fatalf("pin: %s, %v", out, err)
	}
	var ae *api.Error
	if _, err := d.Call(ctx, "pin", []byte(`{"pin":`)); !errors.As(err, &ae) || ae.Code != api.ErrBadRequest {
		t.Errorf("bad request: %v, want bad_request", err)
	}
	if v, err := e.CheckPIN(ctx, &api.PINRequest{PIN: "135792"}); err != nil || !v.Accepted {
		t.Errorf("the pool after its instance was taken: %+v, %v", v, err)
	}
	d.Close()
	if _, err := d.Call(ctx, "pin", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

// A dedicated instance has every data artifact loaded, also one the pool
// made after its first was taken (which loads them lazily, call by call:
// a dedicated conversation cannot be retried, so the audit's rows would
// get data_missing findings).
func TestDedicatedLoadsData(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Wasm, func(o *Options) { o.PoolSize = 1 })
	req := []byte(`{"password":"correct horse battery","policy":{"extends":"cuc","password":{"blocklist":true}}}`)
	for i := range 2 {
		d, err := NewDedicated(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(d.w.pending); n > 0 {
			t.Errorf("instance %d: %d data artifacts not loaded", i, n)
		}
		out, err := d.Call(ctx, "password", req)
		if err != nil || strings.Contains(string(out), "data_missing") {
			t.Errorf("instance %d: %s, %v", i, out, err)
		}
		d.Close()
	}
}
