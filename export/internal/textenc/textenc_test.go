package textenc

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"": Auto, "auto": Auto, "AUTO": Auto,
		"utf-8": UTF8, "UTF8": UTF8, "utf-8-bom": UTF8,
		"utf-16": UTF16, "utf16le": UTF16LE, "UTF-16BE": UTF16BE,
		"windows-1252": Windows1252, "cp1252": Windows1252, "Win1252": Windows1252, " windows1252 ": Windows1252,
		"latin-1": Latin1, "latin1": Latin1, "ISO-8859-1": Latin1, "iso8859-1": Latin1,
	} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"ascii", "utf-32", "cp1250", "windows-1251", "latin-2"} {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), `"`+in+`"`) || !strings.Contains(err.Error(), Allowed) {
			t.Errorf("Parse(%q): error %v; want one naming the value and listing %s", in, err, Allowed)
		}
	}
}

func cp1252(s string) []byte {
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return b
}

func utf16Bytes(s string, bom, le bool) []byte {
	var b []byte
	if bom {
		b = []byte{0xFE, 0xFF}
		if le {
			b = []byte{0xFF, 0xFE}
		}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if le {
			b = append(b, byte(u), byte(u>>8))
		} else {
			b = append(b, byte(u>>8), byte(u))
		}
	}
	return b
}

// The text every case below decodes: the Windows-1252 letters and the
// 0x80–0x9F punctuation Excel writes for accented names and smart quotes.
const export = "Alias,Last Name,PIN\r\njm,Müller,685537\r\nzl,Zoë “Z” O’Brien – 5 €,1\r\nps,Šebesta,7323782\r\n"

func TestDecode(t *testing.T) {
	ascii := strings.Repeat("a,b,c\n", SniffBytes/6+10) // longer than the window
	lines := strings.Count(ascii, "\n")
	for _, tc := range []struct {
		name, enc string
		in        []byte
		want      string
		label     string
		detected  int
	}{
		{"windows-1252 detected", "", cp1252(export), export, Windows1252, 2},
		{"windows-1252 given", Windows1252, cp1252(export), export, Windows1252, 0},
		{"latin-1 given: 0x80-0x9F are C1 controls", Latin1, cp1252("Zoë “Z” €"), "Zoë \u0093Z\u0094 \u0080", Latin1, 0},
		{"utf-8 detected", "", []byte(export), export, UTF8, 2},
		{"utf-8 given", UTF8, []byte(export), export, UTF8, 0},
		{"utf-8 with a mark", "", append([]byte("\ufeff"), export...), export, UTF8BOM, 0},
		{"utf-8 given, with a mark", UTF8, append([]byte("\ufeff"), export...), export, UTF8BOM, 0},
		{"ascii only is utf-8", "", []byte("Alias,PIN\nx,1\n"), "Alias,PIN\nx,1\n", UTF8, 0},
		{"empty", "", nil, "", UTF8, 0},
		{"utf-16le with a mark", "", utf16Bytes(export, true, true), export, UTF16LE, 0},
		{"utf-16be with a mark", "", utf16Bytes(export, true, false), export, UTF16BE, 0},
		{"utf-16 given, with a big-endian mark", UTF16, utf16Bytes(export, true, false), export, UTF16BE, 0},
		{"utf-16 given, no mark: little-endian", UTF16, utf16Bytes(export, false, true), export, UTF16LE, 0},
		{"utf-16be given, no mark", UTF16BE, utf16Bytes(export, false, false), export, UTF16BE, 0},
		// The first non-ASCII byte comes after a window's worth of ASCII:
		// detection waits for it, and nothing before it can be misread.
		{"windows-1252 after the window", "", append([]byte(ascii), cp1252(export)...), ascii + export, Windows1252, lines + 2},
		// UTF-8 first, a Windows-1252 byte beyond the window: the file is
		// UTF-8 and the late byte is passed on for its row to be reported.
		{"invalid byte after the window", "", append([]byte("x,Müller\n"+ascii), cp1252("y,Zoë\n")...),
			"x,Müller\n" + ascii + "y,Zo\xeb\n", UTF8, 1},
		// One stray byte in a UTF-8 file does not make every name Windows-1252.
		{"utf-8 with a stray byte", "", []byte("a,Müller\nb,Zoë\nc,Jos\xe9\nd,Ångström\n"),
			"a,Müller\nb,Zoë\nc,Jos\xe9\nd,Ångström\n", UTF8, 1},
		// Nor do two bytes that happen to form a UTF-8 character (Ã©) make
		// a Windows-1252 file UTF-8.
		{"windows-1252 with a chance utf-8 pair", "", cp1252("a,Ã©\nb,Müller\nc,Zoë\n"), "a,Ã©\nb,Müller\nc,Zoë\n", Windows1252, 1},
		// Bytes Windows-1252 does not define become 0xFF, never U+FFFD.
		{"undefined windows-1252 bytes", Windows1252, []byte("a\x81b\x8dc\x8fd\x90e\x9d"), "a\xffb\xffc\xffd\xffe\xff", Windows1252, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunked := range []bool{false, true} {
				var src io.Reader = bytes.NewReader(tc.in)
				if chunked {
					src = iotest.OneByteReader(src)
				}
				d, err := NewReader(src, tc.enc)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(d)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != tc.want {
					t.Errorf("chunked %v: got %q\nwant %q", chunked, clip(got), clip([]byte(tc.want)))
				}
				if d.Encoding() != tc.label || d.Detected() != tc.detected {
					t.Errorf("chunked %v: read as %s detected at line %d; want %s, %d", chunked, d.Encoding(), d.Detected(), tc.label, tc.detected)
				}
			}
			// Reads of every size, including ones too small for a character.
			d, _ := NewReader(bytes.NewReader(tc.in), tc.enc)
			if err := iotest.TestReader(d, []byte(tc.want)); err != nil {
				t.Error(err)
			}
		})
	}
}

func clip(b []byte) []byte {
	if len(b) > 120 {
		return append(append(b[:60:60], "…"...), b[len(b)-60:]...)
	}
	return b
}

// The window may end inside a character: that is not evidence against
// UTF-8 (counted as invalid, it would tie with the é and choose 1252).
func TestWindowEndsInsideACharacter(t *testing.T) {
	in := "é" + strings.Repeat("a", SniffBytes-len("é")-1) + "€"
	d, _ := NewReader(strings.NewReader(in), "")
	got, _ := io.ReadAll(d)
	if string(got) != in || d.Encoding() != UTF8 {
		t.Errorf("read as %s (%d bytes); want the input as utf-8", d.Encoding(), len(got))
	}
}

func TestMarkContradictsEncoding(t *testing.T) {
	for _, tc := range []struct {
		enc  string
		in   []byte
		mark string
	}{
		{Windows1252, []byte("\ufeffAlias\n"), "UTF-8"},
		{Latin1, utf16Bytes("Alias\n", true, true), "UTF-16 (little-endian)"},
		{UTF8, utf16Bytes("Alias\n", true, false), "UTF-16 (big-endian)"},
		{UTF16, []byte("\ufeffAlias\n"), "UTF-8"},
		{UTF16BE, utf16Bytes("Alias\n", true, true), "UTF-16 (little-endian)"},
	} {
		_, err := NewReader(bytes.NewReader(tc.in), tc.enc)
		if err == nil || !strings.Contains(err.Error(), "read as "+tc.enc) || !strings.Contains(err.Error(), tc.mark+" byte-order mark") {
			t.Errorf("%s with a %s mark: error %v", tc.enc, tc.mark, err)
		}
	}
}

// A read error is returned, not taken for the end of the file (rows would
// silently go missing), in every encoding.
func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		enc  string
		head []byte
	}{
		{"", []byte("Alias,PIN\n")},
		{"", cp1252("Alias,PIN\nMüller,1\n")},
		{UTF8, []byte("Alias,PIN\n")},
		{Windows1252, []byte("Alias,PIN\n")},
		{"", utf16Bytes("Alias,PIN\n", true, true)},
	} {
		d, err := NewReader(io.MultiReader(bytes.NewReader(tc.head), iotest.ErrReader(boom)), tc.enc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(d); !errors.Is(err, boom) {
			t.Errorf("%q %q: ReadAll error %v; want boom", tc.enc, tc.head, err)
		}
	}
}

func TestProblemAndHint(t *testing.T) {
	read := func(enc string, in []byte) *Reader {
		d, err := NewReader(bytes.NewReader(in), enc)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(d)
		return d
	}
	for _, tc := range []struct {
		d             *Reader
		problem, hint string
	}{
		{read("", []byte("a\nMüller\n")), "invalid UTF-8", "read as utf-8, detected at line 2; --encoding sets the encoding"},
		{read(UTF8, []byte("a\nMüller\n")), "invalid UTF-8", ""},
		{read("", []byte("\ufeffMüller\n")), "invalid UTF-8", ""},
		{read("", cp1252("Müller")), "a byte Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90 or 0x9D)", ""},
		{read("", utf16Bytes("x", true, false)), "an unpaired UTF-16 surrogate or an odd final byte", ""},
	} {
		if p, h := tc.d.Problem(), tc.d.Hint(); p != tc.problem || h != tc.hint {
			t.Errorf("%s: Problem %q, Hint %q; want %q, %q", tc.d.Encoding(), p, h, tc.problem, tc.hint)
		}
	}
}

// FuzzDecode checks the single-byte decoders against x/text's own
// (whose U+FFFD for an undefined byte is our 0xFF), and that auto
// detection yields one of the two readings and UTF-8 whenever the input
// is valid UTF-8 with no mark.
func FuzzDecode(f *testing.F) {
	f.Add(cp1252(export))
	f.Add([]byte(export))
	f.Add([]byte("a\x81\x8d\xc3\xa9\xe2\x82"))
	f.Fuzz(func(t *testing.T, in []byte) {
		read := func(enc string) ([]byte, string) {
			d, err := NewReader(iotest.HalfReader(bytes.NewReader(in)), enc)
			if err != nil {
				return nil, ""
			}
			b, err := io.ReadAll(d)
			if err != nil {
				t.Fatal(err)
			}
			return b, d.Encoding()
		}
		marked := bytes.HasPrefix(in, []byte{0xEF, 0xBB, 0xBF}) || bytes.HasPrefix(in, []byte{0xFF, 0xFE}) || bytes.HasPrefix(in, []byte{0xFE, 0xFF})
		if marked {
			return
		}
		ref, _ := charmap.Windows1252.NewDecoder().Bytes(in)
		ref = bytes.ReplaceAll(ref, []byte("\uFFFD"), []byte{0xFF})
		got, _ := read(Windows1252)
		if !bytes.Equal(got, ref) {
			t.Fatalf("windows-1252 of %q: %q, x/text %q", in, got, ref)
		}
		ref, _ = charmap.ISO8859_1.NewDecoder().Bytes(in)
		if got, _ := read(Latin1); !bytes.Equal(got, ref) || !utf8.Valid(got) {
			t.Fatalf("latin-1 of %q: %q, x/text %q", in, got, ref)
		}
		got, enc := read(Auto)
		switch {
		case enc == UTF8 && !bytes.Equal(got, in),
			enc == Windows1252 && !bytes.Equal(got, bytes.ReplaceAll(mustCP(in), []byte("\uFFFD"), []byte{0xFF})),
			enc != UTF8 && enc != Windows1252,
			utf8.Valid(in) && enc != UTF8:
			t.Fatalf("auto of %q: %s %q", in, enc, got)
		}
	})
}

func mustCP(in []byte) []byte {
	b, _ := charmap.Windows1252.NewDecoder().Bytes(in)
	return b
}

// The upper-half tables are x/text's code pages, byte for byte.
func TestTablesMatchXText(t *testing.T) {
	for _, c := range []struct {
		name string
		tab  *upperHalf
		cm   *charmap.Charmap
	}{{"windows-1252", &windows1252, charmap.Windows1252}, {"latin-1", &latin1, charmap.ISO8859_1}} {
		for b := 0x80; b <= 0xFF; b++ {
			if got, want := c.tab[b-0x80], c.cm.DecodeByte(byte(b)); got != want {
				t.Errorf("%s: byte %#x: %U, x/text %U", c.name, b, got, want)
			}
		}
	}
}
