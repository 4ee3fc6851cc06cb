package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/credential"
)

const samplePath = "../testdata/csv/sample-users.csv"

// newChecker returns a Checker on engine kind, closed when the test ends.
func newChecker(t testing.TB, kind tollgate.Engine) *tollgate.Checker {
	t.Helper()
	c, err := tollgate.New(context.Background(), tollgate.WithEngine(kind))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func nativeEngine(t testing.TB) *tollgate.Checker { return newChecker(t, tollgate.Native) }

// policyOf and tablesOf read a test's policy or tables as the CLI does: a
// document when it is one, else a name; "" is the default.
func policyOf(s string) api.PolicyRef {
	switch {
	case s == "":
		return api.PolicyRef{}
	case strings.HasPrefix(strings.TrimSpace(s), "{"):
		return api.PolicyJSON([]byte(s))
	}
	return api.Profile(s)
}

func tablesOf(s string) api.TablesRef {
	switch {
	case s == "":
		return api.TablesRef{}
	case strings.HasPrefix(strings.TrimSpace(s), "{"):
		return api.TablesJSON([]byte(s))
	}
	return api.BuiltinTables(s)
}

func fileInput(path string) Input {
	fi, _ := os.Stat(path)
	return Input{Name: path, Open: func() (io.ReadCloser, error) { return os.Open(path) }, Rereadable: true, Size: fi.Size()}
}

func bytesInput(name string, b []byte, rereadable bool) Input {
	return Input{Name: name, Rereadable: rereadable, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
}

// runAudit audits in and returns the report in format and the summary.
func runAudit(t *testing.T, cfg Config, in Input, format string) (string, *Summary) {
	t.Helper()
	if cfg.Engine == nil {
		cfg.Engine = nativeEngine(t)
	}
	var out bytes.Buffer
	sink, err := NewSink(format, &out)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), cfg, in, sink)
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), sum
}

func decodeLines(t *testing.T, s string) []Record {
	t.Helper()
	var recs []Record
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		var r Record
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

// Every data row of the sample yields exactly one record, in input order,
// with the broken rows reported where they are; so on several workers.
func TestSampleOneRecordPerRowInOrder(t *testing.T) {
	for _, workers := range []int{1, 3, 8} {
		var warn bytes.Buffer // written by several workers: -race checks they take turns
		out, sum := runAudit(t, Config{Workers: workers, Warn: &warn}, fileInput(samplePath), "json")
		recs := decodeLines(t, out)
		if len(recs) != 300 || sum.Rows != 300 {
			t.Fatalf("workers=%d: %d records, summary %d rows; want 300", workers, len(recs), sum.Rows)
		}
		bad := map[int]string{}
		for i, r := range recs {
			if r.Line != i+2 {
				t.Fatalf("workers=%d: record %d has line %d, want %d", workers, i, r.Line, i+2)
			}
			for _, f := range r.Findings {
				if f.Code == CodeBadRow {
					bad[r.Line] = f.Message
				}
			}
		}
		want := map[int]string{52: "never closed", 103: "wrong field count", 154: "undecodable", 205: "quote inside an unquoted field", 256: "wrong field count"}
		if len(bad) != len(want) {
			t.Errorf("bad rows %v, want lines %v", bad, want)
		}
		for line, frag := range want {
			if !strings.Contains(bad[line], frag) {
				t.Errorf("line %d: bad_row %q, want it to mention %q", line, bad[line], frag)
			}
		}
		if sum.BadRows != 5 || sum.Interrupted {
			t.Errorf("summary: %+v", sum)
		}
	}
}

// sampleSecrets returns every PIN, password and hash of the sample
// (columns 6 to 9), broken rows included.
func sampleSecrets(t *testing.T) []string {
	b, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Split(line, ",")
		if len(f) > 8 {
			for _, v := range f[5:9] {
				if v = strings.Trim(v, "\" \r"); v != "" {
					out = append(out, v)
				}
			}
		}
	}
	if len(out) < 200 {
		t.Fatalf("only %d secrets found in the sample", len(out))
	}
	return out
}

var decimals = regexp.MustCompile(`[0-9]+\.[0-9]+(e-?[0-9]+)?`)

// No format ever writes a PIN, password or hash. The message catalogue's
// own examples (2580, 123456) are removed before the scan, since they are
// fixed text and not the user's input.
func TestNoSecretInAnyOutput(t *testing.T) {
	secrets := sampleSecrets(t)
	var fixed []string
	for _, m := range core.Catalogue() {
		fixed = append(fixed, m)
	}
	// Longest first: a message that holds a shorter one would otherwise
	// be cut by it and keep its example (the map's order is random).
	sort.Slice(fixed, func(i, j int) bool { return len(fixed[i]) > len(fixed[j]) })
	for _, format := range Formats() {
		out, sum := runAudit(t, Config{Workers: 2}, fileInput(samplePath), format)
		var sb bytes.Buffer
		WriteSummaryJSON(&sb, sum)
		WriteSummaryText(&sb, sum)
		all := out + sb.String()
		for _, m := range fixed {
			all = strings.ReplaceAll(all, m, "")
		}
		// Timings and estimates are decimals whose digits may spell a
		// PIN by chance ("estimated_seconds": 0.1576169166…).
		all = decimals.ReplaceAllString(all, "")
		seen := map[string]bool{}
		for _, s := range secrets {
			if i := strings.Index(all, s); i >= 0 && !seen[s] {
				seen[s] = true
				t.Errorf("%s output contains a secret of the sample (length %d) %s, in %q", format, len(s), s, all[max(0, i-80):min(len(all), i+len(s)+80)])
			}
		}
	}
}

func mkRecord(t *testing.T, s credential.Scheme, secret string) string {
	t.Helper()
	salt := make([]byte, s.SaltLen())
	for i := range salt {
		salt[i] = byte(i + 1)
	}
	r, err := credential.MakeIterations(s, secret, salt, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func findings(r Record) string {
	var s []string
	for _, f := range r.Findings {
		s = append(s, f.Code+"@"+f.Field)
	}
	return strings.Join(s, " ")
}

func TestStoredHashes(t *testing.T) {
	const head = "Alias,First Name,Last Name,Extension,Date of Birth,PIN Hash,Password Hash\n"
	rows := []struct {
		row, want string
	}{
		{"ext,Ann,Lee,24681,," + mkRecord(t, credential.SHA, "24681") + ",", "recovered_trivial@pin_hash"},
		{"rev,Ann,Lee,24681,," + mkRecord(t, credential.SSHA, "18642") + ",", "recovered_trivial@pin_hash"},
		{"name,Ann,Kowalski,24681,," + mkRecord(t, credential.HexSHA1, core.NameDigits("Kowalski")) + ",", "recovered_trivial@pin_hash"},
		{"dob,Ann,Lee,24681,07/04/1980," + mkRecord(t, credential.SSHA256, "07041980") + ",", "recovered_trivial@pin_hash"},
		{"list,Ann,Lee,24681,," + mkRecord(t, credential.SHA512, "147258") + ",", "recovered_trivial@pin_hash"},
		{"md5,Ann,Lee,24681,," + mkRecord(t, credential.MD5, "123456") + ",", "fips_legacy_hash@pin_hash recovered_trivial@pin_hash"},
		{"hexmd5,Ann,Lee,24681,," + strings.ToUpper(mkRecord(t, credential.HexMD5, "000000")) + ",", "fips_legacy_hash@pin_hash recovered_trivial@pin_hash"},
		{"pbkdf2,Ann,Lee,24681,," + mkRecord(t, credential.PBKDF2SHA256, "1234") + ",", "recovered_trivial@pin_hash"},
		{"good,Ann,Lee,24681,," + mkRecord(t, credential.SHA, "60391") + ",", ""},
		{"smd5good,Ann,Lee,24681,," + mkRecord(t, credential.SMD5, "703915") + ",", "fips_legacy_hash@pin_hash"},
		{"pw,Ann,Lee,24681,,," + mkRecord(t, credential.SSHA, "Welcome1"), "recovered_trivial@password_hash"},
		{"pwalias,Ann,Lee,24681,,," + mkRecord(t, credential.SSHA256, "pwalias123"), "recovered_trivial@password_hash"},
		{"junk,Ann,Lee,24681,,{CRYPT}abc,", "unknown_scheme@pin_hash"},
		{"short,Ann,Lee,24681,,{SHA}AAAA,", "malformed@pin_hash"},
	}
	var b strings.Builder
	b.WriteString(head)
	for _, r := range rows {
		b.WriteString(r.row + "\n")
	}
	out, _ := runAudit(t, Config{}, bytesInput("hashes.csv", []byte(b.String()), true), "json")
	recs := decodeLines(t, out)
	for i, r := range recs {
		if got := findings(r); got != rows[i].want {
			t.Errorf("%s: findings %q, want %q", r.Alias, got, rows[i].want)
		}
	}

	// --exhaustive finds the good PIN too, here with 4-digit PINs allowed
	// so the search stays short; a PIN the policy accepts is recovered_pin.
	policy := `{"extends":"cuc","pin":{"min_length":5}}`
	in := head + "good,Ann,Lee,24681,," + mkRecord(t, credential.SHA, "60391") + ",\n" +
		"trivial,Ann,Lee,24681,," + mkRecord(t, credential.SSHA, "28883") + ",\n"
	var warn bytes.Buffer
	out, _ = runAudit(t, Config{Policy: policyOf(policy), Exhaustive: true, Warn: &warn}, bytesInput("x.csv", []byte(in), true), "json")
	recs = decodeLines(t, out)
	if got := findings(recs[0]); got != "recovered_pin@pin_hash" {
		t.Errorf("exhaustive good: %q", got)
	}
	if got := findings(recs[1]); got != "recovered_trivial@pin_hash" {
		t.Errorf("exhaustive trivial: %q", got)
	}
	if !strings.Contains(warn.String(), "2 stored PIN records") || !strings.Contains(warn.String(), "5 to 8 digits") {
		t.Errorf("estimate: %q", warn.String())
	}
}

func TestSharedPIN(t *testing.T) {
	in := "Alias,Extension,PIN\n" +
		"a,1001,739146\nb,1002,805137\nc,1003,739146\nd,1004,739146\n"
	want := []string{"shared_pin@pin", "", "shared_pin@pin", "shared_pin@pin"}
	out, sum := runAudit(t, Config{}, bytesInput("f.csv", []byte(in), true), "json")
	for i, r := range decodeLines(t, out) {
		if findings(r) != want[i] {
			t.Errorf("file: %s: %q, want %q", r.Alias, findings(r), want[i])
		}
		if want[i] != "" && !strings.Contains(r.Findings[0].Message, "3 users") {
			t.Errorf("message %q", r.Findings[0].Message)
		}
	}
	if sum.DistinctPINs != 2 {
		t.Errorf("distinct = %d", sum.DistinctPINs)
	}
	if sum.SharedPINs != 1 || sum.SharedPINRecords != 0 || sum.UsersSharingPINs != 3 {
		t.Errorf("shared: %d PINs, %d records, %d users; want 1, 0, 3", sum.SharedPINs, sum.SharedPINRecords, sum.UsersSharingPINs)
	}
	var text strings.Builder
	WriteSummaryText(&text, sum)
	if !strings.Contains(text.String(), "Shared: 1 PINs and 0 stored PIN records held by several users; 3 users hold one") {
		t.Errorf("summary text:\n%s", text.String())
	}
	// Standard input is read once: the first holder cannot be flagged.
	want = []string{"", "", "shared_pin@pin", "shared_pin@pin"}
	out, sum = runAudit(t, Config{}, bytesInput("stdin", []byte(in), false), "json")
	for i, r := range decodeLines(t, out) {
		if findings(r) != want[i] {
			t.Errorf("stdin: %s: %q, want %q", r.Alias, findings(r), want[i])
		}
	}
	if sum.SharedPINs != 1 || sum.UsersSharingPINs != 2 {
		t.Errorf("stdin: shared: %d PINs, %d users; want 1, 2", sum.SharedPINs, sum.UsersSharingPINs)
	}
}

// An input read once is checked by several workers side by side, but
// "earlier user(s)" must count the holders earlier in the file: it did
// count those a worker had reached, which another worker's later batch
// could be (the native audit of standard input differed from run to run).
func TestSharedPINReadOnceCountsInInputOrder(t *testing.T) {
	sharedOf := func(holders map[string]int) (n int) {
		for _, c := range holders {
			if c > 1 {
				n++
			}
		}
		return n
	}
	const rows = 12 * batchSize
	var in strings.Builder
	in.WriteString("Alias,Extension,PIN,PinHash\n")
	pins := make([]string, rows)
	hashes := make([]string, rows)
	for i := range rows {
		pins[i] = strconv.Itoa(739100 + i*i%17)
		if i%3 == 0 { // a stored PIN record on one row in three, shared too
			hashes[i] = mkRecord(t, credential.SHA, strconv.Itoa(820000+i%5))
		}
		fmt.Fprintf(&in, "u%d,%d,%s,%s\n", i, 2000+i, pins[i], hashes[i])
	}
	// The oracle: holders of the same value on earlier rows (a count
	// stops at auditcore.Saturated, 255, so from 254 on it says "or more").
	earlier := func(n int) string {
		if n >= 254 {
			return "254 or more"
		}
		return strconv.Itoa(n)
	}
	want := make([]string, rows)
	seenPIN, seenHash := map[string]int{}, map[string]int{}
	for i := range rows {
		var w []string
		if n := seenPIN[pins[i]]; n > 0 {
			w = append(w, "pin: the same PIN as "+earlier(n)+" earlier user(s) in this file")
		}
		seenPIN[pins[i]]++
		if h := hashes[i]; h != "" {
			if n := seenHash[h]; n > 0 {
				w = append(w, "pin_hash: the same stored PIN record as "+earlier(n)+" earlier user(s) in this file")
			}
			seenHash[h]++
		}
		want[i] = strings.Join(w, "; ")
	}
	for _, workers := range []int{1, 4} {
		for round := range 3 {
			out, sum := runAudit(t, Config{Workers: workers}, bytesInput("stdin", []byte(in.String()), false), "json")
			recs := decodeLines(t, out)
			if len(recs) != rows {
				t.Fatalf("%d workers: %d records, want %d", workers, len(recs), rows)
			}
			bad := 0
			for i, r := range recs {
				var got []string
				for _, f := range r.Findings {
					if f.Code == "shared_pin" {
						got = append(got, f.Field+": "+f.Message)
					}
				}
				if g := strings.Join(got, "; "); g != want[i] && bad < 5 {
					bad++
					t.Errorf("%d workers, round %d: line %d: %q, want %q", workers, round, r.Line, g, want[i])
				}
			}
			if sum.SharedPINs != sharedOf(seenPIN) || sum.SharedPINRecords != sharedOf(seenHash) {
				t.Errorf("%d workers: %d shared PINs and %d records, want %d and %d", workers, sum.SharedPINs, sum.SharedPINRecords, sharedOf(seenPIN), sharedOf(seenHash))
			}
		}
	}
}

// The notes of classes of service the tables lack name the first ones in
// the file, in its order, however many workers check rows side by side:
// they named those the workers reached first (cos256 before cos0), so the
// native audit's notes differed from run to run and from the wasm one's.
func TestUnknownCOSNotesInInputOrder(t *testing.T) {
	var in strings.Builder
	in.WriteString("Alias,PIN,COS,TransferNumber\n")
	for i := range 20 * batchSize {
		fmt.Fprintf(&in, "u%d,%06d,cos%d,9011442071234567\n", i, 100000+i*7919%900000, i)
	}
	var want strings.Builder
	for i := range 20 {
		fmt.Fprintf(&want, "audit: class of service \"cos%d\" is not in the restriction tables; its numbers are checked with class of service \"Default\"\n", i)
	}
	want.WriteString("audit: more classes of service are not in the restriction tables; their numbers are checked with class of service \"Default\" too\n")
	for _, workers := range []int{1, 4} {
		for _, rereadable := range []bool{true, false} {
			for round := range 3 {
				var notes bytes.Buffer
				runAudit(t, Config{Workers: workers, Warn: &notes}, bytesInput("cos.csv", []byte(in.String()), rereadable), "json")
				if notes.String() != want.String() {
					t.Fatalf("%d workers, read twice %v, round %d: notes\n%s\nwant\n%s", workers, rereadable, round, notes.String(), want.String())
				}
			}
		}
	}
}

func TestRunErrors(t *testing.T) {
	for _, c := range []struct{ name, in, policy, want string }{
		{"empty", "", "", "empty file"},
		{"nothing to audit", "Alias,City\nx,y\n", "", "x.csv: line 1: header: no column to audit"},
		{"nothing to audit after empty lines", "\r\n\nAlias,City\nx,y\n", "", "x.csv: line 3: header: no column to audit"},
		{"broken header", "Alias,\"PIN\n", "", "header: broken quoting"},
		{"bad policy", "PIN\n1\n", `{"pin":{"min_length":-1}}`, "pin.min_length"},
		{"unknown profile", "PIN\n1\n", "nope", "not a built-in profile"},
	} {
		sink, _ := NewSink("json", io.Discard)
		_, err := Run(context.Background(), Config{Engine: nativeEngine(t), Policy: policyOf(c.policy)}, bytesInput("x.csv", []byte(c.in), true), sink)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// cancelAfter cancels the audit after n PIN checks, as Ctrl-C would.
type cancelAfter struct {
	*tollgate.Checker
	n      atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAfter) CheckPIN(ctx context.Context, r *api.PINRequest) (api.Verdict, error) {
	if c.n.Add(-1) == 0 {
		c.cancel()
	}
	return c.Checker.CheckPIN(ctx, r)
}

// An interrupted audit writes a valid report of a prefix of the rows.
func TestInterruptedReportIsValid(t *testing.T) {
	var b strings.Builder
	b.WriteString("Alias,Extension,PIN\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "u%d,%d,%06d\n", i, 10000+i, i*7919%1000000)
	}
	for _, format := range Formats() {
		ctx, cancel := context.WithCancel(context.Background())
		eng := &cancelAfter{Checker: nativeEngine(t), cancel: cancel}
		eng.n.Store(3000)
		var out bytes.Buffer
		sink, _ := NewSink(format, &out)
		sum, err := Run(ctx, Config{Engine: eng, Workers: 2}, bytesInput("big.csv", []byte(b.String()), true), sink)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if !sum.Interrupted || sum.Rows == 0 || sum.Rows >= 20000 {
			t.Fatalf("%s: interrupted=%v rows=%d", format, sum.Interrupted, sum.Rows)
		}
		switch format {
		case "json":
			// Records, then the partial marker (TestAttackInterruptedReportsUnmarked).
			lines := strings.SplitAfter(strings.TrimSuffix(out.String(), "\n"), "\n")
			recs := decodeLines(t, strings.Join(lines[:len(lines)-1], ""))
			if len(recs) != sum.Rows || recs[len(recs)-1].Line != sum.Rows+1 {
				t.Errorf("json: %d records for %d rows", len(recs), sum.Rows)
			}
			if !strings.HasPrefix(lines[len(lines)-1], `{"partial":true,`) {
				t.Errorf("json: last line %q", lines[len(lines)-1])
			}
		case "html":
			if !strings.HasSuffix(out.String(), "</html>\n") || !strings.Contains(out.String(), "Interrupted") {
				t.Errorf("html: not a complete document")
			}
		case "table":
			if !strings.Contains(out.String(), "INTERRUPTED") {
				t.Errorf("table: no interruption notice")
			}
		}
	}
}

func TestFormatsShape(t *testing.T) {
	in := "Alias,COS,PIN\nann,Staff,123456\n=cmd,Staff,802417\n"
	out, _ := runAudit(t, Config{}, bytesInput("x.csv", []byte(in), true), "csv")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "line,alias,cos,code,field,message" {
		t.Errorf("csv header %q", lines[0])
	}
	// The clean row is one line with empty code; a formula-like alias is
	// defused for spreadsheets.
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "3,'=cmd,Staff,,,") {
		t.Errorf("csv clean row %q", last)
	}
	out, _ = runAudit(t, Config{}, bytesInput("x.csv", []byte(in), true), "table")
	if !strings.Contains(out, "LINE  ALIAS") || !strings.Contains(out, "1 rows without findings not shown") || !strings.Contains(out, "By code:") {
		t.Errorf("table:\n%s", out)
	}
	out, _ = runAudit(t, Config{}, bytesInput("x.csv", []byte("Alias,PIN\n<b>x</b>,123456\n"), true), "html")
	if strings.Contains(out, "<b>x</b>") || !strings.Contains(out, "&lt;b&gt;x&lt;/b&gt;") {
		t.Errorf("html does not escape input")
	}
	for _, banned := range []string{"http://", "https://", "src=", "@import", "url("} {
		if strings.Contains(out, banned) {
			t.Errorf("html refers to an external asset: %q", banned)
		}
	}
}

func TestBlockedNumbers(t *testing.T) {
	in := "Alias,COS,Transfer Number,Notification Number,Active_Pager,Fax Number\n" +
		"a,Staff,9011441234567,95551234,91900555123,\n" +
		"b,,20001,,,914085551234\n"
	var warn bytes.Buffer
	out, _ := runAudit(t, Config{Warn: &warn}, bytesInput("n.csv", []byte(in), true), "json")
	recs := decodeLines(t, out)
	if got := findings(recs[0]); got != "blocked_number@transfer_number blocked_number@active_pager" {
		t.Errorf("a: %q", got)
	}
	if m := recs[0].Findings[0].Message; !strings.Contains(m, `"Default Transfer"`) || !strings.Contains(m, "row 1") || !strings.Contains(m, "9011???????*") {
		t.Errorf("message %q lacks table, row or pattern", m)
	}
	if m := recs[0].Findings[1].Message; !strings.Contains(m, `"Default Outdial"`) {
		t.Errorf("pager checked against %q", m)
	}
	if got := findings(recs[1]); got != "blocked_number@fax_number" || !strings.Contains(recs[1].Findings[0].Message, `"Default Fax"`) {
		t.Errorf("b: %q", got)
	}
	if !strings.Contains(warn.String(), `class of service "Staff" is not in the restriction tables`) || !strings.Contains(warn.String(), "(none)") {
		t.Errorf("warnings: %q", warn.String())
	}
}
