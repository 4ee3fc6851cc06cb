package tollgatecaddy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddytest"

	"github.com/tollgate/tollgate/api"
)

// upstream is a real HTTP server on loopback that records what reached it.
type upstream struct {
	*httptest.Server
	mu  sync.Mutex
	got []received
}

type received struct {
	method, path, contentType string
	body                      []byte
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.got = append(u.got, received{r.Method, r.URL.Path, r.Header.Get("Content-Type"), b})
		u.mu.Unlock()
		io.WriteString(w, "upstream ok")
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) take() []received {
	u.mu.Lock()
	defer u.mu.Unlock()
	g := u.got
	u.got = nil
	return g
}

func siteConfig(upstreamAddr, engine, logFile string) string {
	return globalOptions(fmt.Sprintf(`	log {
		output file %s
		level DEBUG
	}
`, logFile)) + fmt.Sprintf(`%s {
	route /account/* {
		tollgate {
			engine %s
			policy cuc
			max_body 4k
			pin new_pin {
				extensions extension
				first_name first_name
				last_name last_name
			}
			password new_password {
				alias alias
				old old_password
			}
			dial forward_to
			dial transfer_to {
				table "Default Transfer"
			}
		}
		reverse_proxy %s
	}
}
`, site, engine, upstreamAddr)
}

// TestCaddyModule runs a real Caddy (Caddy's own test harness, in process)
// in front of a real upstream on loopback, on each engine.
func TestCaddyModule(t *testing.T) {
	up := newUpstream(t)
	for _, engine := range []string{"wasm", "native"} {
		t.Run(engine, func(t *testing.T) {
			// Compiling the module on a busy machine can take longer than
			// the harness's 5 s config-load timeout.
			tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{LoadRequestTimeout: time.Minute})
			logFile := filepath.Join(t.TempDir(), "caddy.log")
			tester.InitServer(siteConfig(strings.TrimPrefix(up.URL, "http://"), engine, logFile), "caddyfile")
			t.Cleanup(func() {
				// Caddy's log (debug level) has the refusals' codes and never
				// a checked value.
				log, _ := os.ReadFile(logFile)
				if !bytes.Contains(log, []byte("tollgate refused a field")) {
					t.Errorf("no refusal in Caddy's log:\n%s", log)
				}
				for _, secret := range []string{"802163", "345678", "920017", "111111", "Jsmith-2024!x"} {
					if bytes.Contains(log, []byte(secret)) {
						t.Errorf("Caddy's log holds a checked value")
					}
				}
			})
			send := func(t *testing.T, contentType string, body []byte, chunked bool) (int, []byte) {
				t.Helper()
				var rd io.Reader = bytes.NewReader(body)
				if chunked {
					rd = io.MultiReader(rd) // unknown length: sent chunked
				}
				req, _ := http.NewRequest("POST", site+"/account/pin", rd)
				req.Header.Set("Content-Type", contentType)
				resp, err := tester.Client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, b
			}
			passes := func(t *testing.T, contentType string, body []byte, chunked bool) {
				t.Helper()
				up.take()
				status, b := send(t, contentType, body, chunked)
				if status != 200 || string(b) != "upstream ok" {
					t.Fatalf("status %d %s, want the upstream's answer", status, b)
				}
				got := up.take()
				if len(got) != 1 || !bytes.Equal(got[0].body, body) || got[0].contentType != contentType || got[0].path != "/account/pin" {
					t.Fatalf("upstream received %+v, want the identical body %q", got, body)
				}
			}
			refused := func(t *testing.T, contentType string, body []byte, field, code string) {
				t.Helper()
				up.take()
				status, b := send(t, contentType, body, false)
				// The answer is api's Refusal, read back strictly by its codec.
				var a api.Refusal
				if status != 422 || api.Decode(bytes.TrimSpace(b), &a) != nil || a.Accepted || len(a.Refused) == 0 {
					t.Fatalf("status %d %s, want 422 with reasons", status, b)
				}
				var codes []string
				for _, rf := range a.Refused {
					if rf.Field != field {
						t.Errorf("refused field %q, want %q", rf.Field, field)
					}
					for _, r := range rf.Reasons {
						codes = append(codes, string(r.Code))
						if r.Message == "" {
							t.Errorf("reason %s without message", r.Code)
						}
					}
				}
				if !strings.Contains(strings.Join(codes, ","), code) {
					t.Errorf("codes %v, want %s", codes, code)
				}
				if got := up.take(); len(got) != 0 {
					t.Errorf("a refused request reached the upstream: %+v", got)
				}
				if bytes.Contains(b, []byte(secretOf(body))) {
					t.Errorf("the 422 answer repeats the secret: %s", b)
				}
			}
			const js = "application/json"
			const form = "application/x-www-form-urlencoded"

			t.Run("json accepted", func(t *testing.T) {
				passes(t, js, []byte(`{"user":"alice","new_pin":"802163","extension":"2001"}`), false)
			})
			t.Run("json accepted, chunked", func(t *testing.T) {
				passes(t, js, []byte(`{"new_pin":"802163"}`), true)
			})
			t.Run("json sequential refused", func(t *testing.T) {
				refused(t, js, []byte(`{"new_pin":"345678"}`), "new_pin", "sequential")
			})
			t.Run("json extension in pin refused", func(t *testing.T) {
				refused(t, js, []byte(`{"new_pin":"920017","extension":"2001"}`), "new_pin", "extension")
			})
			t.Run("form accepted", func(t *testing.T) {
				passes(t, form, []byte(url.Values{"new_pin": {"802163"}, "extension": {"2001"}}.Encode()), false)
			})
			t.Run("form refused", func(t *testing.T) {
				refused(t, form, []byte("new_pin=111111&extension=2001"), "new_pin", "")
			})
			t.Run("password with alias refused", func(t *testing.T) {
				refused(t, js, []byte(`{"alias":"jsmith","new_password":"Jsmith-2024!x"}`), "new_password", "contains_alias")
			})
			t.Run("forwarding number allowed", func(t *testing.T) {
				passes(t, form, []byte("forward_to=2001&transfer_to=2002"), false)
			})
			t.Run("international forwarding refused", func(t *testing.T) {
				refused(t, js, []byte(`{"forward_to":"9011442079460000"}`), "forward_to", "blocked")
			})
			t.Run("multipart accepted", func(t *testing.T) {
				var b bytes.Buffer
				mw := multipart.NewWriter(&b)
				mw.WriteField("new_pin", "802163")
				mw.WriteField("extension", "2001")
				mw.Close()
				passes(t, mw.FormDataContentType(), b.Bytes(), false)
			})
			t.Run("no checked field passes", func(t *testing.T) {
				passes(t, js, []byte(`{"display_name":"Alice"}`), false)
			})
			t.Run("clear 4xx", func(t *testing.T) {
				for _, tc := range []struct {
					ct     string
					body   string
					status int
					code   string
				}{
					{js, `{"new_pin":802163}`, 200, ""}, // a JSON number is read as its digits
					{js, `{"new_pin":["1"]}`, 400, "bad_request"},
					{js, `{"new_pin":`, 400, "bad_request"},
					{"text/plain", `new_pin=123456`, 415, "unsupported_media_type"},
					{js, `{"new_pin":"` + strings.Repeat("1", 5000) + `"}`, 413, "too_large"},
				} {
					up.take()
					status, b := send(t, tc.ct, []byte(tc.body), false)
					var code api.ErrorCode
					if e, err := api.ParseError(bytes.TrimSpace(b)); err == nil {
						code = e.Code
					}
					if status != tc.status || code != api.ErrorCode(tc.code) {
						t.Errorf("%s %.40s = %d %s, want %d %s", tc.ct, tc.body, status, b, tc.status, tc.code)
					}
					if n := len(up.take()); (status == 200) != (n == 1) {
						t.Errorf("%.40s: upstream got %d requests with status %d", tc.body, n, status)
					}
				}
			})
		})
	}
}

// TestEngineReleasedOnReload: after a config with the wasm engine is
// replaced by one with the native engine, the wasm engine has no user
// left (it was closed), and the native one has exactly this config's.
func TestEngineReleasedOnReload(t *testing.T) {
	up := newUpstream(t)
	addr := strings.TrimPrefix(up.URL, "http://")
	for _, engine := range []string{"wasm", "native"} {
		tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{LoadRequestTimeout: time.Minute})
		tester.InitServer(siteConfig(addr, engine, filepath.Join(t.TempDir(), "caddy.log")), "caddyfile")
	}
	if n, ok := engines.References("wasm"); ok || n != 0 {
		t.Errorf("wasm engine still has %d users after the reload", n)
	}
	if n, _ := engines.References("native"); n != 1 {
		t.Errorf("native engine has %d users, want 1 (one handler)", n)
	}
}

// TestExampleCaddyfile: the shipped example adapts, and validates with
// every module provisioned (engine, policy, tables, table names).
func TestExampleCaddyfile(t *testing.T) {
	b, err := os.ReadFile("Caddyfile.example")
	if err != nil {
		t.Fatal(err)
	}
	js, warn, err := caddyconfig.GetAdapter("caddyfile").Adapt(b, nil)
	if err != nil || len(warn) > 0 {
		t.Fatalf("adapt: %v %v", err, warn)
	}
	var cfg caddy.Config
	if err := json.Unmarshal(js, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := caddy.Validate(&cfg); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

// secretOf pulls the checked value out of a test body, to make sure no
// answer repeats it.
func secretOf(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		for _, k := range []string{"new_pin", "new_password"} {
			if s, ok := m[k].(string); ok {
				return s
			}
		}
	}
	v, _ := url.ParseQuery(string(body))
	return v.Get("new_pin") + v.Get("new_password") + "\x00"
}

func TestCaddyfileErrors(t *testing.T) {
	for _, tc := range []struct{ conf, say string }{
		{"tollgate {\n pin\n}", "which request field"},
		{"tollgate {\n pin a {\n color red\n }\n}", `unknown option \"color\"`},
		{"tollgate {\n dial a {\n alias x\n }\n}", `unknown option \"alias\"`},
		{"tollgate {\n bogus 1\n}", `unknown tollgate option \"bogus\"`},
		{"tollgate {\n max_body lots\n}", "max_body"},
		{"tollgate {\n policy missing.json\n}", "no such file"},
		{"tollgate {\n policy no-such-profile\n pin a\n}", "policy"},
		{"tollgate {\n dial a {\n table Nowhere\n }\n}", `dial field \"a\"`},
	} {
		caddytest.AssertLoadError(t, fmt.Sprintf("{\n admin localhost:%d\n}\n:%d {\n%s\n}\n", adminPort, sparePort, tc.conf), "caddyfile", tc.say)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		h   Handler
		say string
	}{
		{Handler{Engine: "wasm"}, "no fields"},
		{Handler{Engine: "gpu", Fields: []Field{{Name: "a", Check: "pin"}}}, "want wasm or native"},
		{Handler{Engine: "wasm", Fields: []Field{{Name: "a", Check: "email"}}}, "want pin, password or dial"},
		{Handler{Engine: "wasm", Fields: []Field{{Name: "a", Check: "pin"}, {Name: "a", Check: "password"}}}, "named twice"},
		{Handler{Engine: "wasm", Fields: []Field{{Name: "a", Check: "dial", Table: "t", Cos: "c"}}}, "not both"},
		{Handler{Engine: "wasm", Fields: []Field{{Name: "a", Check: "pin", Table: "x"}}}, "dial checks only"},
		{Handler{Engine: "wasm", Fields: []Field{{Name: "a", Check: "pin", Context: map[string]string{"alias": "u"}}}}, "takes extensions"},
		{Handler{Engine: "wasm", Fields: []Field{{Name: "a", Check: "dial", Policy: api.Profile("cuc")}}}, "pin and password checks only"},
	} {
		err := tc.h.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.say) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.h, err, tc.say)
		}
	}
}
