package api_test

import (
	"testing"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	_ "github.com/tollgate/tollgate/data" // destinations, as native hosts have them
	"github.com/tollgate/tollgate/internal/conformance"
)

// TestCorpus runs the whole conformance corpus on the native dispatcher.
// The host package runs it again on every engine, against this reference.
func TestCorpus(t *testing.T) {
	s := api.NewSession()
	if err := s.LoadData(tollgate.Data()[0]); err != nil {
		t.Fatal(err)
	}
	conformance.Run(t, conformance.Engine{
		Name: "native",
		Exec: func(op string, req []byte) ([]byte, error) { return s.Do(op, req, nil) },
	})
}
