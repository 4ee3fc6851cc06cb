package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/api"
)

// TestSignInStateRoundTrip feeds each answer's state into the next request,
// as a host does, through a lockout and its end.
func TestSignInStateRoundTrip(t *testing.T) {
	s := api.NewSession()
	state := json.RawMessage(`{}`)
	steps := []struct{ at, event, code string }{
		{"2026-03-02T09:00:00Z", `"type":"signin","ok":false`, "failed"},
		{"2026-03-02T09:01:00Z", `"type":"signin","ok":false`, "failed"},
		{"2026-03-02T09:02:00Z", `"type":"signin","ok":false`, "failed"},
		{"2026-03-02T09:10:00Z", `"type":"signin","ok":true`, "locked"},
		{"2026-03-02T09:32:00Z", `"type":"signin","ok":true`, "ok"},
		{"2026-03-02T09:33:00Z", `"type":"signout"`, "signed_out"},
		{"2026-03-02T09:34:00Z", `"type":"change"`, "changed"},
		{"2026-03-02T09:35:00Z", `"type":"check"`, "ok"},
	}
	for i, st := range steps {
		req := `{"policy":"cuc","kind":"pin","state":` + string(state) + `,"event":{` + st.event + `,"at":"` + st.at + `"}}`
		out, err := s.Do("signin", []byte(req), nil)
		if err != nil {
			t.Fatalf("step %d: %v: %s", i, err, out)
		}
		var res struct {
			State    json.RawMessage `json:"state"`
			Decision struct {
				Code string `json:"code"`
			} `json:"decision"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if res.Decision.Code != st.code {
			t.Fatalf("step %d: code %s, want %s (%s)", i, res.Decision.Code, st.code, out)
		}
		state = res.State
	}
	if !strings.Contains(string(state), `"changed_at":"2026-03-02T09:34:00Z"`) || !strings.Contains(string(state), `"telephony":0`) {
		t.Fatalf("final state %s", state)
	}
}

// TestHashMakeDrawsSalt: without a salt the api draws one per call.
func TestHashMakeDrawsSalt(t *testing.T) {
	s := api.NewSession()
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		out, err := s.Do("hash.make", []byte(`{"scheme":"{PBKDF2-SHA256}","secret":"408408"}`), nil)
		if err != nil {
			t.Fatal(err)
		}
		if seen[string(out)] {
			t.Fatal("two records with the same salt")
		}
		seen[string(out)] = true
		var r struct{ Record string }
		_ = json.Unmarshal(out, &r)
		v, _ := s.Do("hash.verify", []byte(`{"record":"`+r.Record+`","secret":"408408","fips":true,"scheme":"pbkdf2-sha256"}`), nil)
		if string(v) != `{"verified":true,"reason":"ok","scheme":"{PBKDF2-SHA256}"}` {
			t.Fatalf("verify of a made record: %s", v)
		}
	}
}
