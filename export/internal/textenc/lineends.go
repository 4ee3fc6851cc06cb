package textenc

import (
	"bytes"
	"io"
)

// Line ends. Exports end their lines in CRLF (BAT, Excel on Windows) or
// LF, and files saved as "CSV (Macintosh)" by classic Mac OS or old Excel
// in CR alone. A reader that splits on LF only reads such a file as one
// line: its header then holds every row (and the audit found no row), so
// export's Reader, which every reader of exports uses, looks at the first
// line end and, for a CR file, read every CR, LF or CRLF as one
// line end. In any other file a CR that is not before an LF stays text, as
// RFC 4180 has it.

// CRLineEnds reports whether the first line end of head, outside quoted
// fields, is a CR that is not followed by an LF: the text comes from a file
// with CR line ends. atEOF says head is the whole text (a CR as its last
// byte is then a line end; otherwise the byte after it is unknown).
func CRLineEnds(head []byte, atEOF bool) bool {
	quoted := false
	for i, b := range head {
		switch {
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == '\n':
			return false
		case b == '\r':
			if i+1 < len(head) {
				return head[i+1] != '\n'
			}
			return atEOF
		}
	}
	return false
}

// LoneCRsToLF rewrites, in place, each CR of text that is not followed by
// an LF into an LF: the text of a CR file then splits as an LF one. The
// length is unchanged, so offsets stay those of the original text.
func LoneCRsToLF(text []byte) {
	for i := bytes.IndexByte(text, '\r'); i >= 0; {
		if i+1 == len(text) || text[i+1] != '\n' {
			text[i] = '\n'
		}
		j := bytes.IndexByte(text[i+1:], '\r')
		if j < 0 {
			return
		}
		i += 1 + j
	}
}

// NewCRReader returns a reader of r's text with LoneCRsToLF applied as it
// streams, byte for byte (a CR at the end of one read waits for the next
// byte to tell a CRLF from a CR alone).
func NewCRReader(r io.Reader) io.Reader { return &crReader{src: r} }

type crReader struct {
	src  io.Reader
	buf  [32 << 10]byte
	out  []byte // converted bytes not returned yet
	held bool   // buf ended in a CR: the byte after it decides what it is
	err  error  // what ended src
}

func (c *crReader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			if !c.held {
				return 0, c.err
			}
			c.held = false
			c.buf[0] = '\n' // a CR at the very end
			c.out = c.buf[:1]
			break
		}
		start := 0
		if c.held {
			c.buf[0], start = '\r', 1
		}
		n, err := c.src.Read(c.buf[start:])
		c.err = err
		b := c.buf[:start+n]
		c.held = false
		if len(b) > 0 && b[len(b)-1] == '\r' {
			c.held, b = true, b[:len(b)-1]
		}
		LoneCRsToLF(b)
		c.out = b
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// lineEnds counts the line ends of b (LF, and CR alone) given that the
// byte before b was a CR (prevCR), and says whether b ends in one.
func lineEnds(b []byte, prevCR bool) (n int, endsCR bool) {
	if len(b) == 0 {
		return 0, prevCR
	}
	if prevCR && b[0] != '\n' {
		n++
	}
	n += bytes.Count(b, []byte{'\n'})
	for i := bytes.IndexByte(b, '\r'); i >= 0 && i+1 < len(b); {
		if b[i+1] != '\n' {
			n++
		}
		j := bytes.IndexByte(b[i+1:], '\r')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return n, b[len(b)-1] == '\r'
}
