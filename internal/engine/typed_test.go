package engine

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/tollgate/tollgate/api"
)

// TestTypedMethods checks LoadPolicy, CheckPIN and CheckPassword on both
// engines: the same verdicts, spans where the rule gives one, and an
// invalid policy refused with an *api.Error.
func TestTypedMethods(t *testing.T) {
	ctx := context.Background()
	var got [2][]api.Verdict
	for i, e := range engines(t, sizes(1, 1)) {
		info, err := e.LoadPolicy(ctx, api.PolicyJSON([]byte(`{"extends":"cuc","pin":{"min_length":6}}`)))
		if err != nil || info.Name != "cuc" {
			t.Fatalf("%s: LoadPolicy: %+v, %v", e.Kind(), info, err)
		}
		_, err = e.LoadPolicy(ctx, api.PolicyJSON([]byte(`{"extends":"cuc","pin":{"min_length":-1}}`)))
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != api.ErrInvalidPolicy || ae.Field == "" {
			t.Errorf("%s: LoadPolicy(min_length -1) = %v, want an invalid_policy *api.Error naming the field", e.Kind(), err)
		}
		for _, pin := range []string{"123456", "135792", "12"} {
			v, err := e.CheckPIN(ctx, &api.PINRequest{Policy: api.PolicyHandle(info.Handle), PIN: pin, Context: api.PINContext{Extensions: []string{"36697"}}})
			if err != nil {
				t.Fatalf("%s: CheckPIN: %v", e.Kind(), err)
			}
			got[i] = append(got[i], v)
		}
		v, err := e.CheckPassword(ctx, &api.PasswordRequest{Password: "jdoe1234", Context: api.PasswordContext{Alias: "jdoe"}})
		if err != nil {
			t.Fatalf("%s: CheckPassword: %v", e.Kind(), err)
		}
		got[i] = append(got[i], v)
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Fatalf("typed verdicts differ:\nnative %+v\nwasm   %+v", got[0], got[1])
	}
	if v := got[0][0]; v.Accepted || len(v.Reasons) == 0 || !v.Reasons[0].HasSpan {
		t.Errorf("CheckPIN(123456) = %+v, want a refusal with a span", v)
	}
	if v := got[0][1]; !v.Accepted {
		t.Errorf("CheckPIN(135792) = %+v, want accepted", v)
	}
	if v := got[0][3]; v.Accepted {
		t.Errorf("CheckPassword(alias in password) = %+v, want refused", v)
	}
}
