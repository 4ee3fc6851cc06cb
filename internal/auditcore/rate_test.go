package auditcore

import (
	"testing"

	"github.com/tollgate/tollgate/core/credential"
)

func TestRate(t *testing.T) {
	for _, tc := range []struct {
		s    credential.Scheme
		work bool
	}{
		{credential.SHA, true},
		{credential.PBKDF2SHA1, true},
		{credential.PBKDF2SHA256, true},
		{credential.PBKDF2SHA512, true},
		{credential.SchemeNone, false},
		{credential.SSHA, false},
		{credential.MD5, false},
		{credential.HexSHA1, false},
	} {
		r := Rate(tc.s)
		switch {
		case tc.work && !(r > 0 && r < 1):
			t.Errorf("%v: %g seconds a unit", tc.s, r)
		case !tc.work && r != 0:
			t.Errorf("%v: %g, want 0 (not a unit the estimates use)", tc.s, r)
		}
	}
}
