package api_test

import (
	"context"
	"fmt"
	"log"

	"github.com/tollgate/tollgate/api"
)

// Decode reads a request strictly, as every tollgate host does; Append
// writes an answer in its one JSON form.
func ExampleDecode() {
	var r api.PINRequest
	err := api.Decode([]byte(`{"pin":"123456","pin":"739164"}`), &r)
	fmt.Println(err)

	if err := api.Decode([]byte(`{"policy":"cuc-esm","pin":"739164"}`), &r); err != nil {
		log.Fatal(err)
	}
	v, err := api.NewSession().CheckPIN(context.Background(), &r)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(api.Append(nil, &v)))
	// Output:
	// bad_request: pin: appears more than once; give each field once
	// {"accepted":true,"reasons":[]}
}

// Do is the one JSON adapter: the same request and answer as the HTTP
// service, the CLI's --json and the WebAssembly module.
func ExampleDo() {
	s := api.NewSession()
	out, err := api.Do(context.Background(), s, "dial", []byte(`{"tables":"recommended","number":"9011 44 20 7946 0000"}`), nil)
	fmt.Println(string(out), err)
	// Output:
	// {"number":"9011442079460000","allowed":false,"reason":"matched","table":"Recommended Transfer","row":1,"pattern":"9011*","dropped":4} <nil>
}
