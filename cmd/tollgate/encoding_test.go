package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/server"
)

// cp1252CSV is a user export as Excel saves "CSV" on a Western Windows
// (Windows-1252: Müller, José, Zoë, O’Brien, Šebesta, €, “”, –, …).
const cp1252CSV = "../../testdata/csv/excel-cp1252.csv"

var cp1252PINs = []string{"685537", "427242", "730418", "627436", "7323782", "345678", "518203"}

func showsPIN(s string) bool {
	for _, p := range cp1252PINs {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

type jsonRecord struct {
	Line     int
	Alias    string
	Findings []struct{ Code, Message string }
}

func auditRecords(t *testing.T, out string) []jsonRecord {
	t.Helper()
	var recs []jsonRecord
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r jsonRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// Issue 13 item 5: every row of Excel's Windows-1252 export used to come
// out bad_row, so no PIN of a user with an accented name was checked.
func TestAuditCLIWindows1252(t *testing.T) {
	data, err := os.ReadFile(cp1252CSV)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args  []string
		stdin bool
		label string
	}{
		{nil, false, "windows-1252"},
		{[]string{"--encoding", "auto"}, false, "windows-1252"},
		{[]string{"--encoding", "windows-1252"}, false, "windows-1252"},
		{[]string{"--encoding", "CP1252"}, true, "windows-1252"},
		{[]string{"--encoding", "latin-1"}, false, "latin-1"},
		{[]string{"--encoding", "iso-8859-1"}, true, "latin-1"},
		{[]string{"--engine", "wasm"}, false, "windows-1252"},
	} {
		file, stdin := cp1252CSV, ""
		if tc.stdin {
			file, stdin = "-", string(data)
		}
		args := append([]string{"audit", "--engine", "native", "--format", "json"}, tc.args...)
		code, out, errs := runCLI(t, stdin, append(args, file)...)
		recs := auditRecords(t, out)
		if code != exitRefused || len(recs) != 7 {
			t.Fatalf("%v: exit %d, %d records; want 1 and 7\n%s", tc.args, code, len(recs), errs)
		}
		checked := 0
		for _, r := range recs {
			for _, f := range r.Findings {
				if f.Code == "bad_row" {
					t.Errorf("%v: line %d: bad_row: %s", tc.args, r.Line, f.Message)
				}
				if f.Code == "name_digits" || f.Code == "sequential" {
					checked++
				}
			}
		}
		if checked < 4 {
			t.Errorf("%v: %d PIN findings; the PINs were not checked", tc.args, checked)
		}
		if showsPIN(out + errs) {
			t.Errorf("%v: the output shows a PIN", tc.args)
		}
		// The summary line names the encoding.
		_, out, _ = runCLI(t, stdin, append(append([]string{"audit", "--engine", "native"}, tc.args...), file)...)
		if name := map[bool]string{false: cp1252CSV, true: "stdin"}[tc.stdin]; !strings.Contains(out, "Audit of "+name+" ("+tc.label+"; policy cuc") {
			t.Errorf("%v: summary does not name %s:\n%s", tc.args, tc.label, out)
		}
	}
}

// The same export saved as UTF-8 is still read as UTF-8; a Windows-1252
// byte past the detection window makes its row bad_row, with a hint, and
// no row goes missing.
func TestAuditCLIUTF8AndLateBytes(t *testing.T) {
	dir := t.TempDir()
	text, err := charmap.Windows1252.NewDecoder().Bytes(must(os.ReadFile(cp1252CSV)))
	if err != nil {
		t.Fatal(err)
	}
	utf8File := filepath.Join(dir, "utf8.csv")
	os.WriteFile(utf8File, text, 0o600)
	code, out, errs := runCLI(t, "", "audit", "--engine", "native", utf8File)
	if code != exitRefused || !strings.Contains(out, "(utf-8; policy cuc") || !strings.Contains(out, "7 rows, 5 with findings, 0 bad rows") || strings.Contains(errs, "windows-1252") {
		t.Errorf("utf-8 file: exit %d\n%s\n%s", code, out, errs)
	}

	var b strings.Builder
	b.Write(text)
	rows := 7
	for b.Len() < 70<<10 {
		b.WriteString("filler,Ann,Lee,30000,,Staff,clerk\r\n")
		rows++
	}
	late, _ := charmap.Windows1252.NewEncoder().String("zoe,Zoë,Lambert,2099,%null%,Lobby,x\r\n")
	b.WriteString(late + "last,Ann,Lee,2100,,Staff,x\r\n")
	mixed := filepath.Join(dir, "mixed.csv")
	os.WriteFile(mixed, []byte(b.String()), 0o600)
	code, out, _ = runCLI(t, "", "audit", "--engine", "native", "--format", "json", mixed)
	recs := auditRecords(t, out)
	if code != exitRefused || len(recs) != rows+2 {
		t.Fatalf("mixed file: exit %d, %d records; want %d", code, len(recs), rows+2)
	}
	bad := recs[rows]
	want := "undecodable text: invalid UTF-8 at line " + strconv.Itoa(rows+2) + " column 7 (read as utf-8, detected at line 2; --encoding sets the encoding)"
	if len(bad.Findings) != 1 || bad.Findings[0].Message != want || recs[rows+1].Alias != "last" {
		t.Errorf("late row %+v; want the bad_row %q", bad, want)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestEncodingFlagErrors(t *testing.T) {
	dir := t.TempDir()
	pins := filepath.Join(dir, "pins.csv")
	allowed := "want one of auto, utf-8, utf-16, utf-16le, utf-16be, windows-1252 (or cp1252), latin-1 (or iso-8859-1)"
	for _, tc := range []struct {
		args []string
		say  string
	}{
		{[]string{"audit", "--encoding", "ebcdic", cp1252CSV}, `tollgate audit: --encoding: unknown encoding "ebcdic": ` + allowed},
		{[]string{"gen", "--encoding", "cp1250", "--in", cp1252CSV, "-o", pins}, `tollgate gen: --encoding: unknown encoding "cp1250": ` + allowed},
		{[]string{"serve", "--encoding", "utf-32", "--users", cp1252CSV}, `tollgate serve: --encoding: unknown encoding "utf-32": ` + allowed},
		{[]string{"serve", "--encoding", "cp1252"}, "tollgate serve: --encoding needs --users"},
		// A byte-order mark that contradicts --encoding.
		{[]string{"audit", "--encoding", "cp1252", sampleCSV}, "read as windows-1252, but the file starts with a UTF-8 byte-order mark: use --encoding auto"},
		// serve refuses a users file it cannot decode, with line and column.
		{[]string{"serve", "--users", cp1252CSV, "--tables", kamailioTables, "--encoding", "utf-8"}, "excel-cp1252.csv line 2: bad users file: undecodable text: invalid UTF-8 at line 2 column 10"},
	} {
		code, out, errs := runCLI(t, "", append(append([]string{}, tc.args[:1]...), append([]string{"--engine", "native"}, tc.args[1:]...)...)...)
		if code != exitUsage || !strings.Contains(errs, tc.say) {
			t.Errorf("%v: exit %d, stderr %q; want 2 saying %q", tc.args, code, errs, tc.say)
		}
		if showsPIN(out + errs) {
			t.Errorf("%v: the output shows a PIN", tc.args)
		}
	}
	if _, err := os.Stat(pins); err == nil {
		t.Error("gen wrote a PIN file after a usage error")
	}
}

// gen reads the export as the audit does: a PIN for each of the 7 users.
func TestGenCLIWindows1252(t *testing.T) {
	pins := filepath.Join(t.TempDir(), "pins.csv")
	code, _, errs := runCLI(t, "", "gen", "--engine", "native", "--in", cp1252CSV, "-o", pins)
	if code != exitOK || !strings.Contains(errs, "7 PINs written") || strings.Contains(errs, "skipped") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "read as windows-1252") {
		t.Errorf("stderr lacks the detection note: %s", errs)
	}
}

// serve --users reads the Windows-1252 export: each caller gets the class
// of service of its row (Staff may dial out, Lobby may not).
func TestServeUsersWindows1252(t *testing.T) {
	tables, err := documentArg("--tables", kamailioTables, maxTablesFile)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := openChecker("native")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	for _, enc := range []string{"auto", "windows-1252"} {
		dir, err := usersDirectory(cp1252CSV, "", enc, tables)
		if err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if dir.Encoding() != "windows-1252" || dir.Users() != 7 {
			t.Errorf("%s: %d users read as %s", enc, dir.Users(), dir.Encoding())
		}
		srv, err := server.New(server.Config{Engine: eng, Tables: api.TablesJSON(tables), Directory: dir})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		for caller, allowed := range map[string]bool{"2001": true, "2003": false, "2005": true, "2006": false, "2007": true} {
			resp, err := http.Post(ts.URL+"/v1/dial", "application/json",
				strings.NewReader(`{"caller":"`+caller+`","feature":"transfer","number":"95551234"}`))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var got struct{ Allowed bool }
			if resp.StatusCode != 200 || json.Unmarshal(body, &got) != nil || got.Allowed != allowed {
				t.Errorf("%s: %s dials 95551234: %d %s; want allowed=%v", enc, caller, resp.StatusCode, body, allowed)
			}
		}
		ts.Close()
	}
}
