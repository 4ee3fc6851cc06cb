package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
)

// TestJSONOutputIsTheAPIs: what --json prints is, byte for byte, the
// answer every host gives for the same request: the api's JSON adapter
// (Checker.Do, what serve and the module speak). No command writes an
// answer's JSON of its own (hash verify used encoding/json, lint copied
// the engine's bytes, dial --file wrote them itself), on either engine.
func TestJSONOutputIsTheAPIs(t *testing.T) {
	year := strconv.Itoa(now().Year())
	const record = "{SSHA}sJYXZrLtflNSGfCgL7Zarbiu+Wbz/Rx+"
	for _, engine := range []string{"native", "wasm"} {
		c, err := openChecker(engine)
		if err != nil {
			t.Fatal(err)
		}
		do := func(op, req string) string {
			t.Helper()
			out, err := c.Do(context.Background(), op, []byte(req), nil)
			if err != nil {
				t.Fatalf("%s %s: %v", op, req, err)
			}
			return string(out)
		}
		for _, tc := range []struct {
			args  []string
			stdin string
			want  []string // the answers, one a line
		}{
			{[]string{"pin", "--json", "28883"}, "",
				[]string{do("pin", `{"pin":"28883","context":{"year":`+year+`}}`)}},
			{[]string{"pin", "--json", "--policy", "exchange-um", "--ext", "36697", "--min-length", "4", "6697"}, "",
				[]string{do("pin", `{"pin":"6697","policy":{"extends":"exchange-um","pin":{"min_length":4}},"context":{"extensions":["36697"],"year":`+year+`}}`)}},
			{[]string{"password", "--json", "--alias", "jdoe", "Xjdoe-19!"}, "",
				[]string{do("password", `{"password":"Xjdoe-19!","context":{"alias":"jdoe"}}`)}},
			{[]string{"dial", "--json", "9011 44 20", "9a", "9\xff12", "914085551234"}, "", []string{
				do("dial", `{"number":"9011 44 20"}`), do("dial", `{"number":"9a"}`),
				do("dial", `{"number":"9\ufffd12"}`), do("dial", `{"number":"914085551234"}`)}},
			{[]string{"dial", "--json", "--file", "-"}, "9011 44 20\n9a\n9\xff12\n914085551234\n", []string{
				do("dial", `{"number":"9011 44 20"}`), do("dial", `{"number":"9a"}`),
				do("dial", `{"number":"9\ufffd12"}`), do("dial", `{"number":"914085551234"}`)}},
			{[]string{"dial", "--json", "--tables", "recommended", "--cos", "Recommended", "--feature", "outdial", "--file", "-"}, "9011441234567\n",
				[]string{do("dial", `{"tables":"recommended","cos":"Recommended","feature":"outdial","number":"9011441234567"}`)}},
			{[]string{"lint", "--json"}, "", lintLines(t, do("lint", `{}`))},
			{[]string{"hash", "verify", "--json", "-"}, record + "\nsecret\n",
				[]string{do("hash.verify", `{"record":"`+record+`","secret":"secret"}`)}},
			{[]string{"hash", "verify", "--json", "-"}, "{SSHA}&<>\nsecret\n",
				[]string{do("hash.verify", `{"record":"{SSHA}&<>","secret":"secret"}`)}},
		} {
			n := 1
			if tc.args[0] == "hash" {
				n = 2
			}
			args := append(append(append([]string{}, tc.args[:n]...), "--engine", engine), tc.args[n:]...)
			_, out, errs := runCmd(t, tc.stdin, args...)
			if want := strings.Join(tc.want, "\n") + "\n"; out != want {
				t.Errorf("%s %q prints\n%s\nthe api answers\n%s\nstderr %s", engine, tc.args, out, want, errs)
			}
		}
		c.Close()
	}
}

// lintLines is a lint answer as lint --json prints it: one finding a line.
func lintLines(t *testing.T, answer string) []string {
	t.Helper()
	inner, ok := strings.CutPrefix(answer, `{"findings":[`)
	inner, ok2 := strings.CutSuffix(inner, `]}`)
	if !ok || !ok2 || inner == "" {
		t.Fatalf("lint answer %s", answer)
	}
	// Findings are objects without nested ones: split between them.
	var lines []string
	for _, f := range bytes.Split([]byte(inner), []byte(`},{`)) {
		lines = append(lines, string(f))
	}
	for i := range lines {
		if i > 0 {
			lines[i] = "{" + lines[i]
		}
		if i < len(lines)-1 {
			lines[i] += "}"
		}
	}
	return lines
}
