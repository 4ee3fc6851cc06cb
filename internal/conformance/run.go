package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// ExceptionsFile lists known differences between an engine and the corpus.
const ExceptionsFile = "exceptions.json"

// Engines names every engine that runs the corpus: the native api
// (api/), the two host engines (host/: "native", "wasm") and the JS
// package under Node (js/: "node"). An exception must name one of them:
// an exception for an engine nobody runs would never be checked.
var Engines = []string{"native", "wasm", "node"}

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

// Exception is one entry of the exceptions file: the case (Case.ID) that
// engine is known to answer differently, and why.
type Exception struct {
	Engine string `json:"engine"`
	Case   string `json:"case"`
	Reason string `json:"reason"`
}

// LoadExceptions reads dir's exceptions file strictly (a missing file is
// no exceptions). Every entry needs a known engine, a case and a reason,
// and names its (engine, case) pair once.
func LoadExceptions(dir string) ([]Exception, error) {
	data, err := os.ReadFile(filepath.Join(dir, ExceptionsFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f struct {
		Exceptions []Exception `json:"exceptions"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %v", ExceptionsFile, err)
	}
	seen := map[[2]string]bool{}
	for i, x := range f.Exceptions {
		switch k := [2]string{x.Engine, x.Case}; {
		case !slices.Contains(Engines, x.Engine):
			return nil, fmt.Errorf("%s: exception %d: engine %q is not one of %q", ExceptionsFile, i, x.Engine, Engines)
		case x.Case == "":
			return nil, fmt.Errorf("%s: exception %d: no case (write \"file.json/case name\")", ExceptionsFile, i)
		case x.Reason == "":
			return nil, fmt.Errorf("%s: exception %d (%s on %s): no reason", ExceptionsFile, i, x.Case, x.Engine)
		case seen[k]:
			return nil, fmt.Errorf("%s: exception %d: %s on %s is listed twice", ExceptionsFile, i, x.Case, x.Engine)
		default:
			seen[k] = true
		}
	}
	return f.Exceptions, nil
}

// unknownCases reports every exception, for any engine, that names no case
// of the corpus. It looks at the whole corpus, not at the cases a run
// happened to select (go test -run), so a filtered run does not fail.
func unknownCases(cases []Case, excs []Exception) []error {
	ids := make(map[string]bool, len(cases))
	for i := range cases {
		ids[cases[i].ID()] = true
	}
	var errs []error
	for _, x := range excs {
		if !ids[x.Case] {
			errs = append(errs, fmt.Errorf("%s: exception for %s on %s names no case in the corpus", ExceptionsFile, x.Case, x.Engine))
		}
	}
	return errs
}

// excepted maps the case ids excepted for engine to their reasons.
func excepted(excs []Exception, engine string) map[string]string {
	m := map[string]string{}
	for _, x := range excs {
		if x.Engine == engine {
			m[x.Case] = x.Reason
		}
	}
	return m
}

// outcome is what one case did on one engine.
type outcome struct {
	fail error  // the run fails with this; nil when it does not
	skip string // the case is a known difference: skipped with this note
}

// judge runs c on e and decides its outcome: a case that does not match
// fails unless it is excepted (then it is skipped with the reason); an
// excepted case that matches fails, so that its exception is removed.
func judge(c *Case, e Engine, known map[string]string) outcome {
	err := runCase(c, e)
	reason, ok := known[c.ID()]
	switch {
	case ok && err == nil:
		return outcome{fail: fmt.Errorf("%s: %s passes on %s; remove its exception (%s)", c.Pos(), c.Name, e.Name, reason)}
	case ok:
		return outcome{skip: fmt.Sprintf("known difference on %s: %s", e.Name, reason)}
	case err != nil:
		return outcome{fail: fmt.Errorf("%s: %s [%s]: %v", c.Pos(), c.Name, e.Name, err)}
	}
	return outcome{}
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
	runDir(t, dir, e)
}

func runDir(t *testing.T, dir string, e Engine) {
	t.Helper()
	if !slices.Contains(Engines, e.Name) {
		t.Fatalf("conformance: engine %q is not one of %q (add it to conformance.Engines)", e.Name, Engines)
	}
	cases, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("conformance: empty corpus")
	}
	excs, err := LoadExceptions(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range unknownCases(cases, excs) {
		t.Error(err)
	}
	known := excepted(excs, e.Name)
	for i := range cases {
		c := &cases[i]
		t.Run(c.ID(), func(t *testing.T) {
			switch o := judge(c, e, known); {
			case o.fail != nil:
				t.Error(o.fail)
			case o.skip != "":
				t.Skip(o.skip)
			}
		})
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
