package audit

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/export"
)

// The audit checks every row through the engine it is given: the typed
// operations for PINs and passwords, and for numbers the engine's scalar
// dial path (TableIndex, DialNumber) or, on an engine without one, the
// "dial" operation. There is no path around the engine (the native fast
// path that bypassed it went with issue 15, once the engine was no longer
// slower than it), and the two engines give the same records and
// summaries. The tests below count what reached the engine, so that a
// path silently not taken fails them instead of comparing a path with
// itself.

// counting passes everything to a real Checker and counts the checks and
// scalar dials that reach it.
type counting struct {
	*tollgate.Checker
	pins, passwords, dials, scalar atomic.Int64
}

func newCounting(c *tollgate.Checker) *counting { return &counting{Checker: c} }

func (c *counting) CheckPIN(ctx context.Context, r *api.PINRequest) (api.Verdict, error) {
	c.pins.Add(1)
	return c.Checker.CheckPIN(ctx, r)
}

func (c *counting) CheckPassword(ctx context.Context, r *api.PasswordRequest) (api.Verdict, error) {
	c.passwords.Add(1)
	return c.Checker.CheckPassword(ctx, r)
}

func (c *counting) Dial(ctx context.Context, r *api.DialRequest) (api.DialResult, error) {
	c.dials.Add(1)
	return c.Checker.Dial(ctx, r)
}

func (c *counting) DialNumber(ctx context.Context, tables api.Handle, table int, number []byte) (tollgate.DialVerdict, error) {
	c.scalar.Add(1)
	return c.Checker.DialNumber(ctx, tables, table, number)
}

// opsOnly is an engine with the operations and nothing else: no scalar
// dial path.
type opsOnly struct{ api.Operations }

// everyCheckTables has a class of service per kind of dial outcome: cuc
// rows with digit limits (matched, too_short, too_long), a cucm table
// without a catch-all (no_match), a regex table with a row that cannot
// finish in time (timeout), and a class of service without a fax table
// (the check cannot run).
const everyCheckTables = `{"trunk_access_codes": ["8"], "tables": [
  {"name": "Outdial", "dialect": "cuc", "min_digits": 3, "max_digits": 15, "rows": [
    {"pattern": "9011*", "blocked": true}, {"pattern": "91???????*", "blocked": true},
    {"pattern": "9900", "blocked": true}, {"pattern": "*", "blocked": false}]},
  {"name": "Local only", "dialect": "cucm", "order": "first", "rows": [
    {"pattern": "9[2-9]XXXXXX", "blocked": false}, {"pattern": "9011!", "blocked": true}]},
  {"name": "Kamailio", "dialect": "regex", "rows": [
    {"pattern": "^(\\d+)+0$", "blocked": true}, {"pattern": "^9011", "blocked": true},
    {"pattern": "^\\d+$", "blocked": false}]}],
 "classes_of_service": [
  {"name": "Staff", "transfer": "Outdial", "outdial": "Local only", "system_transfer": "Outdial"},
  {"name": "Lobby", "transfer": "Kamailio", "outdial": "Kamailio", "fax": "Kamailio", "system_transfer": "Kamailio"}]}`

// everyCheckPolicies turn on every rule the audit can report, between
// them: Cisco's trivial rules, Exchange's common patterns, dates, the
// blocklists, keypad containment and four character classes.
var everyCheckPolicies = []string{
	"",
	"exchange-um",
	`{"extends": "cuc", "pin": {"dates": true, "blocklist": true, "keypad_contains_min": 4, "exchange_common_patterns": true, "max_length": 24},
	  "password": {"blocklist": true, "min_classes": 4}}`,
}

// everyCheckCSV: rows that between them trip every PIN and password rule,
// every dial outcome, an unreadable date, a bad row and a shared PIN.
func everyCheckCSV() string {
	long := strings.Repeat("7", 70)
	rows := []string{
		"Alias,First Name,Last Name,Extension,Alternate Extensions,PIN,Password,COS,Transfer Number,Notification Number,Fax Number,Active_Pager,Date of Birth",
		"hmurphy,Hannah,Murphy,20000,,739146,Zgm9bq*u99?C,Staff,901142069377042,92527021,914085551234,,1998-02-07",
		"asato,Ava,Sato,20001,,2580,sato2024,Staff,12,95551234567,,9900,02/07/1998",
		"ypetrov,Yusuf,Petrov,20002,,111111,aaaaaaaaA1!,Staff,9123456789012345,9011441234567,,,not a date",
		"mjo,Marco,Johansson,20003,31234;40000,123456,ojm-Secret99,Staff,9x12,91900555,,80119,",
		"kwan,Kim,Wan,40412,,121212,kwan2024!XYZ,Lobby,11111111111111111111111111111111111,901144,9255,92,1980-07-04",
		"lee,Ann,Lee,24681,,24681,Password1,Lobby,92525,,99,,",
		"rev,Ann,Lee,24681,,18642,abcdefghij,Lobby,,,,,",
		"name,Ann,Kowalski,30001,,56925754,Qwertyuiop1!,,90114412,,,,",
		"ext,Ann,Lee,123456,,123456,Aa1!Aa1!Aa1!,Staff,,,,,",
		"suffix,Ann,Lee,20050,,8820050,Ab1!,Staff,89900,,,,",
		"date,Ann,Lee,20051,,07041980,TooLongPassword" + strings.Repeat("x", 120) + "1!,Staff,,,,,07/04/1980",
		"dob,Ann,Lee,20052,,19800704,Summer2024!,Staff,,,,,1980-07-04",
		"same,Ann,Lee,20053,,999999,dnasaL1!x,Staff,,,,,",
		"keypad,Ann,Lee,20054,,81473690,lee20054Lee!,Staff,,,,,",
		"letters,Ann,Lee,20055,,12a456,Ann!Lee2024,Staff,,,,,",
		"long,Ann,Lee,20056,," + long + ",x,Staff,,,,,",
		"good,Ann,Lee,20057,,802163,kX9#vTq2!mWz,Staff,95551234,,,,",
		"shared,Ann,Lee,20058,,802163,,Staff,,,,,",
		`broken,"Ann,Lee`,
		"short,Ann,Lee,2005,,1,,Staff,,,,,",
		"nocos,Ann,Lee,20059,,3094,,Nowhere,901155,,914085551234,,",
	}
	return strings.Join(rows, "\n") + "\n"
}

// wantEveryCheck is what the file must trip, under one policy or
// another: each code, and each dial outcome (by its message).
var (
	wantCodes = []string{
		// PIN
		"too_short", "too_long", "not_digits", "repeated_digit", "few_distinct", "repeated_group", "sequential",
		"keypad_line", "contains_extension", "contains_reversed_extension", "extension_suffix", "all_same",
		"name_digits", "date", "common",
		// password
		"few_classes", "missing_class", "repeated_char", "contains_alias", "contains_reversed_alias", "consecutive_chars",
		// the rest
		CodeBlockedNumber, CodeCheckFailed, CodeInvalidValue, CodeBadRow, CodeSharedPIN,
	}
	wantDialMessages = []string{"row 0, pattern 9011*", "pattern 89900", "too short for", "too long for", "invalid", "no_match", "timeout", "could not run"}
)

// auditWith runs the every-check file on eng and returns the JSON report
// and the summary.
func auditWith(t *testing.T, eng api.Operations, policy string) (string, *Summary) {
	t.Helper()
	return runAudit(t, Config{Engine: eng, Workers: 3, Policy: policyOf(policy), Tables: tablesOf(everyCheckTables), Year: 2026},
		BytesInput("every-check.csv", []byte(everyCheckCSV())), "json")
}

func sameReport(t *testing.T, what string, a, b string) {
	t.Helper()
	if a == b {
		return
	}
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			t.Fatalf("%s: first difference at record %d:\n%s\n%s", what, i, al[i], bl[i])
		}
	}
	t.Fatalf("%s: reports differ in length (%d and %d records)", what, len(al), len(bl))
}

// sameSummary compares two summaries but for the engine's name and the
// time taken.
func sameSummary(t *testing.T, what string, a, b *Summary) {
	t.Helper()
	js := func(s *Summary) string {
		c := *s
		c.Engine, c.Seconds = "", 0
		if c.PBKDF2 != nil {
			// A measure of the engine on this machine, as Seconds is.
			p := *c.PBKDF2
			p.EstimatedSeconds = 0
			c.PBKDF2 = &p
		}
		var buf bytes.Buffer
		if err := WriteSummaryJSON(&buf, &c); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	if ja, jb := js(a), js(b); ja != jb {
		t.Errorf("%s: summaries differ:\n%s\n%s", what, ja, jb)
	}
}

// machineNote matches the notes whose figures, and so whether they are
// given at all, are measures of the engine on this machine: what PBKDF2
// records and the exhaustive search will cost (auditcore.Rate).
var machineNote = regexp.MustCompile(`(?m)^audit: (PBKDF2 records \(the first at line |--exhaustive: |[^\n]*: [0-9,]+ PBKDF2 records? at [^\n]*: about )[^\n]*\n`)

// sameNotes compares two audits' notes, less machineNote's.
func sameNotes(t *testing.T, what string, a, b string) {
	t.Helper()
	if a, b := machineNote.ReplaceAllString(a, ""), machineNote.ReplaceAllString(b, ""); a != b {
		t.Errorf("%s: notes differ:\n%s\n%s", what, a, b)
	}
}

// pinRows is how many rows of the every-check file are well formed and
// have a PIN: each must reach the engine's CheckPIN once.
func pinRows(t *testing.T) int {
	t.Helper()
	r, lay, err := export.Open(strings.NewReader(everyCheckCSV()), "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		row, err := r.Read()
		if err != nil {
			return n
		}
		if row.Bad == "" && len(row.Fields) == lay.Width() && lay.Get(row.Fields, export.PIN) != "" {
			n++
		}
	}
}

// The native and wasm engines give the same records and summaries, on a
// file and policies that exercise every check, and every check of every
// row reached the engine: each PIN once, numbers through the scalar path.
func TestEnginesAgree(t *testing.T) {
	native, wasm := nativeEngine(t), newChecker(t, tollgate.Wasm)
	wantPINs := int64(pinRows(t))
	codes := map[string]bool{}
	var messages strings.Builder
	for _, policy := range everyCheckPolicies {
		n, w := newCounting(native), newCounting(wasm)
		nrep, nsum := auditWith(t, n, policy)
		wrep, wsum := auditWith(t, w, policy)
		sameReport(t, fmt.Sprintf("policy %q: native and wasm", policy), nrep, wrep)
		sameSummary(t, fmt.Sprintf("policy %q: native and wasm", policy), nsum, wsum)
		if nsum.Engine != "native" || wsum.Engine != "wasm" {
			t.Errorf("summaries name engines %q and %q", nsum.Engine, wsum.Engine)
		}
		for name, c := range map[string]*counting{"native": n, "wasm": w} {
			if c.pins.Load() != wantPINs || c.passwords.Load() < 10 || c.scalar.Load() < 10 || c.dials.Load() != 0 {
				t.Errorf("policy %q, %s: %d PIN checks (want %d), %d password checks, %d scalar dials, %d dial operations (want 0)",
					policy, name, c.pins.Load(), wantPINs, c.passwords.Load(), c.scalar.Load(), c.dials.Load())
			}
		}
		for _, r := range decodeLines(t, nrep) {
			for _, f := range r.Findings {
				codes[f.Code] = true
				if f.Code == CodeBlockedNumber || f.Code == CodeCheckFailed {
					messages.WriteString(f.Message + "\n")
				}
			}
		}
	}
	var missing []string
	for _, c := range wantCodes {
		if !codes[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		var got []string
		for c := range codes {
			got = append(got, c)
		}
		sort.Strings(got)
		t.Errorf("the file does not exercise %v (it gives %v)", missing, got)
	}
	for _, m := range wantDialMessages {
		if !strings.Contains(messages.String(), m) {
			t.Errorf("no dial finding says %q:\n%s", m, messages.String())
		}
	}
}

// An engine without the scalar dial path has its numbers checked with
// the "dial" operation, with the same findings, on both engines.
func TestTypedDialAgrees(t *testing.T) {
	native, wasm := nativeEngine(t), newChecker(t, tollgate.Wasm)
	scalar, scalarSum := auditWith(t, native, "")
	for name, c := range map[string]*counting{"native": newCounting(native), "wasm": newCounting(wasm)} {
		rep, sum := auditWith(t, opsOnly{c}, "")
		if c.dials.Load() < 10 || c.scalar.Load() != 0 {
			t.Errorf("%s: %d dial operations, %d scalar dials; want the operations only", name, c.dials.Load(), c.scalar.Load())
		}
		sameReport(t, name+": dial operation and scalar path", rep, scalar)
		sameSummary(t, name+": dial operation and scalar path", sum, scalarSum)
		if sum.Engine != "custom" {
			t.Errorf("%s: an engine of unknown kind is named %q", name, sum.Engine)
		}
	}
}

// An api.Session, the operations with no engine around them, audits as
// the engines do.
func TestSessionEngine(t *testing.T) {
	s := api.NewSession()
	for _, b := range tollgate.Data() {
		if err := s.LoadData(b); err != nil {
			t.Fatal(err)
		}
	}
	rep, sum := auditWith(t, s, "")
	want, wantSum := auditWith(t, nativeEngine(t), "")
	sameReport(t, "session and native engine", rep, want)
	sameSummary(t, "session and native engine", sum, wantSum)
	if sum.Engine != "native" {
		t.Errorf("a session is named %q", sum.Engine)
	}
}

// lacking answers unknown_op for the password check, as an older module
// without the operation would.
type lacking struct{ *tollgate.Checker }

func (lacking) CheckPassword(context.Context, *api.PasswordRequest) (api.Verdict, error) {
	return api.Verdict{}, &api.Error{Code: api.ErrUnknownOp, Message: "no operation \"password\""}
}

// A check the engine does not have is skipped, said once on Warn and in
// the summary; every other check still runs.
func TestMissingOperationIsSkipped(t *testing.T) {
	var warn bytes.Buffer
	rep, sum := runAudit(t, Config{Engine: lacking{nativeEngine(t)}, Warn: &warn, Tables: tablesOf(everyCheckTables), Year: 2026},
		BytesInput("every-check.csv", []byte(everyCheckCSV())), "json")
	if fmt.Sprint(sum.SkippedChecks) != "[password]" || strings.Count(warn.String(), `has no "password" operation`) != 1 {
		t.Errorf("skipped %v; warnings %q", sum.SkippedChecks, warn.String())
	}
	if sum.ByField["password"] != 0 || sum.ByField["pin"] == 0 || sum.ByCode[CodeBlockedNumber] == 0 {
		t.Errorf("findings by field %v, by code %v", sum.ByField, sum.ByCode)
	}
	var text bytes.Buffer
	WriteSummaryText(&text, sum)
	if !strings.Contains(text.String(), "Checks skipped (the engine lacks the operation): password") {
		t.Errorf("text summary:\n%s", text.String())
	}
	if !strings.Contains(rep, `"field":"pin"`) {
		t.Errorf("no PIN finding in the report")
	}
}
