package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/server"
)

// recorder is a real engine that also remembers every call — op, the
// typed request in its JSON form (api.Append) — to show what the service
// asked after filling in its defaults.
type recorder struct {
	api.Operations
	mu    sync.Mutex
	calls []call
}

type call struct {
	op     string
	req    []byte // the request's JSON form
	handle api.Handle
	err    error
}

func newRecorder(t *testing.T) *recorder {
	return newRecorderOn(newEngine(t, "native"))
}

func newRecorderOn(e api.Operations) *recorder { return &recorder{Operations: e} }

// newEngine opens a Checker on the native or the wasm engine for one test.
func newEngine(t testing.TB, kind string, opts ...tollgate.Option) *tollgate.Checker {
	t.Helper()
	e, err := tollgate.ParseEngine(kind)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tollgate.New(context.Background(), append(opts, tollgate.WithEngine(e))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (r *recorder) add(c call) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

// refJSON is a reference's wire form.
func refJSON(m json.Marshaler) []byte { b, _ := m.MarshalJSON(); return b }

func (r *recorder) LoadPolicy(ctx context.Context, p api.PolicyRef) (api.PolicyInfo, error) {
	info, err := r.Operations.LoadPolicy(ctx, p)
	r.add(call{"policy.load", refJSON(p), info.Handle, err})
	return info, err
}

func (r *recorder) LoadTables(ctx context.Context, t api.TablesRef) (api.TablesInfo, error) {
	info, err := r.Operations.LoadTables(ctx, t)
	r.add(call{"tables.load", refJSON(t), info.Handle, err})
	return info, err
}

func (r *recorder) CheckPIN(ctx context.Context, q *api.PINRequest) (api.Verdict, error) {
	r.add(call{op: "pin", req: api.Append(nil, q)})
	return r.Operations.CheckPIN(ctx, q)
}

func (r *recorder) CheckPassword(ctx context.Context, q *api.PasswordRequest) (api.Verdict, error) {
	r.add(call{op: "password", req: api.Append(nil, q)})
	return r.Operations.CheckPassword(ctx, q)
}

func (r *recorder) Dial(ctx context.Context, q *api.DialRequest) (api.DialResult, error) {
	r.add(call{op: "dial", req: api.Append(nil, q)})
	return r.Operations.Dial(ctx, q)
}

func (r *recorder) Lint(ctx context.Context, q *api.LintRequest) (api.LintResult, error) {
	r.add(call{op: "lint", req: api.Append(nil, q)})
	return r.Operations.Lint(ctx, q)
}

func (r *recorder) VerifyHash(ctx context.Context, q *api.HashVerifyRequest) (api.HashResult, error) {
	r.add(call{op: "hash.verify", req: api.Append(nil, q)})
	return r.Operations.VerifyHash(ctx, q)
}

func (r *recorder) SignIn(ctx context.Context, q *api.SignInRequest) (api.SignInResult, error) {
	r.add(call{op: "signin", req: api.Append(nil, q)})
	return r.Operations.SignIn(ctx, q)
}

// of returns the calls of op, in order.
func (r *recorder) of(op string) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []call
	for _, c := range r.calls {
		if c.op == op {
			out = append(out, c)
		}
	}
	return out
}

// request decodes the last request op received.
func (r *recorder) request(op string) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if cs := r.of(op); len(cs) > 0 {
		json.Unmarshal(cs[len(cs)-1].req, &m)
	}
	return m
}

// handle is the handle the engine answered the last load of op with, as
// the JSON number requests carry.
func (r *recorder) handle(t *testing.T, op string) string {
	t.Helper()
	cs := r.of(op)
	if len(cs) == 0 || cs[len(cs)-1].err != nil {
		t.Fatalf("no successful %s recorded", op)
	}
	return strconv.FormatUint(uint64(cs[len(cs)-1].handle), 10)
}

// start runs a Server on a loopback listener with its real http.Server
// settings (timeouts included).
func start(t *testing.T, cfg server.Config) (string, *server.Server) {
	t.Helper()
	if cfg.Engine == nil {
		cfg.Engine = newEngine(t, "native")
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Config = srv.HTTPServer()
	ts.Start()
	t.Cleanup(ts.Close)
	return ts.URL, srv
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// errorCode is the code of an error answer (api.ParseError: the api's
// own reader of its error object), "" for any other answer.
func (r reply) errorCode() api.ErrorCode {
	e, err := api.ParseError(bytes.TrimSpace(r.body))
	if err != nil {
		return ""
	}
	return e.Code
}

func do(t *testing.T, method, url, body string, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == "POST" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

// without is a real engine that lacks some operations, as an engine built
// from an older module would: they answer api.ErrUnknownOp.
type without struct {
	api.Operations
	ops []string
}

func (w without) lacks(op string) error {
	if slices.Contains(w.ops, op) {
		return &api.Error{Code: api.ErrUnknownOp, Message: "unknown operation " + strconv.Quote(op)}
	}
	return nil
}

func (w without) Dial(ctx context.Context, r *api.DialRequest) (api.DialResult, error) {
	if err := w.lacks("dial"); err != nil {
		return api.DialResult{}, err
	}
	return w.Operations.Dial(ctx, r)
}

func (w without) Lint(ctx context.Context, r *api.LintRequest) (api.LintResult, error) {
	if err := w.lacks("lint"); err != nil {
		return api.LintResult{}, err
	}
	return w.Operations.Lint(ctx, r)
}

func (w without) VerifyHash(ctx context.Context, r *api.HashVerifyRequest) (api.HashResult, error) {
	if err := w.lacks("hash.verify"); err != nil {
		return api.HashResult{}, err
	}
	return w.Operations.VerifyHash(ctx, r)
}

func (w without) SignIn(ctx context.Context, r *api.SignInRequest) (api.SignInResult, error) {
	if err := w.lacks("signin"); err != nil {
		return api.SignInResult{}, err
	}
	return w.Operations.SignIn(ctx, r)
}

func TestErrorsAreClear4xx(t *testing.T) {
	url, _ := start(t, server.Config{MaxBodyBytes: 256})
	big := `{"pin":"` + strings.Repeat("1", 300) + `"}`
	tests := []struct {
		name, method, path, body string
		hdr                      []string
		status                   int
		code                     api.ErrorCode
		msgHas                   string
	}{
		{"get on a POST route", "GET", "/v1/pin", "", nil, 405, server.ErrMethod, "POST"},
		{"malformed JSON", "POST", "/v1/pin", `{"pin": "12`, nil, 400, api.ErrBadRequest, "unexpected end"},
		{"syntax error", "POST", "/v1/pin", `{"pin" 1}`, nil, 400, api.ErrBadRequest, "malformed JSON at byte"},
		{"not an object", "POST", "/v1/password", `[1,2]`, nil, 400, api.ErrBadRequest, "JSON object"},
		{"null", "POST", "/v1/password", `null`, nil, 400, api.ErrBadRequest, "not null"},
		{"empty body", "POST", "/v1/pin", ``, nil, 400, api.ErrBadRequest, "empty request body"},
		{"trailing data", "POST", "/v1/pin", `{} {}`, nil, 400, api.ErrBadRequest, "trailing data"},
		{"stray brace", "POST", "/v1/pin", `{"pin":"1"}}`, nil, 400, api.ErrBadRequest, "trailing data"},
		{"unknown field", "POST", "/v1/pin", `{"pin":"1234","pim":"1"}`, nil, 400, api.ErrBadRequest, `pim`},
		{"wrong type", "POST", "/v1/pin", `{"pin":1234}`, nil, 400, api.ErrBadRequest, "string"},
		{"oversized", "POST", "/v1/pin", big, nil, 413, server.ErrTooLarge, "256 bytes"},
		{"oversized, chunked", "POST", "/v1/pin", big, []string{"Transfer-Encoding", "chunked"}, 413, server.ErrTooLarge, "256 bytes"},
		{"wrong media type", "POST", "/v1/pin", `{}`, []string{"Content-Type", "text/plain"}, 415, server.ErrMediaType, "application/json"},
		{"form post", "POST", "/v1/pin", `pin=1234`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, server.ErrMediaType, "application/json"},
		{"no media type", "POST", "/v1/pin", `{}`, []string{"Content-Type", ""}, 415, server.ErrMediaType, "application/json"},
		{"json with charset", "POST", "/v1/pin", `{"pin":1}`, []string{"Content-Type", "application/json; charset=utf-8"}, 400, api.ErrBadRequest, "string"},
		{"unknown endpoint", "POST", "/v1/nope", `{}`, nil, 404, server.ErrNotFound, "docs/api.md"},
		{"bad user", "POST", "/v1/signin/a%01b", `{}`, nil, 400, api.ErrBadRequest, "printable"},
		{"client sends state", "POST", "/v1/signin/alice", `{"state":{}}`, nil, 400, api.ErrBadRequest, "keeps the sign-in state"},
		{"caller without directory", "POST", "/v1/dial", `{"caller":"2001","number":"9011"}`, nil, 400, api.ErrBadRequest, "users directory"},
		{"unknown profile", "POST", "/v1/pin", `{"policy":"no-such-profile","pin":"1234"}`, nil, 400, api.ErrInvalidPolicy, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, url+tc.path, tc.body, tc.hdr...)
			if r.status != tc.status || r.errorCode() != tc.code {
				t.Fatalf("%s %s = %d %s, want %d %s", tc.method, tc.path, r.status, r.body, tc.status, tc.code)
			}
			if !strings.Contains(string(r.body), tc.msgHas) {
				t.Errorf("body %s does not say %q", r.body, tc.msgHas)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

// A route whose operation the engine lacks answers 501, and the others
// still work.
func TestMissingOpIsNotImplemented(t *testing.T) {
	for _, op := range []string{"dial", "lint", "hash.verify", "signin"} {
		if !slices.Contains(api.Ops(), op) {
			t.Fatalf("api has no op %s", op)
		}
		path := map[string]string{"dial": "/v1/dial", "lint": "/v1/lint", "hash.verify": "/v1/hash/verify", "signin": "/v1/signin/alice"}[op]
		body := map[string]string{"dial": `{"number":"911"}`, "lint": `{}`, "hash.verify": `{"record":"{SHA}x","secret":"s"}`, "signin": `{"kind":"pin","event":"failure"}`}[op]
		url, _ := start(t, server.Config{})
		if r := do(t, "POST", url+path, body); r.status == 501 {
			t.Errorf("%s with op %s = %d %s", path, op, r.status, r.body)
		}
		url, _ = start(t, server.Config{Engine: without{newEngine(t, "native"), []string{op}}})
		r := do(t, "POST", url+path, body)
		if r.status != 501 || r.errorCode() != api.ErrUnknownOp {
			t.Errorf("%s without op %s = %d %s, want 501 unknown_op", path, op, r.status, r.body)
		}
		if r := do(t, "POST", url+"/v1/pin", `{"pin":"802163"}`); r.status != 200 {
			t.Errorf("/v1/pin on an engine without %s = %d %s", op, r.status, r.body)
		}
	}
}

func TestDefaultsFillOnlyWhatIsMissing(t *testing.T) {
	rec := newRecorder(t)
	url, _ := start(t, server.Config{Engine: rec, Policy: api.Profile("exchange-um"), Tables: api.BuiltinTables("recommended")})
	// The defaults are loaded once, at New; requests carry their handles.
	if l := rec.of("policy.load"); len(l) != 1 || string(l[0].req) != `"exchange-um"` {
		t.Fatalf("policy.load calls %+v, want one with the default", l)
	}
	if l := rec.of("tables.load"); len(l) != 1 || string(l[0].req) != `"recommended"` {
		t.Fatalf("tables.load calls %+v, want one with the default", l)
	}
	policy, tables := rec.handle(t, "policy.load"), rec.handle(t, "tables.load")

	do(t, "POST", url+"/v1/pin", `{"pin":"1234"}`)
	if got := string(rec.request("pin")["policy"]); got != policy {
		t.Errorf("pin without policy: engine got policy %s, want the default's handle %s", got, policy)
	}
	do(t, "POST", url+"/v1/pin", `{"pin":"1234","policy":"cuc"}`)
	if got := string(rec.request("pin")["policy"]); got != `"cuc"` {
		t.Errorf("pin with policy: engine got %s, want the request's own", got)
	}
	do(t, "POST", url+"/v1/password", ` { "password" : "x" } `)
	if got := string(rec.request("password")["policy"]); got != policy {
		t.Errorf("password request without policy: engine got policy %s", got)
	}
	do(t, "POST", url+"/v1/password", `{"policy":null,"password":"x"}`)
	if got := string(rec.request("password")["policy"]); got != policy {
		t.Errorf("policy null: engine got %s, want the default's handle", got)
	}
	do(t, "POST", url+"/v1/dial", `{"number":"9011","table":"transfer"}`)
	if got := string(rec.request("dial")["tables"]); got != tables {
		t.Errorf("dial without tables: engine got %s", got)
	}
	if n := len(rec.of("policy.load")) + len(rec.of("tables.load")); n != 2 {
		t.Errorf("%d loads after the requests, want the 2 of New", n)
	}
	// hash.verify takes the policy too: its hash.iterations is the count
	// of the records it advises (issue 14 item 22).
	do(t, "POST", url+"/v1/hash/verify", `{"record":"{SHA}x","secret":"s"}`)
	if got := string(rec.request("hash.verify")["policy"]); got != policy {
		t.Errorf("hash.verify without policy: engine got %s, want the default's handle %s", got, policy)
	}
}

type directory map[string]string

func (d directory) ClassOfService(caller string) (string, bool) { c, ok := d[caller]; return c, ok }

func TestDialCallerBecomesClassOfService(t *testing.T) {
	rec := newRecorder(t)
	url, _ := start(t, server.Config{Engine: rec, Directory: directory{"2001": "lobby"}})
	do(t, "POST", url+"/v1/dial", `{"caller":"2001","feature":"transfer","number":"9011"}`)
	got := rec.request("dial")
	if string(got["cos"]) != `"lobby"` || got["caller"] != nil || string(got["feature"]) != `"transfer"` {
		t.Errorf("engine got %v, want cos lobby in place of caller", got)
	}
	r := do(t, "POST", url+"/v1/dial", `{"caller":"9999","number":"9011"}`)
	if r.status != 400 || r.errorCode() != server.ErrUnknownCaller {
		t.Errorf("unknown caller = %d %s", r.status, r.body)
	}
	r = do(t, "POST", url+"/v1/dial", `{"caller":"2001","cos":"x","number":"9011"}`)
	if r.status != 400 || !strings.Contains(string(r.body), "not both") {
		t.Errorf("caller and cos = %d %s", r.status, r.body)
	}
}

func TestBearerToken(t *testing.T) {
	url, _ := start(t, server.Config{Token: "s3cret-token"})
	for _, tc := range []struct {
		path, auth string
		want       int
	}{
		{"/metrics", "", 401},
		{"/metrics", "Bearer wrong", 401},
		{"/metrics", "Bearer s3cret-token-and-more", 401},
		{"/metrics", "Basic s3cret-token", 401},
		{"/metrics", "Bearer s3cret-token", 200},
		{"/metrics", "bearer s3cret-token", 200},
		{"/healthz", "", 200},
	} {
		r := do(t, "GET", url+tc.path, "", "Authorization", tc.auth)
		if r.status != tc.want {
			t.Errorf("GET %s with %q = %d, want %d", tc.path, tc.auth, r.status, tc.want)
		}
		if r.status == 401 && r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("401 without WWW-Authenticate")
		}
	}
	r := do(t, "POST", url+"/v1/pin", `{"pin":"1234"}`)
	if r.status != 401 || r.errorCode() != server.ErrUnauthorized {
		t.Errorf("POST without token = %d %s", r.status, r.body)
	}
}

// TestLogsNeverContainSecrets sends secrets through every path — good
// requests, refusals, malformed, oversized, unknown fields — and searches
// the captured log for them.
func TestLogsNeverContainSecrets(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	url, _ := start(t, server.Config{Logger: log, MaxBodyBytes: 512})
	const pin, pw = "739164", "Zq8!vorpalBunny"
	bodies := []struct{ path, body string }{
		{"/v1/pin", `{"pin":"` + pin + `"}`},
		{"/v1/pin", `{"pin":"` + pin + `","context":{"previous":["` + pin + `"]}}`},
		{"/v1/pin", `{"pin":"` + pin + `","bogus":"` + pin + `"}`},
		{"/v1/pin", `{"pin":"` + pin + `"`},
		{"/v1/pin", `{"pin":` + pin + `}`},
		{"/v1/pin", `{"pin":"` + pin + strings.Repeat(" ", 600) + `"}`},
		{"/v1/password", `{"password":"` + pw + `","context":{"old":"` + pw + `"}}`},
		{"/v1/password", `{"password":"` + pw + `","policy":"nope"}`},
		{"/v1/hash/verify", `{"record":"{SHA}` + pw + `","secret":"` + pw + `"}`},
		{"/v1/signin/alice", `{"kind":"pin","event":"` + pw + `"}`},
	}
	for _, b := range bodies {
		do(t, "POST", url+b.path, b.body)
	}
	out := buf.String()
	for _, secret := range []string{pin, pw} {
		if strings.Contains(out, secret) {
			t.Fatalf("log contains a secret:\n%s", out)
		}
	}
	if n := strings.Count(out, `"msg":"request"`); n != len(bodies) {
		t.Errorf("%d request records, want %d:\n%s", n, len(bodies), out)
	}
	if !strings.Contains(out, `"route":"/v1/signin/{user}"`) || !strings.Contains(out, `"status":413`) {
		t.Errorf("log lacks route or status:\n%s", out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestHealthz(t *testing.T) {
	url, _ := start(t, server.Config{})
	r := do(t, "GET", url+"/healthz", "")
	if r.status != 200 || string(r.body) != `{"status":"ok"}` || r.header.Get("X-Request-Id") == "" {
		t.Errorf("healthz = %d %q %v", r.status, r.body, r.header)
	}
	r = do(t, "GET", url+"/healthz", "", "X-Request-Id", "abc-123")
	if r.header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("request id not echoed: %v", r.header)
	}
}

// metricLines parses a /metrics body with Prometheus's own text parser (so
// every test that reads it also checks the format) and returns each sample
// as name{labels sorted by name} and, for a histogram bucket, le last, as
// in name_bucket{route="/healthz",le="+Inf"}.
func metricLines(t *testing.T, text string) map[string]float64 {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("Prometheus cannot parse /metrics: %v\n%s", err, text)
	}
	out := map[string]float64{}
	key := func(name string, labels []*dto.LabelPair, extra ...string) string {
		var parts []string
		for _, l := range labels {
			parts = append(parts, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
		}
		slices.Sort(parts) // as Prometheus orders them, whatever the text's order
		parts = append(parts, extra...)
		if len(parts) == 0 {
			return name
		}
		return name + "{" + strings.Join(parts, ",") + "}"
	}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			lp := m.GetLabel()
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key(name, lp)] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key(name, lp)] = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				out[key(name, lp)] = m.GetUntyped().GetValue()
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					le := strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)
					out[key(name+"_bucket", lp, `le="`+le+`"`)] = float64(b.GetCumulativeCount())
				}
				out[key(name+"_bucket", lp, `le="+Inf"`)] = float64(h.GetSampleCount())
				out[key(name+"_sum", lp)] = h.GetSampleSum()
				out[key(name+"_count", lp)] = float64(h.GetSampleCount())
			case dto.MetricType_SUMMARY:
				out[key(name+"_sum", lp)] = m.GetSummary().GetSampleSum()
				out[key(name+"_count", lp)] = float64(m.GetSummary().GetSampleCount())
			}
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	url, _ := start(t, server.Config{})
	for range 3 {
		do(t, "GET", url+"/healthz", "")
	}
	do(t, "POST", url+"/v1/pin", `{"pin":`)
	r := do(t, "GET", url+"/metrics", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics = %d %v", r.status, r.header)
	}
	m := metricLines(t, string(r.body))
	for k, want := range map[string]float64{
		`tollgate_requests_total{route="/healthz",status="200"}`:               3,
		`tollgate_requests_total{route="/v1/pin",status="400"}`:                1,
		`tollgate_request_duration_seconds_count{route="/healthz"}`:            3,
		`tollgate_request_duration_seconds_bucket{route="/healthz",le="+Inf"}`: 3,
		`tollgate_requests_in_flight`:                                          1, // this request
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v\n%s", k, m[k], want, r.body)
		}
	}
	// Buckets are cumulative.
	prev := -1.0
	for _, le := range []string{"5e-05", "0.0001", "0.001", "0.01", "0.1", "1", "10", "+Inf"} {
		v, ok := m[`tollgate_request_duration_seconds_bucket{route="/healthz",le="`+le+`"}`]
		if !ok || v < prev {
			t.Errorf("bucket le=%s = %v (present %v), previous %v", le, v, ok, prev)
		}
		prev = v
	}
	for _, h := range []string{"# TYPE tollgate_requests_total counter", "# TYPE tollgate_request_duration_seconds histogram", "# TYPE tollgate_requests_in_flight gauge"} {
		if !strings.Contains(string(r.body), h) {
			t.Errorf("metrics lack %q", h)
		}
	}
}

func TestVerdictMetricsAndAnswers(t *testing.T) {
	for _, kind := range []string{"native", "wasm"} {
		t.Run(kind, func(t *testing.T) {
			url, _ := start(t, server.Config{Engine: newEngine(t, kind), Policy: api.Profile("cuc")})
			r := do(t, "POST", url+"/v1/pin", `{"pin":"123456"}`)
			var v struct {
				Accepted bool
				Reasons  []struct{ Code string }
			}
			if err := json.Unmarshal(r.body, &v); err != nil || r.status != 200 || v.Accepted || len(v.Reasons) == 0 {
				t.Fatalf("pin 123456 = %d %s, want refused", r.status, r.body)
			}
			// The answer is exactly the api's.
			want, _ := api.NewSession().Do("pin", []byte(`{"policy":"cuc","pin":"123456"}`), nil)
			if string(bytes.TrimSpace(r.body)) != string(want) {
				t.Errorf("service answer %s\n   api answer %s", r.body, want)
			}
			do(t, "POST", url+"/v1/pin", `{"pin":"802163"}`)
			m := metricLines(t, string(do(t, "GET", url+"/metrics", "").body))
			for _, reason := range v.Reasons {
				if m[`tollgate_verdicts_total{code="`+reason.Code+`",op="pin"}`] < 1 {
					t.Errorf("no verdict count for %s", reason.Code)
				}
			}
		})
	}
}

// TestSlowClientGets408 trickles a body slower than the body timeout while
// other clients keep being answered.
func TestSlowClientGets408(t *testing.T) {
	url, _ := start(t, server.Config{BodyTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/pin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"pin\":")

	// Meanwhile the service answers others.
	for range 5 {
		if r := do(t, "GET", url+"/healthz", ""); r.status != 200 {
			t.Fatalf("healthz during slow client = %d", r.status)
		}
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 408 || !strings.Contains(string(body), `"code":"timeout"`) || !strings.Contains(string(body), "300ms") {
		t.Errorf("slow client = %d %s, want 408 timeout", resp.StatusCode, body)
	}
}

// TestSlowHeadersAreDisconnected: a client that never finishes its
// headers is cut off after ReadHeaderTimeout. (net/http closes such a
// connection without an answer; there is no request yet to answer.)
func TestSlowHeadersAreDisconnected(t *testing.T) {
	url, _ := start(t, server.Config{ReadHeaderTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "POST /v1/pin HTTP/1.1\r\nHost: x\r\n")
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(conn); err != nil {
		t.Fatalf("connection not closed by the server: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("closed after %v", d)
	}
}

// TestFaultsDoNotDisturbOthers runs good requests from many clients while
// faulty ones arrive, and requires every good one to succeed.
func TestFaultsDoNotDisturbOthers(t *testing.T) {
	url, _ := start(t, server.Config{MaxBodyBytes: 4096, BodyTimeout: 200 * time.Millisecond})
	good := func() (int, string) {
		r := do(t, "POST", url+"/v1/pin", `{"pin":"802163"}`)
		return r.status, string(r.body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	faults := []func(){
		func() { do(t, "POST", url+"/v1/pin", `{"pin":`) },
		func() { do(t, "POST", url+"/v1/pin", `{"pin":"1","x":1}`) },
		func() { do(t, "POST", url+"/v1/pin", strings.Repeat("[", 10000)) },
		func() {
			c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
			if err != nil {
				return
			}
			defer c.Close()
			fmt.Fprintf(c, "POST /v1/pin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			io.ReadAll(c)
		},
	}
	for _, f := range faults {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil && n < 50; n++ {
				f()
			}
		}()
	}
	var failures sync.Map
	var gw sync.WaitGroup
	for range 16 {
		gw.Add(1)
		go func() {
			defer gw.Done()
			for range 30 {
				if st, body := good(); st != 200 {
					failures.Store(body, st)
				}
			}
		}()
	}
	gw.Wait()
	cancel()
	wg.Wait()
	failures.Range(func(k, v any) bool {
		t.Errorf("good request failed during faults: %v %v", v, k)
		return true
	})
}

func TestGracefulShutdown(t *testing.T) {
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	eng := blockingEngine{Operations: newEngine(t, "native"), release: release, entered: entered}
	srv, err := server.New(server.Config{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()

	inflight := make(chan reply, 1)
	go func() { inflight <- do(t, "POST", url+"/v1/pin", `{"pin":"1"}`) }()
	<-entered // the request is inside the engine
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Serve returned (%v) with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if r := <-inflight; r.status == 0 || r.status >= 500 {
		t.Errorf("in-flight request = %d %s", r.status, r.body)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil after a graceful shutdown", err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("still accepting after shutdown")
	}
}

type blockingEngine struct {
	api.Operations
	release, entered chan struct{}
}

func (b blockingEngine) CheckPIN(ctx context.Context, r *api.PINRequest) (api.Verdict, error) {
	select {
	case b.entered <- struct{}{}:
	default:
	}
	<-b.release
	return b.Operations.CheckPIN(ctx, r)
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8700": true, "[::1]:8700": true, "localhost:1": true, "127.0.0.2:80": true,
		":8700": false, "0.0.0.0:8700": false, "192.168.1.2:80": false, "[::]:80": false, "nonsense": false,
	} {
		if got := server.IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	if _, err := server.New(server.Config{}); err == nil {
		t.Error("New without an engine succeeded")
	}
	if _, err := server.New(server.Config{Engine: newEngine(t, "native"), BodyTimeout: time.Minute, WriteTimeout: time.Second}); err == nil {
		t.Error("New with WriteTimeout < BodyTimeout succeeded")
	}
}

// TestSignin drives the sign-in state machine through the service: cuc
// locks after 3 failures for 30 minutes; state is per user and per kind.
func TestSignin(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	for _, kind := range []string{"native", "wasm"} {
		t.Run(kind, func(t *testing.T) {
			url, _ := start(t, server.Config{Engine: newEngine(t, kind), Policy: api.Profile("cuc"), Now: clock, AdminToken: "adm1n"})
			type decision struct {
				Code      string
				Allowed   bool
				Locked    bool
				Remaining int
			}
			event := func(user, body string) decision {
				t.Helper()
				r := do(t, "POST", url+"/v1/signin/"+user, body, "Authorization", "Bearer adm1n") // unlock is an administrator's
				var a struct {
					State    map[string]any
					Decision decision
				}
				if err := json.Unmarshal(r.body, &a); err != nil || r.status != 200 || a.State == nil {
					t.Fatalf("signin %s %s = %d %s", user, body, r.status, r.body)
				}
				return a.Decision
			}
			user := "alice-" + kind
			for i, want := range []string{"failed", "failed", "locked"} {
				d := event(user, `{"event":"failure"}`)
				if d.Code != want && !(want == "locked" && d.Locked) {
					t.Fatalf("failure %d: %+v, want %s", i+1, d, want)
				}
			}
			if d := event(user, `{"event":"success"}`); d.Allowed || !d.Locked {
				t.Errorf("success while locked: %+v, want refused", d)
			}
			if d := event("bob-"+kind, `{"event":"success"}`); !d.Allowed {
				t.Errorf("another user: %+v, want allowed", d)
			}
			if d := event(user, `{"kind":"password","event":"success"}`); !d.Allowed {
				t.Errorf("the password of a user whose PIN is locked: %+v, want allowed", d)
			}
			advance(31 * time.Minute)
			if d := event(user, `{"event":{"type":"signin","ok":true}}`); !d.Allowed {
				t.Errorf("success after the 30-minute lockout: %+v", d)
			}
			for range 3 {
				event(user, `{"event":"failure"}`)
			}
			if d := event(user, `{"event":"unlock"}`); d.Locked {
				t.Errorf("unlock: %+v", d)
			}
			if d := event(user, `{"event":"success"}`); !d.Allowed {
				t.Errorf("success after unlock: %+v", d)
			}
			r := do(t, "POST", url+"/v1/signin/"+user, `{"event":"maybe"}`)
			if r.status != 400 || r.errorCode() != api.ErrBadRequest {
				t.Errorf("unknown event = %d %s", r.status, r.body)
			}
			r = do(t, "POST", url+"/v1/signin/"+user, `{"kind":"fingerprint","event":"success"}`)
			if r.status != 400 || !strings.Contains(string(r.body), `"field":"kind"`) {
				t.Errorf("unknown kind = %d %s", r.status, r.body)
			}
		})
	}
}

// TestSigninConcurrentFailures: failures arriving at once are all counted.
func TestSigninConcurrentFailures(t *testing.T) {
	store := server.NewMemoryStore()
	url, _ := start(t, server.Config{Policy: api.PolicyJSON([]byte(`{"extends":"cuc","pin":{"failed_limit":0}}`)), Store: store})
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			do(t, "POST", url+"/v1/signin/carol", `{"event":"failure"}`)
		}()
	}
	wg.Wait()
	st, _ := store.Get(server.Key{Kind: "pin", User: "carol"})
	if st.Failures != 40 {
		t.Errorf("failures = %d after 40 concurrent failures", st.Failures)
	}
}

func TestDialLintHashVerdictCodes(t *testing.T) {
	url, _ := start(t, server.Config{Tables: api.BuiltinTables("default")})
	for _, tc := range []struct{ path, body, key string }{
		{"/v1/dial", `{"number":"9011442079460000"}`, `code="blocked",op="dial"`},
		{"/v1/dial", `{"number":"2001"}`, `code="allowed",op="dial"`},
		{"/v1/dial", `{"number":"1-800-FLOWERS"}`, `code="invalid",op="dial"`},
		{"/v1/lint", `{}`, `code="final_row_allowed",op="lint"`},
		{"/v1/hash/verify", `{"record":"{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=","secret":"test"}`, `code="ok",op="hash.verify"`},
	} {
		if r := do(t, "POST", url+tc.path, tc.body); r.status != 200 {
			t.Errorf("%s %s = %d %s", tc.path, tc.body, r.status, r.body)
		}
		m := metricLines(t, string(do(t, "GET", url+"/metrics", "").body))
		if m[`tollgate_verdicts_total{`+tc.key+`}`] < 1 {
			t.Errorf("after %s %s: no tollgate_verdicts_total{%s}", tc.path, tc.body, tc.key)
		}
	}
}

// stalledBody is a body that sends a few bytes and then fails, as a
// client that declared a large body and went away.
type stalledBody struct{ sent bool }

func (b *stalledBody) Read(p []byte) (int, error) {
	if b.sent {
		return 0, io.ErrUnexpectedEOF
	}
	b.sent = true
	return copy(p, `{"pin":"`), nil
}

func (b *stalledBody) Close() error { return nil }

// TestDeclaredLengthIsNotAllocatedUpFront: the body buffer grows with what
// arrives, not with what the client declares: a client that declares a
// megabyte and sends ten bytes must not make the service allocate a
// megabyte (per connection, for as long as the body timeout).
func TestDeclaredLengthIsNotAllocatedUpFront(t *testing.T) {
	srv, err := server.New(server.Config{Engine: newEngine(t, "native"), MaxBodyBytes: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	send := func() int {
		req := httptest.NewRequest("POST", "/v1/pin", nil)
		req.Header.Set("Content-Type", "application/json")
		req.Body, req.ContentLength = &stalledBody{}, 4<<20
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	send() // warm: pools, metrics series
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code := send()
	runtime.ReadMemStats(&after)
	if code != 400 {
		t.Errorf("a body that stops short = %d, want 400", code)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("a request declaring 4 MiB and sending 8 bytes allocated %d KiB", grew>>10)
	}
}
