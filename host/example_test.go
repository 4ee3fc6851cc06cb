package host_test

import (
	"context"
	"fmt"

	"github.com/tollgate/tollgate/host"
)

// Check a PIN and match dialed numbers with the embedded module.
func Example() {
	ctx := context.Background()
	e, err := host.New(ctx, "wasm", host.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()

	resp, _ := e.Do(ctx, "pin", []byte(`{"policy":"cuc","pin":"135792"}`))
	fmt.Println(string(resp))

	h, _ := e.LoadTables(ctx, []byte(`"recommended"`))
	t, _ := e.FeatureTable(ctx, h, "Recommended", "outdial")
	for _, number := range []string{"5551234", "99 9011 44 20 7946 0000"} {
		r, _ := e.Dial(ctx, h, t, []byte(number))
		fmt.Println(number, r.Allowed, r.Reason, r.Row)
	}
	// Output:
	// {"accepted":true,"reasons":[]}
	// 5551234 true matched 5
	// 99 9011 44 20 7946 0000 false matched 1
}
