package tollgatecaddy

// Regression tests for the attack of issue 14 on the Caddy module, named
// after the finding, with a real Caddy (caddytest, in process) in front
// of a real Go upstream on loopback. The threat model is docs/security.md
// ("The decision service and the Caddy module").

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// naiveUpstream is a Go application that reads its fields the way Go code
// commonly does: /form with r.FormValue (the body, then the URL query),
// /json with encoding/json into a struct (keys matched case-insensitively,
// the last of a repeated key kept) whatever the Content-Type, falling back
// to the query. It records what it would have set.
type naiveUpstream struct {
	*httptest.Server
	mu  sync.Mutex
	got []string // "field=value" for every non-empty field it read
}

func newNaiveUpstream(t *testing.T) *naiveUpstream {
	u := &naiveUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var pin, password, userPIN string
		switch {
		case strings.HasSuffix(r.URL.Path, "/json"):
			var f struct {
				NewPIN      string `json:"new_pin"`
				NewPassword string `json:"new_password"`
				User        struct {
					NewPIN string `json:"new_pin"`
				} `json:"user"`
			}
			b, _ := io.ReadAll(r.Body)
			json.Unmarshal(b, &f)
			pin, password, userPIN = f.NewPIN, f.NewPassword, f.User.NewPIN
			if pin == "" {
				pin = r.URL.Query().Get("new_pin")
			}
		default:
			pin, password, userPIN = r.FormValue("new_pin"), r.FormValue("new_password"), r.FormValue("user.new_pin")
		}
		u.mu.Lock()
		for _, kv := range [][2]string{{"new_pin", pin}, {"new_password", password}, {"user.new_pin", userPIN}} {
			if kv[1] != "" {
				u.got = append(u.got, kv[0]+"="+kv[1])
			}
		}
		u.mu.Unlock()
		io.WriteString(w, "set")
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *naiveUpstream) take() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	g := u.got
	u.got = nil
	return g
}

// Finding 11: the module was bypassed by the new PIN in the URL query, or
// under a JSON key in another case (NEW_PIN), which a Go upstream still
// reads. Every place the upstream reads the field from is checked, and a
// request that names it twice is refused: a trivial PIN or password never
// reaches the upstream.
func TestAttack11CaddyModuleBypassed(t *testing.T) {
	up := newNaiveUpstream(t)
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{LoadRequestTimeout: time.Minute})
	tester.InitServer(globalOptions(fmt.Sprintf(`	log {
		output file %s
	}
`, filepath.Join(t.TempDir(), "caddy.log")))+fmt.Sprintf(`%s {
	route /account/* {
		tollgate {
			engine native
			policy cuc
			pin new_pin
			password new_password
			pin user.new_pin
		}
		reverse_proxy %s
	}
}
`, site, strings.TrimPrefix(up.URL, "http://")), "caddyfile")

	const js, form = "application/json", "application/x-www-form-urlencoded"
	send := func(t *testing.T, method, path, contentType string, body []byte) (int, string) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, _ := http.NewRequest(method, site+"/account"+path, rd)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := tester.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	multi := func(fields ...string) (string, []byte) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for i := 0; i+1 < len(fields); i += 2 {
			mw.WriteField(fields[i], fields[i+1])
		}
		mw.Close()
		return mw.FormDataContentType(), b.Bytes()
	}
	multiFile := func(name, value string) (string, []byte) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile(name, "pin.txt")
		io.WriteString(fw, value)
		mw.Close()
		return mw.FormDataContentType(), b.Bytes()
	}

	// The attacks: each carries a trivial PIN (111111) or password
	// (aaaaaaaa) where the upstream reads it.
	mpQueryCT, mpQuery := multi("display", "x")
	mpFileCT, mpFile := multiFile("new_pin", "111111")
	for _, c := range []struct {
		name, method, path, ct string
		body                   []byte
	}{
		{"query, form body without the field", "POST", "/form?new_pin=111111", form, []byte("display=x")},
		{"query, no body", "GET", "/form?new_pin=111111", "", nil},
		{"query, percent-encoded name", "GET", "/form?new%5Fpin=111111", "", nil},
		{"query, JSON body", "POST", "/json?new_pin=111111", js, []byte(`{"display":"x"}`)},
		{"query, multipart body", "POST", "/form?new_pin=111111", mpQueryCT, mpQuery},
		{"query and body both", "POST", "/form?new_pin=111111", form, []byte("new_pin=802163")},
		{"JSON key in capitals", "POST", "/json", js, []byte(`{"NEW_PIN":"111111"}`)},
		{"JSON key in mixed case", "POST", "/json", js, []byte(`{"New_Pin":"111111"}`)},
		{"JSON key folded by Unicode (long s)", "POST", "/json", js, []byte(`{"new_paſſword":"aaaaaaaa"}`)},
		{"JSON key checked, then its capitals", "POST", "/json", js, []byte(`{"new_pin":"802163","NEW_PIN":"111111"}`)},
		{"JSON key twice", "POST", "/json", js, []byte(`{"new_pin":"802163","new_pin":"111111"}`)},
		{"JSON nested key in capitals", "POST", "/json", js, []byte(`{"user":{"NEW_PIN":"111111"}}`)},
		{"JSON nested parent in capitals", "POST", "/json", js, []byte(`{"USER":{"new_pin":"111111"}}`)},
		{"JSON body sent as a form", "POST", "/json", form, []byte(`{"new_pin":"111111"}`)},
		{"form key in capitals", "POST", "/form", form, []byte("NEW_PIN=111111")},
		{"form key twice", "POST", "/form", form, []byte("new_pin=802163&new_pin=111111")},
		{"form key in two cases", "POST", "/form", form, []byte("new_pin=802163&New_Pin=111111")},
		{"multipart file part", "POST", "/form", mpFileCT, mpFile},
	} {
		t.Run(c.name, func(t *testing.T) {
			up.take()
			status, answer := send(t, c.method, c.path, c.ct, c.body)
			got := up.take()
			for _, g := range got {
				if strings.HasSuffix(g, "=111111") || strings.HasSuffix(g, "=aaaaaaaa") {
					t.Fatalf("the upstream read %s (status %d %s): the module was bypassed", g, status, answer)
				}
			}
			if status != 400 && status != 422 {
				t.Errorf("status %d %s, want the request refused (400 ambiguous or 422)", status, answer)
			}
			if len(got) != 0 {
				t.Errorf("a refused request reached the upstream: %v", got)
			}
			if strings.Contains(answer, "111111") || strings.Contains(answer, "aaaaaaaa") {
				t.Errorf("the answer repeats the value: %s", answer)
			}
		})
	}

	// What is checked and good still passes, wherever it is.
	for _, c := range []struct {
		name, method, path, ct string
		body                   []byte
		want                   string
	}{
		{"query", "GET", "/form?new_pin=802163", "", nil, "new_pin=802163"},
		{"form", "POST", "/form", form, []byte("new_pin=802163"), "new_pin=802163"},
		{"JSON", "POST", "/json", js, []byte(`{"new_pin":"802163"}`), "new_pin=802163"},
		{"JSON in capitals", "POST", "/json", js, []byte(`{"NEW_PIN":"802163"}`), "new_pin=802163"},
		{"JSON nested", "POST", "/json", js, []byte(`{"user":{"new_pin":"802163"}}`), "user.new_pin=802163"},
		{"JSON query", "POST", "/json?new_pin=802163", js, []byte(`{}`), "new_pin=802163"},
	} {
		t.Run("passes: "+c.name, func(t *testing.T) {
			up.take()
			status, answer := send(t, c.method, c.path, c.ct, c.body)
			got := up.take()
			if status != 200 || len(got) != 1 || got[0] != c.want {
				t.Errorf("status %d %s, upstream read %v; want 200 and %s", status, answer, got, c.want)
			}
		})
	}
}
