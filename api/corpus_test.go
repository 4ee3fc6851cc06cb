package api_test

import (
	"testing"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/conformance"
)

// TestCorpus runs the whole conformance corpus on the native dispatcher.
// The host package runs it again on every engine, against this reference.
func TestCorpus(t *testing.T) {
	s := api.NewSession()
	for _, b := range tollgate.Data() {
		if err := s.LoadData(b); err != nil {
			t.Fatal(err)
		}
	}
	conformance.Run(t, conformance.Engine{
		Name: "native",
		Exec: func(op string, req []byte) ([]byte, error) { return s.Do(op, req, nil) },
	})
}
