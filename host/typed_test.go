package host

import (
	"context"
	"reflect"
	"strconv"
	"testing"

	"github.com/tollgate/tollgate/api"
)

// TestTypedMethods checks CheckPIN, CheckPassword and LoadPolicy on both
// engines: same decoded verdicts, spans where the rule gives one.
func TestTypedMethods(t *testing.T) {
	ctx := context.Background()
	w := newTestWasm(t, Options{Instances: 1})
	var got [2][]*Verdict
	for i, e := range []Engine{w, NewNative(Options{})} {
		h, err := e.LoadPolicy(ctx, []byte(`{"extends":"cuc","pin":{"min_length":6}}`))
		if err != nil {
			t.Fatalf("%s: LoadPolicy: %v", e.Name(), err)
		}
		if _, err := e.LoadPolicy(ctx, []byte(`{"extends":"cuc","pin":{"min_length":-1}}`)); err == nil {
			t.Errorf("%s: LoadPolicy accepted min_length -1", e.Name())
		} else if ae, ok := err.(*api.Error); !ok || ae.Code != api.ErrInvalidPolicy {
			t.Errorf("%s: LoadPolicy(min_length -1) = %v, want an invalid_policy *api.Error", e.Name(), err)
		}
		policy := []byte(strconv.Itoa(h)) // by handle
		for _, pin := range []string{"123456", "135792", "12"} {
			v, err := e.CheckPIN(ctx, &api.PINRequest{Policy: policy, PIN: pin, Context: api.PINContext{Extensions: []string{"36697"}}})
			if err != nil {
				t.Fatalf("%s: CheckPIN: %v", e.Name(), err)
			}
			got[i] = append(got[i], v)
		}
		v, err := e.CheckPassword(ctx, &api.PasswordRequest{Password: "jdoe1234", Context: api.PasswordContext{Alias: "jdoe"}})
		if err != nil {
			t.Fatalf("%s: CheckPassword: %v", e.Name(), err)
		}
		got[i] = append(got[i], v)
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Fatalf("typed verdicts differ between wasm and native")
	}
	if v := got[0][0]; v.Accepted || len(v.Reasons) == 0 || v.Reasons[0].Start == nil {
		t.Errorf("CheckPIN(123456) = %+v, want a refusal with a span", v)
	}
	if v := got[0][1]; !v.Accepted {
		t.Errorf("CheckPIN(135792) = %+v, want accepted", v)
	}
	if v := got[0][3]; v.Accepted {
		t.Errorf("CheckPassword(alias in password) = %+v, want refused", v)
	}
}
