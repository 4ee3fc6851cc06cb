package main

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/api"
)

// checkCase is one run of tollgate pin or password through run(). The
// native engine keeps the tests fast; internal/engine holds the engines to parity.
type checkCase struct {
	name   string
	args   []string
	stdin  string
	secret string // must appear in neither stdout nor stderr
	code   int
	stdout []string // substrings of stdout
	stderr []string // substrings of stderr
}

func runCheckCases(t *testing.T, cmd string, tests []checkCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{cmd, "--engine", "native"}, tt.args...)
			var stdout, stderr bytes.Buffer
			var stdin io.Reader = strings.NewReader(tt.stdin)
			code := run(args, stdin, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("tollgate %s: exit %d; want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, tt.code, &stdout, &stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout %q lacks %q", stdout.String(), s)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr %q lacks %q", stderr.String(), s)
				}
			}
			if tt.code != exitUsage && stderr.Len() > 0 {
				t.Errorf("stderr not empty on exit %d: %s", code, &stderr)
			}
			if tt.secret != "" && (strings.Contains(stdout.String(), tt.secret) || strings.Contains(stderr.String(), tt.secret)) {
				t.Errorf("the secret appears in the output:\nstdout: %s\nstderr: %s", &stdout, &stderr)
			}
		})
	}
}

func policyFile(name string) string { return filepath.Join("..", "..", "testdata", "policies", name) }

func TestPINCommand(t *testing.T) {
	runCheckCases(t, "pin", []checkCase{
		{name: "accepted", args: []string{"5827391"}, secret: "5827391", code: exitOK,
			stdout: []string{"PIN accepted by policy cuc."}},
		{name: "repeated digit marked under the mask", args: []string{"28883"}, secret: "28883", code: exitRefused,
			stdout: []string{"PIN refused by policy cuc (2 reasons):\n  *****\n   ^^^   ", "[repeated_digit]", "  - Too short", "[too_short]"}},
		{name: "stdin", args: []string{"-"}, stdin: "28883\n", secret: "28883", code: exitRefused, stdout: []string{"[repeated_digit]"}},
		{name: "stdin CRLF and one line only", args: []string{"-"}, stdin: "5827391\r\n28883\n", secret: "5827391", code: exitOK},
		{name: "stdin without newline", args: []string{"-"}, stdin: "5827391", secret: "5827391", code: exitOK},
		{name: "stdin empty", args: []string{"-"}, stdin: "", code: exitUsage, stderr: []string{"no PIN on standard input"}},
		{name: "stdin line too long", args: []string{"-"}, stdin: strings.Repeat("1", 5000) + "\n", code: exitUsage, stderr: []string{"longer than 4096 bytes"}},
		{name: "flags after the PIN", args: []string{"345678", "--policy", "cucm"}, secret: "345678", code: exitRefused,
			stdout: []string{"refused by policy cucm", "[sequential]"}},
		{name: "policy profile", args: []string{"--policy", "exchange-um", "--ext", "36697", "669712"}, secret: "669712", code: exitOK,
			stdout: []string{"accepted by policy exchange-um"}},
		{name: "exchange extension suffix", args: []string{"--policy=exchange-um", "--ext", "36697", "--min-length", "4", "6697"}, secret: "6697",
			code: exitRefused, stdout: []string{"[extension_suffix]"}},
		{name: "alternate extension", args: []string{"--ext", "4000", "--ext", "36697", "1366975"}, secret: "1366975", code: exitRefused,
			stdout: []string{"   ^^^^^   ", "[contains_extension]"}},
		{name: "name digits", args: []string{"--first", "Ann", "--last", "Anderson", "26337766"}, secret: "26337766", code: exitRefused,
			stdout: []string{"[name_digits]"}},
		{name: "previous", args: []string{"--previous", "5827391", "5827391"}, secret: "5827391", code: exitRefused,
			stdout: []string{"[reused]"}},
		{name: "dob", args: []string{"--policy", "nist-800-63b-4", "--dob", "1987-12-04", "041287"}, secret: "041287", code: exitRefused,
			stdout: []string{"[date]"}},
		{name: "min-length lowers", args: []string{"--min-length", "4", "48257"}, secret: "48257", code: exitOK},
		{name: "min-length raises", args: []string{"--min-length", "8", "5827391"}, secret: "5827391", code: exitRefused,
			stdout: []string{"[too_short]"}},
		{name: "min-length on a file", args: []string{"--policy", policyFile("acme-voicemail.json"), "--min-length", "7", "5827391"},
			secret: "5827391", code: exitOK, stdout: []string{"accepted by policy " + policyFile("acme-voicemail.json")}},
		{name: "policy file", args: []string{"--policy", policyFile("acme-voicemail.json"), "5827391"}, secret: "5827391",
			code: exitRefused, stdout: []string{"[too_short]"}},
		{name: "min-length out of range", args: []string{"--min-length", "99", "5827391"}, secret: "5827391", code: exitUsage,
			stderr: []string{"tollgate pin: --min-length: policy: pin.min_length: 99 is out of range 1..64"}},
		{name: "min-length out of Exchange range", args: []string{"--policy", "exchange-um", "--min-length", "3", "5827391"}, secret: "5827391",
			code: exitUsage, stderr: []string{"--min-length: policy: pin.min_length: 3 is out of range 4..24, or 0 for no PIN"}},
		{name: "min-length not a number", args: []string{"--min-length", "six", "5827391"}, secret: "5827391", code: exitUsage,
			stderr: []string{"--min-length"}},
		{name: "invalid policy file", args: []string{"--policy", policyFile("invalid/min-length-out-of-range.json"), "5827391"},
			secret: "5827391", code: exitUsage, stderr: []string{"min-length-out-of-range.json: line 4, column 19: policy: pin.min_length: 99 is out of range 4..24"}},
		{name: "policy file with unknown field", args: []string{"--policy", policyFile("invalid/unknown-field.json"), "5827391"},
			secret: "5827391", code: exitUsage, stderr: []string{"pin.min_lenght: unknown field (did you mean min_length?)"}},
		{name: "malformed policy file", args: []string{"--policy", policyFile("invalid/malformed.json"), "5827391"},
			secret: "5827391", code: exitUsage, stderr: []string{"malformed.json: policy: malformed JSON at line 5, column 3"}},
		{name: "malformed policy file with min-length", args: []string{"--policy", policyFile("invalid/malformed.json"), "--min-length", "6", "5827391"},
			secret: "5827391", code: exitUsage, stderr: []string{"malformed.json: policy: malformed JSON at line 5, column 3"}},
		{name: "unknown policy", args: []string{"--policy", "cisco", "5827391"}, secret: "5827391", code: exitUsage,
			stderr: []string{`--policy "cisco" is neither a built-in profile`}},
		{name: "policy is a directory", args: []string{"--policy", policyFile("invalid"), "5827391"}, secret: "5827391", code: exitUsage,
			stderr: []string{"not a regular file"}},
		{name: "no PIN", args: nil, code: exitUsage, stderr: []string{"want exactly one PIN argument", "got 0"}},
		{name: "two PINs", args: []string{"5827391", "1234"}, secret: "5827391", code: exitUsage, stderr: []string{"got 2"}},
		{name: "unknown flag is not echoed", args: []string{"--jsno", "5827391"}, secret: "5827391", code: exitUsage,
			stderr: []string{"argument 3 is not a known flag", "did you mean --json?"}},
		{name: "secret in flag position is not echoed", args: []string{"-5827391"}, secret: "5827391", code: exitUsage,
			stderr: []string{"not a known flag"}},
		{name: "flag without value", args: []string{"5827391", "--ext"}, secret: "5827391", code: exitUsage,
			stderr: []string{"--ext needs a value"}},
		{name: "bad extension", args: []string{"--ext", "12a4", "5827391"}, secret: "5827391", code: exitUsage,
			stderr: []string{"--ext number 1: want 1 to 40 digits"}},
		{name: "bad dob", args: []string{"--dob", "04/12/1987", "5827391"}, secret: "5827391", code: exitUsage,
			stderr: []string{"--dob: want a date as YYYY-MM-DD"}},
		{name: "unknown engine", args: []string{"--engine", "jvm", "5827391"}, secret: "5827391", code: exitUsage,
			stderr: []string{"--engine jvm"}},
	})
}

// TestPINJSON: --json prints exactly one object of the verdict's shape.
func TestPINJSON(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		code  int
		codes []string
	}{
		{[]string{"5827391"}, exitOK, nil},
		{[]string{"123456"}, exitRefused, []string{"sequential"}},
		{[]string{"--ext", "36697", "28883"}, exitRefused, []string{"too_short", "repeated_digit"}},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"pin", "--engine", "native", "--json"}, tt.args...), nil, &stdout, &stderr)
		if code != tt.code {
			t.Errorf("%v: exit %d; want %d (%s)", tt.args, code, tt.code, &stderr)
		}
		codes := decodeVerdict(t, stdout.Bytes(), code == exitOK)
		if strings.Join(codes, ",") != strings.Join(tt.codes, ",") {
			t.Errorf("%v: codes %v; want %v", tt.args, codes, tt.codes)
		}
	}
}

// decodeVerdict checks the --json contract and returns the reason codes.
func decodeVerdict(t *testing.T, out []byte, accepted bool) []string {
	t.Helper()
	if !bytes.HasSuffix(out, []byte("}\n")) || bytes.Count(out, []byte("\n")) != 1 {
		t.Fatalf("want one JSON object on one line, got %q", out)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	var v struct {
		Accepted *bool `json:"accepted"`
		Reasons  []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Start   *int   `json:"start"`
			End     *int   `json:"end"`
			Limit   int    `json:"limit"`
			Detail  string `json:"detail"`
		} `json:"reasons"`
	}
	if err := dec.Decode(&v); err != nil || dec.More() {
		t.Fatalf("not the verdict object: %v: %s", err, out)
	}
	if v.Accepted == nil || *v.Accepted != accepted || v.Reasons == nil || accepted != (len(v.Reasons) == 0) {
		t.Fatalf("accepted/reasons inconsistent: %s", out)
	}
	var codes []string
	for _, r := range v.Reasons {
		if r.Code == "" || r.Message == "" || (r.Start == nil) != (r.End == nil) {
			t.Errorf("malformed reason in %s", out)
		}
		codes = append(codes, r.Code)
	}
	return codes
}

// TestPINYear: the request carries the current year for the date rule's
// sliding window; far enough in the future, 1987 leaves the window.
func TestPINYear(t *testing.T) {
	defer func(f func() time.Time) { now = f }(now)
	codes := func(year int) []string {
		now = func() time.Time { return time.Date(year, 6, 1, 0, 0, 0, 0, time.UTC) }
		var stdout, stderr bytes.Buffer
		code := run([]string{"pin", "--engine", "native", "--json", "--policy", "nist-800-63b-4", "31121987"}, nil, &stdout, &stderr)
		return decodeVerdict(t, stdout.Bytes(), code == exitOK)
	}
	if c := codes(2026); !strings.Contains(strings.Join(c, ","), "date") {
		t.Errorf("31121987 in 2026: codes %v; want date", c)
	}
	if c := codes(2400); strings.Contains(strings.Join(c, ","), "date") {
		t.Errorf("31121987 in 2400: codes %v; want no date (outside the window)", c)
	}
}

func TestPINHelp(t *testing.T) {
	for _, args := range [][]string{{"pin", "--help"}, {"pin", "-h"}, {"help", "pin"}, {"pin", "5827391", "--help"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, nil, &stdout, &stderr); code != exitOK {
			t.Errorf("%v: exit %d; want 0", args, code)
		}
		for _, flag := range []string{"-policy", "-min-length", "-ext", "-first", "-last", "-dob", "-previous", "-json", "-engine", "PIN|-", "Exit status"} {
			if !strings.Contains(stdout.String(), flag) {
				t.Errorf("%v: help lacks %s", args, flag)
			}
		}
	}
	var stdout bytes.Buffer
	run([]string{"--help"}, nil, &stdout, io.Discard)
	for _, c := range []string{"\n  pin ", "\n  password "} {
		if !strings.Contains(stdout.String(), c) {
			t.Errorf("tollgate --help lacks %q:\n%s", c, &stdout)
		}
	}
}

func TestExplainVerdictLongSecret(t *testing.T) {
	v := &api.Verdict{Reasons: []api.Reason{{Code: "repeated_char", Message: "m", HasSpan: true, Start: 70, End: 74}}}
	got := explainVerdict("Password", "cuc", 80, v)
	if strings.Contains(got, "*") || !strings.Contains(got, "(characters 71 to 74)") {
		t.Errorf("a secret longer than the mask is described by position, got:\n%s", got)
	}
}

// TestCheckEnginesAgree: the default engine (the wasm module) prints what
// the native one prints, byte for byte, exit status included.
func TestCheckEnginesAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the wasm module")
	}
	for _, args := range [][]string{
		{"pin", "--json", "28883"},
		{"pin", "--policy", "exchange-um", "--ext", "36697", "--min-length", "4", "6697"},
		{"pin", "--policy", "exchange-um", "--min-length", "3", "5827391"},
		{"password", "--json", "--alias", "jdoe", "Xjdoe-19!"},
		{"password", "--policy", policyFile("esm-strict.json"), "Tr4ck-Lamp-Ocean"},
	} {
		var outs [2]string
		var codes [2]int
		for i, engine := range []string{"native", "wasm"} {
			var stdout, stderr bytes.Buffer
			codes[i] = run(append([]string{args[0], "--engine", engine}, args[1:]...), nil, &stdout, &stderr)
			outs[i] = stdout.String() + stderr.String()
		}
		if codes[0] != codes[1] || outs[0] != outs[1] {
			t.Errorf("%v: native exit %d %q, wasm exit %d %q", args, codes[0], outs[0], codes[1], outs[1])
		}
		// Both engines refusing to start agree too: what they print must be
		// a verdict, except for the one case that is out of range.
		if outs[0] == "" || (codes[0] == exitUsage) != slices.Contains(args, "3") {
			t.Errorf("%v: exit %d %q", args, codes[0], outs[0])
		}
	}
}
