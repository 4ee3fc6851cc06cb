package api_test

import (
	"errors"
	"strings"
	"testing"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
)

// TestBlocklistNeedsData: a policy with the password blocklist on fails
// clearly on a session without the breached-password list, never a silent
// acceptance; one without the blocklist does not need it.
func TestBlocklistNeedsData(t *testing.T) {
	s := api.NewSession()
	out, err := s.Do("password", []byte(`{"policy": "nist-800-63b-4", "password": "Password1234567"}`), nil)
	var e *api.Error
	if !errors.As(err, &e) || e.Code != api.ErrDataMissing || e.Field != "policy" || !strings.Contains(string(out), `"data_missing"`) {
		t.Fatalf("no data: %s, %v; want a data_missing error", out, err)
	}
	if strings.Contains(string(out), "Password1234567") {
		t.Error("the error quotes the password")
	}
	if _, err := s.Do("password", []byte(`{"policy": "cuc", "password": "Tr0ub4dor&3"}`), nil); err != nil {
		t.Errorf("cuc without data: %v", err)
	}
	if err := s.LoadData(tollgate.Data()[0]); err != nil {
		t.Fatal(err)
	}
	out, err = s.Do("password", []byte(`{"policy": "nist-800-63b-4", "password": "Password1234567"}`), nil)
	if err != nil || !strings.Contains(string(out), `"detail":"list"`) {
		t.Errorf("with data: %s, %v; want common (list)", out, err)
	}
}

func TestLoadDataRefuses(t *testing.T) {
	s := api.NewSession()
	bad := append([]byte(nil), tollgate.Data()[0]...)
	bad[len(bad)-1] ^= 1
	for _, tt := range []struct {
		name string
		b    []byte
		msg  string
	}{
		{"not an artifact", []byte("hello"), "no TGDATA1 magic"},
		{"corrupt", bad, "checksum mismatch"},
		{"truncated", tollgate.Data()[0][:1000], "truncated or padded"},
	} {
		err := s.LoadData(tt.b)
		var e *api.Error
		if !errors.As(err, &e) || e.Code != api.ErrBadData || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("%s: %v; want bad_data saying %q", tt.name, err, tt.msg)
		}
	}
	if _, err := api.ParsePayload("phonenumbers", nil); err == nil {
		t.Error("an unknown artifact name was accepted")
	}
	if _, err := api.ParsePayload("passwords", []byte{1, 2, 3}); err == nil {
		t.Error("a malformed payload was accepted")
	}
}
