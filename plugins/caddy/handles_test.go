package tollgatecaddy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddytest"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/tollgate/tollgate/host"
)

// recordingEngine is a real engine that keeps every operation and request
// the handler sends it, so a test can see what travels per request.
type recordingEngine struct {
	host.Engine
	mu    sync.Mutex
	calls []engineCall
}

type engineCall struct {
	op  string
	req []byte
}

func (r *recordingEngine) Do(ctx context.Context, op string, req []byte) ([]byte, error) {
	r.mu.Lock()
	r.calls = append(r.calls, engineCall{op, append([]byte(nil), req...)})
	r.mu.Unlock()
	return r.Engine.Do(ctx, op, req)
}

func (r *recordingEngine) take() []engineCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// recordEngines makes the handlers' next new engine a recordingEngine.
func recordEngines(t *testing.T) func() *recordingEngine {
	var mu sync.Mutex
	var rec *recordingEngine
	orig := newEngine
	newEngine = func(ctx context.Context, kind string, opts host.Options) (host.Engine, error) {
		e, err := orig(ctx, kind, opts)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		rec = &recordingEngine{Engine: e}
		return rec, nil
	}
	t.Cleanup(func() { newEngine = orig })
	return func() *recordingEngine { mu.Lock(); defer mu.Unlock(); return rec }
}

const handlesPolicy = `{"extends":"cuc","pin":{"min_length":8}}`

func handlesConfig(dir, upstreamAddr string) string {
	return globalOptions("") + fmt.Sprintf(`%s {
	route /account/* {
		tollgate {
			engine wasm
			policy %s
			tables %s
			pin new_pin {
				extensions extension
				dob birth_date
			}
			dial forward_to {
				table "Staff Transfer"
			}
			dial fax_to {
				cos Staff
				feature fax
			}
		}
		reverse_proxy %s
	}
}
`, site, filepath.Join(dir, "policy.json"), filepath.Join(dir, "site.json"), upstreamAddr)
}

var handleRef = regexp.MustCompile(`^[0-9]+$`)

// TestHandlesInCaddy: a real Caddy with a policy document and a tables
// document loads each into the engine once, at Provision; every request
// then carries the handles, never the documents, from several goroutines
// (so more than one pooled instance answers and each must have replayed
// the loads); the verdicts are those of the same documents sent inline;
// and reloading the same config loads nothing again.
func TestHandlesInCaddy(t *testing.T) {
	dir := t.TempDir()
	tables, err := os.ReadFile("../../testdata/tables/site.json")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "site.json"), tables, 0o644)
	os.WriteFile(filepath.Join(dir, "policy.json"), []byte(handlesPolicy), 0o644)
	up := newUpstream(t)
	recorder := recordEngines(t)
	conf := handlesConfig(dir, strings.TrimPrefix(up.URL, "http://"))

	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{LoadRequestTimeout: time.Minute})
	tester.InitServer(conf, "caddyfile")
	rec := recorder()
	if rec == nil {
		t.Fatal("the handler did not open a new wasm engine (one left over from another test?)")
	}
	loads := map[string]int{}
	for _, c := range rec.take() {
		if strings.HasSuffix(c.op, ".load") {
			loads[c.op]++
			if c.op == "tables.load" && !sameJSON(c.req, tables) {
				t.Errorf("tables.load got another document than the file's: %.300s", c.req)
			}
		}
	}
	if loads["tables.load"] != 1 || loads["policy.load"] != 1 {
		t.Fatalf("loads at Provision: %v, want one tables.load and one policy.load", loads)
	}

	// The reference: the same documents inline, on a separate engine.
	ref := host.NewNative(host.Options{})
	defer ref.Close()
	ctx := context.Background()
	type probe struct {
		body  string
		op    string // the check the field runs
		field string
		req   string // the request with the documents inline
	}
	var probes []probe
	for _, n := range []string{"9011442079460000", "914085551234", "2001", "12", "91900555", "+4420794600"} {
		probes = append(probes,
			probe{`{"forward_to":"` + n + `"}`, "dial", "forward_to",
				`{"tables":` + string(tables) + `,"table":"Staff Transfer","number":"` + n + `"}`},
			probe{`{"fax_to":"` + n + `"}`, "dial", "fax_to",
				`{"tables":` + string(tables) + `,"cos":"Staff","feature":"fax","number":"` + n + `"}`})
	}
	for _, p := range []string{"345678", "73916482", "20017391", "1234567"} {
		probes = append(probes, probe{`{"new_pin":"` + p + `","extension":"2001"}`, "pin", "new_pin",
			`{"policy":` + handlesPolicy + `,"pin":"` + p + `","context":{"extensions":["2001"],"year":` + fmt.Sprint(time.Now().Year()) + `}}`})
	}

	var wg sync.WaitGroup
	errc := make(chan error, len(probes)*4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range probes {
				p := probes[(i+g)%len(probes)]
				if err := checkProbe(ctx, tester.Client, ref, p.body, p.op, p.field, p.req); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}

	calls := rec.take()
	if len(calls) != 4*len(probes) {
		t.Errorf("%d engine calls for %d requests", len(calls), 4*len(probes))
	}
	for _, c := range calls {
		var r struct{ Tables, Policy json.RawMessage }
		json.Unmarshal(c.req, &r)
		switch {
		case c.op == "dial" && !handleRef.Match(r.Tables):
			t.Fatalf("a dial request carried tables %.60s, want a handle", r.Tables)
		case c.op == "pin" && !handleRef.Match(r.Policy):
			t.Fatalf("a pin request carried policy %.60s, want a handle", r.Policy)
		case c.op != "dial" && c.op != "pin":
			t.Fatalf("a request ran op %s", c.op)
		}
	}

	// A date of birth the date rule cannot read is the client's error,
	// named by its own field, not a silently weaker check.
	resp, err := tester.Client.Post(site+"/account/x", "application/json",
		strings.NewReader(`{"new_pin":"73916482","birth_date":"31-02-1990"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e struct {
		Error struct{ Code, Message, Field string }
	}
	if json.Unmarshal(b, &e); resp.StatusCode != 400 || e.Error.Code != "bad_request" || e.Error.Field != "birth_date" ||
		!strings.Contains(e.Error.Message, "YYYY-MM-DD") || strings.Contains(string(b), "73916482") {
		t.Errorf("malformed dob: status %d %s, want 400 bad_request on birth_date with the format", resp.StatusCode, b)
	}
	rec.take()

	// A reload of the same config provisions a new handler before the old
	// one is released: the engine stays, and its handles are reused.
	tester.InitServer(conf, "caddyfile")
	for _, c := range rec.take() {
		if strings.HasSuffix(c.op, ".load") {
			t.Errorf("the reload ran %s again", c.op)
		}
	}
	if err := checkProbe(ctx, tester.Client, ref, probes[0].body, probes[0].op, probes[0].field, probes[0].req); err != nil {
		t.Error(err)
	}
}

// checkProbe sends body through Caddy and compares the answer with the
// reference engine's verdict on the inline request.
func checkProbe(ctx context.Context, client *http.Client, ref host.Engine, body, op, field, inline string) error {
	want, err := ref.Do(ctx, op, []byte(inline))
	if err != nil {
		return fmt.Errorf("reference %s: %v", op, err)
	}
	resp, err := client.Post(site+"/account/x", "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var v struct {
		Accepted bool            `json:"accepted"`
		Allowed  bool            `json:"allowed"`
		Reasons  json.RawMessage `json:"reasons"`
	}
	json.Unmarshal(want, &v)
	ok := v.Accepted || v.Allowed
	if ok {
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s %s: status %d %s, want it passed (inline: %s)", op, field, resp.StatusCode, b, want)
		}
		return nil
	}
	var a struct {
		Refused []struct {
			Field   string
			Reasons json.RawMessage
			Dial    json.RawMessage
		}
	}
	if resp.StatusCode != 422 || json.Unmarshal(b, &a) != nil || len(a.Refused) != 1 || a.Refused[0].Field != field {
		return fmt.Errorf("%s %s: status %d %s, want 422 (inline: %s)", op, field, resp.StatusCode, b, want)
	}
	got := a.Refused[0].Reasons
	if op == "dial" {
		got = a.Refused[0].Dial
		v.Reasons = want
	}
	if !jsonEqual(got, v.Reasons) {
		return fmt.Errorf("%s %s: answer %s, inline %s", op, field, got, v.Reasons)
	}
	return nil
}

// sameJSON compares values (Caddy re-encodes config documents, sorting keys).
func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func jsonEqual(a, b []byte) bool {
	var x, y bytes.Buffer
	return json.Compact(&x, a) == nil && json.Compact(&y, b) == nil && bytes.Equal(x.Bytes(), y.Bytes())
}

// bigTables is a restriction-tables document of rows blocked prefixes
// before a final allow-all row: a site's full table, not a toy.
func bigTables(rows int) []byte {
	var b strings.Builder
	b.WriteString(`{"outside_line_codes":["9"],"tables":[{"name":"Site Transfer","dialect":"cuc","min_digits":3,"max_digits":24,"rows":[`)
	for i := range rows {
		fmt.Fprintf(&b, `{"pattern":"9011%03d*","blocked":true},`, i)
	}
	b.WriteString(`{"pattern":"*","blocked":false}]}]}`)
	return []byte(b.String())
}

// BenchmarkDialField: one request through the handler with a dial field,
// the tables sent inline with each request (the old path, still the
// fallback for an engine without tables.load) against the handle loaded
// at Provision. Compare inline/handle within one run.
func BenchmarkDialField(b *testing.B) {
	site, err := os.ReadFile("../../testdata/tables/site.json")
	if err != nil {
		b.Fatal(err)
	}
	docs := []struct {
		name  string
		doc   []byte
		table string
	}{{"site", site, "Staff Transfer"}, {"rows500", bigTables(500), "Site Transfer"}}
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error { return nil })
	for _, engine := range []string{"wasm", "native"} {
		for _, d := range docs {
			for _, inline := range []bool{true, false} {
				mode := "handle"
				if inline {
					mode = "inline"
				}
				b.Run(engine+"/"+d.name+"/"+mode, func(b *testing.B) {
					h := &Handler{Engine: engine, Tables: d.doc, inline: inline,
						Fields: []Field{{Name: "forward_to", Check: CheckDial, Table: d.table}}}
					ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
					defer cancel()
					if err := h.Provision(ctx); err != nil {
						b.Fatal(err)
					}
					defer h.Cleanup()
					h.logger = zap.NewNop() // the same refusal log line in both modes
					body := []byte(`{"forward_to":"9011442079460000"}`)
					b.ReportAllocs()
					for b.Loop() {
						r := httptest.NewRequest("POST", "/account", bytes.NewReader(body))
						r.Header.Set("Content-Type", "application/json")
						w := httptest.NewRecorder()
						if err := h.ServeHTTP(w, r, next); err != nil || w.Code != 422 {
							b.Fatalf("status %d %v", w.Code, err)
						}
					}
				})
			}
		}
	}
}
