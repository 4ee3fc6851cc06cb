package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/server"
)

// noLoads is an engine without the loading ops, like a module built
// before they existed: the service must then send its default documents
// inline.
type noLoads struct{ api.Operations }

func (n noLoads) LoadPolicy(context.Context, api.PolicyRef) (api.PolicyInfo, error) {
	return api.PolicyInfo{}, &api.Error{Code: api.ErrUnknownOp, Message: "unknown operation policy.load"}
}

func (n noLoads) LoadTables(context.Context, api.TablesRef) (api.TablesInfo, error) {
	return api.TablesInfo{}, &api.Error{Code: api.ErrUnknownOp, Message: "unknown operation tables.load"}
}

// bigTables is the Kamailio tables with a 400-row table added: a default
// document far larger than any request, so a copy of it shows in a
// request's size.
func bigTables(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/kamailio/tables.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	rows := make([]any, 0, 401)
	for i := range 400 {
		rows = append(rows, map[string]any{"pattern": fmt.Sprintf("9555%04d", i), "blocked": true})
	}
	rows = append(rows, map[string]any{"pattern": "*", "blocked": false})
	doc["tables"] = append(doc["tables"].([]any), map[string]any{"name": "Premium Numbers", "dialect": "cuc",
		"min_digits": 1, "max_digits": 20, "rows": rows})
	out, _ := json.MarshalIndent(doc, "", "  ")
	return out
}

// defaultsRequests are requests naming no policy and no tables, one per
// route that takes a default; path, body.
var defaultsRequests = [][2]string{
	{"/v1/pin", `{"pin":"13579246"}`},
	{"/v1/pin", `{"pin":"1357","policy":null}`},
	{"/v1/password", `{"password":"Tollgate-2026-x","context":{"alias":"alice"}}`},
	{"/v1/dial", `{"caller":"2001","feature":"transfer","number":"95551234"}`},
	{"/v1/dial", `{"caller":"2100","feature":"transfer","number":"2001"}`},
	{"/v1/dial", `{"table":"Premium Numbers","number":"95550123"}`},
	{"/v1/dial", `{"table":"Premium Numbers","number":"95559999"}`},
	{"/v1/dial", `{"table":"No Such Table","number":"1"}`},
	{"/v1/lint", `{}`},
	{"/v1/signin/alice", `{"event":"failure"}`},
	{"/v1/signin/alice", `{"event":"failure"}`},
	{"/v1/hash/verify", `{"record":"{SSHA}hkkk5gJinCou3WFatvIWPlwCa/0+4Dbz","secret":"408408","scheme":"{SSHA256}","salt":"0001020304050607"}`},
}

// inline is a request of defaultsRequests with the default documents
// written into it, as a client would send them to a service without
// defaults.
func inline(t *testing.T, path, body string, policy, tables []byte) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	switch {
	case strings.HasPrefix(path, "/v1/dial"), path == "/v1/lint":
		m["tables"] = tables
	default:
		m["policy"] = policy
	}
	if c, ok := m["caller"]; ok {
		var caller string
		json.Unmarshal(c, &caller)
		delete(m, "caller")
		m["cos"], _ = json.Marshal(callers[caller])
	}
	out, _ := json.Marshal(m)
	return string(out)
}

var callers = directory{"2001": "Staff", "2100": "Lobby"}

// TestDefaultsLoadedOnce is the regression test for serve --policy FILE
// --tables FILE copying the whole documents into every request: the
// service loads them once through the engine and its requests carry the
// handles, on every instance of the pool, with the same answers as the
// documents inline.
func TestDefaultsLoadedOnce(t *testing.T) {
	tables := bigTables(t)
	policy := []byte(`{"extends": "cuc", "name": "eight digits", "pin": {"min_length": 8}}`)
	clock := func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }
	for _, kind := range []string{"native", "wasm"} {
		t.Run(kind, func(t *testing.T) {
			eng := newEngine(t, kind, tollgate.WithPoolSize(3))
			rec := newRecorderOn(eng)
			url, _ := start(t, server.Config{Engine: rec, Policy: api.PolicyJSON(policy), Tables: api.TablesJSON(tables), Directory: callers, Now: clock})
			plain, _ := start(t, server.Config{Engine: eng, Directory: callers, Now: clock})

			loads := rec.of("policy.load")
			if len(loads) != 1 || !bytes.Equal(loads[0].req, bytes.TrimSpace(policy)) {
				t.Fatalf("policy.load calls %+v, want one with the document", loads)
			}
			if loads = rec.of("tables.load"); len(loads) != 1 || !bytes.Equal(loads[0].req, bytes.TrimSpace(tables)) {
				t.Fatalf("tables.load: %d calls, want one with the document", len(loads))
			}
			ph, th := rec.handle(t, "policy.load"), rec.handle(t, "tables.load")

			// Concurrent rounds, so that every instance of the pool serves
			// requests by handle.
			var wg sync.WaitGroup
			for g := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for _, r := range defaultsRequests {
						path, body := r[0], r[1]
						if strings.HasPrefix(path, "/v1/signin/") {
							path += fmt.Sprint("-", g) // a user per goroutine: same answers
						}
						got := do(t, "POST", url+path, body)
						want := do(t, "POST", plain+path, inline(t, path, body, policy, tables))
						if got.status != want.status || !bytes.Equal(got.body, want.body) {
							t.Errorf("%s %s = %d %s\n  with the documents inline: %d %s", path, body, got.status, got.body, want.status, want.body)
						}
					}
				}()
			}
			wg.Wait()

			if n := len(rec.of("policy.load")) + len(rec.of("tables.load")); n != 2 {
				t.Errorf("%d loads after the requests, want the 2 of New", n)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, c := range rec.calls {
				if c.op == "policy.load" || c.op == "tables.load" {
					continue
				}
				var m map[string]json.RawMessage
				if err := json.Unmarshal(c.req, &m); err != nil {
					t.Fatalf("%s request %.200s: %v", c.op, c.req, err)
				}
				key, want := "policy", ph
				if c.op == "dial" || c.op == "lint" {
					key, want = "tables", th
				}
				if got := string(m[key]); got != want {
					t.Errorf("%s request %.200s: %s = %.100s, want the handle %s", c.op, c.req, key, got, want)
				}
				// The tables document is 20 KB; no request comes near.
				if len(c.req) > 512 {
					t.Errorf("%s request of %d bytes carries a default document: %.200s", c.op, len(c.req), c.req)
				}
			}
		})
	}
}

// TestDefaultsInlineWithoutLoadOps: an engine without policy.load and
// tables.load (an older module) still gets the defaults, inline.
func TestDefaultsInlineWithoutLoadOps(t *testing.T) {
	tables := bigTables(t)
	policy := []byte(`{"extends":"cuc","pin":{"min_length":8}}`)
	rec := newRecorderOn(noLoads{newEngine(t, "native")})
	url, _ := start(t, server.Config{Engine: rec, Policy: api.PolicyJSON(policy), Tables: api.TablesJSON(tables), Directory: callers})
	plain, _ := start(t, server.Config{Directory: callers})
	for _, r := range defaultsRequests[:9] {
		got := do(t, "POST", url+r[0], r[1])
		want := do(t, "POST", plain+r[0], inline(t, r[0], r[1], policy, tables))
		if got.status != want.status || !bytes.Equal(got.body, want.body) {
			t.Errorf("%s %s = %d %s\n  with the documents inline: %d %s", r[0], r[1], got.status, got.body, want.status, want.body)
		}
	}
	var d map[string]json.RawMessage
	json.Unmarshal(rec.of("dial")[0].req, &d)
	if !json.Valid(d["tables"]) || !bytes.Contains(d["tables"], []byte("Premium Numbers")) {
		t.Errorf("dial without tables.load: tables = %.100s, want the document", d["tables"])
	}
}

// TestDefaultHandleKept: a Config default that is already a handle is
// used as it is, with no load.
func TestDefaultHandleKept(t *testing.T) {
	eng := newEngine(t, "native")
	info, err := eng.LoadPolicy(context.Background(), api.PolicyJSON([]byte(`{"extends":"cuc","pin":{"min_length":8}}`)))
	if err != nil {
		t.Fatal(err)
	}
	h := info.Handle
	rec := newRecorderOn(eng)
	url, _ := start(t, server.Config{Engine: rec, Policy: api.PolicyHandle(h)})
	r := do(t, "POST", url+"/v1/pin", `{"pin":"1357924"}`)
	if r.status != 200 || !strings.Contains(string(r.body), `"code":"too_short"`) || !strings.Contains(string(r.body), `"limit":8`) {
		t.Errorf("pin under the handle's policy = %d %s, want refused for its length", r.status, r.body)
	}
	if len(rec.of("policy.load")) != 0 || string(rec.request("pin")["policy"]) != fmt.Sprint(h) {
		t.Errorf("loads %d, pin request %v", len(rec.of("policy.load")), rec.request("pin"))
	}
}

// TestNewRefusesBadDefaults: a default the engine refuses fails New, with
// the api's error naming what is wrong.
func TestNewRefusesBadDefaults(t *testing.T) {
	for _, tc := range []struct {
		cfg  server.Config
		key  string
		code api.ErrorCode
	}{
		{server.Config{Policy: api.Profile("no-such-profile")}, "policy", api.ErrInvalidPolicy},
		{server.Config{Policy: api.PolicyJSON([]byte(`{"pin":{"min_length":-1}}`))}, "policy", api.ErrInvalidPolicy},
		{server.Config{Tables: api.BuiltinTables("no-such-set")}, "tables", api.ErrInvalidTables},
		{server.Config{Tables: api.TablesJSON([]byte(`{"tables":[{"name":"x","rows":[{"pattern":"9*","blocked":"yes"}]}]}`))}, "tables", ""},
	} {
		tc.cfg.Engine = newEngine(t, "native")
		_, err := server.New(tc.cfg)
		var de *server.DefaultError
		var ae *api.Error
		if !errors.As(err, &de) || de.Key != tc.key || !errors.As(err, &ae) || (tc.code != "" && ae.Code != tc.code) {
			t.Errorf("New(%s %s) = %v, want a DefaultError for %s (%s)", tc.key, tc.cfg.Policy, err, tc.key, tc.code)
		}
	}
}
