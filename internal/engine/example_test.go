package engine_test

import (
	"context"
	"fmt"
	"os"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/engine"
)

// Check a PIN and match dialed numbers on both engines: the same answers.
// (Go callers use package tollgate's Checker, which wraps an Engine.)
func Example() {
	ctx := context.Background()
	module, err := os.ReadFile("../../wasm/tollgate.wasm")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, kind := range []engine.Kind{engine.Native, engine.Wasm} {
		e, err := engine.New(ctx, engine.Options{Kind: kind, Module: module})
		if err != nil {
			fmt.Println(err)
			return
		}
		v, _ := e.CheckPIN(ctx, &api.PINRequest{Policy: api.Profile("cuc"), PIN: "135792"})
		fmt.Println(kind, "135792 accepted:", v.Accepted)

		t, _ := e.LoadTables(ctx, api.BuiltinTables("recommended"))
		i, _ := e.TableIndex(ctx, t.Handle, "", "Recommended", "outdial")
		for _, number := range []string{"5551234", "99 9011 44 20 7946 0000"} {
			r, _ := e.DialNumber(ctx, t.Handle, i, []byte(number))
			fmt.Println(kind, number, r.Allowed, r.Reason, r.Row)
		}
		_, err = e.CheckPIN(ctx, &api.PINRequest{Policy: api.PolicyHandle(7), PIN: "135792"})
		fmt.Println(kind, err)
		e.Close()
	}
	// Output:
	// native 135792 accepted: true
	// native 5551234 true matched 5
	// native 99 9011 44 20 7946 0000 false matched 1
	// native bad_request: policy: no loaded policy with handle 7
	// wasm 135792 accepted: true
	// wasm 5551234 true matched 5
	// wasm 99 9011 44 20 7946 0000 false matched 1
	// wasm bad_request: policy: no loaded policy with handle 7
}
