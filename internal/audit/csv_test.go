package audit

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/textenc"
)

// readAll reads every record of input (after decoding) as "line:f1|f2" or
// "line:!reason".
func readAll(t *testing.T, input []byte) []string { return readAs(t, input, "") }

// readAs is readAll with the input read as enc (textenc).
func readAs(t *testing.T, input []byte, enc string) []string {
	t.Helper()
	dec, err := textenc.NewReader(bytes.NewReader(input), enc)
	if err != nil {
		t.Fatal(err)
	}
	cr := newCSVReader(dec)
	var out []string
	var arena []string
	for {
		rec, a, err := cr.next(arena)
		arena = a
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.bad != "" {
			out = append(out, itoa(rec.line)+":!"+rec.bad)
		} else {
			out = append(out, itoa(rec.line)+":"+strings.Join(rec.fields, "|"))
		}
	}
}

func itoa(n int) string { return fmt.Sprintf("%03d", n) }

func TestCSVReader(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []string
	}{
		{"plain", "a,b,c\n1,2,3\n", []string{"001:a|b|c", "002:1|2|3"}},
		{"crlf and no final newline", "a,b\r\n1,2", []string{"001:a|b", "002:1|2"}},
		{"empty lines skipped", "a,b\n\n\r\n1,2\n", []string{"001:a|b", "004:1|2"}},
		{"trailing comma is an empty field", "a,\n", []string{"001:a|"}},
		{"quoted comma and escaped quote", `"x,y","say ""hi""",z` + "\n", []string{`001:x,y|say "hi"|z`}},
		{"empty quoted", `"",b` + "\n", []string{"001:|b"}},
		{"multi-line quoted field", "\"12 Main St\nSuite 4\",b\nc,d\n", []string{"001:12 Main St\nSuite 4|b", "003:c|d"}},
		{"bare quote", "a,O\"Neil,c\nx,y,z\n", []string{"001:!broken quoting: a quote inside an unquoted field at line 1 column 4", "002:x|y|z"}},
		{"text after closing quote", "\"a\"b,c\nx,y\n", []string{"001:!broken quoting: text after the closing quote at line 1 column 4", "002:x|y"}},
		{"unterminated quote does not swallow the file", "a,\"b\nc,d\ne,f\n",
			[]string{"001:!broken quoting: the quoted field opened at line 1 column 3 is never closed", "002:c|d", "003:e|f"}},
		{"invalid utf-8", "\ufeffa,b\xff\nc,d\n", []string{"001:!undecodable text: invalid UTF-8 at line 1 column 4", "002:c|d"}},
		{"utf-8 bom", "\ufeffAlias,PIN\nx,1\n", []string{"001:Alias|PIN", "002:x|1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := readAll(t, []byte(c.in))
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}

// An unterminated quote that would need more than maxRecordLines lines is
// given up on, and every swallowed line is read again as its own record.
func TestCSVReaderUnterminatedQuoteLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("h1,h2\nx,\"open\n")
	for i := 0; i < 3*maxRecordLines; i++ {
		b.WriteString("a,b\n")
	}
	got := readAll(t, []byte(b.String()))
	if len(got) != 2+3*maxRecordLines {
		t.Fatalf("got %d records, want %d", len(got), 2+3*maxRecordLines)
	}
	if !strings.Contains(got[1], "never closed") || got[2] != "003:a|b" {
		t.Errorf("got %q, %q", got[1], got[2])
	}
}

func TestCSVReaderLongLine(t *testing.T) {
	in := "a,b\n" + strings.Repeat("x", maxRecordBytes+10) + "\nc,d\n"
	got := readAll(t, []byte(in))
	want := []string{"001:a|b", "002:!line longer than 1048576 bytes", "003:c|d"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q", got)
	}
}

func utf16File(s string, le bool) []byte {
	units := utf16.Encode([]rune(s))
	var order binary.AppendByteOrder = binary.BigEndian
	b := []byte{0xFE, 0xFF}
	if le {
		order, b = binary.LittleEndian, []byte{0xFF, 0xFE}
	}
	for _, u := range units {
		b = order.AppendUint16(b, u)
	}
	return b
}

func TestUTF16(t *testing.T) {
	text := "Alias,Last Name,PIN\r\nzoe,Zoë 😀,1\r\n"
	for _, le := range []bool{true, false} {
		in := utf16File(text, le)
		dec, _ := textenc.NewReader(bytes.NewReader(in), "")
		enc := dec.Encoding()
		got := readAll(t, in)
		want := []string{"001:Alias|Last Name|PIN", "002:zoe|Zoë 😀|1"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: got %q", enc, got)
		}
	}
	// A lone surrogate makes its row undecodable; the next row is fine.
	in := utf16File("a,b\n", true)
	in = append(in, 0x00, 0xD8, ',', 0, 'x', 0, '\n', 0)
	in = append(in, utf16File("c,d\n", true)[2:]...)
	got := readAll(t, in)
	if len(got) != 3 || !strings.Contains(got[1], "undecodable") || got[2] != "003:c|d" {
		t.Errorf("lone surrogate: got %q", got)
	}
	// An odd trailing byte is undecodable too.
	in = append(utf16File("a,b\nc,d", true), 'x')
	got = readAll(t, in)
	if len(got) != 2 || !strings.Contains(got[1], "undecodable") {
		t.Errorf("odd byte: got %q", got)
	}
}

func TestHeaderLayout(t *testing.T) {
	l, err := newLayout([]string{"USER ID", "first_name", "Last Name", "Directory Number", "Junk", "Voicemail PIN", "Active_MobilePhone", "FailureReason", "Class Of Service"})
	if err != nil {
		t.Fatal(err)
	}
	for f, i := range map[string]int{FieldAlias: 0, FieldFirstName: 1, FieldLastName: 2, FieldExtension: 3, FieldPIN: 5, FieldCOS: 8} {
		if l.col[f] != i {
			t.Errorf("%s at %d, want %d", f, l.col[f], i)
		}
	}
	if len(l.numbers) != 1 || l.numbers[0].field != "active_mobilephone" || l.numbers[0].feature != "outdial" {
		t.Errorf("numbers = %+v", l.numbers)
	}
	if strings.Join(l.ignored, ",") != "FailureReason" {
		t.Errorf("ignored = %q", l.ignored)
	}
	if got := l.get([]string{"a", "", "", "", "", "%NULL%", "", "", ""}, FieldPIN); got != "" {
		t.Errorf("%%null%% read as %q", got)
	}

	if _, err := newLayout([]string{"PIN", "Voicemail_PIN"}); err == nil || !strings.Contains(err.Error(), "both give pin") {
		t.Errorf("duplicate: err = %v", err)
	}
	if err := l.auditable(); err != nil {
		t.Errorf("auditable: %v", err)
	}
	l, _ = newLayout([]string{"Alias", "City"})
	if err := l.auditable(); err == nil || !strings.Contains(err.Error(), "no column to audit") {
		t.Errorf("nothing to audit: err = %v", err)
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{"1980-07-04": "1980-07-04", "07/04/1980": "1980-07-04", "7/4/1980": "1980-07-04", "19800704": "1980-07-04", "04.07.1980": "1980-07-04"} {
		if got, ok := parseDate(in); !ok || got != want {
			t.Errorf("parseDate(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"1980-13-01", "yesterday", "04/07"} {
		if _, ok := parseDate(in); ok {
			t.Errorf("parseDate(%q) accepted", in)
		}
	}
}

// FuzzCSVReader checks the reader against encoding/csv's writer: any
// fields written by it read back the same, and arbitrary input never
// panics and always yields the records in line order.
func FuzzCSVReader(f *testing.F) {
	f.Add([]byte("a,b\n\"x\ny\",\"\"\"\"\n"), "p", "q\"r")
	f.Add([]byte("\xff\xfea\x00"), "", ",")
	f.Fuzz(func(t *testing.T, raw []byte, f1, f2 string) {
		last := 0
		for _, r := range readAllNoFatal(raw) {
			if r.line <= last {
				t.Fatalf("line %d after %d", r.line, last)
			}
			last = r.line
		}
		if strings.ContainsAny(f1+f2, "\r") || !validUTF8(f1) || !validUTF8(f2) || f1 == "" && f2 == "" {
			return
		}
		var b bytes.Buffer
		w := newCSVWriterForTest(&b)
		w.Write([]string{f1, f2})
		w.Flush()
		recs := readAllNoFatal(b.Bytes())
		if len(recs) != 1 || recs[0].bad != "" || len(recs[0].fields) != 2 || recs[0].fields[0] != f1 || recs[0].fields[1] != f2 {
			t.Fatalf("round trip of %q %q: %+v", f1, f2, recs)
		}
	})
}

func TestAppendJSONString(t *testing.T) {
	for _, v := range []string{"", "plain text", `say "hi"`, `back\slash`, "tab\there", "Zoë 😀", "\x00\x1f"} {
		if got, want := string(appendJSONString(nil, v)), string(api.AppendString(nil, v)); got != want {
			t.Errorf("%q: %s, want %s", v, got, want)
		}
	}
}
