package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// The hash tests run on the native engine; the wasm engine serves the same
// api and its parity is internal/engine's corpus run.
func runHashCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	full := []string{"hash"}
	if len(args) > 0 {
		full = append(full, args[0], "--engine=native")
		full = append(full, args[1:]...)
	}
	code = run(full, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestHashVerifyCLI(t *testing.T) {
	const (
		ssha = "{SSHA}sJYXZrLtflNSGfCgL7Zarbiu+Wbz/Rx+" // slappasswd -h {SSHA} -s secret
		md5  = "{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ=="          // slappasswd -h {MD5} -s secret
	)
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout string // a prefix, or a JSON object compared field by field
	}{
		{"ssha ok", "secret\n", []string{"verify", ssha}, exitOK, "verified ({SSHA})"},
		{"ssha ok without newline", "secret", []string{"verify", ssha}, exitOK, "verified ({SSHA})"},
		{"ssha crlf", "secret\r\n", []string{"verify", ssha}, exitOK, "verified ({SSHA})"},
		{"ssha mismatch", "secreT\n", []string{"verify", ssha}, exitRefused, "not verified: mismatch ({SSHA})"},
		{"json ok", "secret\n", []string{"verify", "--json", ssha}, exitOK, `{"verified":true,"reason":"ok","scheme":"{SSHA}"}`},
		{"json fips md5", "secret\n", []string{"verify", "--fips", "--json", md5}, exitRefused, `{"verified":false,"reason":"fips_legacy_hash","scheme":"{MD5}"}`},
		{"unknown scheme", "secret\n", []string{"verify", "--json", "{CRYPT}xTzYQ0dnR4lpk"}, exitRefused, `{"verified":false,"reason":"unknown_scheme","scheme":"","detail":"scheme label of 7 bytes is not one tollgate reads ({SHA}, {SSHA}, {PBKDF2-SHA256}, ...: docs/credentials.md)"}`},
		{"malformed", "secret\n", []string{"verify", "--json", "{SSHA}abc"}, exitRefused, `{"verified":false,"reason":"malformed","scheme":"{SSHA}","detail":"payload is 2 bytes, want a 20-byte digest and at least 1 byte of salt"}`},
		{"no record", "4082580\n", []string{"verify"}, exitUsage, ""},
		{"two records", "4082580\n", []string{"verify", ssha, md5}, exitUsage, ""},
		{"bad flag", "4082580\n", []string{"verify", "--nope", ssha}, exitUsage, ""},
		{"bad target", "4082580\n", []string{"verify", "--scheme", "bcrypt", ssha}, exitUsage, ""},
		{"make without scheme", "4082580\n", []string{"make"}, exitUsage, ""},
		{"make with argument", "4082580\n", []string{"make", "--scheme", "ssha", "secret"}, exitUsage, ""},
		{"make unknown scheme", "4082580\n", []string{"make", "--scheme", "crypt"}, exitUsage, ""},
		{"make empty secret", "", []string{"make", "--scheme", "ssha"}, exitUsage, ""},
		{"make sha", "secret\n", []string{"make", "--scheme", "{SHA}"}, exitOK, "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n"},
		{"make sha1 hex", "secret\n", []string{"make", "--scheme", "sha1"}, exitOK, "sha1:e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4\n"},
		{"unknown subcommand", "", []string{"crack"}, exitUsage, ""},
		{"flags after --", "secret\n", []string{"verify", "--json", "--", ssha}, exitOK, `{"verified":true,"reason":"ok","scheme":"{SSHA}"}`},
		{"secret too long", strings.Repeat("1", maxSecret+1), []string{"verify", ssha}, exitUsage, ""},
	}
	for _, tt := range tests {
		code, out, errs := runHashCLI(t, tt.stdin, tt.args...)
		if code != tt.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", tt.name, code, tt.code, errs)
			continue
		}
		if strings.HasPrefix(tt.stdout, "{\"") {
			if strings.TrimSpace(out) != tt.stdout {
				t.Errorf("%s: stdout %q, want %q", tt.name, out, tt.stdout)
			}
		} else if !strings.HasPrefix(out, tt.stdout) {
			t.Errorf("%s: stdout %q, want prefix %q", tt.name, out, tt.stdout)
		}
		if tt.code == exitUsage && errs == "" {
			t.Errorf("%s: usage error without a message", tt.name)
		}
		if tt.stdin != "" && len(tt.stdin) >= 6 && (strings.Contains(out, strings.TrimSpace(tt.stdin)) || strings.Contains(errs, strings.TrimSpace(tt.stdin))) {
			t.Errorf("%s: the secret appears in the output", tt.name)
		}
	}
}

func TestHashMakeThenVerifyCLI(t *testing.T) {
	for _, scheme := range []string{"{SSHA}", "{SMD5}", "{SSHA256}", "{SSHA384}", "{SSHA512}", "{PBKDF2-SHA256}", "md5:hex"} {
		code, rec, errs := runHashCLI(t, "4082580\n", "make", "--scheme", scheme)
		if code != exitOK || !strings.HasPrefix(rec, strings.TrimSuffix(scheme, "hex")) {
			t.Fatalf("make %s: exit %d, %q %q", scheme, code, rec, errs)
		}
		rec = strings.TrimSpace(rec)
		if code, out, _ := runHashCLI(t, "4082580\n", "verify", rec); code != exitOK {
			t.Errorf("verify %s: exit %d %q", scheme, code, out)
		}
		if code, _, _ := runHashCLI(t, "4082581\n", "verify", rec); code != exitRefused {
			t.Errorf("verify %s with the wrong PIN: exit %d", scheme, code)
		}
	}
	// Two records of a salted scheme differ: the api drew fresh salts.
	_, a, _ := runHashCLI(t, "4082580", "make", "--scheme", "ssha")
	_, b, _ := runHashCLI(t, "4082580", "make", "--scheme", "ssha")
	if a == b {
		t.Errorf("two {SSHA} records of one secret are equal: the salt is not random")
	}
}

func TestHashVerifyRehashCLI(t *testing.T) {
	const md5 = "{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ=="
	code, out, errs := runHashCLI(t, "secret\n", "verify", "--json", "--scheme", "{SSHA256}", md5)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res struct {
		Verified bool   `json:"verified"`
		Reason   string `json:"reason"`
		Scheme   string `json:"scheme"`
		Rehash   string `json:"rehash"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if !res.Verified || res.Scheme != "{MD5}" || !strings.HasPrefix(res.Rehash, "{SSHA256}") {
		t.Fatalf("got %+v", res)
	}
	// The fresh record verifies the same secret, under FIPS too.
	if code, out, _ := runHashCLI(t, "secret\n", "verify", "--fips", res.Rehash); code != exitOK {
		t.Errorf("rehash record does not verify under FIPS: %d %q", code, out)
	}
}

// TestHashEnginesAgree runs the same commands on the embedded module and
// the native core: same exit status, same output.
func TestHashEnginesAgree(t *testing.T) {
	cmds := [][]string{
		{"verify", "--json", "{SSHA}sJYXZrLtflNSGfCgL7Zarbiu+Wbz/Rx+"},
		{"verify", "--json", "--fips", "{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ=="},
		{"verify", "--json", "{CRYPT}xTzYQ0dnR4lpk"},
		{"verify", "--json", "--scheme", "ssha", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="},
		{"make", "--scheme", "sha1:hex"},
		{"make", "--scheme", "nope"},
	}
	for _, c := range cmds {
		var outs [2]string
		var codes [2]int
		for i, engine := range []string{"native", "wasm"} {
			var out, errb bytes.Buffer
			args := append([]string{"hash", c[0], "--engine", engine}, c[1:]...)
			codes[i] = run(args, strings.NewReader("secret\n"), &out, &errb)
			outs[i] = out.String()
			if codes[i] == exitUsage && strings.Contains(errb.String(), "engine") {
				t.Fatalf("%v on %s: %s", c, engine, errb.String())
			}
		}
		// A rehash record carries a fresh random salt: compare up to it.
		for i := range outs {
			if j := strings.Index(outs[i], `"rehash":"{SSHA}`); j >= 0 {
				outs[i] = outs[i][:j]
			}
		}
		if codes[0] != codes[1] || outs[0] != outs[1] {
			t.Errorf("%v: native %d %q, wasm %d %q", c, codes[0], outs[0], codes[1], outs[1])
		}
		// Only "--scheme nope" is a usage error; the others answer.
		if (codes[0] == exitUsage) != (c[len(c)-1] == "nope") || codes[0] != exitUsage && outs[0] == "" {
			t.Errorf("%v: exit %d, output %q", c, codes[0], outs[0])
		}
	}
}
