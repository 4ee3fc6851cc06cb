package main

// Regression tests for findings of the attack on tollgate (issue 14), named
// after the finding, in one place so the next reader sees the threat model
// (docs/security.md states it).

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/internal/server"
)

// Finding 6, non-UTF-8 secrets collide: the CLI put secrets into JSON with
// encoding/json, which replaces bytes that are not UTF-8 by U+FFFD, so a
// record made from "Kx93\xff" verified with "Kx93\xfe". Every way a secret
// enters the CLI now refuses such bytes, naming where, never what.
func TestAttackNonUTF8SecretsCollide(t *testing.T) {
	const rec = "{SHA}ukZ5kx5TCQGbsMrg/KKsdLao7yo=" // SHA-1 of "Kx93\uFFFD", what "Kx93\xff" used to become
	for _, engine := range []string{"native", "wasm"} {
		for _, tc := range []struct {
			stdin string
			args  []string
			say   string
		}{
			{"Kx93\xff\n", []string{"hash", "make", "--scheme", "{SHA}"}, "the secret on stdin is not valid UTF-8 text (byte 5)"},
			{"Kx93\xfe\n", []string{"hash", "verify", rec}, "the secret on stdin is not valid UTF-8 text (byte 5)"},
			{"7391\xff4\n", []string{"pin", "-"}, "the PIN on standard input is not valid UTF-8 text (byte 5)"},
			{"", []string{"pin", "7391\xff4"}, "the PIN argument is not valid UTF-8 text (byte 5)"},
			{"", []string{"pin", "--previous", "111111", "--previous", "\xc3", "739164"}, "--previous number 2 is not valid UTF-8 text (byte 1)"},
			{"Correct-horse-\xed\xa0\x80\n", []string{"password", "-"}, "the password on standard input is not valid UTF-8 text (byte 15)"},
			{"", []string{"password", "--old", "x\xff", "Correct-horse-battery-9"}, "--old is not valid UTF-8 text (byte 2)"},
		} {
			n := 1 // --engine goes after the (sub)command
			if tc.args[0] == "hash" {
				n = 2
			}
			args := append(append(append([]string{}, tc.args[:n]...), "--engine", engine), tc.args[n:]...)
			code, out, errs := runCmd(t, tc.stdin, args...)
			if code != exitUsage || out != "" || !strings.Contains(errs, tc.say) {
				t.Errorf("%s %q: exit %d, stdout %q, stderr %q; want 2 saying %q", engine, args, code, out, errs, tc.say)
			}
			if strings.Contains(errs, "Kx93") || strings.Contains(errs, "horse") || strings.Contains(errs, "\xff") || strings.Contains(errs, "\xfe") {
				t.Errorf("%s %q: stderr repeats the secret: %q", engine, args, errs)
			}
		}
	}
	// serve: the raw bytes reach the engine, which refuses them (400,
	// naming the field) on both engines; the body that goes through the
	// re-encoding of a null policy too.
	for _, engine := range []string{"native", "wasm"} {
		e, err := openEngine(engine)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := server.New(server.Config{Engine: e, Policy: []byte(`"cuc"`)})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv.Handler())
		for _, tc := range []struct{ path, body, field string }{
			{"/v1/hash/verify", "{\"record\":\"" + rec + "\",\"secret\":\"Kx93\xfe\"}", "secret"},
			{"/v1/hash/verify", `{"record":"` + rec + `","secret":"Kx93\udcfe"}`, "secret"},
			{"/v1/pin", "{\"pin\":\"739164\",\"context\":{\"previous\":[\"7391\xff4\"]}}", "context.previous[0]"},
			{"/v1/pin", "{\"pin\":\"739164\",\"policy\":null,\"context\":{\"previous\":[\"7391\xff4\"]}}", "context.previous[0]"},
			{"/v1/password", "{\"password\":\"Correct-horse-\xff\"}", "password"},
		} {
			resp, err := http.Post(hs.URL+tc.path, "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"field":"`+tc.field+`"`) ||
				!strings.Contains(string(body), "not valid Unicode") {
				t.Errorf("%s POST %s %q: %d %s; want 400 on %s", engine, tc.path, tc.body, resp.StatusCode, body, tc.field)
			}
		}
		hs.Close()
		e.Close()
	}
}
