package tollgatecaddy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"

	"github.com/tollgate/tollgate/api"
)

// countingCodec is the handler's codec, counting what it reads and writes.
type countingCodec struct {
	apiCodec
	decodes, encodes atomic.Int64
}

func (c *countingCodec) decodeBody(body []byte) (*node, *parseError) {
	c.decodes.Add(1)
	return c.apiCodec.decodeBody(body)
}

func (c *countingCodec) isJSONObject(body []byte) bool {
	c.decodes.Add(1)
	return c.apiCodec.isJSONObject(body)
}

func (c *countingCodec) appendRefusal(b []byte, r *api.Refusal) []byte {
	c.encodes.Add(1)
	return c.apiCodec.appendRefusal(b, r)
}

func (c *countingCodec) appendError(b []byte, e *api.Error) []byte {
	c.encodes.Add(1)
	return c.apiCodec.appendError(b, e)
}

// TestJSONPerRequest (issue 15): a real Caddy in front of a real upstream,
// on the native engine and on the wasm engine. Each request costs the
// handler at most one decode of JSON (its body, when it is JSON) and one
// encode (the 422 refusal or the error it answers with; none when it
// passes the request on), however many fields it checks and refuses; the
// engine is asked with api values only, so on the native engine that is
// all the JSON of the request. TestNoJSONOutsideCodec holds the rest of
// the handler to the codec.
func TestJSONPerRequest(t *testing.T) {
	up := newUpstream(t)
	counter := &countingCodec{}
	orig := wire
	wire = counter
	t.Cleanup(func() { wire = orig })
	const js, form = "application/json", "application/x-www-form-urlencoded"
	for _, engine := range []string{"wasm", "native"} { // native last: the next test opens its own wasm engine
		t.Run(engine, func(t *testing.T) {
			recorder := recordEngines(t)
			tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{LoadRequestTimeout: time.Minute})
			tester.InitServer(siteConfig(strings.TrimPrefix(up.URL, "http://"), engine, filepath.Join(t.TempDir(), "caddy.log")), "caddyfile")
			rec := recorder()
			if rec == nil {
				t.Fatalf("the handler did not open a new %s engine", engine)
			}
			rec.take()
			for _, c := range []struct {
				name, ct, body   string
				status           int
				decodes, encodes int64
			}{
				{"JSON, passes", js, `{"new_pin":"802163","extension":"2001","forward_to":"2001"}`, 200, 1, 0},
				{"JSON, PIN refused", js, `{"new_pin":"345678"}`, 422, 1, 1},
				{"JSON, number refused", js, `{"forward_to":"9011442079460000"}`, 422, 1, 1},
				{"JSON, four fields refused", js, `{"new_pin":"111111","new_password":"a","forward_to":"9011442079460000","transfer_to":"9011442079460000"}`, 422, 1, 1},
				{"JSON, ambiguous", js, `{"new_pin":"802163","NEW_PIN":"802163"}`, 400, 1, 1},
				{"JSON, malformed", js, `{"new_pin":`, 400, 1, 1},
				{"form, passes", form, "new_pin=802163&forward_to=2001", 200, 0, 0},
				{"form, refused", form, "new_pin=111111&transfer_to=9011442079460000", 422, 0, 1},
				{"form holding JSON", form, `{"new_pin":"111111"}`, 400, 1, 1},
				{"unsupported type", "text/plain", "new_pin=111111", 415, 0, 1},
			} {
				counter.decodes.Store(0)
				counter.encodes.Store(0)
				up.take()
				resp, err := tester.Client.Post(site+"/account/x", c.ct, strings.NewReader(c.body))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != c.status {
					t.Errorf("%s: status %d %s, want %d", c.name, resp.StatusCode, b, c.status)
				}
				if d, e := counter.decodes.Load(), counter.encodes.Load(); d != c.decodes || e != c.encodes {
					t.Errorf("%s: %d decodes and %d encodes of JSON, want %d and %d", c.name, d, e, c.decodes, c.encodes)
				}
				if passed := len(up.take()) == 1; passed != (c.status == 200) {
					t.Errorf("%s: reached the upstream: %v, with status %d", c.name, passed, c.status)
				}
				for _, call := range rec.take() {
					switch call.op {
					case "CheckPIN", "CheckPassword", "DialNumber", "Dial":
					default:
						t.Errorf("%s: the request ran %s on the engine", c.name, call.op)
					}
				}
			}
		})
	}
}

// TestNoJSONOutsideCodec: no file of the handler but codec.go reads or
// writes JSON — no encoding/json, no jsonx decoder or validator, none of
// api's codec functions, no MarshalJSON or UnmarshalJSON, no JSON
// operation (Do) on the engine — so the counts of TestJSONPerRequest are
// every decode and encode the handler makes.
func TestNoJSONOutsideCodec(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	forbidden := map[string]map[string]bool{
		"api":   {"Append": true, "AppendError": true, "AppendString": true, "Decode": true, "DecodeRequest": true, "ParseError": true, "Do": true},
		"jsonx": nil, // any function
		"json":  nil,
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "codec.go" {
			continue
		}
		checked++
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "encoding/json" {
				t.Errorf("%s imports encoding/json", fset.Position(imp.Pos()))
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); ok {
				if names, listed := forbidden[pkg.Name]; listed && (names == nil || names[sel.Sel.Name]) {
					t.Errorf("%s: %s.%s outside codec.go", fset.Position(call.Pos()), pkg.Name, sel.Sel.Name)
					return true
				}
			}
			switch sel.Sel.Name {
			case "MarshalJSON", "UnmarshalJSON", "Do":
				t.Errorf("%s: %s outside codec.go", fset.Position(call.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
	if checked < 4 {
		t.Fatalf("checked %d files; the test runs in the package's directory", checked)
	}
}
