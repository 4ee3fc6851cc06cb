package host

// Regression tests for findings of the attack on tollgate (issue 14), named
// after the finding; docs/security.md states the threat model.

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/api"
)

// Finding 6, non-UTF-8 secrets collide: on both engines, a secret that is
// raw invalid UTF-8 or an escaped lone surrogate (which the corpus, being
// UTF-8 JSON read by every host, can carry only as an escape) is refused
// with the native session's error, byte for byte. The raw bytes reach the
// module unchanged, so this is the module's own decoder refusing them.
func TestAttackNonUTF8SecretsCollide(t *testing.T) {
	ctx := context.Background()
	w, err := NewWasm(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	reqs := []struct{ op, req, field string }{
		{"hash.verify", "{\"record\":\"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\",\"secret\":\"Kx93\xfe\"}", "secret"},
		{"hash.make", "{\"scheme\":\"{SSHA}\",\"secret\":\"Kx93\xff\"}", "secret"},
		{"hash.make", `{"scheme":"{SSHA}","secret":"Kx93\udcff"}`, "secret"},
		{"pin", "{\"pin\":\"739164\",\"context\":{\"previous\":[\"7391\xff4\"]}}", "context.previous[0]"},
		{"password", "{\"password\":\"Correct-horse-\xff-battery\"}", "password"},
		{"password", "{\"password\":\"Correct-horse-battery-9\",\"context\":{\"old\":\"\xed\xa0\x80\"}}", "context.old"},
	}
	for _, e := range []Engine{w, NewNative(Options{})} {
		for _, tc := range reqs {
			want, _ := api.NewSession().Do(tc.op, []byte(tc.req), nil)
			got, _ := e.Do(ctx, tc.op, []byte(tc.req))
			if !bytes.Equal(got, want) {
				t.Errorf("%s %s %q:\n got %s\nwant %s", e.Name(), tc.op, tc.req, got, want)
			}
			if !strings.Contains(string(got), `"code":"bad_request"`) || !strings.Contains(string(got), `"field":"`+tc.field+`"`) {
				t.Errorf("%s %s %q: %s, want bad_request on %s", e.Name(), tc.op, tc.req, got, tc.field)
			}
		}
	}
}
