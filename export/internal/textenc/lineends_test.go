package textenc

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// The streaming CR reader gives the same text as LoneCRsToLF on the whole,
// byte for byte, however its source cuts the text (a CR at the end of one
// read, its LF at the start of the next).
func TestCRReaderMatchesLoneCRsToLF(t *testing.T) {
	for _, in := range []string{
		"", "\r", "\r\r", "\r\n", "a\rb\r\nc\nd\r", "a,\"x\ry\"\r\r\nb\r",
		strings.Repeat("ab\r", 20000) + "\r\n" + strings.Repeat("\r\n\r", 9000),
	} {
		want := []byte(in)
		LoneCRsToLF(want)
		for name, src := range map[string]func() io.Reader{
			"whole":    func() io.Reader { return strings.NewReader(in) },
			"one byte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(in)) },
			"half":     func() io.Reader { return iotest.HalfReader(strings.NewReader(in)) },
		} {
			got, err := io.ReadAll(NewCRReader(src()))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s, %.40q: got %.40q, %v; want %.40q", name, in, got, err, want)
			}
			// A reader that reads one byte at a time too.
			var b bytes.Buffer
			r := NewCRReader(src())
			one := make([]byte, 1)
			for {
				n, err := r.Read(one)
				b.Write(one[:n])
				if err != nil {
					break
				}
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s, one-byte reads, %.40q: got %.40q", name, in, b.Bytes())
			}
		}
	}
	if err := iotest.TestReader(NewCRReader(strings.NewReader("a\rb\r\nc\r")), []byte("a\nb\r\nc\n")); err != nil {
		t.Error(err)
	}
}

func TestCRLineEnds(t *testing.T) {
	for _, c := range []struct {
		head  string
		atEOF bool
		want  bool
	}{
		{"Alias,PIN\rann,1\r", true, true},
		{"Alias,PIN\r\nann,1\r\n", true, false},
		{"Alias,PIN\nann,\"1\r2\"\r", true, false},
		{"\"Ali\ras\",PIN\nann,1\n", true, false}, // a CR in a quoted header field is text
		{"\"Ali\nas\",PIN\rann,1\r", true, true},
		{"Alias,PIN\r", true, true},
		{"Alias,PIN\r", false, false}, // the next byte may be an LF
		{"Alias,PIN", true, false},
	} {
		if got := CRLineEnds([]byte(c.head), c.atEOF); got != c.want {
			t.Errorf("CRLineEnds(%q, %v) = %v", c.head, c.atEOF, got)
		}
	}
}

// Detected counts lines as the readers split them: in a CR file, by CR.
func TestDetectedLineInCRFile(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"Alias,Name\rann,Ann\rbob,Bj\xf6rn\r", 3},
		{"Alias,Name\r\nann,Ann\r\nbob,Bj\xf6rn\r\n", 3},
		{"Alias,Name\nann,Ann\nbob,Bj\xf6rn\n", 3},
		{"Alias,Name\r\rbob,Bj\xf6rn\r", 3},
	} {
		d, err := NewReader(strings.NewReader(c.in), "")
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(d)
		if d.Detected() != c.want || d.Encoding() != Windows1252 {
			t.Errorf("%q: detected at line %d as %s, want line %d", c.in, d.Detected(), d.Encoding(), c.want)
		}
	}
}
