package audit

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate/tollgate/host"
)

// The audit has three ways to run a check: the native fast path (fast.go,
// straight into core), the engine's scalar dial entry (dialer.go, used
// with the wasm engine) and the JSON operations through Engine.Do (every
// engine; NoFastPath forces it). They must give the same records. The
// tests below prove which path ran, by counting what reached the engine,
// so that a path silently disabled (the fast path never chosen, NoFastPath
// ignored) fails them instead of comparing a path with itself.

// counting passes everything to a real engine and counts the operations
// and scalar dials that reach it.
type counting struct {
	host.Engine
	mu    sync.Mutex
	ops   map[string]int
	dials int
}

func newCounting(e host.Engine) *counting { return &counting{Engine: e, ops: map[string]int{}} }

func (c *counting) Do(ctx context.Context, op string, req []byte) ([]byte, error) {
	c.mu.Lock()
	c.ops[op]++
	c.mu.Unlock()
	return c.Engine.Do(ctx, op, req)
}

func (c *counting) Dial(ctx context.Context, tables, table int, number []byte) (host.DialResult, error) {
	c.mu.Lock()
	c.dials++
	c.mu.Unlock()
	return c.Engine.Dial(ctx, tables, table, number)
}

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

// auditWith runs the every-check file on eng and returns the JSON report.
func auditWith(t *testing.T, eng Engine, policy string, noFast bool) string {
	t.Helper()
	out, _ := runAudit(t, Config{Engine: eng, Workers: 3, Policy: policy, Tables: everyCheckTables, Year: 2026, NoFastPath: noFast},
		bytesInput("every-check.csv", []byte(everyCheckCSV()), true), "json")
	return out
}

// checkOps are the operations that carry a row's checks; the fast path
// and the scalar dialer exist to avoid them.
var checkOps = []string{"pin", "password", "dial"}

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

// The native fast path and the JSON path through the engine agree, on a
// file and policies that exercise every check, and each really ran.
func TestFastPathAgrees(t *testing.T) {
	codes := map[string]bool{}
	var messages strings.Builder
	for _, policy := range everyCheckPolicies {
		fastEng := newCounting(nativeEngine(t))
		fast := auditWith(t, fastEng, policy, false)
		jsonEng := newCounting(nativeEngine(t))
		slow := auditWith(t, jsonEng, policy, true)

		for _, op := range checkOps {
			if n := fastEng.ops[op]; n != 0 {
				t.Errorf("policy %q: the fast path sent %d %q operations to the engine", policy, n, op)
			}
			if n := jsonEng.ops[op]; n < 10 {
				t.Errorf("policy %q: NoFastPath sent only %d %q operations to the engine", policy, n, op)
			}
		}
		if fastEng.dials != 0 || jsonEng.dials != 0 {
			t.Errorf("policy %q: scalar dials %d and %d on the native engine", policy, fastEng.dials, jsonEng.dials)
		}
		sameReport(t, fmt.Sprintf("policy %q: fast and json", policy), fast, slow)

		for _, r := range decodeLines(t, fast) {
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

// The wasm engine's scalar dialer and its JSON "dial" operation agree with
// each other and with the native fast path, and each really ran.
func TestTypedDialAgrees(t *testing.T) {
	w, err := host.NewWasm(context.Background(), host.Options{Instances: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	native := auditWith(t, nativeEngine(t), "", false)

	typedEng := newCounting(w)
	typed := auditWith(t, typedEng, "", false)
	jsonEng := newCounting(w)
	slow := auditWith(t, jsonEng, "", true)

	if typedEng.dials < 10 || typedEng.ops["dial"] != 0 {
		t.Errorf("typed path: %d scalar dials, %d dial operations", typedEng.dials, typedEng.ops["dial"])
	}
	if jsonEng.dials != 0 || jsonEng.ops["dial"] < 10 {
		t.Errorf("NoFastPath: %d scalar dials, %d dial operations", jsonEng.dials, jsonEng.ops["dial"])
	}
	for _, op := range []string{"pin", "password"} {
		if typedEng.ops[op] < 10 {
			t.Errorf("wasm: only %d %q operations", typedEng.ops[op], op)
		}
	}
	sameReport(t, "wasm typed and json", typed, slow)
	sameReport(t, "wasm typed and native fast", typed, native)
}
