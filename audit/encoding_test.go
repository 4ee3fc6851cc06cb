package audit

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/tollgate/tollgate/export"
)

// cp1252Path is a user export as Excel saves "CSV" on a Western Windows:
// Windows-1252, no byte-order mark, CRLF; accented names, smart quotes,
// dashes and the euro sign (bytes 0x80–0x9F and 0xA0–0xFF).
const cp1252Path = "../testdata/csv/excel-cp1252.csv"

// cp1252PINs are the file's PINs, which no output may show.
var cp1252PINs = []string{"685537", "427242", "730418", "627436", "7323782", "345678", "518203"}

// wantCP1252 is what each data line of the file yields when it is decoded
// right: the PINs that spell a last name are found only when the letters
// are read as the letters they are (ü, í, ’ dropped, Š).
var wantCP1252 = map[int]string{2: "name_digits", 3: "name_digits", 4: "", 5: "name_digits", 6: "name_digits", 7: "sequential", 8: ""}

func readCP1252(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(cp1252Path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// codesByLine returns "code,code" per line, and fails on a bad_row.
func codesByLine(t *testing.T, recs []Record) map[int]string {
	t.Helper()
	got := map[int]string{}
	for _, r := range recs {
		var codes []string
		for _, f := range r.Findings {
			if f.Code == CodeBadRow {
				t.Errorf("line %d: bad_row: %s", r.Line, f.Message)
			}
			codes = append(codes, f.Code)
		}
		got[r.Line] = strings.Join(codes, ",")
	}
	return got
}

func noSecrets(t *testing.T, what, out string) {
	t.Helper()
	for _, pin := range cp1252PINs {
		if strings.Contains(out, pin) {
			t.Errorf("%s shows the PIN %s", what, pin)
		}
	}
}

// Issue 13 item 5: every row of a Windows-1252 export used to be a
// bad_row, so no PIN of a user with an accented name was checked.
func TestWindows1252Export(t *testing.T) {
	for _, tc := range []struct {
		enc, label export.Encoding
		note       bool // the stderr note that the encoding was detected
	}{
		{"", export.Windows1252, true},
		{export.Auto, export.Windows1252, true},
		{export.Windows1252, export.Windows1252, false},
		{export.Latin1, export.Latin1, false},
	} {
		for _, rereadable := range []bool{true, false} {
			var warn bytes.Buffer
			in := fileInput(cp1252Path)
			if !rereadable {
				in = bytesInput("stdin", readCP1252(t), false)
			}
			cfg := Config{Encoding: tc.enc, Warn: &warn}
			out, sum := runAudit(t, cfg, in, "json")
			recs := decodeLines(t, out)
			got := codesByLine(t, recs)
			want := wantCP1252
			if tc.label == export.Latin1 {
				// Latin-1 reads 0x8A as a control character, not Š, so
				// "Šebesta" no longer spells 7323782; the rest is alike.
				want = map[int]string{}
				for k, v := range wantCP1252 {
					want[k] = v
				}
				want[6] = ""
			}
			if len(recs) != len(want) || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%q rereadable=%v: findings by line %v, want %v", tc.enc, rereadable, got, want)
			}
			if recs[0].Alias != "jmuller" || sum.BadRows != 0 || sum.Encoding != tc.label {
				t.Errorf("%q: first alias %q, %d bad rows, encoding %q; want jmuller, 0, %s", tc.enc, recs[0].Alias, sum.BadRows, sum.Encoding, tc.label)
			}
			note := "not UTF-8 (from its first non-ASCII text, line 2): read as windows-1252"
			if strings.Contains(warn.String(), note) != tc.note {
				t.Errorf("%q: stderr %q; want the note %q: %v", tc.enc, warn.String(), note, tc.note)
			}
			noSecrets(t, "json report", out)
			noSecrets(t, "stderr", warn.String())
		}
		for _, format := range []string{"table", "csv", "html"} {
			out, _ := runAudit(t, Config{Encoding: tc.enc}, fileInput(cp1252Path), format)
			noSecrets(t, format+" report", out)
			if format == "table" && !strings.Contains(out, "Audit of "+cp1252Path+" ("+string(tc.label)+"; policy cuc") {
				t.Errorf("%q: the summary does not name %s:\n%s", tc.enc, tc.label, out)
			}
		}
	}
}

// The same export saved as UTF-8 (with and without a mark) is still read
// as UTF-8, with the same findings and no note.
func TestUTF8ExportStaysUTF8(t *testing.T) {
	text, err := charmap.Windows1252.NewDecoder().Bytes(readCP1252(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in         []byte
		enc, label export.Encoding
	}{
		{text, "", export.UTF8},
		{text, export.UTF8, export.UTF8},
		{append([]byte("\ufeff"), text...), "", export.UTF8BOM},
	} {
		var warn bytes.Buffer
		out, sum := runAudit(t, Config{Encoding: tc.enc, Warn: &warn}, bytesInput("users.csv", tc.in, true), "json")
		if got := codesByLine(t, decodeLines(t, out)); fmt.Sprint(got) != fmt.Sprint(wantCP1252) || sum.Encoding != tc.label {
			t.Errorf("%s: findings %v read as %s; want %v as %s", tc.label, got, sum.Encoding, wantCP1252, tc.label)
		}
		if strings.Contains(warn.String(), "windows-1252") {
			t.Errorf("%s: stderr %q", tc.label, warn.String())
		}
	}
}

// fillerRows is more than a detection window of ASCII-only rows.
func fillerRows(from int) (string, int) {
	var b strings.Builder
	n := 0
	for b.Len() <= export.SniffBytes {
		fmt.Fprintf(&b, "user%d,Ann,Lee,%d,,Staff,clerk\r\n", from+n, 30000+from+n)
		n++
	}
	return b.String(), n
}

// The first non-ASCII byte comes after a window's worth of rows: detection
// waits for it, so the late accented rows are read, not lost or bad.
func TestWindows1252AfterTheWindow(t *testing.T) {
	file := readCP1252(t)
	header, rows, _ := bytes.Cut(file, []byte("\r\n"))
	filler, n := fillerRows(0)
	in := append(append(append(header, "\r\n"...), filler...), rows...)
	var warn bytes.Buffer
	out, sum := runAudit(t, Config{Warn: &warn}, bytesInput("late.csv", in, true), "json")
	recs := decodeLines(t, out)
	got := codesByLine(t, recs)
	if len(recs) != n+len(wantCP1252) || sum.Encoding != export.Windows1252 {
		t.Fatalf("%d records read as %s; want %d as windows-1252", len(recs), sum.Encoding, n+len(wantCP1252))
	}
	for line, codes := range wantCP1252 {
		if got[line+n] != codes {
			t.Errorf("line %d: %q, want %q", line+n, got[line+n], codes)
		}
	}
	if note := fmt.Sprintf("from its first non-ASCII text, line %d): read as windows-1252", n+2); !strings.Contains(warn.String(), note) {
		t.Errorf("stderr %q; want %q", warn.String(), note)
	}
}

// A file that is UTF-8 in its first window and has a Windows-1252 byte
// later: the row holding it is reported (with what to do), not dropped or
// misread, and every other row is checked.
func TestInvalidBytesAfterTheWindow(t *testing.T) {
	head := "Alias,First Name,Last Name,Extension,Voicemail PIN,Class Of Service,Title\r\n" +
		"jmuller,Jürgen,Müller,2001,685537,Staff,Ingénieur\r\n"
	filler, n := fillerRows(0)
	late, _ := charmap.Windows1252.NewEncoder().String("zlambert,Zoë,Lambert,2003,730418,Lobby,Coût : 5 €\r\n")
	in := head + filler + late + "sobrien,Seán,O’Brien,2004,627436,Staff,x\r\n"
	for _, rereadable := range []bool{true, false} {
		out, sum := runAudit(t, Config{}, bytesInput("mixed.csv", []byte(in), rereadable), "json")
		recs := decodeLines(t, out)
		if len(recs) != n+3 || sum.Encoding != export.UTF8 || sum.BadRows != 1 {
			t.Fatalf("%d records, %d bad, read as %s; want %d, 1, utf-8", len(recs), sum.BadRows, sum.Encoding, n+3)
		}
		bad := recs[n+1]
		want := fmt.Sprintf("undecodable text: invalid UTF-8 at line %d column 12 (read as utf-8, detected at line 2; --encoding sets the encoding)", n+3)
		if bad.Line != n+3 || len(bad.Findings) != 1 || bad.Findings[0].Code != CodeBadRow || bad.Findings[0].Message != want {
			t.Errorf("late row: %+v; want a bad_row %q", bad, want)
		}
		if recs[0].Findings[0].Code != "name_digits" || recs[n+2].Alias != "sobrien" || recs[n+2].Findings[0].Code != "name_digits" {
			t.Errorf("rows around it: %+v, %+v", recs[0], recs[n+2])
		}
		noSecrets(t, "report", out)
	}
}

// A byte Windows-1252 leaves undefined is reported on its row, never
// replaced by U+FFFD and let through.
func TestWindows1252UndefinedByte(t *testing.T) {
	in := "Alias,Last Name,PIN\r\nok,M\xfcller,685537\r\nodd,X\x81y,135790\r\nlast,Zo\xeb,730418\r\n"
	out, sum := runAudit(t, Config{Encoding: export.Windows1252}, bytesInput("u.csv", []byte(in), true), "json")
	recs := decodeLines(t, out)
	want := "undecodable text: a byte Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90 or 0x9D) at line 3 column 6"
	if len(recs) != 3 || sum.BadRows != 1 || recs[1].Findings[0].Message != want || recs[2].Alias != "last" {
		t.Errorf("records %+v; want line 3 a bad_row %q", recs, want)
	}
	if strings.Contains(out, "135790") {
		t.Error("the report shows the bad row's PIN")
	}
}

// gen reads the same export: every user gets a PIN, none is skipped.
func TestGenerateWindows1252(t *testing.T) {
	for _, enc := range []export.Encoding{"", export.Windows1252} {
		f, err := os.Open(cp1252Path)
		if err != nil {
			t.Fatal(err)
		}
		var out, warn bytes.Buffer
		st, err := Generate(t.Context(), GenConfig{Engine: nativeEngine(t), Year: 2025, Warn: &warn, Encoding: enc}, cp1252Path, f, &out)
		f.Close()
		if err != nil || st.Users != len(wantCP1252) || st.Skipped != 0 {
			t.Errorf("%q: %+v, %v; stderr %q; want %d users, none skipped", enc, st, err, warn.String(), len(wantCP1252))
		}
		if enc == "" && !strings.Contains(warn.String(), "gen: "+cp1252Path+": not UTF-8 (from its first non-ASCII text, line 2): read as windows-1252") {
			t.Errorf("stderr %q lacks the detection note", warn.String())
		}
	}
}
