package engine

import (
	"context"
	"testing"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/conformance"
)

// TestParity runs the whole corpus through each engine's JSON adapter;
// every answer must equal, byte for byte, what a native api session
// answers (conformance.Run also matches it to the corpus).
func TestParity(t *testing.T) {
	ctx := context.Background()
	_, pw := artifacts()
	for _, e := range engines(t) {
		t.Run(e.Kind().String(), func(t *testing.T) {
			ref := api.NewSession()
			if err := ref.LoadData(pw); err != nil {
				t.Fatal(err)
			}
			conformance.Run(t, conformance.Engine{
				Name:      e.Kind().String(),
				Exec:      func(op string, req []byte) ([]byte, error) { return api.Do(ctx, e, op, req, nil) },
				Reference: func(op string, req []byte) ([]byte, error) { return ref.Do(op, req, nil) },
			})
		})
	}
}
