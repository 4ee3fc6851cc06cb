package api_test

// Regression tests for findings of the attack on tollgate (issue 14), named
// after the finding; docs/security.md states the threat model.

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/credential"
)

// NonUTF8Secrets are requests whose secret field holds text that JSON
// decoding used to replace by U+FFFD; field is the path the error must
// name. host/attack_test.go sends the same requests to both engines.
var nonUTF8Secrets = []struct {
	op, req, field string
}{
	{"hash.verify", "{\"record\":\"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\",\"secret\":\"Kx93\xfe\"}", "secret"},
	{"hash.verify", `{"record":"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=","secret":"Kx93\udcfe"}`, "secret"},
	{"hash.make", "{\"scheme\":\"{SSHA}\",\"secret\":\"Kx93\xff\"}", "secret"},
	{"hash.make", `{"scheme":"{SSHA}","secret":"\ud800Kx93"}`, "secret"},
	{"pin", "{\"pin\":\"7391\xff64\"}", "pin"},
	{"pin", "{\"pin\":\"739164\",\"context\":{\"previous\":[\"111111\",\"73916\xff\"]}}", "context.previous[1]"},
	{"password", "{\"password\":\"Correct-horse-\xff-battery\"}", "password"},
	{"password", `{"password":"Correct-horse-battery-9","context":{"old":"Correct-horse-\udcff"}}`, "context.old"},
	{"password", "{\"password\":\"Correct-horse-battery-9\",\"context\":{\"previous\":[\"\xc3\"]}}", "context.previous[0]"},
}

// Finding 6, non-UTF-8 secrets collide: a record tollgate made from
// "Kx93\xff" verified with "Kx93\xfe" (both became "Kx93\uFFFD"), and a
// record slappasswd made from the bytes "Kx93\xff" did not verify. Every
// secret that is not valid Unicode text is now refused with bad_request
// naming the field, and never hashed or compared.
func TestAttackNonUTF8SecretsCollide(t *testing.T) {
	s := api.NewSession()
	for _, tc := range nonUTF8Secrets {
		out, err := s.Do(tc.op, []byte(tc.req), nil)
		var r struct {
			Error *api.Error `json:"error"`
		}
		if jerr := json.Unmarshal(out, &r); jerr != nil || r.Error == nil || err == nil {
			t.Errorf("%s %q: %s (%v), want a bad_request error", tc.op, tc.req, out, err)
			continue
		}
		if r.Error.Code != api.ErrBadRequest || r.Error.Field != tc.field || !strings.Contains(r.Error.Message, "not valid Unicode") {
			t.Errorf("%s %q: %+v, want bad_request on %s", tc.op, tc.req, r.Error, tc.field)
		}
		if strings.Contains(r.Error.Message, "Kx93") || strings.Contains(r.Error.Message, "horse") {
			t.Errorf("%s: the error repeats the secret: %q", tc.op, r.Error.Message)
		}
	}

	// The collision itself: a record of "Kx93\uFFFD" (what "Kx93\xff"
	// used to become) no longer verifies "Kx93\xfe"; it gets an error.
	rec, err := credential.Make(credential.SHA, "Kx93\ufffd", nil)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := s.Do("hash.verify", []byte(`{"record":"`+rec+"\",\"secret\":\"Kx93\xfe\"}"), nil)
	if strings.Contains(string(out), `"verified":true`) || !strings.Contains(string(out), `"field":"secret"`) {
		t.Errorf("Kx93\\xfe against a record of Kx93\\uFFFD: %s", out)
	}
	// U+FFFD typed as itself is a character like any other, and verifies.
	out, _ = s.Do("hash.verify", []byte(`{"record":"`+rec+`","secret":"Kx93\ufffd"}`), nil)
	if !strings.Contains(string(out), `"verified":true`) {
		t.Errorf("Kx93\\uFFFD against its own record: %s", out)
	}
}
