package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestDialCLI(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  []string // substrings of stdout, in order
	}{
		{[]string{"dial", "9123"}, 0, []string{"allowed  9123  Default Transfer row 2 *"}},
		{[]string{"dial", "9123", "914085551234"}, 1, []string{"allowed  9123", "blocked  914085551234  Default Transfer row 0 91???????*"}},
		{[]string{"dial", "--json", "9011 44 20"}, 0, []string{`{"number":"90114420","allowed":true,"reason":"matched","table":"Default Transfer","row":2,"pattern":"*","dropped":2}`}},
		{[]string{"dial", "--json", "--cos", "Default", "--feature", "system_transfer", "2000"}, 1,
			[]string{`"table":"Default System Transfer","row":0,"pattern":"*"`}},
		{[]string{"dial", "--table", "Default Fax", "9a"}, 1, []string{"blocked  9a  Default Fax: invalid"}},
		{[]string{"dial", "--tables", "../../testdata/tables/outdial.json", "--json", "99914085551234"}, 1,
			[]string{`"row":0,"pattern":"9991???????*"`}},
		{[]string{"dial", "--tables", "recommended", "900", "2000"}, 1, []string{"blocked  900  Recommended Transfer row 0 900*", "allowed  2000"}},
		{[]string{"dial", "--tables", "../../testdata/tables/extensions.conf", "--table", "internal-only", "1234"}, 0, []string{"allowed  1234  internal-only row 0 _1XXX"}},
		{[]string{"dial", "--tables", "../../testdata/tables/cupi-restrictiontable.json", "9011441234567"}, 1, []string{"Default Outdial row 1 9011???????*"}},
		{[]string{"dial", "--tables", "../../testdata/tables/exchange-dialing-rules.txt", "--table", "Local", "95551234"}, 0, []string{"Local row 0 9xxxxxxx"}},
		// errors: exit 2
		{[]string{"dial"}, 2, nil},
		{[]string{"dial", "--table", "Nope", "9123"}, 2, nil},
		{[]string{"dial", "--cos", "Default", "9123"}, 2, nil},
		{[]string{"dial", "--tables", "../../testdata/tables/missing.json", "9123"}, 2, nil},
	}
	for _, tc := range tests {
		code, out, errOut := runCmd(t, "", tc.args...)
		if code != tc.code {
			t.Errorf("%q: exit %d, want %d\nstdout: %s\nstderr: %s", tc.args, code, tc.code, out, errOut)
			continue
		}
		rest := out
		for _, want := range tc.out {
			i := strings.Index(rest, want)
			if i < 0 {
				t.Errorf("%q: stdout lacks %q (in order)\n%s", tc.args, want, out)
				break
			}
			rest = rest[i+len(want):]
		}
	}
}

func TestDialErrorsNameTheProblem(t *testing.T) {
	_, _, errOut := runCmd(t, "", "dial", "--table", "Nope", "9123")
	if !strings.Contains(errOut, `no table "Nope"`) || !strings.Contains(errOut, `"Default Transfer"`) {
		t.Errorf("stderr %q should name the table and the choices", errOut)
	}
}

// --file streams: results come out in input order, one JSON line each.
func TestDialFileStream(t *testing.T) {
	var in strings.Builder
	const n = 5000
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			fmt.Fprintf(&in, "9%07d\n", i)
		} else {
			fmt.Fprintf(&in, "9011 44 %07d\r\n", i)
		}
	}
	code, out, errOut := runCmd(t, in.String(), "dial", "--json", "--file", "-")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d lines, want %d", len(lines), n)
	}
	for i, l := range lines {
		var r struct {
			Number  string `json:"number"`
			Allowed bool   `json:"allowed"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if r.Allowed != (i%2 == 0) {
			t.Fatalf("line %d: %s", i+1, l)
		}
	}
}

func TestLintCLI(t *testing.T) {
	code, out, _ := runCmd(t, "", "lint")
	if code != 1 || !strings.Contains(out, "no_operator_block") || !strings.Contains(out, "Default Transfer") {
		t.Errorf("lint on defaults: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, "", "lint", "--tables", "recommended", "--json")
	if code != 0 {
		t.Errorf("lint on recommended: exit %d\n%s", code, out)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var f map[string]any
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatalf("lint --json line %q: %v", l, err)
		}
		for _, k := range []string{"code", "severity", "table", "row", "message"} {
			if _, ok := f[k]; !ok {
				t.Errorf("lint --json line lacks %q: %s", k, l)
			}
		}
	}
	code, out, _ = runCmd(t, "", "lint", "--tables", "../../testdata/tables/site.json")
	if code != 0 {
		t.Errorf("lint on site.json: exit %d\n%s", code, out)
	}
	if code, _, _ := runCmd(t, "", "lint", "extra"); code != 2 {
		t.Errorf("lint with an argument: exit %d, want 2", code)
	}
}

// dial --file prints its text without the JSON it used to make and decode
// per number; each line must still be what the same number on the command
// line prints (through the "dial" operation's JSON), for every kind of
// verdict: rows, trunk-code alternates, separators dropped, too short, too
// long, invalid characters and bytes that are not UTF-8.
func TestDialFileTextMatchesArguments(t *testing.T) {
	numbers := []string{
		"9123", "914085551234", "9011 44 20 7946 0000", "9011-44-1234567", "(408) 555-1234", "2000",
		"99914085551234", "9991900555123", "9", "", "12345678901234567890123456789012345678901234567890",
		"9a", "9\xff12", "9é1", "+14085551234", "*67", "#", "9 1 9 0 0", "0",
	}
	for _, flags := range [][]string{
		nil,
		{"--json"},
		{"--tables", "recommended"},
		{"--cos", "Default", "--feature", "system_transfer"},
		{"--tables", "../../testdata/tables/outdial.json"},
		{"--tables", "../../testdata/tables/site.json", "--table", "Staff Transfer"},
		{"--tables", "../../testdata/tables/extensions.conf", "--table", "internal-only"},
	} {
		for _, engine := range []string{"native", "wasm"} {
			var want, in strings.Builder
			for _, n := range numbers {
				if strings.TrimSpace(n) == "" {
					continue
				}
				args := append([]string{"dial", "--engine", engine}, flags...)
				_, out, errOut := runCmd(t, "", append(args, "--", n)...)
				if out == "" {
					t.Fatalf("%v %q: no output; stderr %s", flags, n, errOut)
				}
				want.WriteString(out)
				in.WriteString(n + "\n")
			}
			args := append([]string{"dial", "--engine", engine}, flags...)
			_, got, errOut := runCmd(t, in.String(), append(args, "--file", "-")...)
			// Byte for byte, --json included: both paths write the
			// api's DialResult with the api's codec (U+FFFD for a byte
			// that is not UTF-8 was escaped on one and not the other).
			wanted := want.String()
			if got != wanted {
				t.Errorf("%s %v: --file prints\n%s\nthe numbers as arguments print\n%s\nstderr %s", engine, flags, got, wanted, errOut)
			}
		}
	}
}

// dialNumbers is n numbers of assorted kinds, one a line.
func dialNumbers(n int) string {
	var b strings.Builder
	for i := range n {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "9%07d\n", i)
		case 1:
			fmt.Fprintf(&b, "9011 44 %07d\n", i)
		case 2:
			fmt.Fprintf(&b, "91408%07d\n", i)
		default:
			fmt.Fprintf(&b, "%04d\n", i%10000)
		}
	}
	return b.String()
}

// The text of dial --file costs no allocation per number (it used to cost
// a JSON line decoded again with encoding/json, about a dozen, and 12
// times the time of --json); BenchmarkDialFile measures the time.
func TestDialFileTextAllocations(t *testing.T) {
	const n = 20000
	in := dialNumbers(n)
	for _, flags := range [][]string{{"--file", "-"}, {"--json", "--file", "-"}} {
		args := append([]string{"dial", "--engine", "native"}, flags...)
		var out countingWriter
		allocs := testing.AllocsPerRun(2, func() {
			run(args, strings.NewReader(in), &out, io.Discard)
		})
		if out.lines != 3*n { // the warm-up run and the two counted
			t.Fatalf("%v: %d lines written, want %d", flags, out.lines, 3*n)
		}
		perNumber := allocs / n
		t.Logf("%v: %.2f allocations per number", flags, perNumber)
		// --json makes one string per number for api.AppendDial.
		limit := 0.1
		if flags[0] == "--json" {
			limit = 1.1
		}
		if perNumber > limit {
			t.Errorf("%v: %.2f allocations per number, want at most %.1f", flags, perNumber, limit)
		}
	}
}

// BenchmarkDialFile is dial --file on the native engine, text against
// --json, per number (go test -run '^$' -bench DialFile ./cmd/tollgate).
func BenchmarkDialFile(b *testing.B) {
	const n = 100000
	in := dialNumbers(n)
	for _, tc := range []struct {
		name  string
		flags []string
	}{{"text", nil}, {"json", []string{"--json"}}} {
		b.Run(tc.name, func(b *testing.B) {
			args := append(append([]string{"dial", "--engine", "native"}, tc.flags...), "--file", "-")
			for b.Loop() {
				run(args, strings.NewReader(in), io.Discard, io.Discard)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/number")
		})
	}
}

// countingWriter counts the lines written to it.
type countingWriter struct{ lines int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.lines += bytes.Count(p, []byte("\n"))
	return len(p), nil
}

// A --table (or --cos) with a byte that is not UTF-8 is refused in the
// same words on both engines and on both paths: the engines received the
// raw byte natively and U+FFFD through the module's JSON, and quoted it
// differently in the message.
func TestDialNonUTF8TableSameEverywhere(t *testing.T) {
	for _, flags := range [][]string{{"--table", "Fax\xff"}, {"--cos", "Def\xffault", "--feature", "transfer"}} {
		var first string
		for _, engine := range []string{"native", "wasm"} {
			for _, file := range []bool{false, true} {
				args := append([]string{"dial", "--engine", engine}, flags...)
				stdin := ""
				if file {
					args, stdin = append(args, "--file", "-"), "9123\n"
				} else {
					args = append(args, "9123")
				}
				code, out, errs := runCmd(t, stdin, args...)
				if code != exitUsage || out != "" || !strings.Contains(errs, "\uFFFD") {
					t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 naming the flag's value with U+FFFD", args, code, out, errs)
				}
				if first == "" {
					first = errs
				} else if errs != first {
					t.Errorf("%q: stderr %q; the first run said %q", args, errs, first)
				}
			}
		}
	}
}
