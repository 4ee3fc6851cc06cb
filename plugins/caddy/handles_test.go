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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddytest"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
)

// recordingChecker is a real engine that keeps every call the handler
// makes and the reference it names, so a test can see what travels.
type recordingChecker struct {
	checker
	mu    sync.Mutex
	calls []engineCall
}

type engineCall struct {
	op  string
	ref string // the policy or tables reference, as api describes it (never a document's text)
	doc []byte // a load's inline document
}

func (c engineCall) String() string { return c.op + "(" + c.ref + ")" }

func (r *recordingChecker) record(op, ref string, doc []byte) {
	r.mu.Lock()
	r.calls = append(r.calls, engineCall{op, ref, append([]byte(nil), doc...)})
	r.mu.Unlock()
}

func (r *recordingChecker) LoadPolicy(ctx context.Context, p api.PolicyRef) (api.PolicyInfo, error) {
	doc, _ := p.JSON()
	r.record("LoadPolicy", p.String(), doc)
	return r.checker.LoadPolicy(ctx, p)
}

func (r *recordingChecker) LoadTables(ctx context.Context, t api.TablesRef) (api.TablesInfo, error) {
	doc, _ := t.JSON()
	r.record("LoadTables", t.String(), doc)
	return r.checker.LoadTables(ctx, t)
}

func (r *recordingChecker) Unload(ctx context.Context, h api.Handle) error {
	r.record("Unload", api.TablesHandle(h).String(), nil)
	return r.checker.Unload(ctx, h)
}

func (r *recordingChecker) CheckPIN(ctx context.Context, q *api.PINRequest) (api.Verdict, error) {
	r.record("CheckPIN", q.Policy.String(), nil)
	return r.checker.CheckPIN(ctx, q)
}

func (r *recordingChecker) CheckPassword(ctx context.Context, q *api.PasswordRequest) (api.Verdict, error) {
	r.record("CheckPassword", q.Policy.String(), nil)
	return r.checker.CheckPassword(ctx, q)
}

func (r *recordingChecker) Dial(ctx context.Context, q *api.DialRequest) (api.DialResult, error) {
	r.record("Dial", q.Tables.String(), nil)
	return r.checker.Dial(ctx, q)
}

func (r *recordingChecker) TableIndex(ctx context.Context, h api.Handle, table, cos, feature string) (int, error) {
	r.record("TableIndex", api.TablesHandle(h).String(), nil)
	return r.checker.TableIndex(ctx, h, table, cos, feature)
}

func (r *recordingChecker) DialNumber(ctx context.Context, h api.Handle, table int, number []byte) (tollgate.DialVerdict, error) {
	r.record("DialNumber", api.TablesHandle(h).String(), nil)
	return r.checker.DialNumber(ctx, h, table, number)
}

func (r *recordingChecker) take() []engineCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// recordEngines makes the handlers' next new engine a recordingChecker.
func recordEngines(t testing.TB) func() *recordingChecker {
	var mu sync.Mutex
	var rec *recordingChecker
	orig := newChecker
	newChecker = func(ctx context.Context, kind tollgate.Engine) (checker, error) {
		c, err := orig(ctx, kind)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		rec = &recordingChecker{checker: c}
		return rec, nil
	}
	t.Cleanup(func() { newChecker = orig })
	return func() *recordingChecker { mu.Lock(); defer mu.Unlock(); return rec }
}

const handlesPolicy = `{"extends":"cuc","pin":{"min_length":8}}`

// handlesConfig is the test's config; gen changes a header elsewhere in
// it, so that Caddy, which ignores a config identical to the running one,
// reloads it with the same tollgate handler.
func handlesConfig(policyFile, tablesFile, upstreamAddr string, gen int) string {
	return globalOptions("") + fmt.Sprintf(`%s {
	route /account/* {
		header X-Config-Generation %d
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
			dial notify_to {
				table Kamailio
			}
		}
		reverse_proxy %s
	}
}
`, site, gen, policyFile, tablesFile, upstreamAddr)
}

// isHandle reports whether an api reference description names a handle.
func isHandle(ref string) bool { return strings.HasPrefix(ref, "handle ") }

// TestHandlesInCaddy: a real Caddy with a policy document and a tables
// document loads each into the engine once, at Provision; every request
// then names them by handle, never carries the documents, from several
// goroutines (so more than one pooled instance answers and each must
// load what the call needs); the answers are those of the same documents
// sent inline to another engine; a reload of the same config gets the
// same handles and keeps them working after the old handlers go; and a
// reload with another tables document releases the old one.
func TestHandlesInCaddy(t *testing.T) {
	dir := t.TempDir()
	tables, err := os.ReadFile("../../testdata/tables/site.json")
	if err != nil {
		t.Fatal(err)
	}
	tablesFile, policyFile := filepath.Join(dir, "site.json"), filepath.Join(dir, "policy.json")
	os.WriteFile(tablesFile, tables, 0o644)
	os.WriteFile(policyFile, []byte(handlesPolicy), 0o644)
	up := newUpstream(t)
	recorder := recordEngines(t)
	conf := func(gen int) string {
		return handlesConfig(policyFile, tablesFile, strings.TrimPrefix(up.URL, "http://"), gen)
	}

	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{LoadRequestTimeout: time.Minute})
	tester.InitServer(conf(1), "caddyfile")
	rec := recorder()
	if rec == nil {
		t.Fatal("the handler did not open a new wasm engine (one left over from another test?)")
	}
	loads := map[string]int{}
	for _, c := range rec.take() {
		if strings.HasPrefix(c.op, "Load") {
			loads[c.op]++
			if c.op == "LoadTables" && !sameJSON(c.doc, tables) {
				t.Errorf("LoadTables got another document than the file's: %.300s", c.doc)
			}
			if c.op == "LoadPolicy" && !sameJSON(c.doc, []byte(handlesPolicy)) {
				t.Errorf("LoadPolicy got another document than the file's: %.300s", c.doc)
			}
		}
	}
	if loads["LoadTables"] != 1 || loads["LoadPolicy"] != 1 {
		t.Fatalf("loads at Provision: %v, want one LoadTables and one LoadPolicy", loads)
	}

	// The reference: the same documents inline, on a separate engine.
	ctx := context.Background()
	ref, err := tollgate.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	type probe struct {
		body, field string
		dial        *api.DialRequest
		pin         *api.PINRequest
	}
	var probes []probe
	for _, n := range []string{"9011442079460000", "914085551234", "2001", "12", "91900555", "+4420794600",
		"9 011 44 20 7946 0000", "99900555", "9-1-900-555-0000", "1-800-FLOWERS"} {
		probes = append(probes,
			probe{body: `{"forward_to":"` + n + `"}`, field: "forward_to",
				dial: &api.DialRequest{Tables: api.TablesJSON(tables), Table: "Staff Transfer", Number: n}},
			probe{body: `{"fax_to":"` + n + `"}`, field: "fax_to",
				dial: &api.DialRequest{Tables: api.TablesJSON(tables), COS: "Staff", Feature: "fax", Number: n}},
			probe{body: `{"notify_to":"` + n + `"}`, field: "notify_to",
				dial: &api.DialRequest{Tables: api.TablesJSON(tables), Table: "Kamailio", Number: n}})
	}
	for _, p := range []string{"345678", "73916482", "20017391", "1234567"} {
		probes = append(probes, probe{body: `{"new_pin":"` + p + `","extension":"2001"}`, field: "new_pin",
			pin: &api.PINRequest{Policy: api.PolicyJSON([]byte(handlesPolicy)), PIN: p,
				Context: api.PINContext{Extensions: []string{"2001"}, Year: time.Now().Year()}}})
	}
	// What each probe costs the engine: one call, and the dial operation
	// for the first number each row refuses (a refusal no row decided
	// needs none). Concurrent requests may both be the first.
	dials, pins, rowsRefusing := 0, 0, map[string]bool{}
	for _, p := range probes {
		if p.dial == nil {
			pins++
			continue
		}
		dials++
		if d, err := ref.Dial(ctx, p.dial); err != nil {
			t.Fatal(err)
		} else if !d.Allowed && d.Row >= 0 {
			rowsRefusing[p.field+"\x00"+d.Pattern] = true
		}
	}

	var wg sync.WaitGroup
	errc := make(chan error, len(probes)*4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range probes {
				p := probes[(i+g)%len(probes)]
				if err := checkProbe(ctx, tester.Client, ref, p.body, p.field, p.dial, p.pin); err != nil {
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
	count := map[string]int{}
	for _, c := range calls {
		count[c.op]++
		switch c.op {
		case "DialNumber", "Dial", "CheckPIN":
			if !isHandle(c.ref) {
				t.Fatalf("a %s call named %s, want a handle", c.op, c.ref)
			}
		default:
			t.Fatalf("a request ran %s", c.op)
		}
	}
	if count["DialNumber"] != 4*dials || count["CheckPIN"] != 4*pins ||
		count["Dial"] < len(rowsRefusing) || count["Dial"] > 4*len(rowsRefusing) {
		t.Errorf("engine calls %v for %d dial and %d pin requests refused by %d rows", count, 4*dials, 4*pins, len(rowsRefusing))
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
	if e, err := api.ParseError(bytes.TrimSpace(b)); err != nil || resp.StatusCode != 400 || e.Code != api.ErrBadRequest || e.Field != "birth_date" ||
		!strings.Contains(e.Message, "YYYY-MM-DD") || strings.Contains(string(b), "73916482") {
		t.Errorf("malformed dob: status %d %s, want 400 bad_request on birth_date with the format", resp.StatusCode, b)
	}
	rec.take()

	// A reload of the same config provisions the new handler before the
	// old one is released: it loads the same handles (the engine counts
	// the loads), and they hold once the old handler has unloaded.
	handles := func(calls []engineCall) map[string]bool {
		hs := map[string]bool{}
		for _, c := range calls {
			if c.op == "DialNumber" || c.op == "CheckPIN" {
				hs[c.ref] = true
			}
		}
		return hs
	}
	firstHandles := handles(calls)
	tester.InitServer(conf(2), "caddyfile")
	tester.Client.CloseIdleConnections() // the old server closed them
	unloads := 0
	reloadCalls := rec.take()
	for _, c := range reloadCalls {
		unloads += map[bool]int{true: 1}[c.op == "Unload"]
	}
	if unloads != 2 {
		t.Errorf("the reload unloaded %d handles, want the old handler's 2: %v", unloads, reloadCalls)
	}
	for _, p := range probes {
		if err := checkProbe(ctx, tester.Client, ref, p.body, p.field, p.dial, p.pin); err != nil {
			t.Error(err)
		}
	}
	if again := handles(rec.take()); !reflect.DeepEqual(again, firstHandles) {
		t.Errorf("after the reload requests name %v, want the same handles %v", again, firstHandles)
	}

	// A reload with another tables document: the old set has no user left
	// and is gone from the engine; the new one answers.
	var oldTables api.Handle
	for h := range firstHandles {
		var n uint32
		if _, err := fmt.Sscanf(h, "handle %d", &n); err == nil {
			if _, err := rec.checker.TableIndex(ctx, api.Handle(n), "Staff Transfer", "", ""); err == nil {
				oldTables = api.Handle(n)
			}
		}
	}
	changed := strings.Replace(string(tables), `{"pattern": "900*", "blocked": true},`, `{"pattern": "900*", "blocked": true}, {"pattern": "2001", "blocked": true},`, 1)
	if changed == string(tables) {
		t.Fatal("the test's edit of site.json found nothing to change")
	}
	os.WriteFile(tablesFile, []byte(changed), 0o644)
	tester.InitServer(conf(3), "caddyfile")
	tester.Client.CloseIdleConnections()
	if _, err := rec.checker.TableIndex(ctx, oldTables, "Staff Transfer", "", ""); err == nil {
		t.Errorf("the old tables (handle %d) are still loaded after a reload replaced them", oldTables)
	}
	if err := checkProbe(ctx, tester.Client, ref, `{"forward_to":"2001"}`, "forward_to",
		&api.DialRequest{Tables: api.TablesJSON([]byte(changed)), Table: "Staff Transfer", Number: "2001"}, nil); err != nil {
		t.Errorf("after the tables changed: %v", err)
	}
}

// checkProbe sends body through Caddy and compares the answer with the
// reference engine's answer on the inline request (dial or pin).
func checkProbe(ctx context.Context, client *http.Client, ref *tollgate.Checker, body, field string, dial *api.DialRequest, pin *api.PINRequest) error {
	var ok bool
	var want api.RefusedField
	if dial != nil {
		d, err := ref.Dial(ctx, dial)
		if err != nil {
			return fmt.Errorf("reference dial: %v", err)
		}
		ok = d.Allowed
		want = api.RefusedField{Field: field, Check: "dial", Reasons: []api.Reason{d.Reason.Refusal()}, Dial: &d}
	} else {
		v, err := ref.CheckPIN(ctx, pin)
		if err != nil {
			return fmt.Errorf("reference pin: %v", err)
		}
		ok = v.Accepted
		want = api.RefusedField{Field: field, Check: "pin", Reasons: v.Reasons}
	}
	resp, err := client.Post(site+"/account/x", "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ok {
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s: status %d %s, want it passed", body, resp.StatusCode, b)
		}
		return nil
	}
	var got api.Refusal
	if resp.StatusCode != 422 || api.Decode(bytes.TrimSpace(b), &got) != nil || got.Accepted || len(got.Refused) != 1 {
		return fmt.Errorf("%s: status %d %s, want 422 refusing %s", body, resp.StatusCode, b, field)
	}
	if !reflect.DeepEqual(got.Refused[0], want) {
		return fmt.Errorf("%s: answer %+v, inline %+v", body, got.Refused[0], want)
	}
	return nil
}

// sameJSON compares values (Caddy re-encodes config documents).
func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
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
// the tables loaded at Provision. handle is a refused number (the 422
// answer with the dial operation's details: the comparison with the
// handler before issue 15, whose benchmark had the same name), allowed a
// number that passes (the scalar path alone).
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
			for _, c := range []struct {
				mode, number string
				status       int
			}{{"handle", "9011442079460000", 422}, {"allowed", "2001", 200}} {
				b.Run(engine+"/"+d.name+"/"+c.mode, func(b *testing.B) {
					h := &Handler{Engine: engine, Tables: api.TablesJSON(d.doc),
						Fields: []Field{{Name: "forward_to", Check: CheckDial, Table: d.table}}}
					ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
					defer cancel()
					if err := h.Provision(ctx); err != nil {
						b.Fatal(err)
					}
					defer h.Cleanup()
					h.logger = zap.NewNop() // the same refusal log line as before
					body := []byte(`{"forward_to":"` + c.number + `"}`)
					b.ReportAllocs()
					for b.Loop() {
						r := httptest.NewRequest("POST", "/account", bytes.NewReader(body))
						r.Header.Set("Content-Type", "application/json")
						w := httptest.NewRecorder()
						if err := h.ServeHTTP(w, r, next); err != nil || w.Code != c.status {
							b.Fatalf("status %d %v", w.Code, err)
						}
					}
				})
			}
		}
	}
}

// dialNumbers reach every reason and both answer paths: rows that block
// (some through a trunk-code twin), allowed rows, separators dropped,
// invalid bytes (after separators too), too short, too long, no match.
var dialNumbers = []string{
	"9011442079460000", "9 011 44 20 7946 0000", "(408) 555-1234", "914085551234", "9.1.408.555.1234",
	"2001", "1000", "1001", "12", "", "91900555", "9-1-900-555-0000", "99900555", "999011442079460000",
	"+4420794600", "0044207946", "0101234567", "1-800-FLOWERS", "9 011-44-ABC", strings.Repeat("9", 30),
	"9176", "91976555", "\xff9011",
}

// TestDialAnswerParity: the refusal a dial field answers — the dial
// operation's answer for the first number a row refuses, made from the
// scalar verdict and the row's pattern for the next ones — is the dial
// operation's answer on the same document, field for field, for every
// table of a site's set (cuc, Unified CM closest match, regular
// expressions), on both engines, whether the row's pattern was known or not.
func TestDialAnswerParity(t *testing.T) {
	site, err := os.ReadFile("../../testdata/tables/site.json")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ref, err := tollgate.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	var fields []Field
	for _, table := range []string{"Staff Transfer", "Lobby Only", "Route Patterns", "Kamailio"} {
		fields = append(fields, Field{Name: table, Check: CheckDial, Table: table})
	}
	fields = append(fields, Field{Name: "fax", Check: CheckDial, Cos: "Staff", Feature: "fax"}, Field{Name: "default", Check: CheckDial})
	for _, engine := range []string{"wasm", "native"} {
		t.Run(engine, func(t *testing.T) {
			h := &Handler{Engine: engine, Tables: api.TablesJSON(site), Fields: append([]Field(nil), fields...)}
			cctx, cancel := caddy.NewContext(caddy.Context{Context: ctx})
			defer cancel()
			if err := h.Provision(cctx); err != nil {
				t.Fatal(err)
			}
			defer h.Cleanup()
			refusals, known := 0, 0
			for i := range h.Fields {
				f := &h.Fields[i]
				for round := range 2 { // the second time, every row's pattern is known
					for _, n := range dialNumbers {
						want, err := ref.Dial(ctx, &api.DialRequest{Tables: api.TablesJSON(site), Table: f.Table, COS: f.Cos, Feature: f.Feature, Number: n})
						if err != nil {
							t.Fatal(err)
						}
						got, status, err := h.dial(ctx, f, n)
						if err != nil || status != 200 {
							t.Fatalf("%s %q: status %d, %v", f.Name, n, status, err)
						}
						if want.Allowed != (got == nil) {
							t.Errorf("%s %q: refused %v, the dial operation allows it: %v", f.Name, n, got != nil, want.Allowed)
							continue
						}
						if got == nil {
							continue
						}
						refusals++
						if round == 1 && want.Row >= 0 {
							known++
						}
						wantField := api.RefusedField{Field: f.Name, Check: CheckDial, Reasons: []api.Reason{want.Reason.Refusal()}, Dial: &want}
						if !reflect.DeepEqual(*got, wantField) {
							t.Errorf("%s %q (round %d):\n got %+v %+v\nwant %+v %+v", f.Name, n, round, *got, *got.Dial, wantField, want)
						}
					}
				}
			}
			if refusals < 50 || known < 10 {
				t.Errorf("%d refusals, %d with the row's pattern known: the numbers no longer cover both paths", refusals, known)
			}
		})
	}
}
