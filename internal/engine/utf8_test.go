package engine

import (
	"context"
	"github.com/tollgate/tollgate/api"
	"reflect"
	"testing"
)

// TestTypedNonUTF8Parity: a request built in Go with bytes that are not
// UTF-8 gets the same answer and the same error on both engines: a secret
// is refused, any other string is read as JSON would carry it.
func TestTypedNonUTF8Parity(t *testing.T) {
	ctx := context.Background()
	var got [2][]any
	for i, e := range engines(t) {
		d, err := e.Dial(ctx, &api.DialRequest{Number: "9\xff12"})
		got[i] = append(got[i], d, err)
		_, err = e.Dial(ctx, &api.DialRequest{Table: "x\xff", Number: "9"})
		got[i] = append(got[i], err)
		v, err := e.CheckPIN(ctx, &api.PINRequest{PIN: "7391\xff64"})
		got[i] = append(got[i], v, err)
		v, err = e.CheckPIN(ctx, &api.PINRequest{PIN: "739164", Context: api.PINContext{FirstName: "J\xe9r\xf4me"}})
		got[i] = append(got[i], v, err)
		h, err := e.VerifyHash(ctx, &api.HashVerifyRequest{Record: "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", Secret: "Kx93\xfe"})
		got[i] = append(got[i], h, err)
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("native and wasm differ:\n%#v\n%#v", got[0], got[1])
	}
	if _, ok := got[0][4].(*api.Error); !ok {
		t.Errorf("a PIN that is not UTF-8 was not refused: %v", got[0][4])
	}
}
