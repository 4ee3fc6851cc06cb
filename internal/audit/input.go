package audit

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// Encodings the BAT tools write: UTF-8 with or without a byte-order mark,
// and UTF-16 with one (a UTF-16 file without a BOM cannot be told apart
// from binary junk, so it is read as UTF-8 and its rows come out bad).
const (
	EncUTF8    = "utf-8"
	EncUTF8BOM = "utf-8-bom"
	EncUTF16LE = "utf-16le"
	EncUTF16BE = "utf-16be"
)

// decodeInput sniffs the byte-order mark of r and returns a reader of UTF-8
// text without the mark. Unpaired UTF-16 surrogates and a dangling odd byte
// become the byte 0xFF, which is never valid UTF-8, so the row holding them
// is reported as undecodable instead of being silently repaired.
func decodeInput(r io.Reader) (io.Reader, string, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	head, err := br.Peek(3)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, "", err
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		return br, EncUTF8BOM, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		br.Discard(2)
		return &utf16Reader{src: br, le: true}, EncUTF16LE, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		br.Discard(2)
		return &utf16Reader{src: br}, EncUTF16BE, nil
	}
	return br, EncUTF8, nil
}

// utf16Reader transcodes UTF-16 to UTF-8 as it is read.
type utf16Reader struct {
	src  *bufio.Reader
	le   bool
	out  []byte // transcoded bytes not yet returned
	obuf []byte // backing store of out
	in   [8 << 10]byte
	odd  []byte // a byte left over from the previous read
	hi   rune   // pending high surrogate, 0 if none
	done bool
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.done {
			return 0, io.EOF
		}
		u.fill()
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

func (u *utf16Reader) fill() {
	buf := u.in[:0]
	buf = append(buf, u.odd...)
	u.odd = u.odd[:0]
	n, err := io.ReadAtLeast(u.src, u.in[len(buf):], 2-len(buf))
	buf = u.in[:len(buf)+n]
	out := u.obuf[:0]
	if cap(out) < 3*len(u.in) {
		out = make([]byte, 0, 3*len(u.in))
	}
	i := 0
	for ; i+1 < len(buf); i += 2 {
		var c rune
		if u.le {
			c = rune(buf[i]) | rune(buf[i+1])<<8
		} else {
			c = rune(buf[i])<<8 | rune(buf[i+1])
		}
		out = u.appendUnit(out, c)
	}
	if i < len(buf) {
		u.odd = append(u.odd, buf[i])
	}
	if err != nil { // EOF or a read error: flush what is pending
		if u.hi != 0 {
			out = append(out, 0xFF)
			u.hi = 0
		}
		if len(u.odd) > 0 {
			out = append(out, 0xFF)
			u.odd = u.odd[:0]
		}
		u.done = true
	}
	u.obuf = out
	u.out = out
}

func (u *utf16Reader) appendUnit(out []byte, c rune) []byte {
	switch {
	case u.hi != 0 && c >= 0xDC00 && c < 0xE000:
		r := utf16.DecodeRune(u.hi, c)
		u.hi = 0
		return utf8.AppendRune(out, r)
	case u.hi != 0:
		out = append(out, 0xFF)
		u.hi = 0
	}
	switch {
	case c >= 0xD800 && c < 0xDC00:
		u.hi = c
		return out
	case c >= 0xDC00 && c < 0xE000:
		return append(out, 0xFF)
	}
	return utf8.AppendRune(out, c)
}
