package conformance

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// ExceptionsFile lists known differences between an engine and the corpus.
const ExceptionsFile = "exceptions.json"

// Exec runs one operation on an engine and returns its JSON response (an
// error response is a response too: {"error": {...}}).
type Exec func(op string, req []byte) ([]byte, error)

// Engine is a named way to run the corpus.
type Engine struct {
	Name string
	Exec Exec
	// Reference, when set, must give byte-identical responses: this is the
	// parity check of a host against the native core.
	Reference Exec
}

type exception struct {
	Engine string `json:"engine"`
	Case   string `json:"case"` // Case.ID()
	Reason string `json:"reason"`
}

func loadExceptions(dir string) ([]exception, error) {
	data, err := os.ReadFile(filepath.Join(dir, ExceptionsFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f struct {
		Exceptions []exception `json:"exceptions"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	return f.Exceptions, nil
}

// Run runs the whole corpus on e, one subtest per case. A case listed in
// the exceptions file for this engine is skipped with its reason; an
// exception that names no case, or a case that now passes, fails the run.
func Run(t *testing.T, e Engine) {
	t.Helper()
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("conformance: empty corpus")
	}
	excs, err := loadExceptions(dir)
	if err != nil {
		t.Fatalf("%s: %v", ExceptionsFile, err)
	}
	excepted := map[string]string{}
	for _, x := range excs {
		if x.Engine == e.Name {
			excepted[x.Case] = x.Reason
		}
	}
	used := map[string]bool{}
	for i := range cases {
		c := &cases[i]
		t.Run(c.ID(), func(t *testing.T) {
			err := runCase(c, e)
			if reason, ok := excepted[c.ID()]; ok {
				used[c.ID()] = true
				if err == nil {
					t.Errorf("%s: %s passes on %s; remove its exception (%s)", c.Pos(), c.Name, e.Name, reason)
					return
				}
				t.Skipf("known difference on %s: %s", e.Name, reason)
			}
			if err != nil {
				t.Errorf("%s: %s [%s]: %v", c.Pos(), c.Name, e.Name, err)
			}
		})
	}
	for id := range excepted {
		if !used[id] {
			t.Errorf("%s: exception for %s names no case in the corpus", ExceptionsFile, id)
		}
	}
}

func runCase(c *Case, e Engine) error {
	got, err := e.Exec(c.Op, c.Request)
	if err != nil && got == nil {
		return err
	}
	if err := Match(c.Want, got); err != nil {
		return err
	}
	if e.Reference != nil {
		ref, _ := e.Reference(c.Op, c.Request)
		if !bytes.Equal(ref, got) {
			return &parityError{ref: ref, got: got}
		}
	}
	return nil
}

type parityError struct{ ref, got []byte }

func (p *parityError) Error() string {
	return "differs from the native core:\n  native: " + string(p.ref) + "\n  engine: " + string(p.got)
}
