package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestPasswordCommand(t *testing.T) {
	const good = "Tr4ck-Lamp-Ocean"
	runCheckCases(t, "password", []checkCase{
		{name: "accepted", args: []string{good}, secret: good, code: exitOK, stdout: []string{"Password accepted by policy cuc."}},
		{name: "consecutive", args: []string{"mnopqr"}, secret: "mnopqr", code: exitRefused,
			stdout: []string{"  ******\n  ^^^^^^  ", "[consecutive_chars]", "[too_short]", "[few_classes]"}},
		{name: "repeated char marked", args: []string{"!Cooool"}, secret: "!Cooool", code: exitRefused,
			stdout: []string{"  *******\n    ^^^^   ", "[repeated_char]"}},
		{name: "stdin", args: []string{"-"}, stdin: "!Cooool\n", secret: "!Cooool", code: exitRefused, stdout: []string{"[repeated_char]"}},
		{name: "stdin keeps spaces", args: []string{"-"}, stdin: "  " + good + "  \r\n", secret: good, code: exitOK},
		{name: "stdin empty", args: []string{"-"}, code: exitUsage, stderr: []string{"no password on standard input"}},
		{name: "starts with a dash after --", args: []string{"--", "-" + good}, secret: good, code: exitOK},
		{name: "starts with a dash in flag position", args: []string{"-" + good}, secret: good, code: exitUsage,
			stderr: []string{"argument 3 is not a known flag", "put -- before a secret"}},
		{name: "alias", args: []string{"--alias", "jdoe", "Xjdoe-19!"}, secret: "Xjdoe-19!", code: exitRefused,
			stdout: []string{"   ^^^^      ", "[contains_alias]"}},
		{name: "extension", args: []string{"--ext", "36697", "Ab!366970x"}, secret: "Ab!366970x", code: exitRefused,
			stdout: []string{"[contains_extension]"}},
		{name: "previous", args: []string{"--previous", good, good}, secret: good, code: exitRefused, stdout: []string{"[reused]"}},
		{name: "old, one change is enough for cuc", args: []string{"--old", good, good + "1"}, secret: good, code: exitOK},
		{name: "old, esm wants four changes", args: []string{"--policy", "cuc-esm", "--old", good, good + "1"}, secret: good,
			code: exitRefused, stdout: []string{"[too_similar]"}},
		{name: "esm missing classes", args: []string{"--policy", "cuc-esm", "tracklampoceanriver"}, secret: "tracklampoceanriver",
			code: exitRefused, stdout: []string{"[missing_class]"}},
		{name: "min-length raises", args: []string{"--min-length", "20", good}, secret: good, code: exitRefused, stdout: []string{"[too_short]"}},
		{name: "min-length out of ESM range", args: []string{"--policy", "cuc-esm", "--min-length", "13", good}, secret: good,
			code: exitUsage, stderr: []string{"tollgate password: --min-length: policy: password.min_length: 13 is out of range 14..127"}},
		{name: "policy file", args: []string{"--policy", policyFile("esm-strict.json"), good}, secret: good, code: exitOK,
			stdout: []string{"accepted by policy " + policyFile("esm-strict.json")}},
		{name: "invalid policy file", args: []string{"--policy", policyFile("invalid/nist-composition.json"), good}, secret: good,
			code: exitUsage, stderr: []string{"nist-composition.json: line 4, column 20: policy: password.min_classes: 3 is out of range 0 (NIST SP 800-63B-4 forbids composition rules)"}},
		{name: "no password", code: exitUsage, stderr: []string{"want exactly one PASSWORD argument"}},
		{name: "old is a secret too", args: []string{"--old", "Old-Secret-9", "--jsn", good}, secret: "Old-Secret-9", code: exitUsage,
			stderr: []string{"did you mean --json?"}},
	})
}

func TestPasswordJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"password", "--engine", "native", "--json", "abcdef"}, nil, &stdout, &stderr)
	if code != exitRefused {
		t.Fatalf("exit %d; want 1 (%s)", code, &stderr)
	}
	codes := decodeVerdict(t, stdout.Bytes(), false)
	if !strings.Contains(strings.Join(codes, ","), "consecutive_chars") {
		t.Errorf("codes %v; want consecutive_chars", codes)
	}
}

func TestPasswordHelp(t *testing.T) {
	var stdout bytes.Buffer
	if code := run([]string{"password", "--help"}, nil, &stdout, &stdout); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, flag := range []string{"-policy", "-min-length", "-alias", "-ext", "-old", "-previous", "-json", "-engine", "PASSWORD|-", "Exit status"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("help lacks %s", flag)
		}
	}
}
