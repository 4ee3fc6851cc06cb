package conformance

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
)

func corpus(t *testing.T) []Case {
	t.Helper()
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// session is a native session with the committed data artifacts, as
// every engine has them.
func session() *api.Session {
	s := api.NewSession()
	for _, b := range tollgate.Data() {
		if err := s.LoadData(b); err != nil {
			panic(err)
		}
	}
	return s
}

func nativeExec() Exec {
	s := session()
	return func(op string, req []byte) ([]byte, error) { return s.Do(op, req, nil) }
}

// verdictKeys are the booleans that say yes or no in a response.
var verdictKeys = []string{"accepted", "allowed", "verified"}

// flipped answers what inner does with every verdict boolean inverted:
// an engine that is wrong about exactly the thing that matters.
func flipped(inner Exec) Exec {
	return func(op string, req []byte) ([]byte, error) {
		resp, err := inner(op, req)
		var m map[string]any
		if json.Unmarshal(resp, &m) != nil {
			return resp, err
		}
		for _, k := range verdictKeys {
			if b, ok := m[k].(bool); ok {
				m[k] = !b
			}
		}
		out, _ := json.Marshal(m)
		return out, err
	}
}

// namesVerdict reports whether a case's want names a verdict boolean.
func namesVerdict(c *Case) bool {
	var w map[string]any
	if json.Unmarshal(c.Want, &w) != nil {
		return false
	}
	for _, k := range verdictKeys {
		if _, ok := w[k].(bool); ok {
			return true
		}
	}
	return false
}

// The corpus passes on the native api (api's TestCorpus runs it too): the
// baseline the wrong engines below are measured against.
func TestNativePasses(t *testing.T) {
	e := Engine{Name: "native", Exec: nativeExec()}
	for i, c := range corpus(t) {
		if o := judge(&c, e, nil); o.fail != nil || o.skip != "" {
			t.Errorf("case %d: %v %s", i, o.fail, o.skip)
		}
	}
}

// An engine that inverts every verdict fails every case whose want names
// one, and there are hundreds.
func TestWrongVerdictsFail(t *testing.T) {
	e := Engine{Name: "native", Exec: flipped(nativeExec())}
	n := 0
	for _, c := range corpus(t) {
		o := judge(&c, e, nil)
		if !namesVerdict(&c) {
			continue
		}
		n++
		if o.fail == nil {
			t.Errorf("%s: %s passes with its verdict inverted", c.Pos(), c.Name)
		}
	}
	if n < 100 {
		t.Errorf("only %d cases name a verdict", n)
	}
}

// Every case fails on an engine that answers {} or an error to everything,
// and on one that answers another case's response.
func TestWrongAnswersFail(t *testing.T) {
	cases := corpus(t)
	empty := Engine{Name: "wasm", Exec: func(string, []byte) ([]byte, error) { return []byte(`{}`), nil }}
	broken := Engine{Name: "wasm", Exec: func(string, []byte) ([]byte, error) { return nil, os.ErrClosed }}
	for _, c := range cases {
		if o := judge(&c, empty, nil); o.fail == nil {
			t.Errorf("%s: %s passes on an engine answering {}", c.Pos(), c.Name)
		}
		if o := judge(&c, broken, nil); o.fail == nil || !strings.Contains(o.fail.Error(), os.ErrClosed.Error()) {
			t.Errorf("%s: %s on a failing engine: %v", c.Pos(), c.Name, o.fail)
		}
	}
	// Shifted by one: each case gets its predecessor's response. Cases
	// whose neighbours answer alike may pass; most must not.
	s := session()
	var prev []byte
	shifted := Engine{Name: "wasm", Exec: func(op string, req []byte) ([]byte, error) {
		resp, _ := s.Do(op, req, nil)
		out := prev
		prev = resp
		if out == nil {
			out = []byte(`{}`)
		}
		return out, nil
	}}
	failed := 0
	for _, c := range cases {
		if judge(&c, shifted, nil).fail != nil {
			failed++
		}
	}
	if failed < len(cases)/2 {
		t.Errorf("only %d of %d cases fail with shifted responses", failed, len(cases))
	}
}

// The parity check: an engine whose responses match want but differ from
// the reference's bytes fails; one equal to the reference passes.
func TestParityChecked(t *testing.T) {
	cases := corpus(t)
	ref := nativeExec()
	same := Engine{Name: "wasm", Exec: nativeExec(), Reference: ref}
	// Re-encoding through a map reorders keys: the same JSON value in
	// other bytes, which Match accepts and parity must not.
	reordered := Engine{Name: "wasm", Exec: flipped(flipped(nativeExec())), Reference: nativeExec()}
	parityFails := 0
	for _, c := range cases {
		if o := judge(&c, same, nil); o.fail != nil {
			t.Errorf("identical engine: %v", o.fail)
		}
		o := judge(&c, reordered, nil)
		if o.fail != nil {
			if !strings.Contains(o.fail.Error(), "differs from the native core") {
				t.Errorf("%s: %v", c.Pos(), o.fail)
			}
			parityFails++
		}
	}
	if parityFails < len(cases)/2 {
		t.Errorf("only %d of %d re-encoded responses fail parity", parityFails, len(cases))
	}
}

func TestJudgeExceptions(t *testing.T) {
	c := &Case{Name: "x", Op: "pin", File: "pin.json", Line: 3, Request: json.RawMessage(`{"pin":"1"}`), Want: json.RawMessage(`{"accepted":true}`)}
	answer := func(resp string) Engine {
		return Engine{Name: "wasm", Exec: func(string, []byte) ([]byte, error) { return []byte(resp), nil }}
	}
	known := map[string]string{"pin.json/x": "a reason"}
	for _, tc := range []struct {
		name       string
		resp       string
		known      map[string]string
		fail, skip string // substrings; "" for none
	}{
		{"passes", `{"accepted":true}`, nil, "", ""},
		{"fails", `{"accepted":false}`, nil, "pin.json:3: x [wasm]: $.accepted: want true, got false", ""},
		{"excepted and failing: skipped", `{"accepted":false}`, known, "", "known difference on wasm: a reason"},
		{"excepted and passing: fails", `{"accepted":true}`, known, "pin.json:3: x passes on wasm; remove its exception (a reason)", ""},
		{"excepted for another case", `{"accepted":false}`, map[string]string{"pin.json/y": "r"}, "$.accepted", ""},
	} {
		o := judge(c, answer(tc.resp), tc.known)
		if (o.fail == nil) != (tc.fail == "") || o.fail != nil && !strings.Contains(o.fail.Error(), tc.fail) {
			t.Errorf("%s: fail = %v, want %q", tc.name, o.fail, tc.fail)
		}
		if o.skip != tc.skip {
			t.Errorf("%s: skip = %q, want %q", tc.name, o.skip, tc.skip)
		}
	}
}

// Exceptions count for their engine only, and one naming no case of the
// corpus is reported whichever engine runs.
func TestExceptionsMatchCases(t *testing.T) {
	cases := []Case{{Name: "a", File: "pin.json"}, {Name: "b", File: "dial.json"}}
	excs := []Exception{
		{Engine: "wasm", Case: "pin.json/a", Reason: "r"},
		{Engine: "node", Case: "dial.json/b", Reason: "r"},
		{Engine: "node", Case: "pin.json/nope", Reason: "r"},
		{Engine: "wasm", Case: "a", Reason: "r"}, // without its file
	}
	errs := unknownCases(cases, excs)
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "pin.json/nope on node names no case") || !strings.Contains(errs[1].Error(), "exception for a on wasm") {
		t.Errorf("unknownCases = %v", errs)
	}
	if k := excepted(excs, "wasm"); len(k) != 2 || k["pin.json/a"] != "r" || k["dial.json/b"] != "" {
		t.Errorf("excepted(wasm) = %v", k)
	}
	if k := excepted(excs, "native"); len(k) != 0 {
		t.Errorf("excepted(native) = %v", k)
	}
}

func TestLoadExceptions(t *testing.T) {
	for _, tc := range []struct{ name, file, err string }{
		{"none", ``, ""},
		{"empty list", `{"exceptions": []}`, ""},
		{"good", `{"exceptions": [{"engine": "node", "case": "pin.json/a", "reason": "r"}, {"engine": "wasm", "case": "pin.json/a", "reason": "r"}]}`, ""},
		{"unknown field", `{"exceptions": [{"engine": "node", "case": "pin.json/a", "reason": "r", "why": "x"}]}`, `unknown field "why"`},
		{"unknown top field", `{"exception": []}`, `unknown field "exception"`},
		{"unknown engine", `{"exceptions": [{"engine": "wazero", "case": "pin.json/a", "reason": "r"}]}`, `exception 0: engine "wazero" is not one of`},
		{"no case", `{"exceptions": [{"engine": "node", "reason": "r"}]}`, "exception 0: no case"},
		{"no reason", `{"exceptions": [{"engine": "node", "case": "pin.json/a"}]}`, "exception 0 (pin.json/a on node): no reason"},
		{"twice", `{"exceptions": [{"engine": "node", "case": "pin.json/a", "reason": "r"}, {"engine": "node", "case": "pin.json/a", "reason": "s"}]}`, "exception 1: pin.json/a on node is listed twice"},
		{"not JSON", `{"exceptions": [`, "exceptions.json: "},
	} {
		dir := t.TempDir()
		if tc.file != "" {
			if err := os.WriteFile(filepath.Join(dir, ExceptionsFile), []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		excs, err := LoadExceptions(dir)
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.err)
		}
		if err == nil && tc.file != "" && strings.Count(tc.file, `"engine"`) != len(excs) {
			t.Errorf("%s: %d exceptions", tc.name, len(excs))
		}
	}
}

// The runs below are Run itself, on a small corpus in a temporary
// directory, in a child process of this test binary (a failing Run fails
// its test, which must not be this one). helperEnv selects the scenario.
const helperEnv = "TOLLGATE_CONFORMANCE_HELPER"

func TestRunHelper(t *testing.T) {
	scenario := os.Getenv(helperEnv)
	if scenario == "" {
		return // only ever run as the child of TestRunReports
	}
	exec := nativeExec()
	if scenario == "flipped" {
		exec = flipped(exec)
	}
	runDir(t, os.Getenv(helperEnv+"_DIR"), Engine{Name: "wasm", Exec: exec})
}

func TestRunReports(t *testing.T) {
	const corpusFile = `{"cases": [
  {"name": "weak", "op": "pin", "request": {"pin": "123456"}, "want": {"accepted": false}},
  {"name": "good", "op": "pin", "request": {"pin": "802163"}, "want": {"accepted": true, "reasons": []}}
]}`
	for _, tc := range []struct {
		scenario, exceptions string
		ok                   bool
		out                  []string
	}{
		{"native", ``, true, []string{"--- PASS: TestRunHelper/pin.json/weak", "--- PASS: TestRunHelper/pin.json/good"}},
		{"flipped", ``, false, []string{"--- FAIL: TestRunHelper/pin.json/weak", "pin.json:2: weak [wasm]: $.accepted: want false, got true", "--- FAIL: TestRunHelper/pin.json/good"}},
		{"flipped", `{"exceptions": [{"engine": "wasm", "case": "pin.json/weak", "reason": "inverted"}, {"engine": "wasm", "case": "pin.json/good", "reason": "inverted"}]}`, true,
			[]string{"--- SKIP: TestRunHelper/pin.json/weak", "known difference on wasm: inverted"}},
		{"flipped", `{"exceptions": [{"engine": "node", "case": "pin.json/weak", "reason": "r"}]}`, false, []string{"--- FAIL: TestRunHelper/pin.json/weak"}},
		{"native", `{"exceptions": [{"engine": "wasm", "case": "pin.json/weak", "reason": "was broken"}]}`, false,
			[]string{"--- FAIL: TestRunHelper/pin.json/weak", "weak passes on wasm; remove its exception (was broken)", "--- PASS: TestRunHelper/pin.json/good"}},
		{"native", `{"exceptions": [{"engine": "node", "case": "pin.json/gone", "reason": "r"}]}`, false,
			[]string{"exception for pin.json/gone on node names no case in the corpus"}},
		{"native", `{"exceptions": [{"engine": "nodejs", "case": "pin.json/weak", "reason": "r"}]}`, false, []string{`engine "nodejs" is not one of`}},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "pin.json"), []byte(corpusFile), 0o644); err != nil {
			t.Fatal(err)
		}
		if tc.exceptions != "" {
			if err := os.WriteFile(filepath.Join(dir, ExceptionsFile), []byte(tc.exceptions), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestRunHelper$", "-test.v")
		cmd.Env = append(os.Environ(), helperEnv+"="+tc.scenario, helperEnv+"_DIR="+dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if ok := err == nil; ok != tc.ok {
			t.Errorf("%s with %q: run ok = %v, want %v\n%s", tc.scenario, tc.exceptions, ok, tc.ok, out.String())
			continue
		}
		for _, s := range tc.out {
			if !strings.Contains(out.String(), s) {
				t.Errorf("%s with %q: output lacks %q\n%s", tc.scenario, tc.exceptions, s, out.String())
			}
		}
	}
}
