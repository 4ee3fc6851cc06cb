package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/internal/conformance"
	"github.com/tollgate/tollgate/server"
)

// docs/openapi.yaml is held to the service here: every route is there;
// every schema uses only keywords this file's validator knows (a stray key
// such as "when advised" is an error); every field a request type accepts
// is documented; every answer the corpus draws from the service — verdicts,
// dial results, lint findings, hash verifications, sign-in states and
// decisions, errors of every kind — validates against the documented
// response for its status, with additionalProperties false, so an
// undocumented field fails; and every documented response field is seen in
// some answer, so the document says nothing the service does not do.
// (make check-openapi lints the document with Redocly CLI as well.)

// openAPI is the parsed document.
type openAPI struct {
	root map[string]any
	// seen records the response properties answers carried, by pointer.
	seen map[string]bool
}

func loadOpenAPI(t *testing.T) *openAPI {
	t.Helper()
	b, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	return &openAPI{root: doc, seen: map[string]bool{}}
}

// get follows a JSON pointer (#/a/b/0) through the document, and through
// a $ref met on the way (#/paths/.../schema/properties/context reaches
// into the schema the request body refers to).
func (o *openAPI) get(ptr string) any {
	var v any = o.root
	for _, p := range strings.Split(strings.TrimPrefix(ptr, "#/"), "/") {
		p = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
		if m, ok := v.(map[string]any); ok {
			if ref, ok := m["$ref"].(string); ok && p != "$ref" {
				v = o.get(ref)
			}
		}
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func esc(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1") }

// operation returns the pointer of a path's operation.
func (o *openAPI) operation(path, method string) string {
	return "#/paths/" + esc(path) + "/" + method
}

// response returns the pointer of the JSON schema documented for a status,
// falling back to its range (4XX) and default, with $refs of responses
// followed.
func (o *openAPI) response(op string, status int) (string, bool) {
	code := strconv.Itoa(status)
	for _, k := range []string{code, code[:1] + "XX", "default"} {
		ptr := op + "/responses/" + k
		r, ok := o.get(ptr).(map[string]any)
		if !ok {
			continue
		}
		if ref, ok := r["$ref"].(string); ok {
			ptr = ref
		}
		schema := ptr + "/content/application~1json/schema"
		if o.get(schema) == nil {
			return "", false
		}
		return schema, true
	}
	return "", false
}

// schemaKeywords are the keywords validate implements or that only
// annotate; any other key in a schema is an error.
var schemaKeywords = map[string]bool{
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "enum": true, "const": true, "oneOf": true, "$ref": true,
	"minimum": true, "maximum": true, "minLength": true, "maxLength": true, "pattern": true, "format": true,
	// annotations
	"description": true, "default": true, "writeOnly": true, "readOnly": true, "title": true, "examples": true,
}

// walkSchemas calls f on every schema of the document with its pointer.
func (o *openAPI) walkSchemas(f func(ptr string, s map[string]any)) {
	var schema func(ptr string, v any)
	schema = func(ptr string, v any) {
		s, ok := v.(map[string]any)
		if !ok {
			return
		}
		f(ptr, s)
		if props, ok := s["properties"].(map[string]any); ok {
			for k, p := range props {
				schema(ptr+"/properties/"+esc(k), p)
			}
		}
		schema(ptr+"/items", s["items"])
		schema(ptr+"/additionalProperties", s["additionalProperties"])
		if alts, ok := s["oneOf"].([]any); ok {
			for i, a := range alts {
				schema(ptr+"/oneOf/"+strconv.Itoa(i), a)
			}
		}
	}
	content := func(ptr string, v any) {
		if m, ok := v.(map[string]any); ok {
			if c, ok := m["content"].(map[string]any); ok {
				for mt, e := range c {
					if em, ok := e.(map[string]any); ok {
						schema(ptr+"/content/"+esc(mt)+"/schema", em["schema"])
					}
				}
			}
		}
	}
	if comps, ok := o.get("#/components/schemas").(map[string]any); ok {
		for k, s := range comps {
			schema("#/components/schemas/"+esc(k), s)
		}
	}
	if resps, ok := o.get("#/components/responses").(map[string]any); ok {
		for k, r := range resps {
			content("#/components/responses/"+esc(k), r)
		}
	}
	paths, _ := o.get("#/paths").(map[string]any)
	for p, item := range paths {
		ops, _ := item.(map[string]any)
		for m, op := range ops {
			opm, _ := op.(map[string]any)
			ptr := "#/paths/" + esc(p) + "/" + m
			content(ptr+"/requestBody", opm["requestBody"])
			if resps, ok := opm["responses"].(map[string]any); ok {
				for code, r := range resps {
					content(ptr+"/responses/"+code, r)
				}
			}
			if params, ok := opm["parameters"].([]any); ok {
				for i, pa := range params {
					if pm, ok := pa.(map[string]any); ok {
						schema(ptr+"/parameters/"+strconv.Itoa(i)+"/schema", pm["schema"])
					}
				}
			}
		}
	}
}

// validate checks a JSON value (decoded with UseNumber) against the
// schema at ptr and returns what is wrong, each with the value's path.
// Properties seen are recorded in seen when the value validates.
func (o *openAPI) validate(ptr string, v any, path string, seen map[string]bool) []string {
	s, ok := o.get(ptr).(map[string]any)
	if !ok {
		return []string{path + ": no schema at " + ptr}
	}
	if ref, ok := s["$ref"].(string); ok {
		return o.validate(ref, v, path, seen)
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	if alts, ok := s["oneOf"].([]any); ok {
		var matched []int
		var branchSeen map[string]bool
		for i := range alts {
			bs := map[string]bool{}
			if len(o.validate(ptr+"/oneOf/"+strconv.Itoa(i), v, path, bs)) == 0 {
				matched, branchSeen = append(matched, i), bs
			}
		}
		if len(matched) != 1 {
			fail("matches %d of the oneOf alternatives of %s, want exactly 1", len(matched), ptr)
		} else {
			for k := range branchSeen {
				seen[k] = true
			}
		}
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				types = append(types, fmt.Sprint(x))
			}
		}
		if !slices.ContainsFunc(types, func(t string) bool { return hasType(v, t) }) {
			fail("%s is not of type %v (%s)", short(v), types, ptr)
			return errs
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		fail("%s is not one of %v (%s)", short(v), enum, ptr)
	}
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		fail("%s is not %v (%s)", short(v), c, ptr)
	}
	switch v := v.(type) {
	case string:
		if n, ok := s["minLength"].(int); ok && utf8.RuneCountInString(v) < n {
			fail("shorter than %d (%s)", n, ptr)
		}
		if n, ok := s["maxLength"].(int); ok && utf8.RuneCountInString(v) > n {
			fail("longer than %d (%s)", n, ptr)
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(v) {
			fail("%q does not match %s (%s)", v, p, ptr)
		}
		switch s["format"] {
		case "date-time":
			if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
				fail("%q is not a date-time (%s)", v, ptr)
			}
		case "date":
			if _, err := time.Parse("2006-01-02", v); err != nil {
				fail("%q is not a date (%s)", v, ptr)
			}
		}
	case json.Number:
		if m, ok := s["minimum"].(int); ok {
			if f, _ := v.Float64(); f < float64(m) {
				fail("%s is below the minimum %d (%s)", v, m, ptr)
			}
		}
		if m, ok := s["maximum"].(int); ok {
			if f, _ := v.Float64(); f > float64(m) {
				fail("%s is above the maximum %d (%s)", v, m, ptr)
			}
		}
	case []any:
		if _, ok := s["items"]; ok {
			for i, x := range v {
				errs = append(errs, o.validate(ptr+"/items", x, path+"["+strconv.Itoa(i)+"]", seen)...)
			}
		}
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := v[fmt.Sprint(r)]; !ok {
					fail("lacks the required %q (%s)", r, ptr)
				}
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, ok := props[k]; ok {
				pp := ptr + "/properties/" + esc(k)
				if e := o.validate(pp, v[k], path+"."+k, seen); len(e) > 0 {
					errs = append(errs, e...)
				} else {
					seen[pp] = true
				}
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("has %q, which %s does not document", k, ptr)
				}
			case map[string]any:
				errs = append(errs, o.validate(ptr+"/additionalProperties", v[k], path+"."+k, seen)...)
			}
		}
	}
	return errs
}

func hasType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		return ok && !strings.ContainsAny(n.String(), ".eE")
	}
	return false
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return v
}

// check validates one body against a schema, recording what it saw.
func (o *openAPI) check(t *testing.T, what, ptr string, body []byte) {
	t.Helper()
	for _, e := range o.validate(ptr, decodeJSON(t, body), "$", o.seen) {
		t.Errorf("%s: %s\n  %s", what, e, body)
	}
}

// TestOpenAPIListsEveryRoute keeps docs/openapi.yaml and the routes in
// step: every route is documented and every documented path exists.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	o := loadOpenAPI(t)
	paths, _ := o.get("#/paths").(map[string]any)
	var doc []string
	for p := range paths {
		doc = append(doc, p)
	}
	routes := server.Routes()
	slices.Sort(doc)
	slices.Sort(routes)
	if !slices.Equal(doc, routes) {
		t.Errorf("docs/openapi.yaml paths %v\n             routes %v", doc, routes)
	}
	if l, _ := o.get("#/info/license").(map[string]any); l["identifier"] != "Apache-2.0" {
		t.Errorf("info.license is %v, want identifier Apache-2.0", l)
	}
}

// TestOpenAPISchemaKeywords: every schema uses only keywords validate
// knows, so a typo or a stray flow-mapping key cannot pass as a schema.
func TestOpenAPISchemaKeywords(t *testing.T) {
	o := loadOpenAPI(t)
	n := 0
	o.walkSchemas(func(ptr string, s map[string]any) {
		n++
		for k := range s {
			if !schemaKeywords[k] {
				t.Errorf("%s: unknown schema keyword %q", ptr, k)
			}
		}
	})
	if n < 50 {
		t.Errorf("walked %d schemas; the walk misses most of the document", n)
	}
}

// jsonFields lists the json names of a struct type's fields.
func jsonFields(typ reflect.Type) []string {
	var out []string
	for i := 0; i < typ.NumField(); i++ {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

func (o *openAPI) propertyNames(ptr string) []string {
	s, _ := o.get(ptr).(map[string]any)
	if ref, ok := s["$ref"].(string); ok {
		return o.propertyNames(ref)
	}
	props, _ := s["properties"].(map[string]any)
	var out []string
	for k := range props {
		out = append(out, k)
	}
	return out
}

// TestOpenAPIRequestFields: each request schema documents exactly the
// fields the api's request type accepts (its decoder follows the struct's
// json tags; api's decode tests hold it to them), plus what the service
// adds or takes away.
func TestOpenAPIRequestFields(t *testing.T) {
	o := loadOpenAPI(t)
	body := func(path string) string {
		return o.operation(path, "post") + "/requestBody/content/application~1json/schema"
	}
	for _, c := range []struct {
		ptr         string
		typ         any
		plus, minus []string
	}{
		{body("/v1/pin"), api.PINRequest{}, nil, nil},
		{body("/v1/pin") + "/properties/context", api.PINContext{}, nil, nil},
		{"#/components/schemas/PINRequest/properties/context", api.PINContext{}, nil, nil},
		{body("/v1/password"), api.PasswordRequest{}, nil, nil},
		{"#/components/schemas/PasswordRequest/properties/context", api.PasswordContext{}, nil, nil},
		{body("/v1/dial"), api.DialRequest{}, []string{"caller"}, nil},
		{body("/v1/hash/verify"), api.HashVerifyRequest{}, nil, nil},
		{body("/v1/lint"), api.LintRequest{}, nil, nil},
		{body("/v1/signin/{user}"), api.SignInRequest{}, nil, []string{"state"}}, // the service keeps the state
		{body("/v1/signin/{user}") + "/properties/event/oneOf/1", api.SignInEvent{}, nil, nil},
	} {
		want := jsonFields(reflect.TypeOf(c.typ))
		want = slices.DeleteFunc(append(want, c.plus...), func(f string) bool { return slices.Contains(c.minus, f) })
		got := o.propertyNames(c.ptr)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s documents %v; %T accepts %v", c.ptr, got, c.typ, want)
		}
	}
}

func enumOf(t *testing.T, o *openAPI, ptr string) []string {
	t.Helper()
	e, ok := o.get(ptr + "/enum").([]any)
	if !ok {
		t.Fatalf("%s has no enum", ptr)
	}
	var out []string
	for _, x := range e {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// TestOpenAPIEnums: the documented value lists are the code's.
func TestOpenAPIEnums(t *testing.T) {
	o := loadOpenAPI(t)
	var reasons []string
	for r := dialplan.Reason(0); r.String() != "unknown"; r++ {
		reasons = append(reasons, r.String())
	}
	reasons = append(reasons, string(api.DialVelocity)) // the service's own
	var events []string
	for e := core.EventType(0); e < core.NumEventTypes; e++ {
		events = append(events, e.String())
	}
	ifaces := []string{"visual_voicemail"} // core.ParseInterface's alias of telephony
	var sessions []string
	for i := core.Interface(0); i < core.NumInterfaces; i++ {
		ifaces, sessions = append(ifaces, i.String()), append(sessions, i.String())
	}
	event := o.operation("/v1/signin/{user}", "post") + "/requestBody/content/application~1json/schema/properties/event/oneOf/1/properties"
	for _, c := range []struct {
		ptr  string
		want []string
	}{
		{"#/components/schemas/DialResult/properties/reason", reasons},
		{event + "/type", events},
		{event + "/interface", ifaces},
		{o.operation("/v1/lint", "post") + "/responses/200/content/application~1json/schema/properties/findings/items/properties/severity",
			[]string{string(dialplan.SevError), string(dialplan.SevWarning), string(dialplan.SevInfo)}},
		{"#/components/schemas/DialRequest/properties/feature", []string{"transfer", "outdial", "fax", "system_transfer"}},
	} {
		got := enumOf(t, o, c.ptr)
		slices.Sort(got)
		slices.Sort(c.want)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: enum %v, the code has %v", c.ptr, got, c.want)
		}
	}
	got := o.propertyNames("#/components/schemas/SignInState/properties/sessions")
	slices.Sort(got)
	slices.Sort(sessions)
	if !slices.Equal(got, sessions) {
		t.Errorf("SignInState.sessions documents %v; the state has %v", got, sessions)
	}
}

// TestOpenAPIAnswers sends the corpus and the service's own errors through
// a real service and validates every answer (and every request that got a
// 200) against the document; then every documented response field must
// have been seen.
func TestOpenAPIAnswers(t *testing.T) {
	o := loadOpenAPI(t)
	dir, err := conformance.Dir()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := conformance.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	eng := newEngine(t, "native")
	clock := func() time.Time { return time.Date(2026, 1, 5, 9, 0, 10, 0, time.UTC) }
	url, _ := start(t, server.Config{Engine: eng, Directory: directory{"2001": "Default"}, AdminToken: "adm1n", Now: clock})
	n := 0
	for _, c := range cases {
		path, ok := routeOf[c.Op]
		if !ok {
			continue
		}
		op := o.operation(path, "post")
		r := do(t, "POST", url+path, string(c.Request))
		schema, ok := o.response(op, r.status)
		if !ok {
			t.Errorf("%s (%s): status %d is not documented for POST %s", c.ID(), c.Pos(), r.status, path)
			continue
		}
		n++
		o.check(t, fmt.Sprintf("%s (%s): POST %s %d", c.ID(), c.Pos(), path, r.status), schema, r.body)
		if r.status == 200 {
			for _, e := range o.validate(op+"/requestBody/content/application~1json/schema", decodeJSON(t, c.Request), "$", map[string]bool{}) {
				t.Errorf("%s (%s): the request got 200, but the document refuses it: %s\n  %s", c.ID(), c.Pos(), e, c.Request)
			}
		}
	}
	if n < 100 {
		t.Errorf("%d corpus answers validated; the corpus lost its cases", n)
	}

	// The signin op's corpus answers have the route's 200 shape.
	signin := o.operation("/v1/signin/{user}", "post")
	ok200, _ := o.response(signin, 200)
	for _, c := range cases {
		if c.Op != "signin" {
			continue
		}
		resp, err := eng.Do(context.Background(), "signin", c.Request, nil)
		if err != nil || bytes.HasPrefix(resp, []byte(`{"error"`)) {
			continue
		}
		o.check(t, fmt.Sprintf("%s (%s): signin", c.ID(), c.Pos()), ok200, resp)
	}

	// The route itself: each shorthand word, an event object, and errors.
	for _, tc := range []struct {
		user, body string
		status     int
	}{
		{"carol", `{"event":"unlock"}`, 403}, // without the administrator token (sent below with every other)
		{"alice", `{"event":"failure"}`, 200},
		{"alice", `{"event":"failure"}`, 200},
		{"alice", `{"event":"failure"}`, 200}, // locked
		{"alice", `{"event":"unlock"}`, 200},
		{"alice", `{"event":"success"}`, 200},
		{"alice", `{"event":"signout"}`, 200},
		{"alice", `{"event":"check"}`, 200},
		{"bob", `{"kind":"password","policy":"cuc","event":{"type":"signin","ok":true,"at":"2026-01-05T09:00:00Z","interface":"web","by":"user"}}`, 200},
		{"bob", `{"event":{"type":"require_change","by":"admin","must_change":true}}`, 200},
		{"bob", `{"event":"dance"}`, 400},
		{"bob", `{"event":"check","state":{}}`, 400},
		{"bob", `{"event":{"type":"check","at":"2099-01-01T00:00:00Z"}}`, 400},
	} {
		path := url + "/v1/signin/" + tc.user
		var admin []string
		if tc.status != 403 {
			admin = []string{"Authorization", "Bearer adm1n"}
		}
		r := do(t, "POST", path, tc.body, admin...)
		what := "POST /v1/signin/" + tc.user + " " + tc.body
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", what, r.status, tc.status, r.body)
			continue
		}
		schema, _ := o.response(signin, r.status)
		o.check(t, what, schema, r.body)
		if r.status == 200 {
			for _, e := range o.validate(signin+"/requestBody/content/application~1json/schema", decodeJSON(t, []byte(tc.body)), "$", map[string]bool{}) {
				t.Errorf("%s got 200, but the document refuses the request: %s", what, e)
			}
		}
	}

	// A dial by caller, which only the service accepts.
	dial := o.operation("/v1/dial", "post")
	r := do(t, "POST", url+"/v1/dial", `{"caller":"2001","feature":"transfer","number":"9 1 408 555 1234"}`)
	schema, _ := o.response(dial, r.status)
	o.check(t, "POST /v1/dial by caller", schema, r.body)

	// A dial over a velocity limit: the service's own reason.
	v := &server.Velocity{Limits: []server.Limit{{Tier: "any", Scope: "caller", Calls: 1, Window: time.Minute}}}
	vURL, _ := start(t, server.Config{Engine: eng, Directory: directory{"2001": "Default"}, Velocity: v})
	for i := range 2 {
		r := do(t, "POST", vURL+"/v1/dial", `{"caller":"2001","feature":"transfer","number":"2002"}`)
		if i == 1 && !bytes.Contains(r.body, []byte(`"reason":"velocity"`)) {
			t.Errorf("the second call over a limit of one: %s; want reason velocity", r.body)
		}
		schema, _ := o.response(dial, r.status)
		o.check(t, "POST /v1/dial over a velocity limit", schema, r.body)
	}

	// The transport's errors, and /healthz.
	tokenURL, _ := start(t, server.Config{Engine: eng, Token: "t0ken", MaxBodyBytes: 64})
	for _, tc := range []struct {
		method, url, path, body, ctype string
		status                         int
	}{
		{"POST", tokenURL, "/v1/pin", `{"pin":"1"}`, "application/json", 401},
		{"GET", tokenURL, "/metrics", "", "", 401},
		{"GET", url, "/v1/pin", "", "", 405},
		{"POST", url, "/v1/pin", `{"pin":"802417"}`, "text/plain", 415},
		{"POST", url, "/v1/dial", `{"number":"x"`, "application/json", 400},
		{"POST", url, "/healthz", "", "", 405},
	} {
		hdr := []string{"Authorization", ""}
		if tc.ctype != "" {
			hdr = append(hdr, "Content-Type", tc.ctype)
		}
		r := do(t, tc.method, tc.url+tc.path, tc.body, hdr...)
		what := fmt.Sprintf("%s %s %s", tc.method, tc.path, tc.body)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d", what, r.status, tc.status)
			continue
		}
		method := strings.ToLower(tc.method)
		if tc.path == "/healthz" || tc.path == "/metrics" || tc.method == "GET" {
			method = map[string]string{"/healthz": "get", "/metrics": "get", "/v1/pin": "post"}[tc.path]
		}
		schema, ok := o.response(o.operation(tc.path, method), r.status)
		if !ok {
			t.Errorf("%s: status %d is not documented", what, r.status)
			continue
		}
		o.check(t, what, schema, r.body)
	}
	big := `{"pin":"` + strings.Repeat("1", 100) + `"}`
	r = do(t, "POST", tokenURL+"/v1/pin", big, "Authorization", "Bearer t0ken")
	if schema, ok := o.response(o.operation("/v1/pin", "post"), r.status); r.status != 413 || !ok {
		t.Errorf("a body over MaxBodyBytes: status %d (documented: %v), want 413", r.status, ok)
	} else {
		o.check(t, "POST /v1/pin too large", schema, r.body)
	}
	r = do(t, "GET", url+"/healthz", "")
	schema, _ = o.response(o.operation("/healthz", "get"), r.status)
	o.check(t, "GET /healthz", schema, r.body)
	r = do(t, "GET", url+"/readyz", "")
	schema, _ = o.response(o.operation("/readyz", "get"), r.status)
	o.check(t, "GET /readyz", schema, r.body)

	// The SRSV routes: issue, list, redeem, revoke, and their errors.
	admin := []string{"Authorization", "Bearer adm1n"}
	var token string
	for _, tc := range []struct {
		method, path, body string
		admin              bool
		status             int
	}{
		{"POST", "/v1/srsv/branch-7", `{}`, false, 403},
		{"POST", "/v1/srsv/branch-7", `{}`, true, 201},
		{"POST", "/v1/srsv/branch-7", `{}`, true, 409},
		{"POST", "/v1/srsv/branch-8", `{}`, true, 201},
		{"POST", "/v1/srsv/branch-8", `{"ttl":1}`, true, 400},
		{"GET", "/v1/srsv", "", true, 200},
		{"GET", "/v1/srsv", "", false, 403},
		{"POST", "/v1/srsv/branch-7/redeem", `{"token":"00000000-0000-4000-8000-000000000000"}`, false, 403},
		{"POST", "/v1/srsv/branch-7/redeem", `{"token":TOKEN}`, false, 200},
		{"POST", "/v1/srsv/branch-7/redeem", `{"token":TOKEN}`, false, 403},
		{"POST", "/v1/srsv/branch-7/redeem", `{}`, false, 400},
		{"DELETE", "/v1/srsv/branch-8", "", true, 200},
		{"DELETE", "/v1/srsv/branch-8", "", true, 404},
		{"PUT", "/v1/srsv/branch-8", "", true, 405},
	} {
		body := strings.ReplaceAll(tc.body, "TOKEN", strconv.Quote(token))
		var hdr []string
		if tc.admin {
			hdr = admin
		}
		r := do(t, tc.method, url+tc.path, body, hdr...)
		what := tc.method + " " + tc.path + " " + tc.body
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", what, r.status, tc.status, r.body)
			continue
		}
		route, method := tc.path, strings.ToLower(tc.method)
		switch {
		case strings.HasSuffix(route, "/redeem"):
			route = "/v1/srsv/{branch}/redeem"
		case route != "/v1/srsv":
			route = "/v1/srsv/{branch}"
		}
		if method == "put" {
			method = "post"
		}
		schema, ok := o.response(o.operation(route, method), r.status)
		if !ok {
			t.Errorf("%s: status %d is not documented", what, r.status)
			continue
		}
		o.check(t, what, schema, r.body)
		if r.status == 201 && token == "" {
			var a struct{ Token string }
			json.Unmarshal(r.body, &a)
			token = a.Token
		}
	}

	if t.Failed() {
		return
	}
	// Every documented response field has been in some answer.
	var unseen []string
	for _, ptr := range o.responseProperties() {
		if !o.seen[ptr] {
			unseen = append(unseen, ptr)
		}
	}
	if len(unseen) > 0 {
		t.Errorf("documented response fields no answer carried (document them only if the service emits them; else add a case):\n  %s", strings.Join(unseen, "\n  "))
	}
}

// responseProperties lists the pointers of every property of every JSON
// response schema, through $refs.
func (o *openAPI) responseProperties() []string {
	set := map[string]bool{}
	var walk func(ptr string, depth int)
	walk = func(ptr string, depth int) {
		s, ok := o.get(ptr).(map[string]any)
		if !ok || depth > 20 {
			return
		}
		if ref, ok := s["$ref"].(string); ok {
			walk(ref, depth+1)
			return
		}
		if props, ok := s["properties"].(map[string]any); ok {
			for k := range props {
				pp := ptr + "/properties/" + esc(k)
				set[pp] = true
				walk(pp, depth+1)
			}
		}
		walk(ptr+"/items", depth+1)
		if alts, ok := s["oneOf"].([]any); ok {
			for i := range alts {
				walk(ptr+"/oneOf/"+strconv.Itoa(i), depth+1)
			}
		}
	}
	paths, _ := o.get("#/paths").(map[string]any)
	for p, item := range paths {
		ops, _ := item.(map[string]any)
		for m, op := range ops {
			resps, _ := op.(map[string]any)["responses"].(map[string]any)
			for code := range resps {
				ptr := "#/paths/" + esc(p) + "/" + m + "/responses/" + code
				if r, ok := o.get(ptr).(map[string]any); ok {
					if ref, ok := r["$ref"].(string); ok {
						ptr = ref
					}
				}
				walk(ptr+"/content/application~1json/schema", 0)
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIValidator holds the validator above to JSON Schema on the
// keywords it implements: each case must pass or fail as stated.
func TestOpenAPIValidator(t *testing.T) {
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(`
components:
  schemas:
    R:
      type: object
      additionalProperties: false
      required: [n]
      properties:
        n: {type: integer, minimum: -1}
        s: {type: string, enum: [a, b], minLength: 1}
        t: {type: [string, "null"], format: date-time}
        p: {type: string, pattern: "^[0-9]+$"}
        l: {type: array, items: {$ref: "#/components/schemas/E"}}
        o:
          oneOf:
            - {type: string}
            - {type: object, additionalProperties: false, properties: {x: {type: boolean}}}
        c: {const: ok}
    E: {type: object, required: [k], properties: {k: {type: string}}}
`), &doc); err != nil {
		t.Fatal(err)
	}
	o := &openAPI{root: doc}
	for _, c := range []struct {
		json string
		ok   bool
	}{
		{`{"n":0}`, true},
		{`{"n":-1,"s":"a","t":null,"p":"42","l":[{"k":"v"}],"o":"w","c":"ok"}`, true},
		{`{"n":1,"t":"2026-01-05T09:00:00.5Z","o":{"x":true}}`, true},
		{`{}`, false},                      // required
		{`{"n":1.5}`, false},               // integer
		{`{"n":-2}`, false},                // minimum
		{`{"n":"1"}`, false},               // type
		{`{"n":0,"z":1}`, false},           // additionalProperties
		{`{"n":0,"s":"c"}`, false},         // enum
		{`{"n":0,"t":"yesterday"}`, false}, // format
		{`{"n":0,"p":"4a"}`, false},        // pattern
		{`{"n":0,"l":[{}]}`, false},        // items, $ref, required
		{`{"n":0,"o":{"y":1}}`, false},     // oneOf: no branch
		{`{"n":0,"o":1}`, false},           // oneOf: no branch
		{`{"n":0,"c":"no"}`, false},        // const
		{`{"n":0,"s":""}`, false},          // minLength (and enum)
		{`[]`, false},                      // type object
	} {
		errs := o.validate("#/components/schemas/R", decodeJSON(t, []byte(c.json)), "$", map[string]bool{})
		if (len(errs) == 0) != c.ok {
			t.Errorf("%s: errors %v, want ok=%v", c.json, errs, c.ok)
		}
	}
}
