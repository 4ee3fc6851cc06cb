package engine

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/api"
)

// TestEnginesLoadData: both engines load the data artifacts they are
// given, refuse a corrupt one when they start (saying which), and with none
// answer a blocklist policy with data_missing, the same error on both.
func TestEnginesLoadData(t *testing.T) {
	ctx := context.Background()
	req := &api.PasswordRequest{Policy: api.Profile("nist-800-63b-4"), Password: "P@ssw0rd12345678"}
	_, data := artifacts()
	pw := data[0]
	var missing [2]error
	for i, kind := range []Kind{Native, Wasm} {
		e := newTestEngine(t, kind, sizes(1, 1))
		v, err := e.CheckPassword(ctx, req)
		if err != nil || v.Accepted || len(v.Reasons) != 1 || v.Reasons[0].Detail != "list" {
			t.Errorf("%s: %+v, %v; want common (list)", kind, v, err)
		}

		e = newTestEngine(t, kind, sizes(1, 1), func(o *Options) { o.Data = nil })
		_, missing[i] = e.CheckPassword(ctx, req)
		var ae *api.Error
		if !errors.As(missing[i], &ae) || ae.Code != api.ErrDataMissing {
			t.Errorf("%s without data: %v; want data_missing", kind, missing[i])
		}

		bad := append([]byte(nil), pw...)
		bad[100] ^= 1
		if e, err := New(ctx, Options{Kind: kind, Module: testOptions(kind).Module, Data: [][]byte{pw, bad}}); err == nil {
			e.Close()
			t.Errorf("%s: started with a corrupt artifact", kind)
		} else if !strings.Contains(err.Error(), "data artifact 1") {
			t.Errorf("%s: %v; want the corrupt artifact named", kind, err)
		}
	}
	if d := sameError(missing[1], missing[0]); d != "" {
		t.Errorf("data_missing: wasm and native differ: %s", d)
	}
}

// TestEnginesLoadDestinations: both engines classify a dialed number
// with the "destinations" artifact they are given (the same answer), and
// without it refuse a tables document that declares a region with the same
// data_missing error.
func TestEnginesLoadDestinations(t *testing.T) {
	ctx := context.Background()
	doc := api.TablesJSON([]byte(`{"region":{"country":"US"},"tables":[{"name":"T","rows":[{"pattern":"9011*","blocked":true},{"pattern":"9*"},{"pattern":"*","blocked":true}]}]}`))
	req := &api.DialRequest{Tables: doc, Number: "918095550100"}
	_, data := artifacts()
	var got [2]api.DialResult
	var missing [2]error
	for i, kind := range []Kind{Native, Wasm} {
		e := newTestEngine(t, kind, sizes(1, 1))
		var err error
		got[i], err = e.Dial(ctx, req)
		if d := got[i].Destination; err != nil || d.Country != "DO" || d.Tier != "high" {
			t.Errorf("%s: %+v, %v; want the Dominican Republic, high", kind, got[i], err)
		}
		e = newTestEngine(t, kind, sizes(1, 1), func(o *Options) { o.Data = data[:1] })
		_, missing[i] = e.Dial(ctx, req)
		var ae *api.Error
		if !errors.As(missing[i], &ae) || ae.Code != api.ErrDataMissing || ae.Field != "region" {
			t.Errorf("%s without destinations: %v; want data_missing on region", kind, missing[i])
		}
		if _, err := e.Dial(ctx, &api.DialRequest{Tables: api.BuiltinTables("recommended"), Number: "918095550100"}); err != nil {
			t.Errorf("%s without destinations, a document without a region: %v", kind, err)
		}
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("native %+v, wasm %+v", got[0], got[1])
	}
	if d := sameError(missing[1], missing[0]); d != "" {
		t.Errorf("data_missing: wasm and native differ: %s", d)
	}
}

// TestDataLoadedOnFirstNeed: an instance after the first starts with
// every artifact pending and loads each when a call first answers that it
// needs it (then runs the call again): a PIN check loads nothing, a
// blocklist check the passwords, a document with a region the
// destinations.
func TestDataLoadedOnFirstNeed(t *testing.T) {
	ctx := context.Background()
	w := newTestWasm(t, sizes(1, 1))
	x, err := w.heavy.get(ctx) // not the engine's first instance
	if err != nil {
		t.Fatal(err)
	}
	defer w.heavy.put(x, nil)
	names := func() (out []string) {
		for _, d := range x.pending {
			out = append(out, d.Name())
		}
		return out
	}
	if got := names(); !reflect.DeepEqual(got, []string{"passwords", "destinations"}) {
		t.Fatalf("pending %v", got)
	}
	steps := []struct {
		op, req, want string
		pending       []string
	}{
		{"pin", `{"pin":"2580"}`, `"accepted":false`, []string{"passwords", "destinations"}},
		{"password", `{"policy":"nist-800-63b-4","password":"P@ssw0rd12345678"}`, `"detail":"list"`, []string{"destinations"}},
		{"dial", `{"tables":{"region":{"country":"US"},"tables":[{"name":"T","rows":[{"pattern":"*","blocked":false}]}]},"number":"918095550100"}`, `"country":"DO"`, nil},
	}
	for _, s := range steps {
		view, ok, err := x.do(ctx, s.op, []byte(s.req))
		if err != nil || !ok || !strings.Contains(string(view), s.want) {
			t.Errorf("%s: %s %v %v; want %s", s.op, view, ok, err, s.want)
		}
		if got := names(); !reflect.DeepEqual(got, s.pending) {
			t.Errorf("after %s: pending %v, want %v", s.op, got, s.pending)
		}
	}
}

// TestDataLoadGuestRefuses: the module's data_load checks the payload
// itself and answers the api's error.
func TestDataLoadGuestRefuses(t *testing.T) {
	ctx := context.Background()
	w := newTestWasm(t, sizes(1, 1), func(o *Options) { o.Data = nil })
	x, err := w.c.instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer x.close()
	for _, name := range []string{"passwords", "phonenumbers"} {
		err := x.loadPayload(ctx, name, nil)
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != api.ErrBadData {
			t.Errorf("%s: %v; want bad_data", name, err)
		}
	}
	// The instance still works afterwards, with a fresh buffer.
	if _, ok, f := x.do(ctx, "pin", []byte(`{"pin":"739164"}`)); !ok || f != nil {
		t.Errorf("after a refused load: %v %v", ok, f)
	}
}
