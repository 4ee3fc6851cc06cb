package host

import (
	"context"
	"errors"
	"testing"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
)

// TestEnginesLoadData: both engines load the committed data artifacts by
// default, refuse a corrupt one when they start, and with NoData answer a
// blocklist policy with data_missing.
func TestEnginesLoadData(t *testing.T) {
	ctx := context.Background()
	req := &api.PasswordRequest{Policy: api.RawJSON(`"nist-800-63b-4"`), Password: "P@ssw0rd12345678"}
	for _, kind := range []string{"native", "wasm"} {
		e, err := New(ctx, kind, Options{Instances: 1})
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.CheckPassword(ctx, req)
		if err != nil || v.Accepted || len(v.Reasons) != 1 || v.Reasons[0].Detail != "list" {
			t.Errorf("%s: %+v, %v; want common (list)", kind, v, err)
		}
		e.Close()

		e, err = New(ctx, kind, Options{Instances: 1, NoData: true})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.CheckPassword(ctx, req)
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != api.ErrDataMissing {
			t.Errorf("%s without data: %v; want data_missing", kind, err)
		}
		e.Close()

		bad := append([]byte(nil), tollgate.Passwords...)
		bad[100] ^= 1
		if e, err := New(ctx, kind, Options{Instances: 1, Data: [][]byte{bad}}); err == nil {
			e.Close()
			t.Errorf("%s: started with a corrupt artifact", kind)
		}
	}
}

// TestDataLoadGuestRefuses: the module's data_load checks the payload
// itself and answers the api's error object.
func TestDataLoadGuestRefuses(t *testing.T) {
	ctx := context.Background()
	w, err := NewWasm(ctx, Options{Instances: 1, NoData: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	wk, err := w.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.put(wk, true)
	for _, d := range []*api.Data{{Name: "passwords"}, {Name: "phonenumbers"}} {
		err := wk.(*wasmWorker).loadData(ctx, d)
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != api.ErrBadData {
			t.Errorf("%s: %v; want bad_data", d.Name, err)
		}
	}
	// The instance still works afterwards, with a fresh buffer.
	if _, _, f := wk.do(ctx, "pin", []byte(`{"pin":"739164"}`)); f != nil {
		t.Errorf("after a refused load: %v", f)
	}
}
