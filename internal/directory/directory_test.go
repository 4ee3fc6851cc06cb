package directory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/tollgate/tollgate/export"
)

func TestLookup(t *testing.T) {
	// Header names as BAT and the audit spell them, in any order, with a
	// PIN column that must be skipped.
	const file = "Alias,Voicemail PIN,Extension,Alternate_Extensions,Class Of Service\r\n" +
		"alice,135790,2001,,Staff\r\n" +
		"bob,%null%,2002,3002; 4002,Lobby\r\n" +
		"carol,,2003,,%NULL%\r\n" +
		"dave,,%null%,,Staff\r\n" +
		"\r\n" +
		"erin, 2468 , 2005 ,,\" Staff \"\r\n"
	for _, def := range []string{"", "Lobby"} {
		d, err := Read("users.csv", strings.NewReader(file), def, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			caller string
			want   string
		}{
			{"2001", "Staff"},
			{" 2001 ", "Staff"},
			{"2002", "Lobby"},
			{"3002", "Lobby"}, // alternate extensions, trimmed
			{"4002", "Lobby"},
			{"2005", "Staff"},
			{"2003", def}, // listed without a class: the default
			{"9999", def}, // not listed: the default
			{"", def},
			{"135790", def}, // a PIN is not an extension
		} {
			got, ok := d.ClassOfService(tc.caller)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("default %q: ClassOfService(%q) = %q, %v; want %q", def, tc.caller, got, ok, tc.want)
			}
		}
		if d.Users() != 4 || d.Extensions() != 6 {
			t.Errorf("users %d, extensions %d; want 4 and 6", d.Users(), d.Extensions())
		}
		want := "Lobby,Staff"
		if got := strings.Join(d.Classes(), ","); got != want {
			t.Errorf("Classes = %s, want %s", got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, say string
	}{
		{"empty", "", "empty file"},
		{"no extension column", "alias,cos\nalice,Staff\n", "line 1: bad users file: no extension column (looked for extension, directorynumber"},
		{"no cos column", "dn,pin\n2001,123456\n", "no class-of-service column (looked for cos, classofservice"},
		{"no cos column after empty lines", "\n\ndn,pin\n2001,123456\n", "users.csv line 3: bad users file: no class-of-service column"},
		{"two extension columns", "extension,dn,cos\n1,2,S\n", `users.csv line 1: bad users file: header: columns 1 ("extension") and 2 ("dn") both give extension`},
		{"conflict", "extension,cos\n2001,Staff\n2002,Lobby\n2001,Lobby\n", `users.csv line 4: bad users file: extension "2001" is listed again with class of service "Lobby"; line 2 gives it "Staff"`},
		{"alternate conflict", "extension,altextensions,cos\n2001,,Staff\n2002,2001,Lobby\n", "line 3"},
		{"field count", "extension,cos,pin\n2001,Staff,123456\n2002,Lobby\n", "users.csv line 3: bad users file: wrong field count: 2 fields, the header has 3"},
		{"unclosed quote", "extension,cos,pin\n2001,\"Staff,123456\n2002,Lobby,1\n", "users.csv line 2: bad users file: broken quoting: the quoted field opened at line 2 column 6 is never closed"},
		{"not a header", "2001,Staff,123456\n", "users.csv line 1: bad users file: header: line is not a header: columns 1 and 3 a number"},
		{"stray quote", "extension,cos,pin\n2001,Staff,12\"3456\n", "users.csv line 2: bad users file: broken quoting: a quote inside an unquoted field at line 2 column 14"},
	} {
		_, err := Read("users.csv", strings.NewReader(tc.file), "", "")
		if err == nil || !strings.Contains(err.Error(), tc.say) || !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v; want ErrFormat saying %q", tc.name, err, tc.say)
			continue
		}
		for _, secret := range []string{"123456", "12\"3456"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error %q shows a PIN", tc.name, err)
			}
		}
	}
}

func TestDuplicateSameClassIsFine(t *testing.T) {
	d, err := Read("u", strings.NewReader("extension,alt extension,cos\n2001,3001,Staff\n3001,,Staff\n"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := d.ClassOfService("3001"); c != "Staff" || d.Users() != 1 {
		t.Errorf("3001 → %q, users %d", c, d.Users())
	}
}

func TestEncodings(t *testing.T) {
	const text = "Extension,COS\r\n2001,Staff\r\n"
	le := []byte{0xFF, 0xFE}
	be := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(text)) {
		le = append(le, byte(u), byte(u>>8))
		be = append(be, byte(u>>8), byte(u))
	}
	for name, b := range map[string][]byte{
		"utf-8":      []byte(text),
		"utf-8 bom":  append([]byte{0xEF, 0xBB, 0xBF}, text...),
		"utf-16 le":  le,
		"utf-16 be":  be,
		"odd utf-16": append(append([]byte{}, le...), 0),
	} {
		d, err := Read(name, strings.NewReader(string(b)), "", "")
		if name == "odd utf-16" {
			if err == nil || !strings.Contains(err.Error(), "odd utf-16 line 3: bad users file: undecodable text: an unpaired UTF-16 surrogate or an odd final byte at line 3 column 1") {
				t.Errorf("%s: error %v", name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if c, ok := d.ClassOfService("2001"); !ok || c != "Staff" {
			t.Errorf("%s: 2001 → %q", name, c)
		}
	}
}

func TestCheckClasses(t *testing.T) {
	d, err := Read("users.csv", strings.NewReader("extension,cos\n2001,Staff\n2002,Lobby\n2003,Guest\n"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CheckClasses([]string{"Staff", "Lobby", "Guest"}); err != nil {
		t.Errorf("all known: %v", err)
	}
	err = d.CheckClasses([]string{"Staff"})
	if err == nil || !strings.Contains(err.Error(), `users.csv line 3: bad users file: class of service "Lobby" is not in the tables (classes: "Staff")`) {
		t.Errorf("unknown class: %v", err)
	}
	d, _ = Read("users.csv", strings.NewReader("extension,cos\n2001,Staff\n"), "Nobody", "")
	err = d.CheckClasses([]string{"Staff"})
	if err == nil || !strings.HasPrefix(err.Error(), `the default class of service: bad users file: class of service "Nobody"`) {
		t.Errorf("unknown default: %v", err)
	}
}

func TestLoad(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.csv"), "", ""); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	d, err := Load("../../testdata/kamailio/users.csv", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if d.Extensions() == 0 {
		t.Error("testdata/kamailio/users.csv lists nobody")
	}
}

// FuzzRead checks that any input either loads or fails with ErrFormat,
// and that a loaded directory answers every listed extension.
func FuzzRead(f *testing.F) {
	f.Add("extension,cos\n2001,Staff\n", "")
	f.Add("Extension,Alternate Extensions,COS,PIN\n2001,3001;3002,Staff,1234\n2002,,%null%,9\n", "Lobby")
	f.Add("\xff\xfeE\x00", "")
	f.Fuzz(func(t *testing.T, file, def string) {
		d, err := Read("f", strings.NewReader(file), def, "")
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error without ErrFormat: %v", err)
			}
			return
		}
		for ext, cos := range d.byExt {
			got, ok := d.ClassOfService(ext)
			want := cos
			if want == "" {
				want = d.Default()
			}
			if ext == strings.TrimSpace(ext) && (got != want || ok != (want != "")) {
				t.Fatalf("ClassOfService(%q) = %q, %v; stored %q", ext, got, ok, cos)
			}
		}
	})
}

const cp1252Users = "../../testdata/csv/excel-cp1252.csv"

// Issue 13 item 5: Excel's Windows-1252 export (what serve --users is
// given when the export went through a spreadsheet) used to be refused as
// "not UTF-8".
func TestWindows1252(t *testing.T) {
	for _, enc := range []string{"", "auto", "windows-1252", "cp1252", "latin-1"} {
		d, err := Load(cp1252Users, "", export.Encoding(enc))
		if err != nil {
			t.Fatalf("%q: %v", enc, err)
		}
		want := map[string]string{"2001": "Staff", "2003": "Lobby", "2005": "Staff", "2006": "Lobby", "2007": "Staff"}
		for ext, cos := range want {
			if got, ok := d.ClassOfService(ext); !ok || got != cos {
				t.Errorf("%q: %s → %q, want %q", enc, ext, got, cos)
			}
		}
		label := map[string]string{"": "windows-1252", "auto": "windows-1252", "windows-1252": "windows-1252", "cp1252": "windows-1252", "latin-1": "latin-1"}[enc]
		if d.Users() != 7 || string(d.Encoding()) != label {
			t.Errorf("%q: %d users read as %s; want 7 as %s", enc, d.Users(), d.Encoding(), label)
		}
	}
}

// A byte that is not in the encoding stops the load with its line and
// column, never with the line's text (it may hold a PIN).
func TestUndecodable(t *testing.T) {
	for _, tc := range []struct {
		name, enc, file, say string
	}{
		{"cp1252 as utf-8", "utf-8", "extension,cos,pin\n2001,Staff,1\n2002,M\xfcller,735911\n", "users.csv line 3: bad users file: undecodable text: invalid UTF-8 at line 3 column 7"},
		{"late windows-1252 byte", "", "extension,cos,pin\n2001,Zoë,1\n" + strings.Repeat("2002,Staff,1\n", 6000) + "2003,M\xfcller,735911\n",
			"users.csv line 6003: bad users file: undecodable text: invalid UTF-8 at line 6003 column 7 (read as utf-8, detected at line 2; --encoding sets the encoding)"},
		{"undefined in windows-1252", "cp1252", "extension,cos,pin\n2001,St\x81aff,735911\n", "users.csv line 2: bad users file: undecodable text: a byte Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90 or 0x9D) at line 2 column 8"},
		{"mark and encoding disagree", "cp1252", "\ufeffextension,cos\n", "users.csv: bad users file: read as windows-1252, but the file starts with a UTF-8 byte-order mark"},
	} {
		_, err := Read("users.csv", strings.NewReader(tc.file), "", export.Encoding(tc.enc))
		if err == nil || !strings.Contains(err.Error(), tc.say) || !errors.Is(err, ErrFormat) || strings.Contains(err.Error(), "735911") {
			t.Errorf("%s: error %v; want ErrFormat saying %q", tc.name, err, tc.say)
		}
	}
}

// A users file with CR line ends (classic Mac OS) was one header line:
// no user, so every caller got the default class of service. It reads as
// its LF twin, errors on the same lines (issue 14 item 4).
func TestCRLineEnds(t *testing.T) {
	const lf = "Extension,Class Of Service,Voicemail PIN\n2001,Staff,739164\n2002,\"Lobby\nPhones\",802417\n"
	cr := strings.ReplaceAll(lf, "\n", "\r")
	d, err := Read("users.csv", strings.NewReader(cr), "", "")
	if err != nil || d.Users() != 2 {
		t.Fatalf("CR file: %v", err)
	}
	if cos, _ := d.ClassOfService("2002"); cos != "Lobby\nPhones" {
		t.Errorf("2002: %q", cos)
	}
	_, err = Read("users.csv", strings.NewReader(strings.ReplaceAll("extension,cos\n2001,Staff\n2001,Lobby\n", "\n", "\r")), "", "")
	if err == nil || !strings.Contains(err.Error(), "users.csv line 3:") {
		t.Errorf("conflict in a CR file: %v", err)
	}
	// A class of service is quoted, at most 64 characters of it.
	long := strings.Repeat("x", 5000)
	_, err = Read("users.csv", strings.NewReader("extension,cos\n2001,Staff\n2001,"+long+"\n"), "", "")
	if err == nil || len(err.Error()) > 300 || !strings.Contains(err.Error(), "(5000 bytes)") {
		t.Errorf("long class of service: %.300v", err)
	}
}

// The header names are the audit's (package export), in any case and
// with spaces or underscores: every name of the extension, alternate
// extensions and class-of-service columns works.
func TestHeaderNamesAreTheAudits(t *testing.T) {
	spell := func(n string) string { return strings.ToUpper(n[:1]) + "_" + n[1:] } // "Directory number" as "D_irectorynumber"
	for _, ext := range export.Names(export.Extension) {
		for _, alt := range export.Names(export.AltExtensions) {
			for _, cos := range export.Names(export.COS) {
				file := spell(ext) + ", " + spell(alt) + " ," + spell(cos) + "\n2001,3001,Staff\n"
				d, err := Read("u", strings.NewReader(file), "", "")
				if err != nil {
					t.Fatalf("%q: %v", file, err)
				}
				if c, _ := d.ClassOfService("3001"); c != "Staff" {
					t.Errorf("%q: 3001 → %q", file, c)
				}
			}
		}
	}
}

// The bound holds on the bytes read and on the text they decode to: a
// Windows-1252 file within it may decode to more (é is 1 byte, then 2).
func TestFileBound(t *testing.T) {
	defer func(n int64) { maxFileBytes = n }(maxFileBytes)
	maxFileBytes = 4000
	row := "2001,Staff\n"
	big := "extension,cos\n" + strings.Repeat(row, 400) // 4414 bytes
	if _, err := Read("u", strings.NewReader(big), "", ""); err == nil || !strings.Contains(err.Error(), "u: bad users file: larger than 4000 bytes") || !errors.Is(err, ErrFormat) {
		t.Errorf("big file: %v", err)
	}
	small := "extension,cos\n" + strings.Repeat(row, 300) // 3314 bytes
	if d, err := Read("u", strings.NewReader(small), "", ""); err != nil || d.Extensions() != 1 {
		t.Errorf("small file: %v", err)
	}
	accents := "extension,cos\n" + strings.Repeat("2001,\xe9\xe9\xe9\xe9\xe9\xe9\n", 300) // 3314 bytes, 5114 decoded
	if _, err := Read("u", strings.NewReader(accents), "", export.Windows1252); err == nil || !strings.Contains(err.Error(), "larger than 4000 bytes") {
		t.Errorf("file decoding past the bound: %v", err)
	}
}
