package tollgate_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
)

// Check a PIN for a user under a policy.
func Example() {
	ctx := context.Background()
	tg, err := tollgate.New(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer tg.Close()

	v, err := tg.CheckPIN(ctx, &api.PINRequest{
		Policy:  api.Profile("cuc"),
		PIN:     "402187",
		Context: api.PINContext{Extensions: []string{"4021"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range v.Reasons {
		fmt.Println(r.Code, r.Start, r.End)
	}
	// Output:
	// contains_extension 0 4
}

// May this caller forward to this number? Tables are loaded once and
// named by handle; the same document loaded again gets the same handle.
func ExampleChecker_Dial() {
	ctx := context.Background()
	tg, err := tollgate.New(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer tg.Close()

	t, err := tg.LoadTables(ctx, api.BuiltinTables("recommended"))
	if err != nil {
		log.Fatal(err)
	}
	for _, number := range []string{"99900", "9 1 408 555 0134", "2001"} {
		d, err := tg.Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(t.Handle), Number: number})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(d.Number, d.Allowed, d.Reason, d.Pattern)
	}
	again, _ := tg.LoadTables(ctx, api.BuiltinTables("recommended"))
	fmt.Println(again.Handle == t.Handle)
	// Output:
	// 99900 false matched 99900*
	// 914085550134 false matched 91*
	// 2001 true matched *
	// true
}

// The WebAssembly engine gives the same answers and the same errors as
// the native one.
func ExampleWithEngine() {
	ctx := context.Background()
	for _, e := range []tollgate.Engine{tollgate.Native, tollgate.Wasm} {
		tg, err := tollgate.New(ctx, tollgate.WithEngine(e))
		if err != nil {
			log.Fatal(err)
		}
		v, _ := tg.CheckPassword(ctx, &api.PasswordRequest{Policy: api.Profile("cuc"), Password: "jdoe1234", Context: api.PasswordContext{Alias: "jdoe"}})
		_, err = tg.CheckPIN(ctx, &api.PINRequest{Policy: api.Profile("strict")})
		var ae *api.Error
		errors.As(err, &ae)
		fmt.Println(e, v.Accepted, v.Reasons[0].Code, ae.Code, ae.Field)
		tg.Close()
	}
	// Output:
	// native false few_classes invalid_policy profile
	// wasm false few_classes invalid_policy profile
}
