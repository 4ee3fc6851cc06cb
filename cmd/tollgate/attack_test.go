package main

// Regression tests for findings of the attack on tollgate (issue 14), named
// after the finding, in one place so the next reader sees the threat model
// (docs/security.md states it).

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/tollgate/tollgate/core/credential"
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

// Finding 18, hash verify takes the record on the command line (where ps
// shows it to every user) and says only "malformed". The record now comes
// from --record-file or the first line of stdin; the argument still works,
// with a warning; and a malformed record says what is wrong and where,
// never quoting the record.
func TestAttackHashVerifyRecordOnCommandLine(t *testing.T) {
	const secret = "Kx93-pass"
	ssha, err := credential.Make(credential.SSHA, secret, []byte{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", ssha+"\n")
	// fifo is a named pipe a goroutine writes text into, as bash's <(...).
	fifos := 0
	fifo := func(text string) string {
		fifos++
		p := filepath.Join(dir, "fifo"+strconv.Itoa(fifos))
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		go func() {
			if f, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
				f.WriteString(text)
				f.Close()
			}
		}()
		return p
	}
	for _, engine := range []string{"native", "wasm"} {
		for _, tc := range []struct {
			stdin  string
			args   []string
			code   int
			stdout string
			stderr string
		}{
			{secret + "\n", []string{"--record-file", good}, exitOK, "verified ({SSHA})\n", ""},
			{secret, []string{"--record-file", write("crlf", ssha+"\r\n")}, exitOK, "verified ({SSHA})\n", ""},
			{"Kx93-passe\n", []string{"--record-file", good}, exitRefused, "not verified: mismatch ({SSHA})\n", ""},
			{ssha + "\n" + secret + "\n", []string{"-"}, exitOK, "verified ({SSHA})\n", ""},
			{ssha + "\r\n" + secret, []string{"--json", "-"}, exitOK, `{"verified":true,"reason":"ok","scheme":"{SSHA}"}` + "\n", ""},
			{secret + "\n", []string{ssha}, exitOK, "verified ({SSHA})\n", "warning: a record given as an argument is visible to every user"},
			// What is wrong, and where.
			{"{SSHA}sJYXZrLtflNSGfCgL7Zarbiu+Wbz/R+x!\n" + secret + "\n", []string{"-"}, exitRefused,
				"not verified: malformed ({SSHA}): base64 payload is not valid at byte 38: not a base64 character\n", ""},
			{secret + "\n", []string{"--json", "--record-file", write("short", "{SSHA}sJYXZrLtflNSGfCgL7Zarbiu\n")}, exitRefused,
				`{"verified":false,"reason":"malformed","scheme":"{SSHA}","detail":"payload is 18 bytes, want a 20-byte digest and at least 1 byte of salt"}` + "\n", ""},
			{"{PBKDF2-SHA256}1x000$V0opZUypFcJ4DwFgbA2hNA$mOvJOIGg3nhQKedpoXQP8zxdr9yCqCBAZfbn9OGZyr0\n" + secret + "\n", []string{"-"}, exitRefused,
				"not verified: malformed ({PBKDF2-SHA256}): iterations field is not a number: byte 16 is not a digit\n", ""},
			// Input errors.
			{secret + "\n", []string{"--record-file", filepath.Join(dir, "missing")}, exitUsage, "", "--record-file " + filepath.Join(dir, "missing") + ": no such file or directory"},
			{secret + "\n", []string{"--record-file", fifo(ssha + "\n")}, exitOK, "verified ({SSHA})\n", ""}, // <(...)
			{secret + "\n", []string{"--record-file", write("empty", "\n")}, exitUsage, "", "is empty"},
			{secret + "\n", []string{"--record-file", write("two", ssha+"\n"+ssha+"\n")}, exitUsage, "", "holds more than one line"},
			{secret + "\n", []string{"--record-file", write("long", strings.Repeat("A", 2000))}, exitUsage, "", "more than the 1026 bytes"},
			{secret + "\n", []string{"--record-file", "/dev/zero"}, exitUsage, "", "--record-file /dev/zero: a character device, not a regular file"},
			{secret + "\n", []string{"--record-file", dir}, exitUsage, "", "a directory, not a regular file"},
			{secret + "\n", []string{"--record-file", good, ssha}, exitUsage, "", "want --record-file FILE, - (the record on the first line of stdin) or one RECORD argument"},
			{ssha, []string{"-"}, exitUsage, "", "want the record on the first line of stdin and the secret on the next; got one line"},
			{"\n" + secret + "\n", []string{"-"}, exitUsage, "", "the first line of stdin is empty"},
			{strings.Repeat("A", 1100) + "\n" + secret + "\n", []string{"-"}, exitUsage, "", "the record on the first line of stdin is longer than 1024 bytes"},
		} {
			args := append([]string{"hash", "verify", "--engine", engine}, tc.args...)
			code, out, errs := runCmd(t, tc.stdin, args...)
			if code != tc.code || out != tc.stdout || !strings.Contains(errs, tc.stderr) || (tc.stderr == "" && errs != "") {
				t.Errorf("%s %q (stdin %q): exit %d, stdout %q, stderr %q;\nwant %d, %q, stderr with %q", engine, tc.args, tc.stdin, code, out, errs, tc.code, tc.stdout, tc.stderr)
			}
			if strings.Contains(out+errs, ssha[6:14]) || strings.Contains(out+errs, "sJYXZrLt") || strings.Contains(out+errs, "V0opZUyp") || strings.Contains(out+errs, secret) {
				t.Errorf("%s %q: the record or the secret is in the output: %q %q", engine, tc.args, out, errs)
			}
		}
	}
}
