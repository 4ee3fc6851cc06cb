package export

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tollgate/tollgate/export/internal/textenc"
)

// readAll reads every record of input (after decoding) as "line:f1|f2" or
// "line:!reason".
func readAll(t *testing.T, input []byte) []string { return readAs(t, input, "") }

// readAs is readAll with the input read as enc.
func readAs(t *testing.T, input []byte, enc Encoding) []string {
	t.Helper()
	cr, err := NewReader(bytes.NewReader(input), enc)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var arena []string
	for {
		rec, a, err := cr.Next(arena)
		arena = a
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Bad != "" {
			out = append(out, itoa(rec.Line)+":!"+rec.Bad)
		} else {
			out = append(out, itoa(rec.Line)+":"+strings.Join(rec.Fields, "|"))
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

// An unterminated quote that would need more than MaxRecordLines lines is
// given up on, and every swallowed line is read again as its own record.
func TestCSVReaderUnterminatedQuoteLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("h1,h2\nx,\"open\n")
	for i := 0; i < 3*MaxRecordLines; i++ {
		b.WriteString("a,b\n")
	}
	got := readAll(t, []byte(b.String()))
	if len(got) != 2+3*MaxRecordLines {
		t.Fatalf("got %d records, want %d", len(got), 2+3*MaxRecordLines)
	}
	if !strings.Contains(got[1], "never closed") || got[2] != "003:a|b" {
		t.Errorf("got %q, %q", got[1], got[2])
	}
}

func TestCSVReaderLongLine(t *testing.T) {
	in := "a,b\n" + strings.Repeat("x", MaxRecordBytes+10) + "\nc,d\n"
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
		cr, _ := NewReader(bytes.NewReader(in), "")
		cr.Read()
		enc := cr.Encoding()
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
	l, err := NewLayout([]string{"USER ID", "first_name", "Last Name", "Directory Number", "Junk", "Voicemail PIN", "Active_MobilePhone", "FailureReason", "Class Of Service", "City", "Fax"})
	if err != nil {
		t.Fatal(err)
	}
	for f, i := range map[Field]int{Alias: 0, FirstName: 1, LastName: 2, Extension: 3, PIN: 5, ActiveMobilePhone: 6, COS: 8, FaxNumber: 10} {
		if got, ok := l.Index(f); !ok || got != i {
			t.Errorf("%s at %d, %v; want %d", f, got, ok, i)
		}
	}
	if l.Has(Password) || l.Width() != 11 {
		t.Errorf("password %v, width %d", l.Has(Password), l.Width())
	}
	if got := fmt.Sprint(l.Numbers()); got != "[{6 active_mobilephone} {10 fax_number}]" {
		t.Errorf("numbers = %s", got)
	}
	if l.Numbers()[0].Field.Feature() != "outdial" || FaxNumber.Feature() != "fax" || TransferNumber.Feature() != "transfer" || PIN.Feature() != "" {
		t.Errorf("features: %q", l.Numbers()[0].Field.Feature())
	}
	if strings.Join(l.Ignored(), ",") != "FailureReason,City" || len(l.Unknown()) != 0 {
		t.Errorf("ignored = %q, unknown %v", l.Ignored(), l.Unknown())
	}
	if got := fmt.Sprint(l.Fields()); got != "[alias first_name last_name extension pin cos fax_number active_mobilephone]" {
		t.Errorf("fields = %s", got)
	}
	row := []string{" ann ", "", "", "", "", "%NULL%", "", "", "", "", ""}
	if got := l.Get(row, PIN); got != "" {
		t.Errorf("%%null%% read as %q", got)
	}
	if got := l.Get(row, Alias); got != "ann" {
		t.Errorf("alias %q, want it trimmed", got)
	}
	if got := l.Get(row, Password); got != "" {
		t.Errorf("absent password %q", got)
	}
	if l, _ := NewLayout([]string{"Password", "Alias"}); l.Get([]string{" pass word ", "x"}, Password) != " pass word " {
		t.Errorf("a password is trimmed")
	}

	if _, err := NewLayout([]string{"PIN", "Voicemail_PIN"}); err == nil || err.Error() != `header: columns 1 ("PIN") and 2 ("Voicemail_PIN") both give pin` {
		t.Errorf("duplicate: err = %v", err)
	}
	l, _ = NewLayout([]string{"Alias", "Nonesuch", "Other"})
	if fmt.Sprint(l.Unknown()) != "[2 3]" {
		t.Errorf("unknown = %v", l.Unknown())
	}
}

// Every field has names, each name gives one field, and the names are
// normalized (what a header normalizes to).
func TestNames(t *testing.T) {
	seen := map[string]Field{}
	for f := Field(1); f < numFields; f++ {
		names := Names(f)
		if len(names) == 0 || f.String() == "" || strings.HasPrefix(f.String(), "field(") {
			t.Errorf("field %d: names %v, string %q", f, names, f)
		}
		for _, n := range names {
			if normalizeHeader(n) != n {
				t.Errorf("%s: name %q is not normalized", f, n)
			}
			if g, dup := seen[n]; dup {
				t.Errorf("%q gives %s and %s", n, g, f)
			}
			seen[n] = f
		}
	}
	if Names(0) != nil || Field(0).String() != "field(0)" {
		t.Errorf("the zero field: %v %q", Names(0), Field(0))
	}
	if Names(Extension)[0] != "extension" {
		t.Errorf("Names(Extension) = %v", Names(Extension))
	}
}

func TestValue(t *testing.T) {
	for in, want := range map[string]string{" 1234 ": "1234", "%null%": "", " %NULL% ": "", "\u00a01\u00a0": "1", "x%null%": "x%null%"} {
		if got := Value(in); got != want {
			t.Errorf("Value(%q) = %q, want %q", in, got, want)
		}
		if got := string(ValueBytes([]byte(in))); got != want {
			t.Errorf("ValueBytes(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzReader checks the reader against encoding/csv's writer: any
// fields written by it read back the same, and arbitrary input never
// panics and always yields the records in line order.
func FuzzReader(f *testing.F) {
	f.Add([]byte("a,b\n\"x\ny\",\"\"\"\"\n"), "p", "q\"r")
	f.Add([]byte("\xff\xfea\x00"), "", ",")
	f.Fuzz(func(t *testing.T, raw []byte, f1, f2 string) {
		last := 0
		for _, r := range readAllNoFatal(raw) {
			if r.Line <= last {
				t.Fatalf("line %d after %d", r.Line, last)
			}
			last = r.Line
		}
		if strings.ContainsAny(f1+f2, "\r") || !utf8.ValidString(f1) || !utf8.ValidString(f2) || f1 == "" && f2 == "" {
			return
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write([]string{f1, f2})
		w.Flush()
		recs := readAllNoFatal(b.Bytes())
		if len(recs) != 1 || recs[0].Bad != "" || len(recs[0].Fields) != 2 || recs[0].Fields[0] != f1 || recs[0].Fields[1] != f2 {
			t.Fatalf("round trip of %q %q: %+v", f1, f2, recs)
		}
	})
}

func readAllNoFatal(input []byte) []Row {
	cr, err := NewReader(bytes.NewReader(input), "")
	if err != nil {
		return nil
	}
	var out []Row
	for {
		rec, err := cr.Read()
		if err != nil {
			if err != io.EOF {
				panic(err)
			}
			return out
		}
		out = append(out, rec)
	}
}

// The names here are the decoder's.
func TestEncodingNamesAreTheDecoders(t *testing.T) {
	for _, c := range [][2]string{
		{string(Auto), textenc.Auto}, {string(UTF8), textenc.UTF8}, {string(UTF8BOM), textenc.UTF8BOM},
		{string(UTF16), textenc.UTF16}, {string(UTF16LE), textenc.UTF16LE}, {string(UTF16BE), textenc.UTF16BE},
		{string(Windows1252), textenc.Windows1252}, {string(Latin1), textenc.Latin1},
		{EncodingNames, textenc.Allowed}, {strconv.Itoa(SniffBytes), strconv.Itoa(textenc.SniffBytes)},
	} {
		if c[0] != c[1] {
			t.Errorf("%q, the decoder says %q", c[0], c[1])
		}
	}
	for _, name := range []string{"CP1252", " utf8 ", "ISO-8859-1", ""} {
		if _, err := ParseEncoding(name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
	if _, err := ParseEncoding("ebcdic"); err == nil || !strings.Contains(err.Error(), EncodingNames) {
		t.Errorf("ebcdic: %v", err)
	}
}

// TestScanInPlace holds the in-place reading of lines without quotes (the
// fields left in the line, no copy) to what the quoted path gives, on
// lines of both kinds in turn: Field and Next agree, and a quoted line
// after an unquoted one does not write into the line buffer.
func TestScanInPlace(t *testing.T) {
	lines := []string{
		"a,b,c", `"x,1",y,""`, ",,", `"q""r",,s`, "1234,,5678,", `"",""`, "9,8,7", "only", `"multi`, `line",z,`, "a,b,c",
	}
	input := strings.Join(lines, "\r\n") + "\n"
	want := []string{"a|b|c", "x,1|y|", "||", `q"r||s`, "1234||5678|", "|", "9|8|7", "only", "multi\nline|z|", "a|b|c"}
	for _, big := range []bool{false, true} {
		in := input
		if big { // lines past the bufio buffer go through the long-line path
			in = strings.Repeat("p", readBuf+10) + ",1\n" + input
		}
		cr, err := NewReader(strings.NewReader(in), UTF8)
		if err != nil {
			t.Fatal(err)
		}
		cr2, _ := NewReader(strings.NewReader(in), UTF8)
		var got, gotNext []string
		for {
			row, err := cr.Scan()
			if err == io.EOF {
				break
			}
			if err != nil || row.Bad != "" {
				t.Fatalf("row %d: %v %q", row.Line, err, row.Bad)
			}
			var f []string
			for i := range cr.NumFields() {
				f = append(f, string(cr.Field(i)))
			}
			got = append(got, strings.Join(f, "|"))
			r2, err := cr2.Read()
			if err != nil {
				t.Fatal(err)
			}
			gotNext = append(gotNext, strings.Join(r2.Fields, "|"))
		}
		if big {
			got, gotNext = got[1:], gotNext[1:]
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(gotNext) != fmt.Sprint(want) {
			t.Errorf("big=%v:\n Scan %q\n Next %q\n want %q", big, got, gotNext, want)
		}
	}
}

// TestCommas holds the eight-bytes-at-a-time comma search to the plain
// loop, with the bytes either side of a comma that could fool it.
func TestCommas(t *testing.T) {
	for _, s := range []string{"", ",", "abc", ",,,,,,,,,", "a,-,-,b,+-.,,/x", "12345678,", "1234567,8", ",-" + strings.Repeat("-,", 20), "\xff,\x80,\x00,\x01,\x2d\x2c\x2b"} {
		var want []int
		for i := range len(s) {
			if s[i] == ',' {
				want = append(want, i)
			}
		}
		if got := commas([]byte(s), nil); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("commas(%q) = %v, want %v", s, got, want)
		}
	}
}

// untrimmed is only a shortcut: wherever it says no, TrimSpace changes
// nothing, for every space Unicode has at either end of any text.
func TestUntrimmed(t *testing.T) {
	bodies := []string{"", "1", "1234", "é", "名前", "%null%", "a b"}
	var ends []string
	for r := rune(0); r <= 0x3000; r++ {
		if unicode.IsSpace(r) || r < 0x80 {
			ends = append(ends, string(r))
		}
	}
	ends = append(ends, "\ufeff", "\u200b", "é", "\xff", "\xc2")
	check := func(s string) {
		if !untrimmed(s) && strings.TrimSpace(s) != s {
			t.Errorf("untrimmed(%q) = false, but TrimSpace gives %q", s, strings.TrimSpace(s))
		}
	}
	for _, b := range bodies {
		check(b)
		for _, e := range ends {
			check(e + b)
			check(b + e)
		}
	}
}

func FuzzUntrimmed(f *testing.F) {
	f.Add(" 1 ")
	f.Add("\u00a01\u3000")
	f.Fuzz(func(t *testing.T, s string) {
		if !untrimmed(s) && strings.TrimSpace(s) != s {
			t.Fatalf("untrimmed(%q) = false, but TrimSpace gives %q", s, strings.TrimSpace(s))
		}
	})
}
