package auditcore

import (
	"errors"
	"testing"

	"github.com/tollgate/tollgate/api"
)

// audit.open's "memory_limit" is the soft limit of the module's heap, in
// bytes (the Go host sends 16 MiB, audit/wasm.go); absent, the instance's
// own stays; negative is refused.
func TestParseOptionsMemoryLimit(t *testing.T) {
	o, err := ParseOptions([]byte(`{"pass":"count","memory_limit":16777216}`))
	if err != nil || o.MemoryLimit != 16<<20 || o.Pass != PassCount {
		t.Errorf("got %+v, %v", o, err)
	}
	if o, err := ParseOptions([]byte(`{"pass":"check"}`)); err != nil || o.MemoryLimit != 0 {
		t.Errorf("absent: %+v, %v", o, err)
	}
	var ae *api.Error
	if _, err := ParseOptions([]byte(`{"memory_limit":-1}`)); !errors.As(err, &ae) || ae.Code != api.ErrBadRequest {
		t.Errorf("negative: %v, want bad_request", err)
	}
}
