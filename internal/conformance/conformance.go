// Package conformance loads the corpus in testdata/vectors and runs it
// against an engine. The corpus is the single source of truth for
// behaviour: every case runs on the native core, on the wasm module under
// wazero, and (from js/) under Node, and all must agree.
//
// A corpus file is {"cases": [...]}; each case is
//
//	{"name": "...", "op": "pin", "request": {...}, "want": {...}}
//
// where request is the api package's JSON request for op, and want is
// matched against the response: every key want names must be present with
// an equal value (recursively), arrays must have the same length and match
// element by element, and keys want leaves out (a message, say) are not
// compared. Decoding is strict: an unknown case field is an error.
package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Case is one corpus case.
type Case struct {
	Name    string          `json:"name"`
	Op      string          `json:"op"`
	Request json.RawMessage `json:"request"`
	Want    json.RawMessage `json:"want"`
	// Note is free text for the reader (the seed a case comes from, ...).
	Note string `json:"note,omitempty"`

	File string `json:"-"` // base name of the corpus file
	Line int    `json:"-"` // line of the case in that file
}

// ID names a case uniquely: "file.json/name".
func (c *Case) ID() string { return c.File + "/" + c.Name }

// Pos is "file:line", for failure messages.
func (c *Case) Pos() string { return fmt.Sprintf("%s:%d", c.File, c.Line) }

// Dir finds testdata/vectors from any package directory of the module.
func Dir() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(d, "testdata", "vectors")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("conformance: testdata/vectors not found above the working directory")
		}
		d = parent
	}
}

// Load reads every *.json corpus file in dir (exceptions.json aside),
// strictly, in name order. Case names must be unique within a file.
func Load(dir string) ([]Case, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var all []Case
	for _, p := range paths {
		if filepath.Base(p) == ExceptionsFile {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		cases, err := parseFile(filepath.Base(p), data)
		if err != nil {
			return nil, err
		}
		all = append(all, cases...)
	}
	return all, nil
}

func parseFile(name string, data []byte) ([]Case, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	fail := func(off int64, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, lineAt(data, off), fmt.Sprintf(format, args...))
	}
	expect := func(want json.Delim) error {
		tok, err := dec.Token()
		if err != nil {
			return fail(dec.InputOffset(), "%v", err)
		}
		if d, ok := tok.(json.Delim); !ok || d != want {
			return fail(dec.InputOffset(), "want %q, got %v", want, tok)
		}
		return nil
	}
	if err := expect('{'); err != nil {
		return nil, err
	}
	var cases []Case
	seen := map[string]bool{}
	sawCases := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail(dec.InputOffset(), "%v", err)
		}
		if tok != "cases" {
			return nil, fail(dec.InputOffset(), "unknown field %v (a corpus file holds only \"cases\")", tok)
		}
		sawCases = true
		if err := expect('['); err != nil {
			return nil, err
		}
		for dec.More() {
			off := dec.InputOffset()
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, fail(off, "%v", err)
			}
			c := Case{File: name, Line: lineAt(data, off+int64(len(leadingSpace(data[off:]))))}
			d := json.NewDecoder(bytes.NewReader(raw))
			d.DisallowUnknownFields()
			if err := d.Decode(&c); err != nil {
				return nil, fmt.Errorf("%s:%d: %v", name, c.Line, err)
			}
			switch {
			case c.Name == "":
				return nil, fmt.Errorf("%s:%d: case without a name", name, c.Line)
			case c.Op == "":
				return nil, fmt.Errorf("%s:%d: case %q without an op", name, c.Line, c.Name)
			case len(c.Request) == 0 || len(c.Want) == 0:
				return nil, fmt.Errorf("%s:%d: case %q needs request and want", name, c.Line, c.Name)
			case seen[c.Name]:
				return nil, fmt.Errorf("%s:%d: duplicate case name %q", name, c.Line, c.Name)
			}
			seen[c.Name] = true
			cases = append(cases, c)
		}
		if err := expect(']'); err != nil {
			return nil, err
		}
	}
	if !sawCases {
		return nil, fmt.Errorf("%s: no \"cases\" field", name)
	}
	return cases, nil
}

func leadingSpace(b []byte) []byte {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r' || b[i] == ',') {
		i++
	}
	return b[:i]
}

func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

// Match reports how got differs from want under the corpus rules (see the
// package doc), or nil when it matches.
func Match(want, got []byte) error {
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return fmt.Errorf("want is not JSON: %v", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return fmt.Errorf("response is not JSON: %v: %s", err, got)
	}
	return match("$", w, g)
}

func match(path string, w, g any) error {
	switch wv := w.(type) {
	case map[string]any:
		gv, ok := g.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want an object, got %s", path, show(g))
		}
		keys := make([]string, 0, len(wv))
		for k := range wv {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gk, ok := gv[k]
			if !ok {
				return fmt.Errorf("%s.%s: missing (want %s)", path, k, show(wv[k]))
			}
			if err := match(path+"."+k, wv[k], gk); err != nil {
				return err
			}
		}
		return nil
	case []any:
		gv, ok := g.([]any)
		if !ok {
			return fmt.Errorf("%s: want an array, got %s", path, show(g))
		}
		if len(wv) != len(gv) {
			return fmt.Errorf("%s: want %d elements %s, got %d %s", path, len(wv), show(wv), len(gv), show(gv))
		}
		for i := range wv {
			if err := match(fmt.Sprintf("%s[%d]", path, i), wv[i], gv[i]); err != nil {
				return err
			}
		}
		return nil
	default:
		if !equalScalar(w, g) {
			return fmt.Errorf("%s: want %s, got %s", path, show(w), show(g))
		}
		return nil
	}
}

func equalScalar(a, b any) bool { return show(a) == show(b) }

func show(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return strings.TrimSpace(s)
}
